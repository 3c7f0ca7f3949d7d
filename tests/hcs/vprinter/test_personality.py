"""Personalities: named, checked, combined, from the TOML and the command line, and each
one visible on the wire (the driver's side is tests/hcs/driver/test_personalities.py)."""

import pytest

from hcs.vprinter import ConfigError, load_config
from hcs.vprinter.personality import NAMES, PERSONALITIES, fault_texts
from tests.hcs.driver.test_personalities import formatted_film, print_on
from tests.hcs.vprinter.helpers import read_json, run_hcs, vprinter_process


def test_every_personality_says_what_it_does_and_where_it_comes_from():
    assert len(NAMES) >= 10
    for personality in PERSONALITIES.values():
        assert personality.does and personality.source


def test_an_unknown_personality_is_refused_with_the_known_ones():
    with pytest.raises(ConfigError, match=r"unknown personality 'laser'.*explicit-misread"):
        load_config(overrides={"personalities": ["laser"]})


def test_personalities_combine_from_toml_and_overrides(tmp_path):
    path = tmp_path / "printer.toml"
    path.write_text('personalities = ["grayscale-only", "slow"]\npersonality_delay = 0.25\n')
    config = load_config(path, {"port": 0})
    assert config.personalities == ["grayscale-only", "slow"]
    assert config.classes["color"] is False
    assert "delay:op=N-SET,seconds=0.25" in fault_texts(config)
    both = load_config(overrides={"personalities": ["tiny-pdu,strict-attributes", "tiny-pdu"]})
    assert both.personalities == ["tiny-pdu", "strict-attributes"]
    assert both.film.unsupported == "warn" and "SmoothingType" in both.film.unsupported_attributes
    assert "NumberOfCopies" not in both.film.unsupported_attributes


def test_the_command_line_adds_personalities_and_refuses_unknown_ones(tmp_path):
    bad = run_hcs("vprinter", "--port", "0", "--personality", "laser")
    assert bad.returncode == 2 and "unknown personality 'laser'" in bad.stderr
    log = tmp_path / "vprinter.log"
    args = ("--out", str(tmp_path), "--personality", "tiny-pdu", "--personality", "no-printer-nget")
    with vprinter_process(*args, log=log) as (process, port):
        status = run_hcs("status", "127.0.0.1", str(port), "--called-ae", "VPRINTER")
        process.terminate()
        process.communicate(timeout=20)
    assert status.returncode != 0 and "0x0211" in status.stdout + status.stderr
    record = read_json(tmp_path / "associations" / "a0001.json")
    assert record["personalities"] == ["tiny-pdu", "no-printer-nget"]
    assert record["max_pdu"]["ours"] == 4096


@pytest.mark.parametrize(
    ("name", "seen"),
    [
        ("unsolicited-events", lambda o: any("WARNING" in e for e in o.events)),
        ("strict-attributes", lambda o: o.warnings and any("omit" in n for n in o.notes)),
        ("no-printer-nget", lambda o: any("N-GET Printer" in n for n in o.notes)),
        ("meta-class-refs", lambda o: any("meta SOP class" in n for n in o.notes)),
    ],
)
def test_each_personality_shows_on_the_wire(tmp_path, name, seen):
    film = formatted_film()
    film.box.smoothing_type = "NONE"  # an optional attribute strict-attributes refuses
    outcome, _, _ = print_on(tmp_path, [name], film)
    assert outcome.printed and seen(outcome), (outcome.events, outcome.notes)


def test_slow_delays_every_n_set(tmp_path):
    print_on(tmp_path, ["slow"], formatted_film(), delay=0.01)
    [record] = [read_json(p) for p in (tmp_path / "associations").glob("*.json")]
    delayed = [h for h in record["messages"] if "delayed" in h.get("what", "")]
    assert len(delayed) == 4, record["messages"]
