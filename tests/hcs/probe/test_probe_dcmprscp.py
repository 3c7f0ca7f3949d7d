"""``hcs probe`` against DCMTK's dcmprscp, with its default printer, with each of the printer
keys that bend the standard, and as each of DCMTK's emulated real printers: the profile it
writes prints on the first attempt, and the probe itself never prints."""

from __future__ import annotations

import pytest

from tests.hcs.probe.helpers import print_with_profile, probe, profile_of
from tests.peers import dcmprscp


@pytest.mark.peer
def test_probe_dcmprscp_then_print_first_time(capsys, tmp_path):
    config = tmp_path / "hcs.toml"
    config.write_text('calling_ae = "HCS_TEST"\n\n[printers.other]\nhost = "h"\nport = 104\n')
    with dcmprscp(tmp_path) as port:
        code, report = probe(capsys, port, "PRINTER", config, "dcm")
        assert code == 0, report["stopped"]
        database = tmp_path / "dcmprscp" / "database"
        assert list(database.glob("SP_*.dcm")) == []  # nothing printed by the probe
        # dcmprscp.cfg (hcs.peers) lists these; the probe found them with one N-CREATE each
        table = profile_of(config, "dcm")
        assert table["max_pdu"] == 32768
        assert table["bits"] == 12 and table["color"] is False
        assert table["annotation"] is False and table["print_job"] is False
        assert "8_5INX11IN" not in table["film_sizes"] and "14INX17IN" in table["film_sizes"]
        assert table["medium_types"] == ["BLUE FILM", "CLEAR FILM", "PAPER"]
        assert "ROW\\1,2" not in table["display_formats"]
        assert "STANDARD\\2,2" in table["display_formats"]
        assert report["explicit_vr"] == "honoured"
        assert report["supports"]["presentation_lut"] is True
        assert profile_of(config, "other") == {"host": "h", "port": 104}  # kept

        code, result = print_with_profile(capsys, config, "dcm")
        assert code == 0, result
        assert result["outcome"]["attempts"] == 1  # no retry
        assert [f["state"] for f in result["outcome"]["films"]] == ["printed"]
        assert len(list(database.glob("SP_*.dcm"))) == 1

        # probing again replaces the table, it does not add a second one
        code, _ = probe(capsys, port, "PRINTER", config, "dcm")
        assert code == 0
        assert config.read_text().count("[printers.dcm]") == 1


# dcmprscp printer keys, DCMTK's emulated printers (printers.cfg), and what the profile says
CONFIGURATIONS = {
    "ImplicitOnly": ({"ImplicitOnly": "true"}, None, {"transfer_syntaxes": ["implicit"]}),
    "Supports12Bit=false": ({"Supports12Bit": "false"}, None, {"bits": None}),
    "PresentationLUTinFilmSession": (
        {"PresentationLUTinFilmSession": "true"},
        None,
        {"presentation_lut": True, "presentation_lut_in_session": True},
    ),
    "OmitSOPClassUIDFromCreateResponse": (
        {"OmitSOPClassUIDFromCreateResponse": "true"},
        None,
        {},
    ),
    "MaxPDU=4096": ({"MaxPDU": "4096"}, None, {"max_pdu": 4096}),
    "IHERESTRICTED": (None, "IHERESTRICTED", {"display_formats": ["STANDARD\\1,1"]}),
    "AGFA": (None, "AGFA", {"presentation_lut": False}),
    "KODAK": (None, "KODAK", {"presentation_lut": False}),
    "AYCAN": (None, "AYCAN", {"medium_types": ["PAPER"]}),
}


@pytest.mark.peer
@pytest.mark.parametrize("name", list(CONFIGURATIONS))
def test_probe_each_dcmprscp_configuration_then_print_first_time(capsys, tmp_path, name):
    settings, emulate, expected = CONFIGURATIONS[name]
    config = tmp_path / "hcs.toml"
    with dcmprscp(tmp_path, settings=settings, emulate=emulate) as port:
        code, report = probe(capsys, port, "PRINTER", config, "dcm")
        assert code == 0, report["stopped"]
        database = tmp_path / "dcmprscp" / "database"
        assert list(database.glob("SP_*.dcm")) == []
        table = profile_of(config, "dcm")
        for key, value in expected.items():
            assert table.get(key) == value, (key, table)
        code, result = print_with_profile(capsys, config, "dcm")
        assert code == 0, (table, result["outcome"])
        assert result["outcome"]["attempts"] == 1  # no retry
        assert len(list(database.glob("SP_*.dcm"))) == 1
