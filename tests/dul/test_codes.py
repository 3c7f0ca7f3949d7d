"""Every reject and abort code has a sentence that names its DICOM term (PS3.8 Tables 9-18,
9-21 and 9-26). The expected terms below are copied from the standard, not from dul.codes."""

import re

import pytest

from dul.codes import (
    AbortReason,
    AbortSource,
    ContextResult,
    RejectResult,
    RejectSource,
    describe_abort,
    describe_context_result,
    describe_reject,
)

# PS3.8 Table 9-21 (A-ASSOCIATE-RJ).
REJECT_RESULTS = {1: "rejected-permanent", 2: "rejected-transient"}
REJECT_SOURCES = {
    1: "DICOM UL service-user",
    2: "DICOM UL service-provider (ACSE related function)",
    3: "DICOM UL service-provider (Presentation related function)",
}
REJECT_REASONS = {
    1: {
        1: "no-reason-given",
        2: "application-context-name-not-supported",
        3: "calling-AE-title-not-recognized",
        7: "called-AE-title-not-recognized",
    },
    2: {1: "no-reason-given", 2: "protocol-version-not-supported"},
    3: {1: "temporary-congestion", 2: "local-limit-exceeded"},
}
RESERVED_REJECT_REASONS = {1: [4, 5, 6, 8, 9, 10], 2: [0, 3], 3: [0, 3, 4, 5, 6, 7]}

# PS3.8 Table 9-26 (A-ABORT).
ABORT_SOURCES = {0: "DICOM UL service-user", 1: "reserved", 2: "DICOM UL service-provider"}
ABORT_REASONS = {
    0: "reason-not-specified",
    1: "unrecognized-PDU",
    2: "unexpected-PDU",
    3: "reserved",
    4: "unrecognized-PDU parameter",
    5: "unexpected-PDU parameter",
    6: "invalid-PDU-parameter value",
}

# PS3.8 Table 9-18 (presentation context result/reason).
CONTEXT_RESULTS = {
    0: "acceptance",
    1: "user-rejection",
    2: "no-reason (provider rejection)",
    3: "abstract-syntax-not-supported (provider rejection)",
    4: "transfer-syntaxes-not-supported (provider rejection)",
}


def names(sentence: str, term: str) -> bool:
    """Whether ``sentence`` holds ``term``, hyphens and spaces counting as the same."""

    def squash(text: str) -> str:
        return re.sub(r"[-\s]+", "-", text.lower())

    return squash(term) in squash(sentence)


REJECT_CASES = [
    (result, source, reason)
    for result in REJECT_RESULTS
    for source in REJECT_SOURCES
    for reason in REJECT_REASONS[source]
]


@pytest.mark.parametrize(("result", "source", "reason"), REJECT_CASES)
def test_every_reject_combination_names_its_dicom_terms(result, source, reason) -> None:
    sentence = describe_reject(result, source, reason)
    assert names(sentence, REJECT_RESULTS[result])
    assert names(sentence, REJECT_SOURCES[source])
    assert names(sentence, REJECT_REASONS[source][reason])
    assert f"result {result}, source {source}, reason {reason}" in sentence


@pytest.mark.parametrize(
    ("source", "reason"),
    [(source, reason) for source, reasons in RESERVED_REJECT_REASONS.items() for reason in reasons],
)
@pytest.mark.parametrize("result", REJECT_RESULTS)
def test_reserved_reject_reasons_are_called_reserved(result, source, reason) -> None:
    sentence = describe_reject(result, source, reason)
    assert f"reserved reason {reason}" in sentence
    assert names(sentence, REJECT_SOURCES[source])


def test_reason_meaning_depends_on_the_source() -> None:
    assert names(describe_reject(1, 1, 2), "application-context-name-not-supported")
    assert names(describe_reject(1, 2, 2), "protocol-version-not-supported")
    assert names(describe_reject(2, 3, 2), "local-limit-exceeded")


@pytest.mark.parametrize(("result", "source", "reason"), [(0, 0, 0), (3, 4, 1), (255, 255, 255)])
def test_codes_outside_the_table_are_described_not_refused(result, source, reason) -> None:
    sentence = describe_reject(result, source, reason)
    assert f"unknown result {result}" in sentence
    assert f"unknown source {source}" in sentence


@pytest.mark.parametrize("reason", ABORT_REASONS)
def test_every_service_provider_abort_reason_names_its_dicom_term(reason: int) -> None:
    sentence = describe_abort(AbortSource.SERVICE_PROVIDER, reason)
    assert names(sentence, ABORT_SOURCES[2])
    assert names(sentence, ABORT_REASONS[reason])
    assert f"source 2, reason {reason}" in sentence


@pytest.mark.parametrize("source", [0, 1])
@pytest.mark.parametrize("reason", ABORT_REASONS)
def test_service_user_and_reserved_source_aborts_name_their_source(source, reason) -> None:
    """For source 0 the reason is not significant (Table 9-26: sent as 00H, not tested)."""
    sentence = describe_abort(source, reason)
    assert names(sentence, ABORT_SOURCES[source])
    assert f"source {source}, reason {reason}" in sentence


def test_service_user_abort_does_not_pretend_to_have_a_reason() -> None:
    sentence = describe_abort(AbortSource.SERVICE_USER, 6)
    assert not names(sentence, "invalid-PDU-parameter value")
    assert "no reason" in sentence


def test_unknown_abort_codes_are_described_not_refused() -> None:
    assert "unknown source 9" in describe_abort(9, 0)
    assert "unknown reason 7" in describe_abort(2, 7)


@pytest.mark.parametrize("result", CONTEXT_RESULTS)
def test_every_presentation_context_result_names_its_dicom_term(result: int) -> None:
    assert names(describe_context_result(result), CONTEXT_RESULTS[result])
    assert "unknown result 5" in describe_context_result(5)


@pytest.mark.parametrize(
    ("member", "value"),
    [
        (RejectResult.PERMANENT, 1),
        (RejectResult.TRANSIENT, 2),
        (RejectSource.SERVICE_USER, 1),
        (RejectSource.SERVICE_PROVIDER_ACSE, 2),
        (RejectSource.SERVICE_PROVIDER_PRESENTATION, 3),
        (AbortSource.SERVICE_USER, 0),
        (AbortSource.RESERVED, 1),
        (AbortSource.SERVICE_PROVIDER, 2),
        (AbortReason.NOT_SPECIFIED, 0),
        (AbortReason.UNRECOGNIZED_PDU, 1),
        (AbortReason.UNEXPECTED_PDU, 2),
        (AbortReason.RESERVED, 3),
        (AbortReason.UNRECOGNIZED_PDU_PARAMETER, 4),
        (AbortReason.UNEXPECTED_PDU_PARAMETER, 5),
        (AbortReason.INVALID_PDU_PARAMETER, 6),
        (ContextResult.ACCEPTANCE, 0),
        (ContextResult.USER_REJECTION, 1),
        (ContextResult.NO_REASON, 2),
        (ContextResult.ABSTRACT_SYNTAX_NOT_SUPPORTED, 3),
        (ContextResult.TRANSFER_SYNTAXES_NOT_SUPPORTED, 4),
    ],
    ids=lambda param: f"{type(param).__name__}.{param.name}" if hasattr(param, "name") else "",
)
def test_enum_values_are_the_bytes_of_the_tables(member, value: int) -> None:
    assert member == value
