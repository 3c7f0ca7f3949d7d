"""``hcs echo`` and ``hcs status`` against DCMTK peers that nobody here wrote."""

import json

from tests.peers import dcmprscp, dcmqrscp, free_port, run_hcs, storescp


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def test_echo_storescp(tmp_path):
    with storescp(tmp_path) as port:
        done = run_hcs("echo", "127.0.0.1", str(port), "--called-ae", "STORESCP")
    assert done.returncode == 0, done.stderr
    assert "0x0000 Success" in done.stdout


def test_echo_dcmprscp_json(tmp_path):
    with dcmprscp(tmp_path) as port:
        done = run_hcs("echo", "127.0.0.1", str(port), "--called-ae", "PRINTER", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == {
        "code": 0,
        "hex": "0x0000",
        "category": "Success",
        "meaning": "success",
    }


def test_status_dcmprscp_prints_its_printer(tmp_path):
    with dcmprscp(tmp_path) as port:
        text = run_hcs("status", "127.0.0.1", str(port), "--called-ae", "PRINTER")
        as_json = run_hcs("status", "127.0.0.1", str(port), "--called-ae", "PRINTER", "--json")
    assert text.returncode == 0, text.stderr
    assert "Printer Status:" in text.stdout and "NORMAL" in text.stdout
    result = json.loads(as_json.stdout)
    assert result["status"]["code"] == 0
    # dcmprscp answers the Printer N-GET with the status it keeps (dvpsprt.cc): NORMAL.
    assert result["printer"]["PrinterStatus"] == "NORMAL"
    assert result["printer"]["PrinterStatusInfo"] == "NORMAL"


def test_nothing_listening_is_a_network_error():
    done = run_hcs("echo", "127.0.0.1", str(free_port()), "--timeout", "5")
    assert done.returncode == 3
    assert "connection refused" in one_line(done.stderr)


def test_wrong_called_ae_title_is_rejected(tmp_path):
    with dcmqrscp(tmp_path, "QRSCP") as port:
        done = run_hcs("echo", "127.0.0.1", str(port), "--called-ae", "NOT_ME")
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert "called-AE-title-not-recognized" in line and "reason 7" in line


def test_refused_association_names_result_source_reason(tmp_path):
    with storescp(tmp_path, "STORESCP", "--refuse") as port:
        done = run_hcs("echo", "127.0.0.1", str(port))
    assert done.returncode == 1
    assert "association rejected (result 1, source 1, reason" in one_line(done.stderr)


def test_unsupported_abstract_syntax(tmp_path):
    # storescp does not do print management: the meta SOP class context is refused.
    with storescp(tmp_path) as port:
        done = run_hcs("status", "127.0.0.1", str(port), "--called-ae", "STORESCP")
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert "accepted no presentation context" in line
    assert "abstract-syntax-not-supported" in line
