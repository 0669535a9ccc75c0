"""The bench report's arithmetic (tests/benchmark/report.py) on hand-made per-size JSON files.

Every expected figure below is worked out by hand from the seconds and memory in `fake_run`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.benchmark import report


def fake_run(target: int, events: int, scale: float, *, make_run_rss: float = 900.0) -> dict:
    """A run whose step seconds are the 1M figures below times scale; peak RSS as given per step."""
    seconds_and_rss = {
        "generate": (20.0, 5000.0),  # the largest RSS of all: must not count as the pipeline's
        "dbt_overhead_full_parse": (8.0, 150.0),
        "dbt_parse": (6.0, 150.0),
        "dbt_overhead": (3.0, 150.0),
        "load": (20.0, 800.0),
        "dbt_build": (25.0, 1000.0),
        "publish": (5.0, 400.0),
        "baseline": (10.0, 4000.0),  # neither the baseline's
        "inc_load": (1.0, 100.0),
        "inc_build": (4.0, 300.0),
        "make_run": (70.0, make_run_rss),
    }
    steps = [
        {
            "key": key,
            "name": report.STEP_LABELS[key],
            "seconds": seconds if key.startswith(("dbt_overhead", "dbt_parse")) else seconds * scale,
            "peak_rss_mb": rss,
            "events": None,
            "input_mb": None,
        }
        for key, (seconds, rss) in seconds_and_rss.items()
    ]
    return {
        "events_target": target,
        "events": events,
        "generated_events": events + events // 90,
        "increment_events": events // 90,
        "input_mb": 570.0,
        "machine": "x86_64, 2 cores",
        "measured_at": "2026-12-02 12:00 UTC",
        "baseline_equals_kpi_daily": True,
        "steps": steps,
        "dagster": {
            "run_seconds": 70.0 * scale,
            "pipeline_step_seconds": 50.0 * scale,
            "overhead_seconds": 20.0 * scale,
            "other_step_seconds": 2.0,
            "outside_steps_seconds": 18.0 * scale - 2.0,
            "step_seconds": {"load_landing": 20.0 * scale},
            "dbt_full_reparse_reasons": ["config vars, config profile, or config target have changed"],
        },
        "dbt_full_refresh": {
            "models_seconds": 18.0,
            "tests_seconds": 6.0,
            "unit_tests_seconds": 0.5,
            "other_seconds": 0.5,
            "slowest_tests": [["unique_fct_events_event_id", 1.25]],
        },
    }


@pytest.fixture
def bench_dir(tmp_path: Path) -> Path:
    """Three sizes; the full refresh costs 50 s per million events at 1M and 5M, and 60 at 20M."""
    runs = [
        fake_run(1_000_000, 1_000_000, 1.0),
        fake_run(5_000_000, 5_000_000, 5.0),
        fake_run(20_000_000, 20_000_000, 24.0, make_run_rss=3500.0),
    ]
    for run in runs:
        (tmp_path / f"{run['events_target']}.json").write_text(json.dumps(run))
    # files that are not a size's JSON stay out of the report
    (tmp_path / "latest.json").write_text("{}")
    (tmp_path / "notes.json").write_text("{}")
    return tmp_path


def test_figures_of_one_size_are_the_target_ratios() -> None:
    fig = report.figures(fake_run(1_000_000, 1_000_000, 1.0))
    assert fig.full_refresh_seconds == pytest.approx(20 + 25 + 5)
    assert fig.ratio_full_vs_baseline == pytest.approx(50 / 10)
    assert fig.incremental_seconds == pytest.approx(1 + 4)
    assert fig.ratio_incremental_vs_full == pytest.approx(5 / 50)
    # the generator (5000 MB) and the baseline (4000 MB) are not pipeline steps
    assert fig.pipeline_peak_rss_mb == 1000
    # the partial-parse figure, not the --no-partial-parse one (8 s), plus Dagster's 20 s
    assert fig.dbt_overhead_seconds == 3
    assert fig.fixed_overhead_seconds == pytest.approx(3 + 20)
    assert fig.seconds_per_million_events == pytest.approx(50)


def test_sizes_are_read_from_the_folder_smallest_first(bench_dir: Path) -> None:
    runs = report.load_runs(bench_dir)
    assert [run["events_target"] for run in runs] == [1_000_000, 5_000_000, 20_000_000]


def test_cost_per_event_is_compared_with_the_5m_run(bench_dir: Path) -> None:
    all_figures = [report.figures(run) for run in report.load_runs(bench_dir)]
    # 50 s, 250 s and 1200 s for 1M, 5M and 20M: 50, 50 and 60 s per million
    assert report.cost_vs_reference(all_figures) == pytest.approx({1_000_000: 1.0, 5_000_000: 1.0, 20_000_000: 1.2})
    assert report.cost_vs_reference(all_figures[:1]) == {}


def test_latest_shows_every_size_with_its_verdicts(bench_dir: Path) -> None:
    markdown = report.render_latest(report.load_runs(bench_dir))
    rows = {line.split(" | ")[0].lstrip("| "): line for line in markdown.splitlines() if line.startswith("|")}
    assert "| 1M s | 1M RSS MB | 5M s | 5M RSS MB | 20M s | 20M RSS MB |" in markdown
    assert rows["load to raw"] == "| load to raw | 20.0 | 800 | 100.0 | 800 | 480.0 | 800 |"
    assert rows["**full refresh (load + dbt build + publish)**"].endswith(
        "| 50.0 | 1,000 | 250.0 | 1,000 | 1,200.0 | 1,000 |"
    )
    # 5.00 everywhere: misses the target of 2.0
    assert rows["full refresh / baseline"].startswith(
        "| full refresh / baseline | 5.00 missed | 5.00 missed | 5.00 missed |"
    )
    # 0.100 meets the target (<= 0.10) but not the stretch (<= 0.05)
    assert "| 0.100 target | 0.100 target | 0.100 target |" in rows["one-day increment / full refresh"]
    # make run's 3500 MB at 20M is the pipeline's peak there: over 3 GB
    assert "| 0.98 stretch | 0.98 stretch | 3.42 missed |" in rows["peak RSS of any pipeline step (GiB)"]
    # 3 + 20, 3 + 100, 3 + 480 s
    assert "| 23.0 missed | 103.0 missed | 483.0 missed |" in rows["dbt + Dagster fixed overhead per run (s)"]
    assert "| 1.00 met | 1.00 met | 1.20 met |" in rows["cost per event / cost at 5M"]
    assert "| 50.0 | 50.0 | 60.0 |" in rows["full refresh, s per million events"]
    assert "unique_fct_events_event_id 1.25" in markdown


def test_latest_summary_has_the_linearity_figure(bench_dir: Path) -> None:
    summary = report.latest_summary(report.load_runs(bench_dir))
    assert summary["20000000"]["cost_vs_5m"] == pytest.approx(1.2)
    assert summary["1000000"]["ratio_full_vs_baseline"] == pytest.approx(5.0)


def test_a_size_report_shows_the_before_column() -> None:
    run = fake_run(1_000_000, 1_000_000, 1.0)
    run["before"] = {
        "source": "old/1000000.json",
        "measured_at": "2026-11-22 09:00 UTC",
        "seconds": {"load": 40.0, "dbt_build": 25.0},
        "figures": {"ratio_full_vs_baseline": 7.03},
    }
    markdown = report.render_size(run)
    assert "| before (s) | change (s) |" in markdown
    # load: 20 s now, 40 s before: -20 s, -50%
    assert "| load to raw | 20.0 |  |  | 800 | 40.0 | -20.0 (-50%) |" in markdown
    assert "| publish the serving copy | 5.0 |  |  | 400 | – |  |" in markdown
    assert "pipeline / baseline = 5.00; before 7.03" in markdown
    assert "- dbt inside the Dagster run: full parse again (config vars, config profile, or config target" in markdown


def test_runs_written_before_step_keys_are_read_by_their_names() -> None:
    run = fake_run(1_000_000, 1_000_000, 1.0)
    for step in run["steps"]:
        del step["key"]
    run["steps"][1]["name"] = "dbt fixed overhead (parse + start-up, no model)"
    del run["events_target"], run["dagster"]
    steps = report.steps_by_key(run)
    assert steps["dbt_overhead_full_parse"]["seconds"] == 8.0
    fig = report.figures(run)
    assert fig.events_target == run["generated_events"]
    assert fig.ratio_full_vs_baseline == pytest.approx(5.0)
    assert fig.fixed_overhead_seconds is None
