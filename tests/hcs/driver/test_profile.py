"""Printer profiles: every key read from TOML, every wrong value named by its key."""

import tomllib

import pytest

from dul.net import Timeouts
from hcs.driver import terms
from hcs.driver.profile import PrinterProfile, ProfileError
from hcs.formatter.job import PrinterSettings

DRYVIEW = """
[printers.radiology-dryview]
ae_title = "DRYVIEW"
host = "printer-3.example"
port = 104
max_pdu = 65536
transfer_syntaxes = ["implicit"]
bits = 12
color = false
resolution_dpi = 320
film_sizes = ["14INX17IN", "11INX14IN", "8INX10IN"]
display_formats = ["STANDARD\\\\1,1", "STANDARD\\\\2,2", "ROW\\\\1,2"]
omit = ["RequestedImageSize", "Trim"]
presentation_lut_in_session = false
configuration_information = "PERCEPTION_LUT=KANAMORI"
scaling = "printer"
margin_mm = 3
gap_mm = 2
film_pixels = { "14INX17IN" = [4096, 5120] }
[printers.radiology-dryview.timeouts]
dimse = 12
idle_release = 5
"""


def test_the_design_documents_profile_reads_whole():
    table = tomllib.loads(DRYVIEW)["printers"]["radiology-dryview"]
    profile = PrinterProfile.from_table("radiology-dryview", table, Timeouts(connect=3))
    assert profile.transfer_syntax_uids == ("1.2.840.10008.1.2",)
    assert profile.bits == 12 and profile.omit == {"RequestedImageSize", "Trim"}
    assert profile.display_formats == ("STANDARD\\1,1", "STANDARD\\2,2", "ROW\\1,2")
    assert (profile.timeouts.connect, profile.timeouts.dimse, profile.timeouts.idle) == (3, 12, 5)
    settings = PrinterSettings.from_profile(profile)
    assert settings.scaling == "printer" and settings.bits == 12
    assert settings.resolution.film_pixels == {"14INX17IN": (4096, 5120)}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("port", 70000, "port"),
        ("bits", 10, "bits"),
        ("max_pdu", 100, "max_pdu"),
        ("transfer_syntaxes", ["big"], "transfer_syntaxes"),
        ("film_sizes", ["15INX15IN"], "film_sizes"),
        ("medium_types", ["GREEN FILM"], "medium_types"),
        ("film_destinations", ["BIN_0"], "film_destinations"),
        ("display_formats", ["STANDARD\\0,2"], "display_formats"),
        ("omit", ["PatientName"], "omit"),
        ("ae_title", "A" * 17, "ae_title"),
        ("scaling", "both", "scaling"),
        ("nonsense", 1, "nonsense"),
    ],
)
def test_a_wrong_value_names_its_key(key, value, message):
    with pytest.raises(ProfileError, match=f"printers.p.{message}|unknown key.*{message}"):
        PrinterProfile.from_table("p", {"host": "h", "port": 104, key: value})


def test_host_and_port_are_required():
    with pytest.raises(ProfileError, match="host is required"):
        PrinterProfile.from_table("p", {"port": 104})


def test_printer_lists_narrow_the_standard_terms():
    profile = PrinterProfile(name="p", host="h", port=1, film_sizes=("8INX10IN",))
    with pytest.raises(terms.InvalidAttribute, match="FilmSizeID"):
        profile.check_value("FilmSizeID", "14INX17IN", profile.film_sizes)


@pytest.mark.parametrize(
    ("display_format", "count"),
    [
        ("STANDARD\\3,4", 12),
        ("ROW\\1,2,3", 6),
        ("COL\\2,2", 4),
    ],
)
def test_box_count(display_format, count):
    assert terms.box_count(display_format) == count


@pytest.mark.parametrize(
    "bad", ["STANDARD\\0,2", "ROW\\", "STANDARD\\2", "STANDARD\\40,40", "CUSTOM\\9", "GRID"]
)
def test_malformed_display_formats_say_why(bad):
    with pytest.raises(terms.InvalidAttribute, match="ImageDisplayFormat"):
        terms.box_count(bad)


def test_every_profile_key_has_one_validator():
    from dataclasses import fields

    from hcs.driver.profile import VALIDATORS

    keys = {f.name for f in fields(PrinterProfile)} - {"name", "timeouts", "tls"}
    assert set(VALIDATORS) == keys
