"""``hcs print``: dry runs, previews, usage errors, and one real job on DCMTK's dcmprscp."""

from __future__ import annotations

import json

import pytest
from PIL import Image as PILImage
from pydicom.data import get_testdata_file

from hcs.cli import main
from hcs.print_command import preview_paths
from tests.peers import dcmprscp, free_port

CT, MR, OV = (
    get_testdata_file(n) for n in ("CT_small.dcm", "MR_small.dcm", "examples_overlay.dcm")
)
SMALL = ["--film-size", "8INX10IN", "--dpi", "50"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["print", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_dry_run_formats_validates_and_writes_the_preview(capsys, tmp_path):
    preview = tmp_path / "film.png"
    code, out, err = run(
        capsys,
        CT,
        MR,
        OV,
        "--dry-run",
        "--format",
        "ROW\\1,2",
        *SMALL,
        "--preview",
        str(preview),
        "--preview-width",
        "200",
        "--text",
        "top-left={PatientName}",
        "--scale-bar",
        "20",
    )
    assert code == 0, err
    assert "film 1: ROW\\1,2 on 8INX10IN PORTRAIT, 400 x 500 px (50 dpi), 8-bit gray" in out
    assert "box 3:" in out and "C 450 W 790 (WINDOW1)" in out
    assert "dry run: 1 film(s), 3 image(s), valid for dry-run" in out
    with PILImage.open(preview) as png:
        assert png.size == (200, 250)


def test_dry_run_says_what_each_box_shows(capsys):
    argv = ["print", MR, "--dry-run", "--dpi", "50", "--roi", "3,5,40,20", "--rotate", "90"]
    code = main([*argv, "--flip", "horizontal"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert ", shows 3,5 40x20, rotated 90, flipped horizontal" in out
    assert main(["print", MR, "--dry-run", "--dpi", "50"]) == 0
    assert "shows" not in capsys.readouterr().out  # the whole image as it is


def test_dry_run_json(capsys):
    code, out, _ = run(
        capsys,
        CT,
        MR,
        "--dry-run",
        "--json",
        "--format",
        "STANDARD\\2,1",
        *SMALL,
        "--window",
        "40,400",
        "--polarity",
        "REVERSE",
    )
    assert code == 0
    payload = json.loads(out)
    assert payload["ok"] and payload["valid"] and payload["dry_run"]
    assert payload["images"] == 2
    film = payload["films"][0]
    assert film["film_pixels"] == [400, 500]
    assert [box["rect"] for box in film["boxes"]] == [[0, 0, 200, 500], [200, 0, 200, 500]]
    assert film["boxes"][0]["voi"] == "C 40 W 400"


def test_several_films_get_numbered_previews(capsys, tmp_path):
    code, _out, _ = run(
        capsys,
        CT,
        MR,
        OV,
        "--dry-run",
        *SMALL,
        "--preview",
        str(tmp_path / "p.png"),
        "--preview-width",
        "100",
    )
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p-2.png", "p-3.png", "p.png"]
    assert [p.name for p in preview_paths("a/b.png", 2)] == ["b.png", "b-2.png"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--dry-run", "--format", "STANDARD\\0,2"], "'0' is not a positive whole number"),
        (["--dry-run", "--format", "STANDARD\\2"], "STANDARD takes exactly two numbers"),
        (["--dry-run", "--film-size", "9INX12IN"], "is not a Film Size ID"),
        ([], "name a printer"),
        (["--host", "127.0.0.1"], "--host needs --port"),
        (["--dry-run", "--medium", "GLASS"], "MediumType"),
        (["--dry-run", "--destination", "BIN_0"], "FilmDestination"),
        (
            [
                "--dry-run",
                "--format",
                "STANDARD\\1,1",
                "--window",
                "40,400",
                "--voi-function",
                "SIGMOID",
                "--border-density",
                "DARK",
            ],
            "BorderDensity",
        ),
    ],
)
def test_usage_and_input_errors_exit_2(capsys, argv, message):
    code, _out, err = run(capsys, CT, *SMALL, *argv)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_unreadable_file_exits_2_with_json(capsys, tmp_path):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"nothing here")
    code, out, _ = run(capsys, str(bad), "--dry-run", "--json", *SMALL)
    assert code == 2
    payload = json.loads(out)
    assert not payload["ok"] and "bad.dcm: not a readable DICOM file" in payload["error"]


def config(tmp_path, **printer) -> str:
    lines = ['calling_ae = "HCS_TEST"', "[timeouts]", "connect = 2", "[printers.lab]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in printer.items()]
    path = tmp_path / "hcs.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_printer_from_the_configuration(capsys, tmp_path):
    toml = config(
        tmp_path, host="127.0.0.1", port=104, resolution_dpi=40, bits=12, film_sizes=["8INX10IN"]
    )
    code, out, err = run(
        capsys,
        MR,
        "--printer",
        "lab",
        "--config",
        toml,
        "--dry-run",
        "--json",
        "--film-size",
        "8INX10IN",
    )
    assert code == 0, err
    film = json.loads(out)["films"][0]
    assert film["film_pixels"] == [320, 400] and film["bits"] == 12
    code, _out, err = run(
        capsys, MR, "--printer", "lab", "--config", toml, "--dry-run", "--film-size", "14INX17IN"
    )
    assert code == 2 and "'14INX17IN' is not taken by printer lab" in err
    code, _out, err = run(
        capsys,
        MR,
        "--printer",
        "lab",
        "--config",
        toml,
        "--dry-run",
        "--color",
        "--film-size",
        "8INX10IN",
    )
    assert code == 2 and "lab is a grayscale printer" in err
    code, _out, err = run(capsys, MR, "--printer", "nope", "--config", toml, "--dry-run")
    assert code == 2 and "no [printers.nope]" in err


def test_nothing_listening_is_a_failed_film_exit_1(capsys, tmp_path):
    toml = config(tmp_path, host="127.0.0.1", port=free_port(), retries=0)
    code, out, _ = run(capsys, MR, "--printer", "lab", "--config", toml, *SMALL, "--json")
    assert code == 1
    payload = json.loads(out)
    assert not payload["ok"] and payload["outcome"]["films"][0]["state"] == "failed"


@pytest.mark.peer
def test_prints_on_dcmtk_dcmprscp(capsys, tmp_path):
    with dcmprscp(tmp_path) as port:
        code, out, err = run(
            capsys,
            CT,
            MR,
            OV,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--called-ae",
            "PRINTER",
            "--format",
            "STANDARD\\2,2",
            *SMALL,
            "--copies",
            "2",
            "--json",
        )
    assert code == 0, err
    payload = json.loads(out)
    assert payload["ok"] and payload["outcome"]["printed"]
    operations = [op["operation"] for op in payload["outcome"]["operations"]]
    assert operations.count("N-SET Image Box 1") == 1 and "N-ACTION Film Box (print)" in operations


def test_print_without_a_profile_on_a_default_virtual_printer_fits_every_box(tmp_path):
    """``hcs print --host/--port`` (no profile, no job options) on ``hcs vprinter`` started
    with no options: both sides take the film geometry's defaults, so the boxes the SCU
    formats are the boxes the printer lays out, and no Image Box comes back 0xB604
    ("larger than the image box, demagnified"). Real sockets, two processes."""
    from tests.hcs.vprinter.helpers import run_hcs, vprinter_process

    with vprinter_process(log=tmp_path / "vprinter.log") as (_, port):
        printer = ("--host", "127.0.0.1", "--port", str(port), "--called-ae", "VPRINTER")
        done = run_hcs("print", CT, MR, *printer, "--json")
        done_rows = run_hcs(
            "print", CT, MR, *printer, "--json", "--format", "ROW\\1,2", "--film-size", "8INX10IN"
        )
    for result in (done, done_rows):
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)["outcome"]
        statuses = [op["status"] for op in report["operations"]]
        image_boxes = [op for op in report["operations"] if "Image Box" in op["operation"]]
        assert image_boxes and all(op["status"] == 0 for op in image_boxes), image_boxes
        assert 0xB604 not in statuses and report["printed"]
