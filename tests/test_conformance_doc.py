"""docs/conformance.md says what the code does: its tables are checked against the code."""

import re
from pathlib import Path

import pydicom
from pydicom.datadict import tag_for_keyword

from dimse import uids
from hcs.driver import datasets
from hcs.driver.profile import PrinterProfile
from hcs.driver.session import proposed_contexts

DOC = Path(__file__).resolve().parent.parent / "docs" / "conformance.md"


def table_after(heading: str) -> list[list[str]]:
    text = DOC.read_text()
    start = text.index(heading)
    rows = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("#") or (rows and not line.startswith("|")):
            break
        if line.startswith("|") and not set(line) <= set("|-: "):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[1:]  # without the header row


def test_sop_class_table_matches_what_the_driver_proposes():
    rows = table_after("### 3.2 SOP classes")
    documented = {row[1] for row in rows}
    profile = PrinterProfile(name="all", host="h", port=104)
    proposed = {c.abstract_syntax for c in proposed_contexts(profile, color=True)}
    assert documented == proposed | {uids.VERIFICATION}


def keywords(heading: str) -> list[str]:
    return [row[0] for row in table_after(heading)]


def check_tags(heading: str) -> None:
    for row in table_after(heading):
        tag = tag_for_keyword(row[0])
        assert tag is not None, row[0]
        assert row[1] == f"({tag >> 16:04X},{tag & 0xFFFF:04X})", row


def test_attribute_tables_match_the_builders():
    assert keywords("#### 3.2.1 Film Session") == list(datasets.FILM_SESSION_ATTRIBUTES)
    assert keywords("#### 3.2.2 Film Box") == list(datasets.FILM_BOX_ATTRIBUTES)
    assert keywords("#### 3.2.3 Image Box") == list(datasets.IMAGE_BOX_ATTRIBUTES)
    assert keywords("The image item") == list(datasets.IMAGE_ITEM_ATTRIBUTES)
    for heading in (
        "#### 3.2.1 Film Session",
        "#### 3.2.2 Film Box",
        "#### 3.2.3 Image Box",
        "The image item",
    ):
        check_tags(heading)


def test_the_builders_set_only_documented_attributes():
    from hcs.job.model import FilmBoxSpec, FilmSessionSpec

    profile = PrinterProfile(
        name="p",
        host="h",
        port=104,
        presentation_lut_in_session=True,
        configuration_information="X",
    )
    session = datasets.film_session_dataset(
        profile, FilmSessionSpec(2, "HIGH", "PAPER", "BIN_2", "label", 100, "owner"), "1.2.3"
    )
    assert set(session.dir()) <= set(datasets.FILM_SESSION_ATTRIBUTES)
    box = datasets.film_box_dataset(
        profile,
        FilmBoxSpec(
            "STANDARD\\2,2",
            "PORTRAIT",
            "A4",
            "CUBIC",
            "NONE",
            "BLACK",
            "WHITE",
            10,
            300,
            "YES",
            "X",
            "HIGH",
            2000,
            10,
            "ID",
        ),
        "1.2.3",
        "1.2.4",
    )
    assert set(box.dir()) <= set(datasets.FILM_BOX_ATTRIBUTES)
    assert isinstance(box, pydicom.Dataset)


def test_implementation_identity_is_documented():
    from dul.association import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME

    text = DOC.read_text()
    assert f"`{IMPLEMENTATION_CLASS_UID}`" in text
    assert f"`{IMPLEMENTATION_VERSION_NAME}`" in text
    assert re.search(r"Default calling AE title \| `HCS_PRINT_SCU`", text)
