"""Counters and sums for ``GET /metrics`` in the Prometheus text format (version 0.0.4).

Few enough series that a dictionary does: jobs by state (read from the spool when
scraped), films printed, DIMSE statuses by operation and code, associations opened per
printer, and where time goes (formatting, transfer, and the server's own overhead per
film: everything a film's turn takes beyond formatting and DIMSE).
"""

from __future__ import annotations

from collections import defaultdict

_HELP = {
    "hcs_jobs": ("gauge", "Jobs in the spool by state."),
    "hcs_jobs_submitted_total": ("counter", "Jobs accepted (201) since the server started."),
    "hcs_jobs_rejected_total": ("counter", "Job submissions refused, by HTTP status."),
    "hcs_films_printed_total": ("counter", "Films printed, by printer."),
    "hcs_films_failed_total": ("counter", "Films that failed, by printer."),
    "hcs_dimse_responses_total": ("counter", "DIMSE responses by operation and status code."),
    "hcs_associations_opened_total": ("counter", "Associations opened, by printer."),
    "hcs_preemptions_total": ("counter", "Times a job was pre-empted between films."),
    "hcs_formatting_seconds": ("summary", "Time spent formatting films (thread pool)."),
    "hcs_transfer_seconds": ("summary", "Time spent in the print SCU for a film (DIMSE)."),
    "hcs_overhead_seconds": ("summary", "A film's turn beyond formatting and DIMSE time."),
    "hcs_films": ("gauge", "Films of the jobs in the spool (every server of a group) by state."),
    "hcs_films_sent_again": (
        "gauge",
        "Films printed again because a server stopped while sending them (at-least-once).",
    ),
    "hcs_printer_holder": ("gauge", "1 for the server (instance) that holds each printer."),
    "hcs_takeovers_total": ("counter", "Printers this server took over with jobs in hand."),
    "hcs_printer_up": ("gauge", "1 if the printer's last known status is NORMAL or WARNING."),
}


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(
        f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in sorted(labels.items())
    )
    return "{" + inner + "}"


class Metrics:
    def __init__(self) -> None:
        self.counters: dict[str, dict[tuple, float]] = defaultdict(lambda: defaultdict(float))
        self.summaries: dict[str, dict[tuple, list[float]]] = defaultdict(
            lambda: defaultdict(lambda: [0.0, 0.0])
        )

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        self.counters[name][tuple(sorted(labels.items()))] += amount

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        entry = self.summaries[name][tuple(sorted(labels.items()))]
        entry[0] += seconds
        entry[1] += 1

    def total(self, name: str) -> float:
        return sum(self.counters[name].values())

    def summary(self, name: str) -> tuple[float, int]:
        total = count = 0.0
        for value in self.summaries[name].values():
            total += value[0]
            count += value[1]
        return total, int(count)

    def render(self, gauges: dict[str, dict[tuple, float]]) -> str:
        """The exposition text; ``gauges`` are values read at scrape time."""
        lines: list[str] = []
        names = sorted(set(self.counters) | set(self.summaries) | set(gauges) | set(_HELP))
        for name in names:
            kind, text = _HELP.get(name, ("untyped", name))
            series = []
            for source in (gauges.get(name, {}), self.counters.get(name, {})):
                for key, value in sorted(source.items()):
                    series.append(f"{name}{_labels(dict(key))} {value:g}")
            for key, (total, count) in sorted(self.summaries.get(name, {}).items()):
                labels = _labels(dict(key))
                series.append(f"{name}_sum{labels} {total:.6f}")
                series.append(f"{name}_count{labels} {count:g}")
            if not series and kind == "summary":
                series = [f"{name}_sum 0", f"{name}_count 0"]
            if not series:
                continue
            lines.append(f"# HELP {name} {text}")
            lines.append(f"# TYPE {name} {kind}")
            lines.extend(series)
        return "\n".join(lines) + "\n"
