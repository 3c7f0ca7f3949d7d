"""``hcs probe`` against the virtual printer: the profile it writes prints on the first
attempt, no film is printed by the probe, and nothing it created is left behind."""

from __future__ import annotations

import pytest

from hcs.vprinter.personality import NAMES
from tests.hcs.probe.helpers import (
    actions,
    association_records,
    leftovers,
    print_with_profile,
    probe,
    profile_of,
)
from tests.hcs.vprinter.helpers import background_printer

STRICT_OMIT = [
    "BorderDensity",
    "EmptyImageDensity",
    "FilmSessionLabel",
    "MaxDensity",
    "MinDensity",
    "PrintPriority",
    "RequestedResolutionID",
    "Trim",
]

# name: (faults, printer options, what the profile must say)
SETUPS = {
    "defaults": ((), {}, {"color": True, "bits": 12, "annotation": True}),
    "implicit-only": ((), {"implicit_only": True}, {"transfer_syntaxes": ["implicit"]}),
    "refused-contexts": (
        ("contexts:refuse=color,annotation,print_job,presentation_lut,printer_configuration",),
        {},
        {"color": False, "annotation": False, "print_job": False, "presentation_lut": False},
    ),
    "narrow-lists": (
        (),
        {
            "film__sizes": ["8INX10IN", "14INX17IN"],
            "film__display_formats": ["STANDARD\\1,1", "STANDARD\\2,2"],
            "film__medium_types": ["BLUE FILM"],
            "film__supports_12bit": False,
            "film__unsupported_attributes": ["Trim", "RequestedResolutionID"],
        },
        {
            "film_sizes": ["14INX17IN", "8INX10IN"],
            "display_formats": ["STANDARD\\1,1", "STANDARD\\2,2"],
            "medium_types": ["BLUE FILM"],
            "omit": ["RequestedResolutionID", "Trim"],
        },
    ),
}


# Each personality of the virtual printer (hcs.vprinter.personality), and what the profile
# must say about it; the slow one takes 0.3 s per N-SET here.
PERSONALITIES = {
    "explicit-misread": {"transfer_syntaxes": ["implicit"]},
    "meta-class-refs": {},
    "abort-on-error": {},
    "no-printer-nget": {"printer_status": False},
    "pre-cp173": {"presentation_lut": True, "presentation_lut_in_session": True},
    "grayscale-only": {"color": False},
    "tiny-pdu": {"max_pdu": 4096},
    "unsolicited-events": {},
    "strict-attributes": {"omit": STRICT_OMIT},
    "slow": {},
    "no-create-uid": {"assign_uids": True},
}
for _name, _expected in PERSONALITIES.items():
    SETUPS[_name] = ((), {"personalities": [_name], "personality_delay": 0.3}, _expected)


def test_every_personality_is_probed():
    assert set(PERSONALITIES) == set(NAMES)


@pytest.mark.parametrize("setup", list(SETUPS))
def test_probe_writes_a_profile_that_prints_first_time(capsys, tmp_path, setup):
    faults, options, expected = SETUPS[setup]
    config = tmp_path / "hcs.toml"
    config.write_text('calling_ae = "HCS_TEST"\n')
    with background_printer(tmp_path, faults, **options) as printer:
        code, report = probe(capsys, printer.port, "VPRINTER", config, "vp")
        assert code == 0, report["stopped"]
        assert report["complete"] and report["profile_written"] == str(config)
        printer.wait_idle()
        assert list(printer.printer.films) == []  # the probe printed nothing
        table = profile_of(config, "vp")
        for key, value in expected.items():
            assert table.get(key) == value, (key, table)
        assert "bits" not in table or setup != "narrow-lists"
        code, result = print_with_profile(capsys, config, "vp")
        assert code == 0, result
        assert result["outcome"]["attempts"] == 1  # no retry
        assert [f["state"] for f in result["outcome"]["films"]] == ["printed"]
        printer.wait_idle()
    records = association_records(tmp_path)
    probe_records, print_record = records[:-1], records[-1]
    assert all(actions(r) == 0 for r in probe_records)
    assert [leftovers(r) for r in probe_records] == [[] for _ in probe_records]
    assert actions(print_record) == 1


def test_the_report_names_the_quirks(capsys, tmp_path):
    faults = ("max_pdu:size=4096", "event:type=WARNING,info=SUPPLY LOW,at=start")
    config = tmp_path / "hcs.toml"
    with background_printer(tmp_path, faults, implicit_only=True) as printer:
        code, report = probe(capsys, printer.port, "VPRINTER", config, "vp")
    assert code == 0
    quirks = " | ".join(report["quirks"])
    assert "small maximum PDU (4096 bytes)" in quirks
    assert "N-EVENT-REPORTs on its own" in quirks
    assert report["explicit_vr"] == "not accepted"
    assert (
        report["negotiation"]["grayscale"]
        == {
            "implicit": "ok",
            "explicit": "abstract-syntax-not-supported",
        }
        or report["negotiation"]["grayscale"]["explicit"] != "ok"
    )


def test_a_printer_that_aborts_mid_probe_gets_a_partial_report(capsys, tmp_path):
    config = tmp_path / "hcs.toml"
    with background_printer(tmp_path, ("abort:after=4",)) as printer:
        code, report = probe(capsys, printer.port, "VPRINTER", config, "vp")
        printer.wait_idle()
        assert list(printer.printer.films) == []
    assert code == 1
    assert not report["complete"] and "ended" in report["stopped"], report["stopped"]
    assert report["profile_written"] is None and not config.exists()
    assert "no profile written" in report["profile_error"]
    # what was learned before it stopped is there
    assert report["negotiation"]["grayscale"]["implicit"] == "ok"
    assert report["printer"]["PrinterStatus"] == "NORMAL"
    assert report["aborts"] >= 1
    records = association_records(tmp_path)
    assert all(actions(r) == 0 for r in records)
    assert [leftovers(r) for r in records] == [[] for _ in records]


def test_the_time_budget_bounds_the_value_trials(capsys, tmp_path):
    config = tmp_path / "hcs.toml"
    faults = ("delay:op=N-CREATE,class=film-box,seconds=0.2",)
    options = {"film__sizes": ["8INX10IN", "14INX17IN"]}
    with background_printer(tmp_path, faults, **options) as printer:
        code, report = probe(capsys, printer.port, "VPRINTER", config, "vp", "--budget", "1")
        assert code == 0 and report["complete"]
        assert any("time budget of 1 s ran out" in n for n in report["notes"])
        not_tried = [t for t in report["trials"] if t["verdict"] == "not tried"]
        assert not_tried
        table = profile_of(config, "vp")
        tried = {t["attribute"] for t in report["trials"] if t["verdict"] != "not tried"}
        for key, attribute in (("film_sizes", "FilmSizeID"), ("medium_types", "MediumType")):
            if attribute not in tried or any(t["attribute"] == attribute for t in not_tried):
                assert key not in table  # an unfinished list is not written
        code, result = print_with_profile(capsys, config, "vp")
        assert code == 0 and result["outcome"]["attempts"] == 1
        printer.wait_idle()
    records = association_records(tmp_path)
    assert [leftovers(r) for r in records] == [[] for _ in records]


def test_text_report_and_exit_code_without_a_printer(capsys, tmp_path):
    from hcs.cli import main
    from tests.peers import free_port

    code = main(["probe", "127.0.0.1", str(free_port()), "--called-ae", "NOBODY", "--timeout", "2"])
    out, _err = capsys.readouterr()
    assert code == 3
    assert "PROBE INCOMPLETE" in out and "network" in out
