"""Our own print driver (``hcs.driver``) against the faults its own tests do not cover.

The driver's tests (``tests/hcs/driver/test_against_vprinter.py``) take aborts, drops,
stalls, failure and warning statuses, printer FAILURE and events; here the rest:
rejections, refused contexts, a tiny maximum PDU, slow reads, late answers, a printer
in WARNING, and a failure status on an image box. Each job is followed by a normal one.
"""

import asyncio

import numpy as np
import pytest

from dul.net import Timeouts
from hcs.driver import (
    FilmBoxSpec,
    FilmSessionSpec,
    FilmSpec,
    ImageBoxSpec,
    PrinterDriver,
    PrinterProfile,
    PrintRequest,
)
from tests.hcs.vprinter.helpers import running_printer


def job(display_format: str = "STANDARD\\2,1", shape=(64, 48)) -> PrintRequest:
    rng = np.random.default_rng(7)
    count = {"STANDARD\\2,1": 2, "STANDARD\\2,2": 4}[display_format]
    images = [ImageBoxSpec(rng.integers(0, 256, shape, dtype=np.uint8)) for _ in range(count)]
    return PrintRequest(FilmSessionSpec(), [FilmSpec(FilmBoxSpec(display_format), images)])


def print_twice(tmp_path, faults, first: PrintRequest, **printer_options):
    async def go():
        async with running_printer(tmp_path, faults, **printer_options) as printer:
            driver = PrinterDriver(
                PrinterProfile(
                    name="vprinter",
                    host="127.0.0.1",
                    port=printer.port,
                    ae_title="VPRINTER",
                    timeouts=Timeouts(connect=5, association=5, dimse=5, artim=5),
                    retry_backoff=0.01,
                )
            )
            outcomes = [await driver.print(first), await driver.print(job())]
            await driver.close()
            await printer.wait_idle(10)
            return outcomes, list(printer.films)

    return asyncio.run(asyncio.wait_for(go(), 60))


@pytest.mark.parametrize(
    "fault",
    [
        "reject:result=2,source=3,reason=1,assoc=1",
        "reject:result=1,source=1,reason=3,assoc=1",
    ],
)
def test_a_refused_association_is_retried(tmp_path, fault):
    (outcome, later), films = print_twice(tmp_path, [fault], job())
    assert outcome.printed and outcome.attempts == 2, outcome.events
    assert later.printed and len(films) == 2


@pytest.mark.parametrize(
    "fault",
    ["max_pdu:size=1024", "slow_read:rate=300000", "delay:op=N-SET,seconds=0.05"],
)
def test_transport_faults_only_slow_the_job_down(tmp_path, fault):
    (outcome, later), films = print_twice(tmp_path, [fault], job("STANDARD\\2,2", (128, 128)))
    assert outcome.printed and outcome.attempts == 1, outcome.events
    assert later.printed
    assert [box["image"]["rows"] for box in films[0]["boxes"]] == [128] * 4


def test_no_meta_class_accepted_holds_the_job(tmp_path):
    (outcome, later), films = print_twice(tmp_path, ["contexts:only=verification,assoc=1"], job())
    assert outcome.films[0].state == "held"
    assert "no print management meta SOP class" in outcome.films[0].reason
    assert later.printed and len(films) == 1


def test_no_print_job_context_means_no_print_job(tmp_path):
    (outcome, later), _ = print_twice(tmp_path, ["contexts:refuse=print_job,assoc=1"], job())
    assert outcome.printed and outcome.films[0].print_job_uid is None
    assert later.printed


def test_a_printer_in_warning_still_prints_and_says_why(tmp_path):
    fault = "printer:status=WARNING,info=SUPPLY LOW"
    (outcome, later), _ = print_twice(tmp_path, [fault], job())
    assert outcome.printed and later.printed
    assert (outcome.printer_status, outcome.printer_status_info) == ("WARNING", "SUPPLY LOW")


def test_an_image_box_failure_fails_the_film_with_the_printers_words(tmp_path):
    fault = "status:op=N-SET,class=image-box,code=C605,comment=no room for it,nth=2"
    (outcome, later), films = print_twice(tmp_path, [fault], job())
    film = outcome.films[0]
    assert film.state == "failed" and "0xC605" in film.reason and "no room for it" in film.reason
    assert later.printed and len(films) == 1
