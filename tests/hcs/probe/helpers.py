"""Run ``hcs probe`` and then ``hcs print --printer NAME`` through the command line, in process,
and read the virtual printer's association records afterwards."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from pydicom.data import get_testdata_file

from dimse import uids
from dimse.status import status_category
from hcs.cli import main
from hcs.film import box_count

CT = get_testdata_file("CT_small.dcm")
CREATED = (uids.BASIC_FILM_SESSION, uids.BASIC_FILM_BOX, uids.PRESENTATION_LUT)


def probe(capsys, port: int, called_ae: str, config: Path, name: str, *extra: str):
    """``hcs probe ... --write-profile NAME --json``: (exit code, JSON report)."""
    code = main(
        [
            "probe",
            "127.0.0.1",
            str(port),
            "--called-ae",
            called_ae,
            "--write-profile",
            name,
            "--config",
            str(config),
            "--timeout",
            "5",
            "--json",
            *extra,
        ]
    )
    out, err = capsys.readouterr()
    assert out.strip(), err
    return code, json.loads(out)


def profile_of(config: Path, name: str) -> dict:
    return tomllib.loads(config.read_text())["printers"][name]


def print_with_profile(capsys, config: Path, name: str) -> tuple[int, dict]:
    """A 2x2 film (or one of the printer's formats) with the written profile and nothing else:
    (exit code, JSON)."""
    table = profile_of(config, name)
    sizes = table.get("film_sizes", ["8INX10IN"])
    size = "8INX10IN" if "8INX10IN" in sizes else sizes[0]
    formats = table.get("display_formats", ["STANDARD\\2,2"])
    display_format = "STANDARD\\2,2" if "STANDARD\\2,2" in formats else formats[0]
    custom = {int(k): v for k, v in table.get("custom_formats", {}).items()}
    margin = float(table.get("margin_mm", 0.0))
    images = [CT] * box_count(display_format, size, custom_formats=custom, margin_mm=margin)
    argv = ["print", *images, "--printer", name, "--config", str(config)]
    argv += ["--format", display_format, "--film-size", size, "--dpi", "40", "--json"]
    code = main(argv)
    out, err = capsys.readouterr()
    assert out.strip(), err
    return code, json.loads(out)


def association_records(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "associations").glob("a*.json"))]


def leftovers(record: dict) -> list[str]:
    """Film Sessions, Film Boxes and Presentation LUTs created on a released association
    and never deleted on it (an aborted association takes them with it, PS3.4 H.5)."""
    created, deleted, chosen = {}, set(), {}
    for message in record["messages"]:
        if message.get("message") == "N-CREATE-RQ":  # an SCU-chosen UID (assign_uids)
            chosen[message.get("message_id")] = message.get("affected_sop_instance_uid")
        if (
            message.get("message") == "N-CREATE-RSP"
            and message.get("affected_sop_class_uid") in CREATED
            and status_category(message.get("status", 0xFFFF)).value in ("Success", "Warning")
        ):
            uid = message.get("affected_sop_instance_uid") or chosen.get(
                message.get("message_id_being_responded_to")
            )
            if uid is None:  # the printer never said (no-create-uid): nobody could delete it
                continue
            created[uid] = message.get("sop_class_name")
        if message.get("message") == "N-DELETE-RQ":
            deleted.add(message.get("requested_sop_instance_uid"))
    if not str(record.get("end", "")).startswith("released"):
        return []
    return [f"{name} {uid}" for uid, name in created.items() if uid not in deleted]


def actions(record: dict) -> int:
    return sum(1 for m in record["messages"] if m.get("message") == "N-ACTION-RQ")
