"""``hcs bench`` against the virtual printer and DCMTK's dcmprscp, run as a user runs it.

Each case starts its printer on loopback, runs ``hcs bench`` in its own process, and
reads back the JSON and the HTML report (parsed, not grepped: its tables, its SVG charts
and the JSON it embeds).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hcs.bench import BenchPlan, BenchResult, box_count, operation_name
from hcs.peers import free_port, running
from tests.peers import HCS, REPO, dcmprscp

SEQUENCE = (
    "N-GET Printer",
    "N-CREATE Film Session",
    "N-CREATE Film Box",
    "N-SET Image Box",
    "N-ACTION Film Box (print)",
    "N-DELETE Film Box",
    "N-DELETE Film Session",
)


def bench(*args: str, stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*HCS, "bench", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        stdin=stdin,
    )


class Report(HTMLParser):
    """What a reader of the HTML report sees: summary cells, operation rows, charts."""

    def __init__(self, text: str):
        super().__init__()
        self.summary: dict[str, str] = {}
        self.operations: list[str] = []
        self.histograms: list[str] = []
        self.series: dict[str, int] = {}
        self.svgs = 0
        self.data = ""
        self._key: str | None = None
        self._in_data = False
        self.external: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "td" and "data-key" in a:
            self._key = a["data-key"]
        elif tag == "tr" and "data-operation" in a:
            self.operations.append(a["data-operation"])
        elif tag == "svg":
            self.svgs += 1
            if a.get("class") == "histogram":
                self.histograms.append(a["data-operation"])
        elif tag == "polyline":
            self.series[a["data-series"]] = int(a["data-films"])
        elif tag == "script":
            self._in_data = a.get("id") == "hcs-bench-data"
            if "src" in a:
                self.external.append(a["src"])
        elif tag == "link" or (tag == "img" and "src" in a):
            self.external.append(a.get("href") or a.get("src"))

    def handle_data(self, data):
        if self._key is not None:
            self.summary[self._key] = data
            self._key = None
        elif self._in_data:
            self.data += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_data = False


@pytest.fixture
def vprinter(tmp_path):
    port = free_port()
    out = tmp_path / "vprinter"
    command = [*HCS, "vprinter", "--port", str(port), "--out", str(out), "--png-dpi", "10"]
    with running(command, port, cwd=REPO):
        yield port, out


def test_bench_on_the_virtual_printer_with_an_html_report(vprinter, tmp_path):
    port, out = vprinter
    report = tmp_path / "report.html"
    done = bench(
        *("127.0.0.1", str(port), "--called-ae", "VPRINTER", "--films", "6"),
        *("--format", "STANDARD\\2,1", "--size", "64", "--associations", "2"),
        *("--json", "--html", str(report)),
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["films_done"] == 6 and result["films_failed"] == 0
    assert result["associations_opened"] == 2
    assert result["plan"]["bytes_per_film"] == 2 * 64 * 64
    assert result["films_per_s"] > 0 and result["mb_per_s"] > 0
    assert list(result["operations"]) == list(SEQUENCE)
    for name, row in result["operations"].items():
        assert row["count"] == (12 if name == "N-SET Image Box" else 6), name
        assert 0 <= row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= row["max_ms"]
    assert len(list((out / "films").glob("*.png"))) == 6

    page = Report(report.read_text())
    assert page.external == [], "the report must not load anything"
    assert json.loads(page.data) == {k: v for k, v in result.items() if k != "html"}
    assert page.operations == list(SEQUENCE)
    assert page.histograms == list(SEQUENCE)
    assert page.series == {
        "all": 6,
        "association 1": page.series["association 1"],
        "association 2": 6 - page.series["association 1"],
    }
    assert page.summary["films/s"] == f"{result['films_per_s']:.3f}"
    assert page.summary["Manufacturer"] == "hcs"


def test_no_print_creates_and_deletes_film_boxes_without_n_action(vprinter, tmp_path):
    port, out = vprinter
    done = bench(
        "127.0.0.1",
        str(port),
        "--called-ae",
        "VPRINTER",
        "--films",
        "3",
        "--size",
        "32",
        "--no-print",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["films_done"] == 3
    assert result["plan"]["print"] is False
    assert "N-ACTION Film Box (print)" not in result["operations"]
    assert result["operations"]["N-DELETE Film Box"]["count"] == 3
    assert not list((out / "films").glob("*.png")), "--no-print printed a film"


def test_color_and_text_output_with_the_summary(vprinter):
    port, _ = vprinter
    done = bench(
        "127.0.0.1", str(port), "--called-ae", "VPRINTER", "--films", "2", "--size", "32", "--color"
    )
    assert done.returncode == 0, done.stderr
    assert "2 of 2 film(s) printed" in done.stdout
    assert "RGB" in done.stdout
    assert "N-SET Image Box" in done.stdout


def test_dcmprscp_is_not_a_known_test_printer_so_bench_refuses_without_yes(tmp_path):
    with dcmprscp(tmp_path) as port:
        done = bench("127.0.0.1", str(port), "--called-ae", "PRINTER", "--films", "2")
        database = tmp_path / "dcmprscp" / "database"
        assert not list(database.glob("SP_*.dcm"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "not known as a test printer" in lines[0] and "--yes" in lines[0]


def test_bench_asks_on_a_terminal_and_prints_nothing_on_no(tmp_path):
    master, slave = os.openpty()
    try:
        os.write(master, b"n\n")
        with dcmprscp(tmp_path) as port:
            done = bench("127.0.0.1", str(port), "--films", "2", stdin=slave)
            assert not list((tmp_path / "dcmprscp" / "database").glob("SP_*.dcm"))
    finally:
        os.close(master)
        os.close(slave)
    assert done.returncode == 2
    assert "real film costs money" in done.stdout
    assert "nothing printed" in done.stderr


def test_bench_on_dcmprscp_with_yes_12_bit(tmp_path):
    report = tmp_path / "dcmtk.html"
    with dcmprscp(tmp_path) as port:
        done = bench(
            *("127.0.0.1", str(port), "--called-ae", "PRINTER", "--films", "3", "--yes"),
            *("--format", "STANDARD\\2,2", "--size", "64", "--bits", "12"),
            *("--json", "--html", str(report)),
        )
        stored = list((tmp_path / "dcmprscp" / "database").glob("SP_*.dcm"))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["films_done"] == 3
    assert result["operations"]["N-SET Image Box"]["count"] == 12
    assert result["plan"]["bytes_per_film"] == 4 * 64 * 64 * 2
    assert len(stored) == 3
    page = Report(report.read_text())
    assert page.series["all"] == 3
    assert page.histograms and page.operations == list(result["operations"])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--format", "SLIDE"), "must know how many image boxes"),
        (("--films", "0"), "--films"),
        (("--bits", "16"), "--bits"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args, needle):
    done = bench("127.0.0.1", str(free_port()), *args)
    assert done.returncode == 2
    assert needle in done.stderr
    assert "Traceback" not in done.stderr


def test_a_closed_port_is_a_network_error():
    done = bench("127.0.0.1", str(free_port()), "--films", "1")
    assert done.returncode == 3
    assert "connection refused" in done.stderr


def test_operation_names_box_counts_and_percentiles():
    assert operation_name("N-SET Image Box 12") == "N-SET Image Box"
    assert operation_name("N-ACTION Film Box (print)") == "N-ACTION Film Box (print)"
    assert box_count("STANDARD\\4,5") == 20
    assert box_count("ROW\\2,3") == 5
    with pytest.raises(ValueError, match="CUSTOM"):
        box_count("CUSTOM\\1")
    result = BenchResult(BenchPlan(), {"host": "h", "port": 1, "ae": "A"})
    result.latencies["N-SET Image Box"] = [i / 1000 for i in range(1, 101)]
    stats = result.operation_stats()["N-SET Image Box"]
    assert stats["count"] == 100
    assert stats["p50_ms"] == pytest.approx(50.5)
    assert stats["p99_ms"] == pytest.approx(99.01)
    assert stats["max_ms"] == pytest.approx(100.0)


def test_the_bench_module_needs_no_server_extra():
    code = "import sys, hcs.bench, hcs.bench_report; print('aiohttp' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.strip() == "False"
    assert Path(REPO / "hcs" / "bench_report.py").exists()
