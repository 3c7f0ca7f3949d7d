"""The wheel, installed as a user installs it: away from the source tree, in fresh venvs.

Everything else in the suite runs from the checkout (an editable install), which cannot
see a file missing from the wheel: the console of ``hcs serve`` once was. Here the wheel
is built once per session with ``pip wheel`` and installed twice:

- the core alone (numpy and pydicom): ``hcs echo`` on DCMTK's ``storescp``, ``hcs print``
  on the virtual printer and on ``dcmprscp``, without Pillow or aiohttp, and a one-line
  "pip install 'hcs[...]'" from the commands that need an extra;
- with every extra: ``hcs --help``, ``python -m hcs``, ``hcs --version``, the kernels,
  ``hcs serve`` answering ``GET /`` with its console, and ``hcs demo``.

Each venv is made without pip (``--without-pip``) and filled by this interpreter's pip
(``pip --python``), from pip's cache, without compiling byte code: seconds, not a minute.
Every command runs with the temporary directory as its working directory, so nothing
is imported from the checkout by accident.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

from hcs import __version__
from hcs.peers import free_port, running, wait_for_port
from tests.peers import dcmprscp, storescp

REPO = Path(__file__).resolve().parent.parent
CT = get_testdata_file("CT_small.dcm")


def _pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=600,
    )


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """``pip wheel .`` of the checkout, once per session (build dependencies from this
    venv: ``make build`` installed them)."""
    out = tmp_path_factory.mktemp("wheel")
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(REPO))
    (built,) = out.glob("hcs-*.whl")
    return built


def _venv(root: Path, wheel: Path, extras: str = "") -> Path:
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    python = root / "bin" / "python"
    _pip("--python", str(python), "install", "--no-compile", f"{wheel}{extras}")
    return root / "bin"


@pytest.fixture(scope="session")
def core(tmp_path_factory, wheel) -> Path:
    """A venv with the core install only; its ``bin`` directory."""
    return _venv(tmp_path_factory.mktemp("core-venv"), wheel)


@pytest.fixture(scope="session")
def full(tmp_path_factory, wheel) -> Path:
    """A venv with ``hcs[all]``; its ``bin`` directory."""
    return _venv(tmp_path_factory.mktemp("full-venv"), wheel, "[all]")


def run(bin_dir: Path, *args: str, cwd: Path, timeout: float = 120, **env_extra: str):
    """A command of the venv (``hcs`` or ``python``), away from the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HCS_DEBUG")}
    env.update(env_extra)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        [str(bin_dir / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


# -- the wheel itself ---------------------------------------------------------------------


def test_the_wheel_carries_the_console_the_license_and_typed_markers_and_no_c(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "hcs/server/console/index.html",
        "hcs/server/console/app.js",
        "hcs/server/console/style.css",
        "hcs/py.typed",
        "dul/py.typed",
        "dimse/py.typed",
        "hcs/__main__.py",
    ):
        assert needed in names, needed
    assert any(re.fullmatch(r"hcs-[^/]+\.dist-info/licenses/LICENSE", n) for n in names)
    assert not [n for n in names if n.endswith(".c")], "generated C sources in the wheel"
    assert [n for n in names if n.startswith("hcs/_fastpath/") and n.endswith(".so")]
    (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert f"Version: {__version__}" in text
    assert "Classifier: Typing :: Typed" in text
    assert "Project-URL: " in text
    assert "License-Expression: MIT" in text
    requires = [line for line in text.splitlines() if line.startswith("Requires-Dist:")]
    core = [line for line in requires if "extra ==" not in line]
    assert sorted(re.split(r"[ <>=]", line.split(": ", 1)[1])[0] for line in core) == [
        "numpy",
        "pydicom",
    ]


# -- the core install ---------------------------------------------------------------------


def test_the_core_install_has_neither_pillow_nor_aiohttp(core, tmp_path):
    done = run(core, "python", "-c", "import PIL", cwd=tmp_path)
    assert done.returncode != 0
    done = run(core, "python", "-c", "import aiohttp", cwd=tmp_path)
    assert done.returncode != 0
    done = run(core, "python", "-c", "import hcs; print(hcs.__file__)", cwd=tmp_path)
    assert str(core.parent) in done.stdout, "hcs must come from the venv, not the checkout"


def test_core_hcs_echo_on_storescp(core, tmp_path):
    with storescp(tmp_path) as port:
        done = run(core, "hcs", "echo", "127.0.0.1", str(port), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Success" in done.stdout


def test_core_hcs_print_on_dcmprscp_and_status(core, tmp_path):
    with dcmprscp(tmp_path) as port:
        printed = run(
            core,
            *("hcs", "print", CT, "--host", "127.0.0.1", "--port", str(port)),
            *("--called-ae", "PRINTER", "--json"),
            cwd=tmp_path,
        )
        status = run(core, "hcs", "status", "127.0.0.1", str(port), cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert '"ok": true' in printed.stdout
    assert status.returncode == 0, status.stderr
    assert "Printer Status:" in status.stdout


def test_core_hcs_print_on_the_virtual_printer(core, tmp_path):
    port = free_port()
    out = tmp_path / "vprinter"
    vprinter = [sys.executable, "-m", "hcs", "vprinter", "--port", str(port), "--out", str(out)]
    with running(vprinter, port, cwd=REPO):
        printed = run(
            core,
            *("hcs", "print", CT, CT, "--host", "127.0.0.1", "--port", str(port)),
            *("--called-ae", "VPRINTER", "--format", "STANDARD\\1,2"),
            cwd=tmp_path,
        )
    assert printed.returncode == 0, printed.stderr
    assert "printed 1 of 1 film" in printed.stdout
    assert list((out / "films").glob("*.png")), "the virtual printer rendered no film"


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (("serve",), "server"),
        (("jobs",), "server"),
        (("vprinter", "--port", "0"), "images"),
        (("print", "IMAGE.png", "--dry-run"), "images"),
        (("print", "CT", "--dry-run", "--preview", "film.png"), "images"),
    ],
)
def test_core_commands_that_need_an_extra_name_it_in_one_line(core, tmp_path, args, extra):
    png = tmp_path / "image.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")  # never read: Pillow is missing before that
    args = tuple(str(png) if a == "IMAGE.png" else CT if a == "CT" else a for a in args)
    done = run(core, "hcs", *args, cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"pip install 'hcs[{extra}]'" in lines[0]
    assert "Traceback" not in done.stderr


# -- the full install ---------------------------------------------------------------------


def test_full_install_help_version_and_python_m_hcs(full, tmp_path):
    helped = run(full, "hcs", "--help", cwd=tmp_path)
    assert helped.returncode == 0
    assert "echo" in helped.stdout and "serve" in helped.stdout
    version = run(full, "hcs", "--version", cwd=tmp_path)
    assert version.returncode == 0
    assert version.stdout.strip() == f"hcs {__version__}"
    module = run(full, "python", "-m", "hcs", "--version", cwd=tmp_path)
    assert module.returncode == 0, module.stderr
    assert module.stdout.strip() == f"hcs {__version__}"


def test_full_install_kernels_run(full, tmp_path):
    code = (
        "import numpy as np\n"
        "from hcs._fastpath.resize import resize\n"
        "src = np.arange(16, dtype=np.uint8).reshape(4, 4)\n"
        "dst = np.empty((8, 8), np.uint8)\n"
        "resize(src, dst, 'REPLICATE')\n"
        "assert (dst[::2, ::2] == src).all()\n"
        "import hcs._fastpath.lut, hcs._fastpath.imagebox, hcs._fastpath.place\n"
        "print('kernels ok')\n"
    )
    done = run(full, "python", "-c", code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "kernels ok" in done.stdout


def test_full_install_hcs_serve_answers_with_its_console(full, tmp_path):
    port = free_port()
    config = tmp_path / "hcs.toml"
    config.write_text(
        f'[server]\nlisten = "127.0.0.1:{port}"\nspool = "{tmp_path / "spool"}"\n'
        '[printers.virtual]\nhost = "127.0.0.1"\nport = 1\nae_title = "VPRINTER"\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    server = subprocess.Popen(
        [str(full / "hcs"), "serve", "--config", str(config)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, server, 60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
            assert response.status == 200
            page = response.read().decode()
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/console/app.js", timeout=30
        ) as response:
            assert response.status == 200
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "<html" in page.lower()
    assert "/console/" in page
    assert "internal error" not in output


def test_full_install_hcs_demo(full, tmp_path):
    out = tmp_path / "demo"
    done = run(full, "hcs", "demo", cwd=tmp_path, timeout=300, HCS_DEMO_OUT=str(out))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "all steps OK" in done.stdout
    assert list(out.glob("virtual-printer/films/*.png"))
