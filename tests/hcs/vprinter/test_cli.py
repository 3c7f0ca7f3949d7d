"""``hcs vprinter`` as a subprocess: start, serve ``hcs echo``/``hcs status``, stop cleanly."""

import os
import signal
import socket

from tests.hcs.vprinter.helpers import read_json, run_hcs, vprinter_process


def stop(process, log) -> tuple[int, str, str]:
    os.killpg(process.pid, signal.SIGTERM)
    out, _ = process.communicate(timeout=20)
    return process.returncode, out, log.read_text()


def test_start_serve_and_stop_on_sigterm(tmp_path):
    log = tmp_path / "vprinter.log"
    with vprinter_process("--out", str(tmp_path), "--ae", "FILMS", log=log) as (process, port):
        echo = run_hcs("echo", "127.0.0.1", str(port), "--called-ae", "FILMS")
        status = run_hcs("status", "127.0.0.1", str(port), "--called-ae", "FILMS")
        code, out, err = stop(process, log)
    assert echo.returncode == 0, echo.stderr
    assert status.returncode == 0 and "NORMAL" in status.stdout, status.stdout + status.stderr
    assert code == 0
    assert "stopped after 2 associations, 0 films" in out
    lines = err.splitlines()
    assert any("C-ECHO Verification" in line and "0x0000 Success" in line for line in lines), err
    assert any("N-GET Printer" in line for line in lines), err
    assert "Traceback" not in err
    assert read_json(tmp_path / "associations" / "a0002.json")["end"] == "released"


def test_config_file_options_and_faults_from_the_command_line(tmp_path):
    config = tmp_path / "printer.toml"
    config.write_text(
        'ae_title = "DRYVIEW"\n[printer]\nstatus = "WARNING"\nstatus_info = "SUPPLY LOW"\n'
    )
    args = ("--config", str(config), "--fault", "reject:reason=3,assoc=2", "--quiet")
    log = tmp_path / "vprinter.log"
    with vprinter_process(*args, log=log) as (process, port):
        status = run_hcs("status", "127.0.0.1", str(port), "--called-ae", "DRYVIEW", "--json")
        refused = run_hcs("echo", "127.0.0.1", str(port), "--called-ae", "DRYVIEW")
        again = run_hcs("echo", "127.0.0.1", str(port), "--called-ae", "DRYVIEW")
        code, _, err = stop(process, log)
    assert status.returncode == 0 and '"PrinterStatus": "WARNING"' in status.stdout, status.stdout
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "calling" in refused.stderr.lower() or "reject" in refused.stderr.lower()
    assert again.returncode == 0
    assert code == 0 and err == ""


def test_bad_configuration_and_bad_faults_exit_2_with_one_line(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[film]\nsizes = ["14INX17IN", "LETTER"]\n')
    done = run_hcs("vprinter", "--port", "0", "--config", str(config))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and done.stderr.startswith(
        "hcs vprinter: film.sizes[1]: unknown film size 'LETTER'"
    )
    fault = run_hcs("vprinter", "--port", "0", "--fault", "explode:now=1")
    assert fault.returncode == 2 and "unknown fault kind 'explode'" in fault.stderr
    classes = run_hcs("vprinter", "--port", "0", "--classes", "grayscale,fax")
    assert classes.returncode == 2 and "--classes: unknown fax" in classes.stderr


def test_a_port_in_use_exits_3(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = run_hcs("vprinter", "--port", str(port), timeout=30)
    assert done.returncode == 3
    assert done.stderr.strip().startswith(f"hcs vprinter: cannot listen on 127.0.0.1:{port}")
