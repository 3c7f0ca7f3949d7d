"""The profile ``hcs probe`` writes: only profile keys, lists only when something was refused,
and an existing configuration kept around the replaced table."""

from __future__ import annotations

import tomllib

import pytest

from hcs.driver.profile import PrinterProfile
from hcs.probe.profile import profile_table, write_profile
from hcs.probe.report import ACCEPTED, REFUSED, UNSUPPORTED, ProbeReport, Trial


def report(**changes) -> ProbeReport:
    r = ProbeReport("10.0.0.7", 104, "DRYVIEW", "HCS_PRINT_SCU", complete=True)
    r.negotiation = {
        "grayscale": {"implicit": "ok", "explicit": "ok"},
        "color": {"implicit": "abstract-syntax-not-supported", "explicit": "x"},
        "presentation_lut": {"implicit": "ok", "explicit": "ok"},
        "print_job": {"implicit": "ok", "explicit": "ok"},
    }
    r.peer_max_pdu = 16384
    r.explicit_vr = "misread: its Film Session N-CREATE response is implicit VR"
    r.supports = {"bits12": False, "presentation_lut": False, "presentation_lut_in_session": True}
    r.trials = [
        Trial("N-CREATE Film Box", "FilmSizeID", "14INX17IN", ACCEPTED),
        Trial("N-CREATE Film Box", "FilmSizeID", "A4", REFUSED, 0x0106),
        Trial("N-CREATE Film Box", "MagnificationType", "REPLICATE", ACCEPTED),
        Trial("N-CREATE Film Box", "Trim", "NO", UNSUPPORTED, 0x0107),
        Trial("N-CREATE Film Box", "Trim", "YES", UNSUPPORTED, 0x0107),
    ]
    for key, value in changes.items():
        setattr(r, key, value)
    return r


def test_the_table_says_what_the_probe_found():
    table = profile_table(report())
    assert table["transfer_syntaxes"] == ["implicit"]  # explicit accepted but misread
    assert table["max_pdu"] == 16384
    assert table["color"] is False and "bits" not in table
    assert table["film_sizes"] == ["14INX17IN"]  # something refused: a list
    assert "magnification_types" not in table  # nothing refused: the standard's list
    assert table["omit"] == ["Trim"]
    assert table["presentation_lut"] is True and table["presentation_lut_in_session"] is True
    assert table["print_job"] is True and table["annotation"] is False
    assert "timeouts" not in table
    PrinterProfile.from_table("dryview", table)  # the driver's own validation


def test_a_slow_printer_gets_a_longer_dimse_timeout():
    table = profile_table(report(slowest_answer=12.5))
    assert table["timeouts"] == {"dimse": 60}
    assert PrinterProfile.from_table("slow", table).timeouts.dimse == 60


def test_write_replaces_the_table_and_keeps_the_rest(tmp_path):
    path = tmp_path / "hcs.toml"
    path.write_text(
        'calling_ae = "HCS"\n\n[printers.dryview]\nhost = "old"\nport = 1\n\n'
        "[printers.dryview.timeouts]\ndimse = 5\n\n"
        '[printers.other]\nhost = "h"\nport = 104\n[printers.other.timeouts]\ndimse = 9\n'
    )
    write_profile(path, "dryview", profile_table(report()), "written by hcs probe (test)")
    config = tomllib.loads(path.read_text())
    assert config["calling_ae"] == "HCS"
    assert config["printers"]["other"] == {"host": "h", "port": 104, "timeouts": {"dimse": 9}}
    assert config["printers"]["dryview"]["host"] == "10.0.0.7"
    assert "timeouts" not in config["printers"]["dryview"]
    write_profile(path, "dryview", profile_table(report()), "written by hcs probe (test)")
    assert path.read_text().count("written by hcs probe") == 1


def test_a_bad_name_or_file_is_refused_and_the_file_kept(tmp_path):
    path = tmp_path / "hcs.toml"
    path.write_text("calling_ae = 5\n")  # the loader refuses this file
    with pytest.raises(ValueError):
        write_profile(path, "dryview", profile_table(report()), None)
    assert path.read_text() == "calling_ae = 5\n"
    assert list(tmp_path.iterdir()) == [path]
    with pytest.raises(ValueError, match="printer name"):
        write_profile(path, "a b", profile_table(report()), None)
