"""``hcs print`` on a printer that bends the standard: the job prints with default
settings and ``--json`` (and the plain output) show what hcs tolerated."""

from __future__ import annotations

import json

from tests.hcs.test_print_command import MR, SMALL, run
from tests.hcs.vprinter.helpers import background_printer


def test_the_json_outcome_carries_the_notes(capsys, tmp_path):
    with background_printer(tmp_path, personalities=["meta-class-refs"]) as printer:
        address = ["--host", "127.0.0.1", "--port", str(printer.port), "--called-ae", "VPRINTER"]
        code, out, err = run(capsys, MR, *address, *SMALL, "--json")
        plain_code, plain, _ = run(capsys, MR, *address, *SMALL)
        printer.wait_idle()
    assert code == 0, err
    payload = json.loads(out)
    assert payload["outcome"]["printed"]
    assert any("meta SOP class" in note for note in payload["outcome"]["notes"])
    assert plain_code == 0 and "note: the printer referenced its image boxes" in plain
