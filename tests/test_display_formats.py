"""The same Image Display Formats fed to every consumer get the same answer.

The grammar is parsed once (:func:`hcs.job.terms.parse_display_format`) and laid out once
(:mod:`hcs.film`); this holds the formatter, the driver's checks, the server's job check
and the virtual printer to it: each takes or refuses the same values, and the ones that
count boxes count the same number.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from dimse import messages as m
from dimse import uids
from hcs.driver import PrinterProfile
from hcs.driver.datasets import film_box_dataset
from hcs.film import box_count
from hcs.formatter import Formatter, PrinterSettings
from hcs.job import FilmBoxSpec, InvalidAttribute
from hcs.vprinter import load_config
from hcs.vprinter.config import ConfigError
from hcs.vprinter.session import PrintSession
from tests.hcs.vprinter.helpers import film_box_dataset as vprinter_film_box
from tests.hcs.vprinter.helpers import make_config
from tests.hcs.vprinter.test_render import CONTEXTS

# (value, boxes on an 8INX10IN PORTRAIT film with no margin, or None: refused by all)
FORMATS = [
    ("STANDARD\\1,1", 1),
    ("STANDARD\\2,2", 4),
    ("STANDARD\\2,2 ", 4),  # ST: a trailing space is padding (PS3.5 6.2)
    ("STANDARD\\2,3\0", 6),  # and so is a trailing NUL, liberally
    (" STANDARD\\2,2", None),  # a leading space is significant in ST: not a defined term
    ("ROW\\1,2,3", 6),
    ("COL\\2,1", 3),
    ("SLIDE", 20),  # 4 x 5 two-inch frames fit 8 x 10 inches
    ("SUPERSLIDE", 20),
    ("CUSTOM\\1", 3),
    ("CUSTOM\\9", None),  # not defined by the printer
    ("STANDARD\\16,16", 256),
    ("STANDARD\\17,16", None),  # more than 256 boxes
    ("STANDARD\\0,2", None),
    ("STANDARD\\02,2", None),
    ("STANDARD\\2", None),
    ("ROW\\", None),
    ("SLIDE\\2", None),
    ("GRID\\2,2", None),
]
CUSTOM = {1: 3}  # the driver's and formatter's profile: CUSTOM\1 has 3 boxes
VPRINTER_CUSTOM = {"1": [[0, 0, 1, 0.5], [0, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]]}


def geometry(text: str) -> int | None:
    try:
        return box_count(text, "8INX10IN", custom_formats=CUSTOM)
    except InvalidAttribute:
        return None


def formatter(text: str) -> int | None:
    settings = PrinterSettings.from_profile(replace(profile(), resolution_dpi=20))
    with Formatter(settings) as engine:
        try:
            return len(engine.layout(FilmBoxSpec(text, film_size_id="8INX10IN")).boxes)
        except ValueError:
            return None


def profile() -> PrinterProfile:
    return PrinterProfile(name="p", host="h", port=1, custom_formats=CUSTOM)


def driver(text: str) -> bool:
    try:
        film_box_dataset(profile(), FilmBoxSpec(text, film_size_id="8INX10IN"), "1.2.3")
    except InvalidAttribute:
        return False
    return True


def vprinter_configuration(text: str) -> bool:
    try:
        load_config(
            overrides={"port": 0, "film.display_formats": [text], "custom_formats": VPRINTER_CUSTOM}
        )
    except ConfigError:
        return False
    return True


def vprinter(text: str) -> int | None:
    config = make_config(custom_formats=VPRINTER_CUSTOM, film__max_boxes=256)
    session = PrintSession(config, contexts=CONTEXTS)
    reply = session.handle(1, m.NCreateRQ(1, uids.BASIC_FILM_SESSION))
    session_uid = reply.response.affected_sop_instance_uid
    dataset = vprinter_film_box(session_uid, text, FilmSizeID="8INX10IN")
    reply = session.handle(1, m.NCreateRQ(2, uids.BASIC_FILM_BOX, dataset=dataset))
    if reply.response.status != 0:
        return None
    return len(reply.response.dataset.ReferencedImageBoxSequence)


@pytest.mark.parametrize(("text", "boxes"), FORMATS)
def test_every_consumer_gives_the_same_answer(text, boxes):
    answers = {
        "geometry": geometry(text),
        "formatter": formatter(text),
        "driver": boxes if driver(text) else None,
        "vprinter configuration": boxes if vprinter_configuration(text) else None,
        "vprinter": vprinter(text),
    }
    assert answers == dict.fromkeys(answers, boxes)
