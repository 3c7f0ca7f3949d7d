"""The habits of DCMTK's and pynetdicom's users: logging options after the command, -v for
DIMSE operations and -d for PDUs, one default called AE title, and messages in our words
rather than a library's (pydicom's force=True, aiohttp's ssl:default, an HTTP peer)."""

from __future__ import annotations

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset

from hcs.cli import build_parser, log_level
from hcs.defaults import DEFAULT_CALLED_AE
from tests.hcs.server.helpers import server_process, write_config
from tests.peers import free_port, run_hcs, storescp


@pytest.fixture(scope="module")
def scp(tmp_path_factory):
    with storescp(tmp_path_factory.mktemp("storescp"), "ANY-SCP") as port:
        yield port


def echo(port: int, *options: str):
    return run_hcs(*options[:1], "echo", "127.0.0.1", str(port), *options[1:])


def test_v_after_the_command_logs_each_dimse_operation_and_no_pdu(scp):
    done = run_hcs("echo", "127.0.0.1", str(scp), "-v")
    assert done.returncode == 0, done.stderr
    assert "dimse.client" in done.stderr and "sent C-ECHO-RQ Verification SOP Class" in done.stderr
    assert "received C-ECHO-RSP Verification SOP Class for message 1: 0x0000" in done.stderr
    assert "dul.pdu" not in done.stderr


def test_d_logs_every_pdu_both_ways(scp):
    done = run_hcs("echo", "127.0.0.1", str(scp), "-d")
    assert done.returncode == 0, done.stderr
    for line in (
        "sent A-ASSOCIATE-RQ called 'ANY-SCP' calling 'HCS_PRINT_SCU'",
        "received A-ASSOCIATE-AC",
        "sent 1 P-DATA-TF PDU(s) on context 1: command",
        "received P-DATA-TF PDV context 1 command, last",
        "sent A-RELEASE-RQ",
        "received A-RELEASE-RP",
    ):
        assert line in done.stderr, line


def test_log_level_and_log_file_before_or_after_the_command(scp, tmp_path):
    log = tmp_path / "hcs.log"
    done = run_hcs("--log-file", str(log), "echo", "127.0.0.1", str(scp), "--log-level", "info")
    assert done.returncode == 0 and done.stderr == ""
    assert "sent C-ECHO-RQ" in log.read_text() and "dul.pdu" not in log.read_text()


@pytest.mark.parametrize(
    ("options", "level"),
    [
        ([], "ERROR"),
        (["-v"], "INFO"),
        (["-vv"], "DEBUG"),
        (["-d"], "DEBUG"),
        (["--log-level", "warning"], "WARNING"),
    ],
)
def test_logging_options_are_taken_on_either_side(options, level):
    import logging

    command = ["echo", "h", "1"]
    for words in ([*options, *command], [*command, *options]):
        args = build_parser().parse_args(words)
        assert logging.getLevelName(log_level(args)) == level, words
    twice = build_parser().parse_args(["-v", *command, "-v"])  # counted on both sides
    assert log_level(twice) == logging.DEBUG


def test_one_default_called_ae_title_for_echo_status_and_print():
    parser = build_parser()
    echo_args = parser.parse_args(["echo", "h", "104"])
    status_args = parser.parse_args(["status", "h", "104"])
    print_args = parser.parse_args(["print", "x.dcm", "--host", "h", "--port", "104"])
    assert echo_args.called_ae == status_args.called_ae == print_args.called_ae
    assert print_args.called_ae == DEFAULT_CALLED_AE == "ANY-SCP"


def test_serve_help_points_to_the_documentation():
    done = run_hcs("serve", "--help")
    assert "docs/server.md" in done.stdout and "DESIGN.md" not in done.stdout


def test_not_a_dicom_file_is_said_in_our_words(tmp_path):
    text = tmp_path / "notes.dcm"
    text.write_text("not an image\n")
    done = run_hcs("print", str(text), "--dry-run")
    assert done.returncode == 2
    assert "not a readable DICOM file" in done.stderr and "force" not in done.stderr


def test_a_bare_data_set_without_file_meta_still_prints(tmp_path):
    """ACR-NEMA-style files (no preamble, no 'DICM', no File Meta) hold images too."""
    ds = dcmread(get_testdata_file("MR_small.dcm"))
    out = DicomBytesIO()
    out.is_little_endian, out.is_implicit_VR = True, True
    write_dataset(out, ds)  # the data set alone: no preamble, no File Meta
    bare = tmp_path / "bare.dcm"
    bare.write_bytes(out.getvalue())
    done = run_hcs("print", str(bare), "--dry-run")
    assert done.returncode == 0, done.stderr


def test_an_unreachable_server_is_said_in_our_words():
    done = run_hcs("jobs", "--server", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 3
    assert "connection refused" in done.stderr and "ssl:" not in done.stderr
    assert "is `hcs serve` running there?" in done.stderr


def test_an_http_server_is_named_as_not_a_dicom_scp(tmp_path):
    """DICOM sent to a web server's port (here hcs serve's own): the answer is HTTP."""
    config = write_config(tmp_path / "hcs.toml", {})
    with server_process(config) as (_process, port):
        done = run_hcs("echo", "127.0.0.1", str(port), "--timeout", "5")
    assert done.returncode == 1
    assert "unknown PDU type 0x48: the peer is not a DICOM SCP (it looks like an HTTP server)" in (
        done.stderr
    )
