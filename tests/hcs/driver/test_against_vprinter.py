"""The driver against our virtual printer: what dcmprscp cannot do, and every fault.

Each fault ends in the job state it should, with the reason, and the next job prints.
"""

import asyncio
import json

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


def profile(port: int, **options) -> PrinterProfile:
    options.setdefault("timeouts", Timeouts(connect=5, association=5, dimse=5, artim=5))
    options.setdefault("retry_backoff", 0.05)
    return PrinterProfile(
        name="vprinter", host="127.0.0.1", port=port, ae_title="VPRINTER", **options
    )


def gray(count: int, shape=(40, 32), seed=0) -> list[ImageBoxSpec]:
    rng = np.random.default_rng(seed)
    return [ImageBoxSpec(rng.integers(0, 256, shape, dtype=np.uint8)) for _ in range(count)]


def request(display_format="STANDARD\\2,1", images=None, **options) -> PrintRequest:
    images = gray(2) if images is None else images
    return PrintRequest(
        FilmSessionSpec(), [FilmSpec(FilmBoxSpec(display_format), images)], **options
    )


async def print_jobs(port, *requests, **options):
    driver = PrinterDriver(profile(port, **options))
    outcomes = [await driver.print(r) for r in requests]
    await driver.close()
    return driver, outcomes


def scenario(tmp_path, faults, *requests, printer_options=None, **options):
    async def go():
        async with running_printer(tmp_path, faults, **(printer_options or {})) as printer:
            driver, outcomes = await print_jobs(printer.port, *requests, **options)
            await printer.wait_idle(10)
            return driver, outcomes, list(printer.films)

    return asyncio.run(asyncio.wait_for(go(), 90))


def test_row_and_col_formats_and_print_job_done(tmp_path):
    jobs = [request("ROW\\1,2", gray(3)), request("COL\\2,1", gray(3, seed=1))]
    _, outcomes, films = scenario(tmp_path, [], *jobs)
    for outcome in outcomes:
        assert outcome.printed, [r.description for r in outcome.operations]
        film = outcome.films[0]
        assert film.print_job_uid and film.print_job_status == "DONE"
    assert len(films) == 2


def test_colour_film_and_annotations(tmp_path):
    rng = np.random.default_rng(3)
    colour = [ImageBoxSpec(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8))]
    job = PrintRequest(
        FilmSessionSpec(),
        [
            FilmSpec(
                FilmBoxSpec("STANDARD\\1,1"),
                colour,
                annotations={1: "hcs colour test"},
            )
        ],
        color=True,
    )
    _, [outcome], _ = scenario(tmp_path, [], job)
    assert outcome.printed, [r.description for r in outcome.operations]
    operations = [r.operation for r in outcome.operations]
    assert "N-SET Annotation Box 1" in operations
    assert any(r.sop_class_uid == "1.2.840.10008.5.1.1.4.1" for r in outcome.operations)


def test_a_colour_job_falls_back_to_grayscale_when_colour_is_refused(tmp_path):
    rng = np.random.default_rng(4)
    colour = [ImageBoxSpec(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8))]
    job = request("STANDARD\\1,1", colour, color=True)
    _, [outcome], _ = scenario(tmp_path, ["contexts:refuse=color"], job)
    assert outcome.printed
    assert any("grayscale" in event for event in outcome.events)


def test_printer_failure_holds_the_job_and_the_next_job_prints(tmp_path):
    faults = ["printer:status=FAILURE,info=FILM JAM,assoc=1"]
    _, (held, later), _ = scenario(tmp_path, faults, request(), request())
    assert held.films[0].state == "held"
    assert "FILM JAM" in held.films[0].reason
    assert later.printed


def test_a_failure_on_film_box_n_create_stops_the_film_with_its_reason(tmp_path):
    faults = [
        "status:op=N-CREATE,class=film-box,code=0106,comment=no such format,element=2010,0010,nth=1"
    ]
    _, (failed, later), _ = scenario(tmp_path, faults, request(), request())
    film = failed.films[0]
    assert film.state == "failed"
    assert "0x0106 Failure" in film.reason and "no such format" in film.reason
    assert "(2010,0010)" in film.reason
    assert later.printed


def test_a_warning_on_n_action_prints_with_a_note(tmp_path):
    faults = ["status:op=N-ACTION,class=film-box,code=B603"]
    _, [outcome], _ = scenario(tmp_path, faults, request())
    assert outcome.printed
    assert any("0xB603 Warning" in w for w in outcome.films[0].warnings)


@pytest.mark.parametrize(
    "fault",
    [
        "abort:after=5,source=2,reason=0,assoc=1",  # in the middle of the N-SETs
        "drop:after=5,assoc=1",  # the connection dropped mid-PDU
        "stall:op=N-SET,assoc=1",  # no answer: the DIMSE timeout
    ],
)
def test_a_lost_association_is_retried_and_the_film_printed_once(tmp_path, fault):
    options = {"timeouts": Timeouts(connect=5, association=5, dimse=1.5, artim=5)}
    driver, [outcome, later], films = scenario(
        tmp_path, [fault], request("STANDARD\\2,2", gray(4)), request(), **options
    )
    assert outcome.printed, (outcome.events, [r.description for r in outcome.operations])
    assert outcome.attempts == 2 and outcome.events
    assert later.printed
    assert len(films) == 2  # the film of the failed attempt was never printed
    assert driver.associations_opened == 2


def test_an_event_report_between_two_n_sets_is_answered_and_noted(tmp_path):
    faults = ["event:type=WARNING,info=FILM SUPPLY LOW,at=after:N-SET"]
    _, [outcome], _ = scenario(tmp_path, faults, request("STANDARD\\2,2", gray(4)))
    assert outcome.printed
    assert any("WARNING" in e and "FILM SUPPLY LOW" in e for e in outcome.events)


def test_the_outcome_is_plain_json(tmp_path):
    _, [outcome], _ = scenario(tmp_path, [], request())
    text = json.dumps(outcome.as_json())
    assert '"printed": true' in text


def test_a_failure_on_film_session_n_create_fails_every_film_and_the_next_job_prints(tmp_path):
    faults = ["status:op=N-CREATE,class=film-session,code=0213,comment=no memory,nth=1"]
    two_films = PrintRequest(
        FilmSessionSpec(),
        [
            FilmSpec(FilmBoxSpec("STANDARD\\1,1"), gray(1)),
            FilmSpec(FilmBoxSpec("STANDARD\\1,1"), gray(1)),
        ],
    )
    _, (failed, later), films = scenario(tmp_path, faults, two_films, request())
    assert [f.state for f in failed.films] == ["failed", "failed"]
    assert all("0x0213" in f.reason and "no memory" in f.reason for f in failed.films)
    assert later.printed and len(films) == 1


def test_collated_films_print_with_one_session_n_action(tmp_path):
    films = [FilmSpec(FilmBoxSpec("STANDARD\\1,1"), gray(1, seed=i)) for i in range(3)]
    job = PrintRequest(FilmSessionSpec(number_of_copies=2), films, collate=True)
    _, [outcome], _ = scenario(
        tmp_path, [], job, session_print=True, printer_options={"film__session_print": True}
    )
    assert outcome.printed, [r.description for r in outcome.operations]
    operations = [r.operation for r in outcome.operations]
    assert operations.count("N-ACTION Film Session (print)") == 1
    assert "N-ACTION Film Box (print)" not in operations


def test_printer_configuration_retrieval(tmp_path):
    async def go():
        async with running_printer(tmp_path) as printer:
            driver = PrinterDriver(profile(printer.port))
            configuration = await driver.printer_configuration()
            await driver.close()
            return configuration

    configuration = asyncio.run(go())
    assert configuration is not None and "PrinterConfigurationSequence" in configuration
