"""The status table against PS3.7 Annex C's class convention and PS3.4 Annex H's codes."""

import pytest

from dimse.status import (
    STATUS_TABLE,
    StatusCategory,
    StatusCode,
    describe_status,
    status_category,
    status_meaning,
)

S, W, F = StatusCategory.SUCCESS, StatusCategory.WARNING, StatusCategory.FAILURE
C, P = StatusCategory.CANCEL, StatusCategory.PENDING


def annex_c_class(code: int) -> StatusCategory | None:
    """PS3.7 Annex C's table of status classes, written out independently of the code."""
    if code == 0x0000:
        return S
    if code in (0x0001, 0x0107, 0x0116) or 0xB000 <= code <= 0xBFFF:
        return W
    if 0xA000 <= code <= 0xAFFF or 0xC000 <= code <= 0xCFFF or 0x0100 <= code <= 0x02FF:
        return F
    if code == 0xFE00:
        return C
    if code in (0xFF00, 0xFF01):
        return P
    return None  # not a code the standard allows


GENERAL_CODES = [0x0000, 0xFE00, 0xFF00, 0xFF01, 0x0001, 0x0107, 0x0116, 0x0105, 0x0106]
GENERAL_CODES += [*range(0x0110, 0x011A), *range(0x0120, 0x0125), *range(0x0210, 0x0214)]
PRINT_CODES = [0xB600, 0xB601, 0xB602, 0xB603, 0xB604, 0xB605, 0xB609, 0xB60A]
PRINT_CODES += [0xC600, 0xC601, 0xC602, 0xC603, 0xC604, 0xC605, 0xC613, 0xC616]


def test_the_table_holds_every_general_and_print_code():
    assert set(GENERAL_CODES + PRINT_CODES) <= set(STATUS_TABLE)
    assert set(STATUS_TABLE) == {int(code) for code in StatusCode}


@pytest.mark.parametrize("code", sorted(STATUS_TABLE))
def test_every_code_in_the_table_has_its_annex_c_class_and_a_sentence(code):
    category, sentence = STATUS_TABLE[code]
    assert category is annex_c_class(code)
    assert status_category(code) is category
    assert sentence.strip() and sentence == status_meaning(code)


def test_every_16_bit_code_gets_a_category_and_a_sentence():
    for code in range(0x10000):
        expected = annex_c_class(code)
        assert status_category(code) is (expected or F), hex(code)
        assert status_meaning(code)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (0xA700, "out of resources"),
        (0xA7FF, "out of resources"),
        (0xA900, "does not match SOP class"),
        (0xA801, "service-class specific failure"),
        (0xB000, "service-class specific warning"),
        (0xC001, "service-class specific failure"),
        (0x0125, "reserved"),
        (0x0299, "reserved"),
        (0x0002, "unknown"),
        (0xFE01, "unknown"),
        (0xFF02, "unknown"),
        (0x9000, "unknown"),
    ],
)
def test_unknown_codes_are_described_by_their_range(code, words):
    assert words in status_meaning(code)


def test_describe_status():
    assert describe_status(0x0106) == "0x0106 Failure: invalid attribute value"
    assert describe_status(StatusCode.SUCCESS) == "0x0000 Success: success"
    assert describe_status(0xB605).startswith("0xB605 Warning: ")
    assert describe_status(0xFF00).startswith("0xFF00 Pending: ")
    assert describe_status(0xFE00) == "0xFE00 Cancel: cancelled"


@pytest.mark.parametrize("code", [-1, 0x10000])
def test_a_status_is_16_bits(code):
    with pytest.raises(ValueError):
        status_category(code)
    with pytest.raises(ValueError):
        status_meaning(code)
