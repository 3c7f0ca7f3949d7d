"""/metrics as Prometheus users expect it, read with prometheus_client's own parser:
latencies as histograms (p95 and p99 computable), the DIMSE operation label without the
box number, hcs_build_info, and the jobs and printer gauges read at scrape time."""

from __future__ import annotations

import asyncio

from prometheus_client.parser import text_string_to_metric_families

import hcs
from hcs.client import Client
from hcs.server.metrics import Metrics, operation_kind
from tests.hcs.server.helpers import MR, printer_table, running_server, virtual_printer, wait_jobs
from tests.hcs.server.helpers import write_config as write_server_config


def scrape(tmp_path) -> dict:
    """Print a 2x2 film of four images through a running server, then scrape /metrics."""

    async def go():
        async with virtual_printer(tmp_path / "vp") as vp:
            config = write_server_config(tmp_path / "hcs.toml", {"vp": printer_table(vp.port)})
            async with running_server(config) as server, Client(server.url) as client:
                job = {"printer": "vp", "format": "STANDARD\\2,2"}
                created = await client.submit(job, [MR] * 4)
                await wait_jobs(client, [created["id"]])
                return await client.metrics()

    text = asyncio.run(go())
    return {family.name: family for family in text_string_to_metric_families(text)}


def quantile(buckets: list[tuple[float, float]], q: float) -> float:
    """The upper bound of the bucket holding quantile ``q`` (what histogram_quantile bounds)."""
    total = buckets[-1][1]
    return next(bound for bound, count in buckets if count >= q * total)


def test_metrics_scrape_as_prometheus_reads_them(tmp_path):
    families = scrape(tmp_path)
    for name in ("hcs_formatting_seconds", "hcs_transfer_seconds", "hcs_overhead_seconds"):
        assert families[name].type == "histogram", name
    dimse = families["hcs_dimse_seconds"]
    assert dimse.type == "histogram"
    by_operation: dict[str, list[tuple[float, float]]] = {}
    counts = {}
    for sample in dimse.samples:
        operation = sample.labels["operation"]
        assert not operation[-1].isdigit(), f"box number in the label: {operation}"
        if sample.name.endswith("_bucket"):
            by_operation.setdefault(operation, []).append(
                (float(sample.labels["le"]), sample.value)
            )
        elif sample.name.endswith("_count"):
            counts[operation] = sample.value
    assert counts["N-SET Image Box"] == 4  # four boxes, one series
    for operation, buckets in by_operation.items():
        buckets.sort()
        assert buckets[-1][0] == float("inf") and buckets[-1][1] == counts[operation]
        assert [c for _, c in buckets] == sorted(c for _, c in buckets)  # cumulative
        assert quantile(buckets, 0.95) <= quantile(buckets, 0.99)
    responses = families["hcs_dimse_responses"]
    labels = {(s.labels["operation"], s.labels["status"]) for s in responses.samples}
    assert ("N-SET Image Box", "0x0000") in labels
    [info] = families["hcs_build_info"].samples
    assert info.value == 1 and info.labels["version"] == hcs.__version__
    jobs = {s.labels["state"]: s.value for s in families["hcs_jobs"].samples}
    assert jobs["done"] == 1
    [up] = families["hcs_printer_up"].samples
    assert up.labels == {"printer": "vp"} and up.value == 1
    printed = families["hcs_films_printed"].samples
    assert any(s.name == "hcs_films_printed_total" and s.value == 1 for s in printed)


def test_operation_kind_drops_only_the_box_number():
    assert operation_kind("N-SET Image Box 12") == "N-SET Image Box"
    assert operation_kind("N-ACTION Film Box (print)") == "N-ACTION Film Box (print)"
    assert operation_kind("N-CREATE Film Session") == "N-CREATE Film Session"


def test_each_server_has_its_own_series():
    first, second = Metrics(), Metrics()
    first.inc("hcs_films_printed_total", printer="a")
    first.observe("hcs_formatting_seconds", 0.2)
    assert first.total("hcs_films_printed_total") == 1
    assert second.total("hcs_films_printed_total") == 0
    assert first.summary("hcs_formatting_seconds") == (0.2, 1)
