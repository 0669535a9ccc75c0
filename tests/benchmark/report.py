"""The bench's figures and Markdown: one size's report, and latest.md with every size side by side.

Pure functions over the per-size JSON files that `bench.py` writes (data/bench/<events>.json), so the
ratios the issue's targets name are computed in one place and can be tested on hand-made JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

Run = dict[str, Any]

# Step keys in report order, with the label each step has in the tables.
STEP_LABELS: dict[str, str] = {
    "generate": "generate the sample shop",
    "dbt_overhead_full_parse": "dbt fixed overhead, --no-partial-parse (extra)",
    "dbt_parse": "dbt parse (what make prepare does)",
    "dbt_overhead": "dbt fixed overhead (partial parse + start-up, no model)",
    "load": "load to raw",
    "dbt_build": "dbt build --full-refresh",
    "publish": "publish the serving copy",
    "baseline": "baseline: one hand-written DuckDB script",
    "inc_load": "incremental: load the one-day increment",
    "inc_build": "incremental: dbt build",
    "run_prepare": "dbt parse before make run (make prepare, fresh warehouse's paths)",
    "make_run": "make run end to end through Dagster (fresh warehouse)",
}
# Runs written before steps had keys name them only: the old names map onto the keys.
LEGACY_NAMES: dict[str, str] = {
    "dbt fixed overhead (parse + start-up, no model)": "dbt_overhead_full_parse",
    **{label: key for key, label in STEP_LABELS.items()},
}
# Not the pipeline: shown in the tables, left out of the pipeline's peak memory.
NOT_PIPELINE = frozenset({"generate", "baseline"})
FULL_REFRESH = ("load", "dbt_build", "publish")
INCREMENT = ("inc_load", "inc_build")
# The targets and stretch targets (issue 18), each with whether lower is better.
TARGETS: dict[str, tuple[float, float]] = {
    "ratio_full_vs_baseline": (2.0, 1.5),
    "ratio_incremental_vs_full": (0.10, 0.05),
    "pipeline_peak_rss_gib": (3.0, 2.0),
    "fixed_overhead_seconds": (4.0, 2.0),
    "cost_vs_5m": (1.2, 1.2),
}
LINEARITY_REFERENCE = 5_000_000
SIZE_FILE = re.compile(r"^(\d+)\.json$")


@dataclass(frozen=True)
class Figures:
    """The figures of one size that the targets are taken on (None: that run did not measure it)."""

    events_target: int
    events: int
    full_refresh_seconds: float
    baseline_seconds: float
    ratio_full_vs_baseline: float
    incremental_seconds: float
    ratio_incremental_vs_full: float
    pipeline_peak_rss_mb: float
    dbt_overhead_seconds: float | None
    dagster_overhead_seconds: float | None
    fixed_overhead_seconds: float | None
    seconds_per_million_events: float


def step_key(step: dict[str, Any]) -> str | None:
    return step.get("key") or LEGACY_NAMES.get(step["name"])


def steps_by_key(run: Run) -> dict[str, dict[str, Any]]:
    return {key: step for step in run["steps"] if (key := step_key(step))}


def events_target(run: Run) -> int:
    """The BENCH_EVENTS size the run was asked for (older runs recorded only what was generated)."""
    return int(run.get("events_target") or run["generated_events"])


def figures(run: Run) -> Figures:
    steps = steps_by_key(run)
    seconds = {key: step["seconds"] for key, step in steps.items()}
    full = sum(seconds[key] for key in FULL_REFRESH)
    increment = sum(seconds[key] for key in INCREMENT)
    dbt_overhead = seconds.get("dbt_overhead")
    dagster_overhead = (run.get("dagster") or {}).get("overhead_seconds")
    fixed = dbt_overhead + dagster_overhead if dbt_overhead is not None and dagster_overhead is not None else None
    return Figures(
        events_target=events_target(run),
        events=run["events"],
        full_refresh_seconds=full,
        baseline_seconds=seconds["baseline"],
        ratio_full_vs_baseline=full / seconds["baseline"],
        incremental_seconds=increment,
        ratio_incremental_vs_full=increment / full,
        pipeline_peak_rss_mb=max(step["peak_rss_mb"] for key, step in steps.items() if key not in NOT_PIPELINE),
        dbt_overhead_seconds=dbt_overhead,
        dagster_overhead_seconds=dagster_overhead,
        fixed_overhead_seconds=fixed,
        seconds_per_million_events=full / run["events"] * 1e6,
    )


def cost_vs_reference(all_figures: list[Figures]) -> dict[int, float]:
    """Seconds per million events of each size over those of the 5M run (linear: within 1.2); {} without a 5M run."""
    reference = next((f for f in all_figures if f.events_target == LINEARITY_REFERENCE), None)
    if reference is None:
        return {}
    return {f.events_target: f.seconds_per_million_events / reference.seconds_per_million_events for f in all_figures}


def load_runs(folder: Path) -> list[Run]:
    """Every per-size JSON in folder (<events>.json), smallest size first."""
    runs = [json.loads(path.read_text()) for path in folder.iterdir() if SIZE_FILE.match(path.name)]
    return sorted(runs, key=events_target)


# ---------------------------------------------------------------------------
# Formatting


def short_size(events: int) -> str:
    if events >= 1_000_000 and events % 100_000 == 0:
        return f"{events / 1_000_000:g}M"
    if events >= 1_000 and events % 1_000 == 0:
        return f"{events // 1_000}k"
    return f"{events:,}"


def number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def verdict(name: str, value: float | None) -> str:
    """'stretch', 'target' or 'missed' for a figure the issue sets a target on."""
    if value is None:
        return ""
    target, stretch = TARGETS[name]
    if value <= stretch:
        return "stretch" if stretch != target else "met"
    return "target" if value <= target else "missed"


def change(new: float, old: float | None) -> str:
    if old is None:
        return ""
    percent = f" ({(new / old - 1) * 100:+.0f}%)" if old else ""
    return f"{new - old:+,.1f}{percent}"


# ---------------------------------------------------------------------------
# One size


def render_size(run: Run) -> str:
    """The report of one size: every step, the target figures, dbt test cost and Dagster's overhead."""
    fig = figures(run)
    before = run.get("before") or {}
    old_seconds: dict[str, float] = before.get("seconds", {})
    lines = [
        f"### Benchmark: {run['events']:,} events in the full refresh ({run['input_mb']:,.0f} MB landed) "
        f"+ {run['increment_events']:,} in the one-day increment; {run['machine']}; {run['measured_at']}",
        "",
        *step_table(run, old_seconds),
    ]
    if before:
        lines += ["", f"Before: {before['source']} (measured {before.get('measured_at', '?')})."]
    lines += ["", *figure_lines(fig, before.get("figures")), *detail_lines(run)]
    return "\n".join(lines)


def step_table(run: Run, old_seconds: dict[str, float]) -> list[str]:
    head = "| step | seconds | events/s | MB/s | peak RSS (MB) |"
    rule = "|---|---:|---:|---:|---:|"
    if old_seconds:
        head, rule = head + " before (s) | change (s) |", rule + "---:|---:|"
    lines = [head, rule]
    for step in run["steps"]:
        key = step_key(step)
        # a step not timed (a shop taken from BENCH_SHOP_CACHE) has 0 s and no rate
        timed = step["seconds"] > 0
        eps = f"{step['events'] / step['seconds']:,.0f}" if step.get("events") and timed else ""
        mbps = f"{step['input_mb'] / step['seconds']:,.1f}" if step.get("input_mb") and timed else ""
        row = f"| {step['name']} | {step['seconds']:,.1f} | {eps} | {mbps} | {step['peak_rss_mb']:,.0f} |"
        if old_seconds:
            old = old_seconds.get(key) if key else None
            row += f" {number(old)} | {change(step['seconds'], old)} |"
        lines.append(row)
    return lines


def figure_lines(fig: Figures, old: dict[str, Any] | None) -> list[str]:
    def was(name: str, digits: int = 2) -> str:
        return f"; before {number(old.get(name), digits)}" if old and old.get(name) is not None else ""

    return [
        f"- full refresh (load + dbt build + publish): {fig.full_refresh_seconds:,.1f} s, "
        f"{fig.seconds_per_million_events:,.1f} s per million events; baseline {fig.baseline_seconds:,.1f} s; "
        f"pipeline / baseline = {fig.ratio_full_vs_baseline:.2f}{was('ratio_full_vs_baseline')}",
        f"- one-day increment (load + dbt build): {fig.incremental_seconds:,.1f} s; "
        f"increment / full = {fig.ratio_incremental_vs_full:.3f}{was('ratio_incremental_vs_full', 3)}",
        f"- peak RSS of the pipeline steps (all but generator and baseline): {fig.pipeline_peak_rss_mb:,.0f} MB"
        f"{was('pipeline_peak_rss_mb', 0)}",
        f"- fixed overhead per run: dbt {number(fig.dbt_overhead_seconds)} s + Dagster "
        f"{number(fig.dagster_overhead_seconds)} s = {number(fig.fixed_overhead_seconds)} s"
        f"{was('fixed_overhead_seconds', 1)}",
    ]


def detail_lines(run: Run) -> list[str]:
    lines = []
    steps = steps_by_key(run)
    if "dbt_overhead_full_parse" in steps:
        lines.append(
            f"- dbt fixed overhead without partial parse: {steps['dbt_overhead_full_parse']['seconds']:,.1f} s"
        )
    lines += dagster_lines(run.get("dagster"))
    lines += dbt_test_lines(run.get("dbt_full_refresh"))
    if run.get("warehouse_mb") is not None:
        lines.append(f"- warehouse {run['warehouse_mb']:,.1f} MB, serving file {run['serving_mb']:,.1f} MB")
    full, incremental = run.get("dbt_model_seconds_full_refresh", {}), run.get("dbt_model_seconds_incremental", {})
    if full:
        slowest = sorted(full.items(), key=lambda item: -item[1])[:6]
        lines.append(
            "- slowest models, full refresh / incremental (s): "
            + ", ".join(f"{name} {seconds:.1f} / {incremental.get(name, 0):.1f}" for name, seconds in slowest)
        )
    settings = run.get("settings")
    if settings is not None:
        shown = ", ".join(f"{name}={value}" for name, value in sorted(settings.items())) or "defaults"
        lines.append(f"- memory and thread settings passed through: {shown}")
    problems = run.get("baseline_differences") or []
    lines.append(
        "- baseline daily sessions, bounce rate, conversion rate, GMV, net sales = kpi_daily: "
        + ("yes" if run["baseline_equals_kpi_daily"] else f"NO ({len(problems)} days differ)")
    )
    return lines


def dagster_lines(dagster: dict[str, Any] | None) -> list[str]:
    if not dagster:
        return []
    steps = ", ".join(f"{key} {seconds:.1f}" for key, seconds in dagster["step_seconds"].items())
    return [
        f"- Dagster fixed overhead: make run {dagster['run_seconds']:,.1f} s - its load + dbt build + publish "
        f"{dagster['pipeline_step_seconds']:,.1f} s = {dagster['overhead_seconds']:,.1f} s "
        f"(of which other steps {dagster['other_step_seconds']:,.1f} s, outside any step "
        f"{dagster['outside_steps_seconds']:,.1f} s, of that outside the run: process start-up, imports, "
        f"definitions, instance {dagster.get('outside_run_seconds', 0):,.1f} s); its steps (s): {steps}",
        "- dbt inside the Dagster run: "
        + (
            "full parse again (" + "; ".join(dagster["dbt_full_reparse_reasons"]) + ")"
            if dagster.get("dbt_full_reparse_reasons")
            else "partial parse"
        ),
    ]


def dbt_test_lines(dbt: dict[str, Any] | None) -> list[str]:
    if not dbt:
        return []
    slowest = ", ".join(f"{name} {seconds:.2f}" for name, seconds in dbt["slowest_tests"])
    return [
        f"- dbt build --full-refresh, node seconds (summed over dbt's threads): models {dbt['models_seconds']:,.1f}, "
        f"data tests {dbt['tests_seconds']:,.1f}, unit tests {dbt['unit_tests_seconds']:,.1f}, "
        f"seeds and other {dbt['other_seconds']:,.1f}",
        f"- slowest data tests (s): {slowest}",
    ]


# ---------------------------------------------------------------------------
# Every size side by side


def render_latest(runs: list[Run]) -> str:
    """latest.md: per step seconds and peak RSS per size, the targets, cost per event and dbt test cost."""
    all_figures = [figures(run) for run in runs]
    sizes = [short_size(f.events_target) for f in all_figures]
    machine = runs[-1]["machine"] if runs else ""
    lines = [f"### Benchmark at {', '.join(sizes)} events; {machine}", ""]
    lines += side_by_side_steps(runs, sizes)
    lines += ["", *target_table(all_figures, sizes)]
    lines += ["", *dbt_test_cost_table(runs, sizes)]
    lines += [
        "",
        "Measured: " + "; ".join(f"{size} {run['measured_at']}" for size, run in zip(sizes, runs, strict=True)),
    ]
    return "\n".join(lines)


def side_by_side_steps(runs: list[Run], sizes: list[str]) -> list[str]:
    head = "| step | " + " | ".join(f"{size} s | {size} RSS MB" for size in sizes) + " |"
    rule = "|---|" + "---:|---:|" * len(sizes)
    lines = [head, rule]
    per_run = [steps_by_key(run) for run in runs]
    for key, label in STEP_LABELS.items():
        if not any(key in steps for steps in per_run):
            continue
        cells = []
        for steps in per_run:
            step = steps.get(key)
            cells.append(f"{step['seconds']:,.1f} | {step['peak_rss_mb']:,.0f}" if step else "– | –")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    totals = [
        ("full refresh (load + dbt build + publish)", FULL_REFRESH),
        ("one-day increment (load + dbt build)", INCREMENT),
    ]
    for label, keys in totals:
        cells = [
            f"{sum(steps[k]['seconds'] for k in keys):,.1f} | {max(steps[k]['peak_rss_mb'] for k in keys):,.0f}"
            for steps in per_run
        ]
        lines.append(f"| **{label}** | " + " | ".join(cells) + " |")
    lines.append("| events in the full refresh | " + " | ".join(f"{run['events']:,} | " for run in runs) + " |")
    return lines


def target_table(all_figures: list[Figures], sizes: list[str]) -> list[str]:
    costs = cost_vs_reference(all_figures)
    rows: list[tuple[str, str, list[float | None], int]] = [
        ("full refresh / baseline", "ratio_full_vs_baseline", [f.ratio_full_vs_baseline for f in all_figures], 2),
        (
            "one-day increment / full refresh",
            "ratio_incremental_vs_full",
            [f.ratio_incremental_vs_full for f in all_figures],
            3,
        ),
        (
            "peak RSS of any pipeline step (GiB)",
            "pipeline_peak_rss_gib",
            [f.pipeline_peak_rss_mb / 1024 for f in all_figures],
            2,
        ),
        (
            "dbt + Dagster fixed overhead per run (s)",
            "fixed_overhead_seconds",
            [f.fixed_overhead_seconds for f in all_figures],
            1,
        ),
        ("cost per event / cost at 5M", "cost_vs_5m", [costs.get(f.events_target) for f in all_figures], 2),
    ]
    lines = [
        "| figure | " + " | ".join(sizes) + " | target | stretch |",
        "|---|" + "---:|" * len(sizes) + "---:|---:|",
    ]
    for label, name, values, digits in rows:
        target, stretch = TARGETS[name]
        cells = [f"{number(value, digits)} {verdict(name, value)}".strip() for value in values]
        lines.append(
            f"| {label} | "
            + " | ".join(cells)
            + f" | <= {target:g} | {'' if stretch == target else f'<= {stretch:g}'} |"
        )
    lines.append(
        "| full refresh, s per million events | "
        + " | ".join(f"{f.seconds_per_million_events:,.1f}" for f in all_figures)
        + " | | |"
    )
    detail = [
        ("dbt fixed overhead (s)", [f.dbt_overhead_seconds for f in all_figures]),
        ("Dagster fixed overhead (s)", [f.dagster_overhead_seconds for f in all_figures]),
    ]
    for label, values in detail:
        lines.append(f"| {label} | " + " | ".join(number(v) for v in values) + " | | |")
    return lines


def dbt_test_cost_table(runs: list[Run], sizes: list[str]) -> list[str]:
    with_tests = [
        (size, run["dbt_full_refresh"]) for size, run in zip(sizes, runs, strict=True) if run.get("dbt_full_refresh")
    ]
    if not with_tests:
        return []
    lines = [
        "dbt build --full-refresh, node seconds per kind (summed over dbt's threads):",
        "",
        "| size | models | data tests | unit tests | seeds, other | 5 slowest data tests (s) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for size, dbt in with_tests:
        slowest = ", ".join(f"{name} {seconds:.2f}" for name, seconds in dbt["slowest_tests"])
        lines.append(
            f"| {size} | {dbt['models_seconds']:,.1f} | {dbt['tests_seconds']:,.1f} | "
            f"{dbt['unit_tests_seconds']:,.1f} | {dbt['other_seconds']:,.1f} | {slowest} |"
        )
    return lines


def latest_summary(runs: list[Run]) -> dict[str, Any]:
    """latest.json: the target figures per size (the per-size files hold everything else)."""
    all_figures = [figures(run) for run in runs]
    costs = cost_vs_reference(all_figures)
    return {str(f.events_target): {**asdict(f), "cost_vs_5m": costs.get(f.events_target)} for f in all_figures}
