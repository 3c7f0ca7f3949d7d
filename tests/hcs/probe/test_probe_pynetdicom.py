"""``hcs probe`` against the print SCP on pynetdicom's event handlers (an Upper Layer and
DIMSE nobody here wrote), in the clear and over TLS: the written profile prints on the first
attempt, and the probe itself prints nothing."""

from __future__ import annotations

import ssl

from tests.dul.tls_certs import make_certificates
from tests.hcs.driver.pynetdicom_scp import PynetdicomPrintSCP
from tests.hcs.probe.helpers import print_with_profile, probe, profile_of


def test_probe_pynetdicom_then_print_first_time(capsys, tmp_path):
    config = tmp_path / "hcs.toml"
    with PynetdicomPrintSCP() as printer:
        code, report = probe(capsys, printer.port, "PYPRINTER", config, "py")
        assert code == 0, report["stopped"]
        assert printer.films == []
        table = profile_of(config, "py")
        assert table["color"] is True and table["annotation"] is True
        assert table["print_job"] is False  # the SCP does not offer Print Job
        assert "SLIDE" not in table["display_formats"] and "ROW\\1,2" in table["display_formats"]
        assert report["supports"]["color"] is True  # an RGB image box was taken
        code, result = print_with_profile(capsys, config, "py")
        assert code == 0, result["outcome"]
        assert result["outcome"]["attempts"] == 1
        assert len(printer.films) == 1


def test_probe_over_tls_writes_the_tls_table(capsys, tmp_path):
    certs = make_certificates(tmp_path / "certs")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(str(certs.cert), str(certs.key))
    config = tmp_path / "hcs.toml"
    tls = ["--tls", "--tls-ca", str(certs.ca), "--tls-server-name", "localhost"]
    with PynetdicomPrintSCP(ssl_context=server) as printer:
        code, report = probe(capsys, printer.port, "PYPRINTER", config, "tls", *tls)
        assert code == 0, report["stopped"]
        table = profile_of(config, "tls")
        assert table["tls"] == {"ca_file": str(certs.ca), "server_hostname": "localhost"}
        code, result = print_with_profile(capsys, config, "tls")
        assert code == 0, result["outcome"]
        assert result["outcome"]["attempts"] == 1
        assert len(printer.films) == 1
