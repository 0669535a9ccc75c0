"""`make bench`: the whole pipeline at BENCH_EVENTS events against a hand-written one-pass DuckDB baseline.

Every step runs as its own process (as users run them) under a sampler that
adds up the resident memory of the whole process tree every 0.1 s. Output: a
Markdown table on stdout and in data/bench/latest.md, the figures in
data/bench/latest.json (BENCH_DIR moves both; BENCH_WORKDIR moves the
generated shop and the warehouses, default a temp dir removed at the end).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EVENTS_PER_VISITOR = 8.25  # the generator's average, measured: 49,534 events from 6,000 visitors
DAYS = 90
END_DATE = "2026-10-31"


def rss_of_tree(root: int) -> int:
    """Resident bytes of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


@dataclass
class Step:
    name: str
    seconds: float
    peak_rss_mb: float
    events: int | None = None
    input_mb: float | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)


def measure(name: str, command: list[str], env: dict[str, str], stdin: str | None = None, **step_fields) -> Step:
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE if stdin is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_of_tree(process.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate(stdin)
    done.set()
    sampler.join()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"[bench] {name} failed (exit {process.returncode}):\n{stdout[-3000:]}\n{stderr[-3000:]}")
    print(f"[bench] {name}: {seconds:.1f} s, peak RSS {peak / 2**20:,.0f} MB", file=sys.stderr, flush=True)
    return Step(name, seconds, peak / 2**20, **step_fields)


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def landed_event_count(landing: Path) -> int:
    manifest = json.loads((landing / "_generator_manifest.json").read_text())
    return int(manifest["events"])


def hold_back_last_day(landing: Path, increment: Path) -> str:
    """Moves the last day's partition folders out of the landing dir: the one-day increment."""
    last = f"date={END_DATE}"
    for folder in landing.glob(f"*/{last}"):
        target = increment / folder.parent.name / last
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(folder), str(target))
    return last


def deliver(increment: Path, landing: Path) -> None:
    for folder in increment.glob("*/*"):
        shutil.move(str(folder), str(landing / folder.parent.name / folder.name))


def model_seconds() -> dict[str, float]:
    """Seconds per model of the last dbt invocation (dbt_project/target/run_results.json)."""
    results = json.loads((REPO / "dbt_project" / "target" / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[-1]: round(r["execution_time"], 2)
        for r in results
        if r["unique_id"].startswith("model.")
    }


def compare_with_kpi_daily(baseline: duckdb.DuckDBPyConnection, warehouse: Path) -> list[str]:
    """Differences between the baseline's daily figures and marts.kpi_daily (empty when equal)."""
    mine = {
        row[0]: row[1:]
        for row in baseline.execute(
            "select date_day, sessions, bounce_rate, conversion_rate, gmv, net_sales from baseline_daily"
        ).fetchall()
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        theirs = {
            row[0]: row[1:]
            for row in con.execute(
                "select date_day, sessions, bounce_rate, conversion_rate, gmv, net_sales from marts.kpi_daily"
            ).fetchall()
        }
    problems = []
    for day in sorted(set(mine) | set(theirs)):
        a, b = mine.get(day), theirs.get(day)
        if a is None or b is None:
            # kpi_daily also has days with only refunds or spend: fine when they hold no sessions or orders
            row = a or b
            if row[0] or row[3] or row[4]:
                problems.append(f"{day}: only in {'baseline' if b is None else 'kpi_daily'}: {row}")
            continue
        sessions_a, bounce_a, conv_a, gmv_a, net_a = a
        sessions_b, bounce_b, conv_b, gmv_b, net_b = b
        same = (
            sessions_a == sessions_b
            and (bounce_a is None) == (bounce_b is None)
            and abs((bounce_a or 0) - (bounce_b or 0)) < 1e-9
            and abs((conv_a or 0) - (conv_b or 0)) < 1e-9
            and Decimal(str(gmv_a)) == Decimal(str(gmv_b))
            and Decimal(str(net_a)) == Decimal(str(net_b))
        )
        if not same:
            problems.append(f"{day}: baseline {a} vs kpi_daily {b}")
    return problems


def run_baseline(landing: Path, load_time: dt.datetime, out_db: Path) -> Step:
    sql = (REPO / "tests" / "benchmark" / "baseline.sql").read_text()
    script = sql.format(landing=landing, seeds=REPO / "seeds", load_time=load_time.strftime("%Y-%m-%d %H:%M:%S"))
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
        'con.execute("set memory_limit = \'4GB\'"); con.execute("set threads = 2"); con.execute(sys.stdin.read())'
    )
    return measure(
        "baseline: one hand-written DuckDB script",
        [sys.executable, "-c", code, str(out_db)],
        dict(os.environ),
        stdin=script,
    )


def main() -> int:
    events_target = int(os.environ.get("BENCH_EVENTS") or 1_000_000)
    out_dir = Path(os.environ.get("BENCH_DIR") or REPO / "data" / "bench")
    keep = bool(os.environ.get("BENCH_WORKDIR"))
    work = Path(os.environ.get("BENCH_WORKDIR") or tempfile.mkdtemp(prefix="ecom-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    landing, increment = work / "landing", work / "increment"
    warehouse, serving = work / "warehouse.duckdb", work / "serving.duckdb"
    for path in (landing, increment, warehouse, serving, work / "dagster_home"):
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    env = dict(
        os.environ,
        ECOM_LANDING_DIR=str(landing),
        ECOM_WAREHOUSE=str(warehouse),
        ECOM_SERVING_DB=str(serving),
        DAGSTER_HOME=str(work / "dagster_home"),
        DBT_USE_COLORS="false",
    )
    dbt = [str(BIN / "dbt"), "--no-use-colors"]
    dbt_dirs = ["--project-dir", str(REPO / "dbt_project"), "--profiles-dir", str(REPO)]
    steps: list[Step] = []

    visitors = max(100, round(events_target / EVENTS_PER_VISITOR))
    generation = measure(
        "generate the sample shop",
        [
            sys.executable,
            "-m",
            "orchestration.sample_shop",
            "--out",
            str(landing),
            "--days",
            str(DAYS),
            "--visitors",
            str(visitors),
            "--seed",
            "7",
            "--end-date",
            END_DATE,
        ],
        env,
    )
    events = landed_event_count(landing)
    generation.events = events
    generation.input_mb = folder_mb(landing)
    steps.append(generation)
    hold_back_last_day(landing, increment)
    input_mb = folder_mb(landing)

    overhead = measure(
        "dbt fixed overhead (parse + start-up, no model)",
        [*dbt, "build", "--no-partial-parse", "--select", "nothing_selected_on_purpose", *dbt_dirs],
        env,
    )
    steps.append(overhead)

    load_time = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    load = measure(
        "load to raw", [sys.executable, "-m", "orchestration.loading"], env, events=events, input_mb=input_mb
    )
    build = measure(
        "dbt build --full-refresh", [*dbt, "build", "--full-refresh", *dbt_dirs], env, events=events, input_mb=input_mb
    )
    full_refresh_models = model_seconds()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # the events of the full refresh: the generated ones minus the held-back day
        full_events = con.execute("select count(*) from staging.stg_tracking__events").fetchone()[0]
    load.events = build.events = full_events
    publish = measure(
        "publish the serving copy",
        [
            sys.executable,
            "-c",
            "from orchestration.assets.serving import publish_serving_copy; from orchestration.project import dbt_project;"
            "from orchestration.settings import load_settings; s = load_settings();"
            "publish_serving_copy(s.warehouse, s.serving_db, dbt_project.manifest_path, 'bench')",
        ],
        env,
    )
    steps += [load, build, publish]

    baseline_db = work / "baseline.duckdb"
    baseline_db.unlink(missing_ok=True)
    baseline = run_baseline(landing, load_time, baseline_db)
    baseline.events, baseline.input_mb = full_events, input_mb
    steps.append(baseline)
    with duckdb.connect(str(baseline_db), read_only=True) as con:
        problems = compare_with_kpi_daily(con, warehouse)
    print(f"[bench] cross-check baseline vs kpi_daily: {'equal' if not problems else 'DIFFERENT'}", file=sys.stderr)
    for problem in problems[:10]:
        print(f"[bench]   {problem}", file=sys.stderr)

    increment_mb = folder_mb(increment)
    deliver(increment, landing)
    inc_load = measure(
        "incremental: load the one-day increment",
        [sys.executable, "-m", "orchestration.loading"],
        env,
        input_mb=increment_mb,
    )
    inc_build = measure("incremental: dbt build", [*dbt, "build", *dbt_dirs], env, input_mb=increment_mb)
    steps += [inc_load, inc_build]
    incremental_models = model_seconds()

    # make run's command on a fresh warehouse over every file: load, dbt build, publish, checks through Dagster
    fresh = work / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    run_env = dict(
        env,
        ECOM_WAREHOUSE=str(fresh / "warehouse.duckdb"),
        ECOM_SERVING_DB=str(fresh / "serving.duckdb"),
        DAGSTER_HOME=str(fresh / "dagster_home"),
    )
    end_to_end = measure(
        "make run end to end through Dagster (fresh warehouse)",
        [sys.executable, "-m", "orchestration.cli", "run"],
        run_env,
        events=events,
        input_mb=folder_mb(landing),
    )
    steps.append(end_to_end)

    full_seconds = load.seconds + build.seconds + publish.seconds
    incremental_seconds = inc_load.seconds + inc_build.seconds
    result = {
        "events": full_events,
        "generated_events": events,
        "increment_events": events - full_events,
        "input_mb": round(input_mb, 1),
        "baseline_seconds": round(baseline.seconds, 2),
        "full_refresh_seconds": round(full_seconds, 2),
        "ratio_full_vs_baseline": round(full_seconds / baseline.seconds, 2),
        "incremental_seconds": round(incremental_seconds, 2),
        "ratio_incremental_vs_full": round(incremental_seconds / full_seconds, 3),
        "peak_rss_mb": round(max(s.peak_rss_mb for s in steps), 0),
        "dbt_overhead_seconds": round(overhead.seconds, 2),
        "events_per_second": round(full_events / full_seconds, 0),
        "end_to_end_make_run_seconds": round(end_to_end.seconds, 2),
        "warehouse_mb": round(warehouse.stat().st_size / 2**20, 1),
        "serving_mb": round(serving.stat().st_size / 2**20, 1),
        "baseline_equals_kpi_daily": not problems,
        "baseline_differences": problems[:20],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"duckdb {duckdb.__version__}",
        "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "steps": [s.__dict__ for s in steps],
        "dbt_model_seconds_full_refresh": full_refresh_models,
        "dbt_model_seconds_incremental": incremental_models,
    }
    lines = [
        f"### Benchmark: {full_events:,} events in the full refresh ({input_mb:,.0f} MB landed) "
        f"+ {events - full_events:,} in the one-day increment; {result['machine']}",
        "",
        "| step | seconds | events/s | MB/s | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for s in steps:
        eps = f"{s.events / s.seconds:,.0f}" if s.events else ""
        mbps = f"{s.input_mb / s.seconds:,.1f}" if s.input_mb else ""
        lines.append(f"| {s.name} | {s.seconds:,.1f} | {eps} | {mbps} | {s.peak_rss_mb:,.0f} |")
    lines += [
        "",
        f"- full refresh (load + dbt build + publish): {full_seconds:,.1f} s, "
        f"{result['events_per_second']:,.0f} events/s; baseline {baseline.seconds:,.1f} s; "
        f"pipeline / baseline = {result['ratio_full_vs_baseline']}",
        f"- incremental (one-day increment: load + dbt build): {incremental_seconds:,.1f} s; "
        f"incremental / full = {result['ratio_incremental_vs_full']}",
        f"- dbt fixed overhead (parse + start-up): {overhead.seconds:,.1f} s per invocation",
        f"- warehouse {result['warehouse_mb']:,.1f} MB, serving file {result['serving_mb']:,.1f} MB",
        "- slowest models, full refresh / incremental (s): "
        + ", ".join(
            f"{name} {seconds:.1f} / {incremental_models.get(name, 0):.1f}"
            for name, seconds in sorted(full_refresh_models.items(), key=lambda item: -item[1])[:6]
        ),
        f"- baseline daily sessions, bounce rate, conversion rate, GMV, net sales = kpi_daily: "
        f"{'yes' if not problems else 'NO (' + str(len(problems)) + ' days differ)'}",
    ]
    markdown = "\n".join(lines)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.md").write_text(markdown + "\n")
    (out_dir / "latest.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(markdown)
    print(f"\n[bench] written to {out_dir / 'latest.md'} and {out_dir / 'latest.json'}", file=sys.stderr)
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
