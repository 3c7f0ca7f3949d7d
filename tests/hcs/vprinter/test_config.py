"""Configuration: TOML, overrides, and errors that name the key."""

import re

import pytest

from hcs.vprinter.config import ConfigError, load_config
from hcs.vprinter.faults import FaultPicker, FaultSpecError, parse_fault
from hcs.vprinter.geometry import parse_display_format
from tests.hcs.vprinter.helpers import REPO


def test_defaults_are_a_valid_permissive_printer():
    config = load_config()
    assert config.ae_title == "VPRINTER" and config.port == 11112
    assert all(config.classes.values())
    assert "14INX17IN" in config.film.sizes


def test_toml_file_with_overrides(tmp_path):
    path = tmp_path / "printer.toml"
    path.write_text(
        """
ae_title = "DRYVIEW"
max_pdu = 16384
implicit_only = true
[printer]
name = "Dry"
status = "WARNING"
status_info = "SUPPLY LOW"
[film]
sizes = ["14INX17IN", "8INX10IN"]
display_formats = ["STANDARD\\\\1,1", "STANDARD\\\\2,2", "CUSTOM\\\\7"]
[classes]
color = false
[custom_formats]
7 = [[0, 0, 1, 0.5], [0, 0.5, 1, 0.5]]
[[faults]]
kind = "reject"
reason = 7
assoc = [2]
"""
    )
    config = load_config(path, {"port": 0, "film.resolution_dpi": 150})
    assert (config.ae_title, config.port, config.max_pdu, config.implicit_only) == (
        "DRYVIEW",
        0,
        16384,
        True,
    )
    assert config.printer.status_info == "SUPPLY LOW"
    assert config.film.sizes == ["14INX17IN", "8INX10IN"]
    assert config.film.resolution_dpi == 150.0
    assert not config.supports("color") and config.supports("grayscale")
    assert config.custom_formats["7"] == [[0, 0, 1, 0.5], [0, 0.5, 1, 0.5]]
    assert "1" in config.custom_formats  # the printer's own CUSTOM formats stay
    assert config.faults[0].kind == "reject" and config.faults[0].associations == {2}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[film]\nsizes = ["14INX17IN", "FOO"]', "film.sizes[1]"),
        ("colour = true", "colour"),
        ('[film]\ndisplay_formats = ["STANDARD\\\\2"]', "film.display_formats[0]"),
        ('[film]\ndisplay_formats = ["CUSTOM\\\\5"]', "film.display_formats[0]"),
        ("max_pdu = 10", "max_pdu"),
        ('ae_title = "A\\\\B"', "ae_title"),
        ("[classes]\nfax = true", "classes.fax"),
        ('[film]\noversize = "SHRINK"', "film.oversize"),
        ('[film]\nunsupported_attributes = ["Colour"]', "film.unsupported_attributes[0]"),
        ('[[faults]]\nkind = "explode"', "faults[0]"),
        ("port = 70000", "port"),
        ('[printer]\nstatus = "BROKEN"', "printer.status"),
        ("print_time = 'soon'", "print_time"),
    ],
)
def test_errors_name_the_key(tmp_path, text, key):
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(key), str(error.value)


def test_unreadable_and_invalid_files_say_so(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_fault_specs_parse_with_commas_in_values():
    spec = parse_fault(
        "status:op=n-set,class=image-box,code=C605,comment=no memory, sorry,element=2020,0010"
    )
    assert spec.params["op"] == "N-SET"
    assert spec.params["code"] == 0xC605
    assert spec.params["comment"] == "no memory, sorry"
    assert spec.params["element"] == 0x20200010
    assert parse_fault("reject:result=2,source=3,reason=2,assoc=1,3-4").associations == {1, 3, 4}


@pytest.mark.parametrize(
    "text",
    [
        "reject:source=2,reason=7",
        "contexts",
        "abort:source=1",
        "status:op=N-SET",
        "event:at=sometime",
        "stall:op=N-PRINT",
        "slow_read:rate=1",
        "nothing",
        "drop:after=0",
        "reject:p=2",
    ],
)
def test_bad_fault_specs_are_refused(text):
    with pytest.raises(FaultSpecError):
        parse_fault(text)


def test_a_seed_replays_the_same_random_faults():
    specs = [parse_fault("abort:p=0.5"), parse_fault("drop:p=0.3,after=2")]

    def draw(seed):
        picker = FaultPicker(specs, seed)
        return [tuple(picker.pick(n, "SCU").describe()) for n in range(1, 40)]

    assert draw(7) == draw(7)
    assert draw(7) != draw(8)
    chosen = sum(1 for plan in draw(7) if "abort:p=0.5" in plan)
    assert 5 < chosen < 35


def test_faults_limited_to_associations_and_calling_ae():
    picker = FaultPicker([parse_fault("abort:assoc=2"), parse_fault("drop:calling_ae=MODALITY")])
    assert picker.pick(1, "X").describe() == []
    assert picker.pick(2, "X").describe() == ["abort:assoc=2"]
    assert picker.pick(3, "MODALITY").describe() == ["drop:calling_ae=MODALITY"]


def test_the_example_in_the_documentation_loads(tmp_path):
    text = (REPO / "docs" / "vprinter.md").read_text()
    example = re.search(
        r"A TOML file, with every section optional:\n\n```toml\n(.*?)```", text, re.S
    )
    path = tmp_path / "example.toml"
    path.write_text(example.group(1))
    config = load_config(path)
    assert config.ae_title == "DRYSTAR" and config.faults[0].params["code"] == 0xC602
    assert config.display_format_allowed(parse_display_format("CUSTOM\\7"))
