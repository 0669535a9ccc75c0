"""`make bench`: the whole pipeline at BENCH_EVENTS events against a hand-written one-pass DuckDB baseline.

BENCH_EVENTS is one size or a comma list (1000000,5000000,20000000), run one
after another. Every step runs as its own process (as users run them) under a
sampler that adds up the resident memory of the whole process tree every 0.1 s.
Output per size: data/bench/<events>.json and .md; then latest.md, latest.json
and latest.png with every size measured so far in that folder side by side
(tests/benchmark/report.py, plot.py). BENCH_DIR moves them; BENCH_WORKDIR moves
the generated shop and the warehouses (default a temp dir removed at the end);
BENCH_COMPARE=old.json[,...] adds a before/after column per step to the size
each old run was measured at. BENCH_SHOP_CACHE=dir keeps each size's generated
shop there and reuses it (hard links) in later runs. The environment reaches every step unchanged
(ECOM_DUCKDB_MEMORY_LIMIT and the like); only the baseline sets its own limit.
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
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from orchestration.dbt_command import COMMAND as DBT_COMMAND
from orchestration.dbt_command import NO_ARTIFACTS, UNIT_TESTS_SKIPPED
from tests.benchmark import report
from tests.benchmark.plot import write_plot

REPO = Path(__file__).resolve().parents[2]
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
    key: str  # report.STEP_LABELS: how the report finds the step in every size
    name: str
    seconds: float
    peak_rss_mb: float
    events: int | None = None
    input_mb: float | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)


def measure(key: str, command: list[str], env: dict[str, str], stdin: str | None = None, **step_fields) -> Step:
    name = report.STEP_LABELS[key]
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
    return Step(key, name, seconds, peak / 2**20, **step_fields)


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
        "baseline",
        [sys.executable, "-c", code, str(out_db)],
        dict(os.environ),
        stdin=script,
    )


def dbt_node_seconds() -> dict[str, Any]:
    """What the last dbt build spent on models, data tests, unit tests and the rest (node seconds, summed over
    dbt's threads), and its 5 slowest data tests: those grow with the data; unit tests run on fixed rows."""
    results = json.loads((REPO / "dbt_project" / "target" / "run_results.json").read_text())["results"]
    totals = {"model": 0.0, "test": 0.0, "unit_test": 0.0, "other": 0.0}
    tests: list[tuple[str, float]] = []
    for result in results:
        kind, _package, *name = result["unique_id"].split(".")
        totals[kind if kind in totals else "other"] += result["execution_time"]
        if kind == "test":
            tests.append((name[0], result["execution_time"]))  # test.<package>.<name>.<hash>
    return {
        "models_seconds": round(totals["model"], 2),
        "tests_seconds": round(totals["test"], 2),
        "unit_tests_seconds": round(totals["unit_test"], 2),
        "other_seconds": round(totals["other"], 2),
        "slowest_tests": [(name, round(seconds, 2)) for name, seconds in sorted(tests, key=lambda t: -t[1])[:5]],
    }


# The Dagster steps that do what the bench's own load, dbt build and publish steps do.
DAGSTER_PIPELINE_STEPS = ("load_landing", "dbt_models", "serving__serving_db")


def dagster_overhead(dagster_home: Path, run_seconds: float) -> dict[str, Any]:
    """make run's seconds beyond its own load + dbt build + publish steps, from the run's step stats.

    The remainder splits into Dagster's other steps (checks, the KPI report), time inside the run outside
    any step, and time outside the run (imports, loading the definitions, opening the instance)."""
    import dagster as dg  # only here: the bench's other steps do not pay for importing it

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run_id = instance.get_runs(limit=1)[0].run_id
        run_stats = instance.get_run_stats(run_id)
        step_seconds = {
            stats.step_key: stats.end_time - stats.start_time for stats in instance.get_run_step_stats(run_id)
        }
    missing = [key for key in DAGSTER_PIPELINE_STEPS if key not in step_seconds]
    if missing:
        print(f"[bench] Dagster run {run_id} has no step {missing}: counted as 0 s", file=sys.stderr)
    pipeline = sum(step_seconds.get(key, 0.0) for key in DAGSTER_PIPELINE_STEPS)
    in_run = run_stats.end_time - run_stats.start_time
    return {
        "run_id": run_id,
        "run_seconds": round(run_seconds, 2),
        "pipeline_step_seconds": round(pipeline, 2),
        "overhead_seconds": round(run_seconds - pipeline, 2),
        "other_step_seconds": round(sum(step_seconds.values()) - pipeline, 2),
        "outside_steps_seconds": round(run_seconds - sum(step_seconds.values()), 2),
        "outside_run_seconds": round(run_seconds - in_run, 2),
        "step_seconds": {key: round(seconds, 2) for key, seconds in step_seconds.items()},
        "dbt_full_reparse_reasons": dbt_reparse_reasons(run_id),
    }


def dbt_reparse_reasons(run_id: str) -> list[str]:
    """Why the dbt invocation inside a Dagster run parsed the whole project again (empty: it did a partial parse).

    dagster-dbt runs dbt in target/<op>-<run id[:7]>-<hash>/ and dbt logs the reason there (event I024)."""
    reasons = []
    for log in (REPO / "dbt_project" / "target").glob(f"*-{run_id[:7]}-*/dbt.log"):
        for line in log.read_text().splitlines():
            if '"code": "I024"' in line:
                reasons.append(json.loads(line)["data"]["reason"])
    return reasons


def passed_settings() -> dict[str, str]:
    """The ECOM_ settings the caller passed (memory limit, threads, ...), minus the paths the bench sets itself."""
    own = {"ECOM_LANDING_DIR", "ECOM_WAREHOUSE", "ECOM_SERVING_DB"}
    return {name: value for name, value in os.environ.items() if name.startswith("ECOM_") and name not in own}


def parse_sizes(text: str | None) -> list[int]:
    """BENCH_EVENTS: one size or a comma list ("1000000,5000000"; underscores allowed)."""
    sizes = [int(part.strip().replace("_", "")) for part in (text or "1000000").split(",") if part.strip()]
    if not sizes or min(sizes) <= 0:
        raise SystemExit(f"[bench] BENCH_EVENTS={text!r}: give event counts, for example 1000000,5000000")
    return sizes


def before_figures(path: Path, old: report.Run) -> dict[str, Any]:
    """What a size's report shows of an older run at that size (BENCH_COMPARE)."""
    steps = report.steps_by_key(old)
    return {
        "source": str(path),
        "measured_at": old.get("measured_at"),
        "seconds": {key: step["seconds"] for key, step in steps.items()},
        "peak_rss_mb": {key: step["peak_rss_mb"] for key, step in steps.items()},
        "figures": asdict(report.figures(old)),
    }


def comparisons(text: str | None) -> dict[int, dict[str, Any]]:
    """BENCH_COMPARE=old.json[,old2.json]: the before figures per size they were measured at."""
    found = {}
    for part in (text or "").split(","):
        if part.strip():
            path = Path(part.strip())
            old = json.loads(path.read_text())
            found[report.events_target(old)] = before_figures(path, old)
    return found


def before_for(size: int, found: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    """The older run for this size: the same BENCH_EVENTS, or (runs without it) generated events within 5%."""
    if size in found:
        return found[size]
    return next((before for target, before in found.items() if abs(target - size) <= 0.05 * size), None)


@dataclass
class Paths:
    """One size's files in the work dir, removed before each size (the landing of 20M events is ~11 GB)."""

    work: Path

    def __post_init__(self) -> None:
        self.landing, self.increment = self.work / "landing", self.work / "increment"
        self.warehouse, self.serving = self.work / "warehouse.duckdb", self.work / "serving.duckdb"
        self.dagster_home, self.baseline = self.work / "dagster_home", self.work / "baseline.duckdb"
        self.fresh = self.work / "fresh"

    def clear(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        for path in (self.landing, self.increment, self.warehouse, self.serving, self.dagster_home, self.baseline):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        shutil.rmtree(self.fresh, ignore_errors=True)


def pipeline_env(paths: Paths) -> dict[str, str]:
    # only paths: memory and thread settings come from the caller's environment, as in `make run`
    return dict(
        os.environ,
        ECOM_LANDING_DIR=str(paths.landing),
        ECOM_WAREHOUSE=str(paths.warehouse),
        ECOM_SERVING_DB=str(paths.serving),
        DAGSTER_HOME=str(paths.dagster_home),
        DBT_USE_COLORS="false",
    )


# dbt as the pipeline runs it (orchestration/dbt_command.py: one saved parse for any warehouse path)
DBT = [*DBT_COMMAND, "--no-use-colors"]
DBT_DIRS = ["--project-dir", str(REPO / "dbt_project"), "--profiles-dir", str(REPO)]
NOTHING = ["--select", "nothing_selected_on_purpose"]
# the builds a pipeline run makes: dbt's unit tests are skipped (orchestration/assets/dbt.py)
BUILD = [*DBT, "build", *UNIT_TESTS_SKIPPED]


def generate(size: int, paths: Paths, env: dict[str, str]) -> Step:
    """The sample shop of `size` events in paths.landing. With BENCH_SHOP_CACHE set, a shop generated for
    this size before (folder events-<size> there) is hard-linked instead (the loader only reads files):
    the 20M shop takes ~20 minutes to generate, the same every time."""
    cache = os.environ.get("BENCH_SHOP_CACHE")
    cached = Path(cache) / f"events-{size}" if cache else None
    if cached is not None and (cached / "_generator_manifest.json").exists():
        shutil.copytree(cached, paths.landing, copy_function=os.link)
        step = Step(
            "generate", report.STEP_LABELS["generate"] + " (cached)", 0.0, 0.0, note=f"hard-linked from {cached}"
        )
    else:
        visitors = max(100, round(size / EVENTS_PER_VISITOR))
        out = cached or paths.landing
        command = [sys.executable, "-m", "tools.sample_shop", "--out", str(out)]
        command += ["--days", str(DAYS), "--visitors", str(visitors), "--seed", "7", "--end-date", END_DATE]
        step = measure("generate", command, env)
        if cached is not None:
            shutil.copytree(cached, paths.landing, copy_function=os.link)
    step.events, step.input_mb = landed_event_count(paths.landing), folder_mb(paths.landing)
    return step


def dbt_overheads(env: dict[str, str]) -> list[Step]:
    """dbt's start-up as a run pays it (partial parse over `make prepare`'s manifest, no JSON artifacts as in
    orchestration/assets/dbt.py), and a full parse as extra."""
    return [
        measure(
            "dbt_overhead_full_parse", [*DBT, "build", "--no-partial-parse", *NO_ARTIFACTS, *NOTHING, *DBT_DIRS], env
        ),
        # as after `make prepare`: any warehouse path shares the saved parse (orchestration/dbt_command.py)
        measure("dbt_parse", [*DBT, "parse", "--quiet", *DBT_DIRS], env),
        measure("dbt_overhead", [*DBT, "build", *NO_ARTIFACTS, *NOTHING, *DBT_DIRS], env),
    ]


def publish_command() -> list[str]:
    code = (
        "from orchestration.assets.serving import publish_serving_copy; from orchestration.project import dbt_project;"
        "from orchestration.settings import load_settings; s = load_settings();"
        "publish_serving_copy(s.warehouse, s.serving_db, dbt_project.manifest_path, 'bench')"
    )
    return [sys.executable, "-c", code]


def make_run(paths: Paths, env: dict[str, str], events: int) -> tuple[list[Step], dict[str, Any]]:
    """make run's command on a fresh warehouse over every file (load, dbt build, publish, checks through Dagster)."""
    paths.fresh.mkdir()
    run_env = dict(
        env,
        ECOM_WAREHOUSE=str(paths.fresh / "warehouse.duckdb"),
        ECOM_SERVING_DB=str(paths.fresh / "serving.duckdb"),
        DAGSTER_HOME=str(paths.fresh / "dagster_home"),
    )
    # `make run` runs `make prepare` first; with dbt_command.py a warehouse at a new path reuses the saved
    # parse, so this is a partial parse (dbt reparses everything only when the profile's settings change)
    prepare = measure("run_prepare", [*DBT, "parse", "--quiet", *DBT_DIRS], run_env)
    command = [sys.executable, "-m", "orchestration.cli", "run"]
    step = measure("make_run", command, run_env, events=events, input_mb=folder_mb(paths.landing))
    return [prepare, step], dagster_overhead(paths.fresh / "dagster_home", step.seconds)


def run_size(size: int, paths: Paths) -> report.Run:
    """Every step at one size, as the README describes; the figures as one JSON-ready dict."""
    paths.clear()
    env = pipeline_env(paths)
    generation = generate(size, paths, env)
    hold_back_last_day(paths.landing, paths.increment)
    input_mb = folder_mb(paths.landing)
    overheads = dbt_overheads(env)

    load_time = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    load = measure("load", [sys.executable, "-m", "orchestration.loading"], env, input_mb=input_mb)
    build = measure("dbt_build", [*BUILD, "--full-refresh", *DBT_DIRS], env, input_mb=input_mb)
    full_refresh_models, full_refresh_nodes = model_seconds(), dbt_node_seconds()
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        # the events of the full refresh: the generated ones minus the held-back day
        full_events = con.execute("select count(*) from staging.stg_tracking__events").fetchone()[0]
    load.events = build.events = full_events
    publish = measure("publish", publish_command(), env)

    baseline = run_baseline(paths.landing, load_time, paths.baseline)
    baseline.events, baseline.input_mb = full_events, input_mb
    with duckdb.connect(str(paths.baseline), read_only=True) as con:
        problems = compare_with_kpi_daily(con, paths.warehouse)
    print(f"[bench] cross-check baseline vs kpi_daily: {'equal' if not problems else 'DIFFERENT'}", file=sys.stderr)
    for problem in problems[:10]:
        print(f"[bench]   {problem}", file=sys.stderr)

    increment_mb = folder_mb(paths.increment)
    deliver(paths.increment, paths.landing)
    inc_load = measure("inc_load", [sys.executable, "-m", "orchestration.loading"], env, input_mb=increment_mb)
    inc_build = measure("inc_build", [*BUILD, *DBT_DIRS], env, input_mb=increment_mb)
    incremental_models = model_seconds()
    run_steps, dagster = make_run(paths, env, generation.events)

    steps = [generation, *overheads, load, build, publish, baseline, inc_load, inc_build, *run_steps]
    return {
        "events_target": size,
        "events": full_events,
        "generated_events": generation.events,
        "increment_events": generation.events - full_events,
        "input_mb": round(input_mb, 1),
        "warehouse_mb": round(paths.warehouse.stat().st_size / 2**20, 1),
        "serving_mb": round(paths.serving.stat().st_size / 2**20, 1),
        "baseline_equals_kpi_daily": not problems,
        "baseline_differences": problems[:20],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"duckdb {duckdb.__version__}",
        "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "settings": passed_settings(),
        "steps": [asdict(s) for s in steps],
        "dagster": dagster,
        "dbt_full_refresh": full_refresh_nodes,
        "dbt_model_seconds_full_refresh": full_refresh_models,
        "dbt_model_seconds_incremental": incremental_models,
    }


def write_size(run: report.Run, out_dir: Path) -> str:
    """<events>.json (the figures, with the targets' ratios for a quick look) and <events>.md; returns the Markdown."""
    run = {**run, "figures": asdict(report.figures(run))}
    markdown = report.render_size(run)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{run['events_target']}.json").write_text(json.dumps(run, indent=2, default=str) + "\n")
    (out_dir / f"{run['events_target']}.md").write_text(markdown + "\n")
    return markdown


def write_latest(out_dir: Path) -> None:
    """latest.md, latest.json and latest.png from every size measured so far in out_dir."""
    runs = report.load_runs(out_dir)
    (out_dir / "latest.md").write_text(report.render_latest(runs) + "\n")
    (out_dir / "latest.json").write_text(json.dumps(report.latest_summary(runs), indent=2) + "\n")
    plotted = write_plot(runs, out_dir / "latest.png")
    print(f"[bench] written: {out_dir / 'latest.md'}{', latest.png' if plotted else ''}", file=sys.stderr)


def main() -> int:
    sizes = parse_sizes(os.environ.get("BENCH_EVENTS"))
    out_dir = Path(os.environ.get("BENCH_DIR") or REPO / "data" / "bench")
    before = comparisons(os.environ.get("BENCH_COMPARE"))
    keep = bool(os.environ.get("BENCH_WORKDIR"))
    paths = Paths(Path(os.environ.get("BENCH_WORKDIR") or tempfile.mkdtemp(prefix="ecom-bench-")))
    all_equal = True
    try:
        for size in sizes:
            run = run_size(size, paths)
            if (old := before_for(size, before)) is not None:
                run["before"] = old
            print(write_size(run, out_dir) + "\n")
            # after every size, so a later size that fails leaves the report of those measured
            write_latest(out_dir)
            all_equal = all_equal and run["baseline_equals_kpi_daily"]
    finally:
        if not keep:
            shutil.rmtree(paths.work, ignore_errors=True)
    return 0 if all_equal else 1


if __name__ == "__main__":
    raise SystemExit(main())
