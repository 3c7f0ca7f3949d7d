"""``hcs bench --html``: one self-contained HTML page, charts drawn as inline SVG.

No script, no stylesheet or font from elsewhere, no plotting library: the page opens
from a mail attachment or a ticket on a machine without a network. It holds the
summary, a table of each DIMSE operation's latency percentiles, a latency histogram per
operation (logarithmic milliseconds, so a 0.1 ms N-DELETE and a 200 ms N-ACTION fit the
same axis), films over time (cumulative, one line per association and their total),
and the result as JSON in ``<script type="application/json" id="hcs-bench-data">`` for
tools to read back.
"""

from __future__ import annotations

import html
import json
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hcs.bench import BenchResult

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")
STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
svg { background: #fafafa; border: 1px solid #ddd; margin: 0.3em 0.6em 0.6em 0; }
svg text { font: 11px sans-serif; fill: #444; }
.charts { display: flex; flex-wrap: wrap; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top``."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(math.ceil(top / step) + 1)]


def histogram_svg(name: str, values_ms: list[float], low: float, high: float) -> str:
    """Bars of counts over log-spaced latency bins from ``low`` to ``high`` ms."""
    width, height, left, bottom, bins = 360, 150, 36, 28, 24
    plot_w, plot_h = width - left - 10, height - bottom - 22
    lo, hi = math.log10(low), math.log10(high)
    span = max(hi - lo, 1e-9)
    counts = [0] * bins
    for v in values_ms:
        i = int((math.log10(max(v, low)) - lo) / span * bins)
        counts[min(max(i, 0), bins - 1)] += 1
    peak = max(counts) or 1
    bar_w = plot_w / bins
    parts = [
        f'<svg class="histogram" data-operation="{_e(name)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" role="img">',
        f"<title>latency histogram: {_e(name)}</title>",
        f'<text x="{left}" y="14">{_e(name)} ({len(values_ms)})</text>',
    ]
    for i, c in enumerate(counts):
        if c:
            h = c / peak * plot_h
            x = left + i * bar_w
            y = height - bottom - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[0]}" data-count="{c}"/>'
            )
    parts.append(
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" '
        'stroke="#888"/>'
    )
    for exponent in range(math.floor(lo), math.ceil(hi) + 1):
        if lo - 1e-9 <= exponent <= hi + 1e-9:
            x = left + (exponent - lo) / span * plot_w
            label = f"{10**exponent:g}"
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 14}" text-anchor="middle">{label}</text>'
            )
    parts.append(f'<text x="{width - 10}" y="{height - 4}" text-anchor="end">ms (log)</text>')
    parts.append(f'<text x="4" y="{height - bottom}">0</text><text x="4" y="26">{peak}</text>')
    parts.append("</svg>")
    return "".join(parts)


def films_over_time_svg(result: BenchResult) -> str:
    """Cumulative films against seconds: one line per association and one for all."""
    width, height, left, bottom, top_pad = 720, 300, 48, 36, 16
    plot_w, plot_h = width - left - 16, height - bottom - top_pad
    times = sorted(result.film_times)
    duration = max(result.seconds, times[-1][0] if times else 0.0, 1e-6)
    total = max(len(times), 1)
    x_ticks = _nice_ticks(duration)
    y_ticks = _nice_ticks(total)
    x_max, y_max = x_ticks[-1], y_ticks[-1]

    def point(t: float, n: int) -> str:
        x = left + t / x_max * plot_w
        y = height - bottom - n / y_max * plot_h
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg id="films-over-time" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" role="img">',
        "<title>films over time</title>",
    ]
    for v in x_ticks:
        x = left + v / x_max * plot_w
        parts.append(
            f'<line x1="{x:.1f}" y1="{top_pad}" x2="{x:.1f}" y2="{height - bottom}" '
            'stroke="#e4e4e4"/>'
            f'<text x="{x:.1f}" y="{height - bottom + 14}" text-anchor="middle">{v:g}</text>'
        )
    for v in y_ticks:
        y = height - bottom - v / y_max * plot_h
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 16}" y2="{y:.1f}" stroke="#e4e4e4"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:g}</text>'
        )
    parts.append(
        f'<text x="{width - 16}" y="{height - 6}" text-anchor="end">seconds</text>'
        f'<text x="{left}" y="{top_pad - 4}">films</text>'
    )
    series: dict[str, list[float]] = {"all": [t for t, _ in times]}
    if result.plan.associations > 1:
        for k in range(result.plan.associations):
            series[f"association {k + 1}"] = [t for t, a in times if a == k]
    for i, (name, stamps) in enumerate(series.items()):
        points = [point(0, 0)] + [point(t, n) for n, t in enumerate(stamps, start=1)]
        colour = COLOURS[i % len(COLOURS)]
        parts.append(
            f'<polyline data-series="{_e(name)}" data-films="{len(stamps)}" fill="none" '
            f'stroke="{colour}" stroke-width="{2 if name == "all" else 1}" '
            f'points="{" ".join(points)}"/>'
        )
        parts.append(
            f'<text x="{left + 8}" y="{top_pad + 14 + 14 * i}" fill="{colour}" '
            f'style="fill:{colour}">{_e(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def html_report(result: BenchResult) -> str:
    data = result.as_json()
    plan = result.plan
    stats = data["operations"]
    target = result.target
    kind = "RGB" if plan.color else f"{plan.bits}-bit gray"
    mode = "printed" if plan.print_films else "created and deleted, never printed (--no-print)"
    summary = [
        ("printer", f"{target['ae']} at {target['host']}:{target['port']}"),
        ("films", f"{result.films_done} of {plan.films} {mode}"),
        ("failed", str(result.films_failed)),
        ("film", f"{plan.display_format}, {plan.boxes} box(es) of {plan.size}x{plan.size} {kind}"),
        ("associations", str(plan.associations)),
        ("seconds", f"{result.seconds:.3f}"),
        ("films/s", f"{result.films_per_second:.3f}"),
        ("MB/s", f"{result.megabytes_per_second:.2f}"),
    ]
    for key, value in (target.get("printer") or {}).items():
        summary.append((key, value))
    rows = "".join(
        f'<tr><th scope="row">{_e(k)}</th><td data-key="{_e(k)}">{_e(v)}</td></tr>'
        for k, v in summary
    )
    op_rows = "".join(
        f'<tr data-operation="{_e(name)}"><td>{_e(name)}</td><td>{row["count"]}</td>'
        f"<td>{row['p50_ms']:.3f}</td><td>{row['p95_ms']:.3f}</td>"
        f"<td>{row['p99_ms']:.3f}</td><td>{row['max_ms']:.3f}</td></tr>"
        for name, row in stats.items()
    )
    all_ms = [v * 1000 for values in result.latencies.values() for v in values]
    charts = ""
    if all_ms:
        low = max(min(all_ms), 1e-3)
        high = max(max(all_ms), low * 10)
        charts = "".join(
            histogram_svg(name, [v * 1000 for v in result.latencies[name]], low, high)
            for name in stats
        )
    payload = json.dumps(data).replace("</", "<\\/")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>hcs bench: {_e(target['ae'])} at {_e(target['host'])}:{target['port']}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>hcs bench: {_e(target['ae'])}</h1>"
        f'<table id="summary">{rows}</table>'
        "<h2>Latency per DIMSE operation (ms, request sent to response read)</h2>"
        '<table id="operations"><thead><tr><th>operation</th><th>count</th><th>p50</th>'
        f"<th>p95</th><th>p99</th><th>max</th></tr></thead><tbody>{op_rows}</tbody></table>"
        f'<h2>Latency histograms</h2><div class="charts">{charts}</div>'
        f"<h2>Films over time</h2>{films_over_time_svg(result)}"
        f'<script type="application/json" id="hcs-bench-data">{payload}</script>'
        "</body></html>\n"
    )
