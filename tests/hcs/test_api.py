"""The one-call print API (hcs.print_images and its async twin) against the virtual printer,
and the README's Python example run as written."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from pydicom import examples

import hcs
from tests.hcs.vprinter.helpers import background_printer

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    """The README's Python printing example: the block after its marker comment."""
    text = README.read_text()
    marker = text.index("tests/hcs/test_api.py runs this block")
    return re.search(r"```python\n(.*?)```", text[marker:], re.S).group(1)


def films(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "films").glob("*.json"))]


def associations(out: Path) -> list[Path]:
    return sorted((out / "associations").glob("*.json"))


def test_the_readme_example_prints_a_pydicom_dataset(tmp_path):
    code = readme_example()
    assert "port=11112" in code  # the printer's port is the only thing the test changes
    with background_printer(tmp_path) as printer:
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            exec(compile(code.replace("port=11112", f"port={printer.port}"), "README", "exec"), {})
        printer.wait_idle()
    assert stdout.getvalue().strip() == "True ['printed']"
    [film] = films(tmp_path)
    assert film["copies"] == 2
    assert film["film_box_attributes"]["ImageDisplayFormat"] == "STANDARD\\1,2"
    assert [box["position"] for box in film["boxes"] if box.get("image")] == [1, 2]


def test_arrays_files_and_options_object(tmp_path):
    gray = np.arange(64 * 80, dtype=np.uint16).reshape(64, 80) % 4096
    rgb = np.zeros((30, 40, 3), np.uint8)
    rgb[..., 0] = 255
    with background_printer(tmp_path) as printer:
        result = hcs.print_images(
            [gray, examples.get_path("ct")],
            host="127.0.0.1",
            port=printer.port,
            called_ae="VPRINTER",
            options=hcs.JobOptions(display_format="ROW\\2", film_size="8INX10IN"),
            window=(2048, 4096),
        )
        colour = hcs.print_images(
            rgb, host="127.0.0.1", port=printer.port, called_ae="VPRINTER", color=True
        )
        printer.wait_idle()
    assert result.printed and colour.printed
    assert len(result.films) == 1 and result.preview_png().startswith(b"\x89PNG")
    assert result.as_json()["outcome"]["films"][0]["state"] == "printed"
    recorded = films(tmp_path)
    assert [f["color"] for f in recorded] == [False, True]
    assert recorded[0]["film_box_attributes"]["ImageDisplayFormat"] == "ROW\\2"


def test_async_twin_in_a_running_loop(tmp_path):
    with background_printer(tmp_path) as printer:

        async def main():
            with pytest.raises(RuntimeError, match="print_images_async"):
                hcs.print_images(examples.ct, host="127.0.0.1", port=printer.port)
            return await hcs.print_images_async(
                examples.ct, host="127.0.0.1", port=printer.port, called_ae="VPRINTER"
            )

        result = asyncio.run(main())
        printer.wait_idle()
    assert result.printed and result.printer == f"VPRINTER@127.0.0.1:{printer.port}"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"polarity": "SIDEWAYS"}, "olarity"),
        ({"display_format": "STANDARD\\0,2"}, "STANDARD"),
        ({"film_size": "2INX2IN"}, "2INX2IN"),
        ({"colour": True}, "unknown job option.*colour"),
        ({"host": None}, "host= and port="),
        ({"rotate": 45}, "rotate: 45 is not one of 0, 90, 180, 270"),
        ({"flip": "diagonal"}, "flip: 'diagonal' is not horizontal or vertical"),
        ({"zoom": -1}, "zoom: -1 must be a number above 0"),
        ({"roi": (100, 0, 40, 40)}, r"roi: columns 100..139, rows 0..39 do not lie inside"),
    ],
)
def test_a_bad_job_raises_before_any_association(tmp_path, arguments, message):
    with background_printer(tmp_path) as printer:
        good = {"host": "127.0.0.1", "port": printer.port, "called_ae": "VPRINTER"}
        with pytest.raises(hcs.PrintInputError, match=message):
            hcs.print_images(examples.ct, **{**good, **arguments})
        with pytest.raises(hcs.PrintInputError, match="not-an-image"):
            hcs.print_images([tmp_path / "not-an-image.dcm"], **good)
        printer.wait_idle()
    assert associations(tmp_path) == []


def test_a_printer_failure_is_in_the_result_not_raised(tmp_path):
    fault = "status:op=N-ACTION,code=C600,comment=film jammed"
    with background_printer(tmp_path, faults=[fault]) as printer:
        result = hcs.print_images(
            examples.ct, host="127.0.0.1", port=printer.port, called_ae="VPRINTER"
        )
        printer.wait_idle()
    assert not result.printed
    [film] = result.outcome.films
    assert film.state == "failed" and "0xC600" in film.reason


def test_a_named_printer_from_the_configuration(tmp_path):
    with background_printer(tmp_path) as printer:
        config = tmp_path / "hcs.toml"
        config.write_text(
            f'[printers.lab]\nae_title = "VPRINTER"\nhost = "127.0.0.1"\nport = {printer.port}\n'
            'film_sizes = ["8INX10IN"]\n'
        )
        result = hcs.print_images(examples.ct, printer="lab", config=config, film_size="8INX10IN")
        with pytest.raises(hcs.PrintInputError, match="not taken by printer lab"):
            hcs.print_images(examples.ct, printer="lab", config=config, film_size="14INX17IN")
        with pytest.raises(hcs.PrintInputError, match=r"no \[printers.nope\]"):
            hcs.print_images(examples.ct, printer="nope", config=config)
        printer.wait_idle()
    assert result.printed and result.printer == "lab"
