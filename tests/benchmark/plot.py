"""latest.png: seconds and peak RSS against events for every size measured (two panels, events on a log scale)."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.benchmark import report

# The lines drawn: each pipeline step, the full refresh, the one-day increment, make run and the baseline.
LINES: dict[str, tuple[str, ...]] = {
    "load to raw": ("load",),
    "dbt build --full-refresh": ("dbt_build",),
    "publish": ("publish",),
    "full refresh (load + build + publish)": report.FULL_REFRESH,
    "one-day increment (load + build)": report.INCREMENT,
    "make run (Dagster, end to end)": ("make_run",),
    "baseline (one DuckDB script)": ("baseline",),
}


def series(runs: list[report.Run]) -> dict[str, tuple[list[int], list[float], list[float]]]:
    """Per line: events, seconds (summed over its steps) and peak RSS in MB (the largest of its steps)."""
    drawn = {}
    for label, keys in LINES.items():
        events, seconds, rss = [], [], []
        for run in runs:
            steps = report.steps_by_key(run)
            if all(key in steps for key in keys):
                events.append(run["events"])
                seconds.append(sum(steps[key]["seconds"] for key in keys))
                rss.append(max(steps[key]["peak_rss_mb"] for key in keys))
        drawn[label] = (events, seconds, rss)
    return drawn


def write_plot(runs: list[report.Run], path: Path) -> bool:
    """Writes the PNG; False (and says why) when matplotlib is missing, so the Markdown report still stands."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display on the bench machine
        import matplotlib.pyplot as plt
    except ImportError:
        print("[bench] no latest.png: matplotlib is not installed (make setup)", file=sys.stderr)
        return False
    from matplotlib.ticker import FuncFormatter

    figure, (time_axis, memory_axis) = plt.subplots(1, 2, figsize=(13, 5.5))
    for label, (events, seconds, rss) in series(runs).items():
        style = "--" if label.startswith("baseline") else "-"
        time_axis.plot(events, seconds, style, marker="o", label=label)
        memory_axis.plot(events, [mb / 1024 for mb in rss], style, marker="o", label=label)
    memory_axis.axhline(3, color="grey", linewidth=0.8, linestyle=":", label="target: 3 GiB")
    plain = FuncFormatter(lambda value, _position: f"{value:,.0f}" if value >= 1 else f"{value:g}")
    # time on log-log axes (a straight line of slope 1 is linear cost); memory against a linear 0-based scale
    time_axis.set_yscale("log")
    time_axis.yaxis.set_major_formatter(plain)
    memory_axis.set_ylim(bottom=0)
    for axis, title, unit in ((time_axis, "time", "seconds"), (memory_axis, "peak RSS", "GiB")):
        axis.set_xscale("log")
        # a tick at each size measured, named as BENCH_EVENTS named it
        axis.set_xticks([run["events"] for run in runs], [report.short_size(report.events_target(run)) for run in runs])
        axis.xaxis.set_minor_formatter(FuncFormatter(lambda _value, _position: ""))
        axis.set_title(title)
        axis.set_xlabel("events in the full refresh")
        axis.set_ylabel(unit)
        axis.grid(True, which="both", linewidth=0.3)
    time_axis.legend(fontsize=8)
    memory_axis.legend(fontsize=8)
    figure.suptitle(f"make bench: {runs[-1]['machine']}" if runs else "make bench")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
