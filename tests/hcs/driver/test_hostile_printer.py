"""The print driver against a printer that breaks the conversation (issue 14).

A printer that sends an N-EVENT-REPORT with a malformed UID mid-job: the driver answers
it with the PS3.7 failure status, aborts the association, and the job ends at once with
the reason (the DIMSE timeout is far longer than the test is allowed to run); the next
job, on a new association, prints.
"""

import asyncio

import numpy as np

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

LONG = 600.0  # the DIMSE timeout: the test gives up (60 s) long before it


def job() -> PrintRequest:
    images = [ImageBoxSpec(np.full((32, 32), 9 * i, dtype=np.uint8)) for i in range(2)]
    return PrintRequest(FilmSessionSpec(), [FilmSpec(FilmBoxSpec("STANDARD\\2,1"), images)])


def test_a_malformed_event_mid_job_ends_the_job_at_once_and_the_next_prints(tmp_path, caplog):
    async def go():
        async with running_printer(
            tmp_path, ["bad_event:at=after:N-CREATE,assoc=1"], print_time=0
        ) as printer:
            driver = PrinterDriver(
                PrinterProfile(
                    name="vprinter",
                    host="127.0.0.1",
                    port=printer.port,
                    ae_title="VPRINTER",
                    timeouts=Timeouts(connect=5, association=5, dimse=LONG, artim=5),
                    retries=0,
                )
            )
            outcomes = [await driver.print(job()), await driver.print(job())]
            await driver.close()
            await printer.wait_idle(10)
            return outcomes, list(printer.films), list(printer.associations)

    (broken, later), films, associations = asyncio.run(asyncio.wait_for(go(), 60))
    assert not broken.printed
    reason = broken.films[0].reason
    assert "malformed N-EVENT-REPORT-RQ" in reason and "Affected SOP Instance UID" in reason
    assert any("malformed N-EVENT-REPORT-RQ" in e for e in broken.events)
    assert later.printed and len(films) == 1
    assert associations[0]["end"].startswith("aborted"), associations[0]
    assert "malformed N-EVENT-REPORT-RQ" in caplog.text
