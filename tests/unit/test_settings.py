"""Environment variables are read and checked in one place (orchestration/settings.py, `Environment`):
README's Configuration table lists exactly those, no other module of orchestration/ reads os.environ,
a bad value is refused naming the variable, and an empty one means the default."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.settings import (
    Environment,
    SettingsError,
    environment_variables,
    load_settings,
    read_environment,
    shown_default,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
ORCHESTRATION = REPO_ROOT / "orchestration"
# set by a run for dbt's process (orchestration/assets/dbt.py), read by a dbt macro: never by the pipeline
WRITTEN_FOR_DBT = {"ECOM_BACKFILL_START", "ECOM_BACKFILL_END"}


def configuration_tables() -> tuple[dict[str, str], dict[str, str]]:
    """({variable: default} of README's runtime table, the same of its tests-and-benchmark table)."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    tables: list[dict[str, str]] = []
    in_table = False
    for line in section.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if not in_table:
            tables.append({})
            in_table = True
        if cells[0].startswith("`"):
            names = [name.strip().strip("`") for name in cells[0].split(" / ")]
            defaults = [default.strip().strip("`") for default in cells[1].split(" / ")]
            if len(defaults) != len(names):
                defaults = defaults * len(names) if len(defaults) == 1 else defaults
            assert len(defaults) == len(names), line
            tables[-1].update(zip(names, defaults, strict=True))
    runtime, *others = [table for table in tables if table]
    return runtime, {name: default for table in others[:1] for name, default in table.items()}


def test_readme_lists_exactly_the_variables_the_settings_read_with_their_defaults() -> None:
    runtime, for_tests = configuration_tables()
    assert set(runtime) == set(environment_variables())
    assert {name: shown_default(name) for name in runtime} == runtime
    # the tests' and benchmark's own variables are kept apart, and the pipeline never reads them
    assert {"ECOM_CHROMIUM", "BENCH_EVENTS"} <= set(for_tests)
    assert not set(for_tests) & set(environment_variables())


def test_every_variable_the_tests_and_the_bench_read_is_in_their_table() -> None:
    _, for_tests = configuration_tables()
    read = set()
    for folder in ("tests", "tools"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            read |= set(re.findall(r"environ\.get\(\s*[\"']((?:ECOM|BENCH)_[A-Z_]+)[\"']", path.read_text()))
    assert read, "the scan finds the variables the tests read"
    assert read <= set(for_tests), read - set(for_tests)


def test_every_variable_the_runtime_names_is_one_the_settings_read() -> None:
    """ECOM_* named in orchestration/, and the env_var() calls of profiles.yml and the dbt project."""
    named: dict[str, str] = {}
    for path in ORCHESTRATION.rglob("*.py"):
        for name in re.findall(r"\b(ECOM_[A-Z_]*[A-Z]|DAGSTER_HOME)\b", path.read_text()):
            named.setdefault(name, str(path.relative_to(REPO_ROOT)))
    dbt_files = [REPO_ROOT / "profiles.yml", *(REPO_ROOT / "dbt_project").rglob("*.sql")]
    dbt_files += (REPO_ROOT / "dbt_project").rglob("*.yml")
    for path in dbt_files:
        if "target" in path.relative_to(REPO_ROOT).parts or "dbt_packages" in path.parts:
            continue
        for name in re.findall(r"env_var\(\s*['\"]([A-Z_]+)['\"]", path.read_text()):
            named.setdefault(name, str(path.relative_to(REPO_ROOT)))
    unread = {name: where for name, where in named.items() if name not in environment_variables()}
    assert set(unread) <= WRITTEN_FOR_DBT, unread


def environment_reads(source: str) -> list[str]:
    """Where `source` touches the process environment: os.environ, os.environb, os.getenv, os.putenv."""
    names = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}
    tree = ast.parse(source)
    os_aliases = {"os"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_aliases |= {alias.asname or alias.name for alias in node.names if alias.name == "os"}
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [f"line {node.lineno}: from os import {a.name}" for a in node.names if a.name in names]
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in names
            and isinstance(node.value, ast.Name)
            and node.value.id in os_aliases
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_the_scan_finds_every_way_of_reading_the_environment() -> None:
    assert environment_reads("import os\nx = os.environ.get('A')")
    assert environment_reads("import os\nx = os.getenv('A')")
    assert environment_reads("import os as system\nx = system.environ['A']")
    assert environment_reads("from os import environ\n")
    assert environment_reads("from os import getenv as g\n")
    assert environment_reads("import os\nx = dict(os.environ)")
    assert not environment_reads("import os\nx = os.path.join('a', 'b')")


def test_no_module_but_settings_reads_the_environment() -> None:
    offenders = {
        str(path.relative_to(REPO_ROOT)): reads
        for path in sorted(ORCHESTRATION.rglob("*.py"))
        if path != ORCHESTRATION / "settings.py" and (reads := environment_reads(path.read_text()))
    }
    assert offenders == {}, "read the environment through orchestration.settings"
    # the settings module does, so the scan looks where it should
    assert environment_reads((ORCHESTRATION / "settings.py").read_text())


def test_partitions_get_the_project_vars_through_the_settings() -> None:
    tree = ast.parse((ORCHESTRATION / "partitions.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"yaml", "pathlib"}, "no file of its own to read"
    calls = {
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }
    assert not calls & {"open", "read_text", "safe_load", "load"}


NUMBERS = {
    # variable: (lowest allowed, highest allowed or None, whole numbers only)
    "ECOM_DUCKDB_THREADS": (1, None, True),
    "ECOM_SPARK_THREADS": (1, None, True),
    "ECOM_LOCK_WAIT_SECONDS": (0, None, False),
    "ECOM_FREE_SPACE_MARGIN_MB": (0, None, False),
    "ECOM_SENSOR_SETTLE_SECONDS": (0, None, False),
    "ECOM_EVENTS_FRESHNESS_HOURS": (0, None, False),
    "ECOM_QUARANTINE_RATE_MAX": (0, 1, False),
    "ECOM_REVENUE_TOLERANCE": (0, None, False),
    "ECOM_REVENUE_MISMATCH_MAX": (0, 1, False),
    "ECOM_ROW_COUNT_MAX_DEVIATION": (0, None, False),
}
# variables whose values are names written in one case only
NAMES = {"ECOM_DBT_TARGET": ["duckdb", "serving", "spark"], "ECOM_SCHEDULE_TIMEZONE": ["UTC", "Europe/Berlin"]}


def assert_refused(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        read_environment({name: value})
    message = str(refused.value)
    assert message.startswith(f"{name}={value!r} "), message
    assert "set it to " in message and f"or unset it for {shown_default(name)}" in message, message


blank = st.text(alphabet=" \t", max_size=3)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(NUMBERS)), number=st.floats(allow_nan=False, allow_infinity=False))
def test_a_number_out_of_range_is_refused_naming_the_variable(name: str, number: float) -> None:
    lowest, highest, whole = NUMBERS[name]
    value = str(int(number)) if whole else repr(number)
    if lowest <= float(value) and (highest is None or float(value) <= highest):
        assert read_environment({name: value}).model_dump(by_alias=True)[name] == float(value)
    else:
        assert_refused(name, value)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(NUMBERS)),
    text=st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1).filter(
        lambda text: (
            text.strip() and not re.fullmatch(r"\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*", text)
        )
    ),
)
def test_what_is_no_number_is_refused_naming_the_variable(name: str, text: str) -> None:
    assert_refused(name, text)


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(NUMBERS)), digits=st.integers(10, 999), before=blank, after=blank)
def test_a_space_inside_a_number_is_refused_and_around_it_ignored(
    name: str, digits: int, before: str, after: str
) -> None:
    lowest, highest, _ = NUMBERS[name]
    split = f"{str(digits)[0]} {str(digits)[1:]}"
    assert_refused(name, before + split + after)
    if highest is None:
        assert read_environment({name: before + str(digits) + after}).model_dump(by_alias=True)[name] == digits


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(NAMES)), data=st.data())
def test_a_name_in_another_case_is_refused_saying_which_was_meant(name: str, data: st.DataObject) -> None:
    meant = data.draw(st.sampled_from(NAMES[name]))
    other_case = data.draw(
        st.sampled_from([meant.upper(), meant.lower(), meant.title(), meant.swapcase()]).filter(lambda v: v != meant)
    )
    assert read_environment({name: meant}).model_dump(by_alias=True)[name] == meant
    assert_refused(name, other_case)
    with pytest.raises(SettingsError, match=f"did you mean {re.escape(meant)}"):
        read_environment({name: other_case})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ECOM_PARTITIONS_START", "01.01.1997"),
        ("ECOM_PARTITIONS_START", "2025-1-1"),
        ("ECOM_DUCKDB_MEMORY_LIMIT", "2"),
        ("ECOM_DUCKDB_MEMORY_LIMIT", "-1GB"),
        ("ECOM_DUCKDB_MEMORY_LIMIT", "2GB'; drop table x; --"),
        ("ECOM_GENERATOR_MEMORY_LIMIT", "lots"),
        ("ECOM_SPARK_DRIVER_MEMORY", "4 g"),
        ("ECOM_SPARK_MASTER", "local [2]"),
        ("ECOM_SCHEDULE_CRON", "0 6 * *"),
        ("ECOM_SCHEDULE_CRON", "every day"),
        ("ECOM_SCHEDULE_TIMEZONE", "Europe/Berln"),
        ("ECOM_FREE_SPACE_MARGIN_MB", "nan"),
        ("ECOM_LOCK_WAIT_SECONDS", "inf"),
    ],
)
def test_other_bad_values_are_refused_naming_the_variable(name: str, value: str) -> None:
    assert_refused(name, value)


def test_every_bad_variable_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as refused:
        read_environment({"ECOM_DUCKDB_THREADS": "two", "ECOM_QUARANTINE_RATE_MAX": "-0.1"})
    assert "ECOM_DUCKDB_THREADS='two'" in str(refused.value)
    assert "ECOM_QUARANTINE_RATE_MAX='-0.1'" in str(refused.value)


@pytest.mark.parametrize("name", sorted(environment_variables()))
@pytest.mark.parametrize("empty", ["", " ", "\t "])
def test_an_empty_variable_means_its_default(name: str, empty: str) -> None:
    assert read_environment({name: empty}) == read_environment({}) == Environment()


def test_the_defaults_are_those_the_pipeline_had(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in environment_variables():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.warehouse == tmp_path / "data" / "warehouse.duckdb"
    assert settings.landing_dir == tmp_path / "data" / "landing"
    assert settings.serving_db == tmp_path / "data" / "serving.duckdb"
    assert settings.dagster_home == tmp_path / "data" / "dagster_home"
    assert settings.raw_parquet_dir == tmp_path / "data" / "raw_parquet"
    assert (settings.duckdb_memory_limit, settings.duckdb_threads, settings.lock_wait_seconds) == ("2GB", 2, 1800)
    # a warehouse elsewhere takes Dagster's history and the Parquet export with it
    monkeypatch.setenv("ECOM_WAREHOUSE", "elsewhere/wh.duckdb")
    monkeypatch.setenv("ECOM_DUCKDB_THREADS", " 3 ")
    moved = load_settings()
    assert moved.dagster_home == tmp_path / "elsewhere" / "dagster_home"
    assert moved.raw_parquet_dir == tmp_path / "elsewhere" / "raw_parquet"
    assert moved.duckdb_threads == 3


def test_a_run_with_a_bad_variable_stops_before_it_starts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestration.cli import run_pipeline

    monkeypatch.setenv("ECOM_FREE_SPACE_MARGIN_MB", "-5")
    assert run_pipeline() == 2
    assert "pipeline NOT started: ECOM_FREE_SPACE_MARGIN_MB='-5' is below 0" in capsys.readouterr().err
