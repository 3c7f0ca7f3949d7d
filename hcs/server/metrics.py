"""``GET /metrics``: the server's counters and latency histograms, exposed by the maintained
``prometheus_client`` in the Prometheus text format.

Series are kept few (label cardinality is what costs a Prometheus server): jobs by state
(read from the spool when scraped), films printed and failed per printer, DIMSE responses
by operation and status code, associations opened per printer, and where time goes as
histograms, so that p50/p95/p99 are computable with ``histogram_quantile``: formatting,
the print SCU per film, the server's own overhead per film, and each DIMSE operation. The
operation label names the kind of request (``N-SET Image Box``), never the box number.
Each server has its own registry, so that several servers in one process (tests, an
embedding application) do not share series.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Seconds: from a 1x1 film on loopback (milliseconds) to a slow printer's film (a minute).
FILM_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
# One DIMSE request and its response: sub-millisecond on loopback, seconds for a big N-SET.
DIMSE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30)

_COUNTERS = {
    "hcs_jobs_submitted_total": ("Jobs accepted (201) since the server started.", ()),
    "hcs_jobs_rejected_total": ("Job submissions refused, by HTTP status.", ("status",)),
    "hcs_films_printed_total": ("Films printed, by printer.", ("printer",)),
    "hcs_films_failed_total": ("Films that failed, by printer.", ("printer",)),
    "hcs_dimse_responses_total": (
        "DIMSE responses by operation and status code.",
        ("operation", "status"),
    ),
    "hcs_associations_opened_total": ("Associations opened, by printer.", ("printer",)),
    "hcs_preemptions_total": ("Times a job was pre-empted between films.", ()),
    "hcs_takeovers_total": ("Printers this server took over with jobs in hand.", ("printer",)),
    "hcs_http_requests_total": (
        "HTTP requests by method and route (the route's pattern, not the job id).",
        ("method", "route"),
    ),
}
_HISTOGRAMS = {
    "hcs_formatting_seconds": ("Time spent formatting a film (thread pool).", (), FILM_BUCKETS),
    "hcs_transfer_seconds": ("Time in the print SCU for a film (DIMSE).", (), FILM_BUCKETS),
    "hcs_overhead_seconds": ("A film's turn beyond formatting and DIMSE.", (), FILM_BUCKETS),
    "hcs_dimse_seconds": (
        "One DIMSE request until its response, by operation.",
        ("operation",),
        DIMSE_BUCKETS,
    ),
}
_GAUGES = {
    "hcs_jobs": "Jobs in the spool by state.",
    "hcs_printer_up": "1 if the printer's last known status is NORMAL or WARNING.",
    "hcs_films": "Films of the jobs in the spool (every server of a group) by state.",
    "hcs_films_sent_again": (
        "Films printed again because a server stopped while sending them (at-least-once)."
    ),
    "hcs_printer_holder": "1 for the server (instance) that holds each printer.",
}

_BOX_NUMBER = re.compile(r"\s+\d+$")


def operation_kind(operation: str) -> str:
    """``N-SET Image Box 12`` -> ``N-SET Image Box``: one series per kind of request."""
    return _BOX_NUMBER.sub("", operation)


class _ScrapeTimeGauges(Collector):
    """Gauges read when scraped (the spool's job counts, the printers' status)."""

    def __init__(self) -> None:
        self.read: Callable[[], dict[str, dict[tuple, float]]] = dict

    def collect(self) -> Iterator[Metric]:
        values = self.read()
        for name, text in _GAUGES.items():
            series = values.get(name)
            if series is None:
                continue
            labels = sorted({key for labelset in series for key, _ in labelset})
            family = GaugeMetricFamily(name, text, labels=labels)
            for labelset, value in sorted(series.items()):
                given = dict(labelset)
                family.add_metric([str(given.get(label, "")) for label in labels], value)
            yield family


class Metrics:
    """The server's metrics: ``inc`` a counter, ``observe`` a histogram, ``render`` them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._counters = {
            name: Counter(name.removesuffix("_total"), text, labels, registry=self.registry)
            for name, (text, labels) in _COUNTERS.items()
        }
        self._histograms = {
            name: Histogram(name, text, labels, buckets=buckets, registry=self.registry)
            for name, (text, labels, buckets) in _HISTOGRAMS.items()
        }
        self._gauges = _ScrapeTimeGauges()
        self.registry.register(self._gauges)
        info = GaugeMetricFamily(
            "hcs_build_info",
            "The hcs version and the Python it runs on (value 1).",
            labels=["version", "python"],
        )
        info.add_metric([_version(), platform.python_version()], 1)
        self.registry.register(_Constant(info))

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        counter = self._counters[name]
        (counter.labels(**labels) if labels else counter).inc(amount)

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        histogram = self._histograms[name]
        (histogram.labels(**labels) if labels else histogram).observe(seconds)

    def dimse(self, operation: str, status: str | None, seconds: float | None) -> None:
        """One DIMSE exchange of a film: its response counted, its latency observed."""
        kind = operation_kind(operation)
        self.inc("hcs_dimse_responses_total", operation=kind, status=status or "none")
        if seconds is not None:
            self.observe("hcs_dimse_seconds", seconds, operation=kind)

    def total(self, name: str) -> float:
        """The sum of a counter over its labels (for the console and tests)."""
        return sum(
            sample.value
            for family in self._counters[name].collect()
            for sample in family.samples
            if sample.name.endswith("_total")
        )

    def summary(self, name: str) -> tuple[float, int]:
        """A histogram's sum and count over its labels."""
        total = count = 0.0
        for family in self._histograms[name].collect():
            for sample in family.samples:
                if sample.name.endswith("_sum"):
                    total += sample.value
                elif sample.name.endswith("_count"):
                    count += sample.value
        return total, int(count)

    def render(self, gauges: dict[str, dict[tuple, float]]) -> str:
        """The exposition text; ``gauges`` are the values read at scrape time."""
        self._gauges.read = lambda: gauges
        return generate_latest(self.registry).decode()


def _version() -> str:
    """The installed distribution's version (the package itself is a layer above)."""
    try:
        return version("hcs")
    except PackageNotFoundError:
        return "unknown"


class _Constant(Collector):
    def __init__(self, metric: Metric) -> None:
        self.metric = metric

    def collect(self) -> Iterator[Metric]:
        yield self.metric
