"""Every environment variable the project reads, read and checked in one place.

`read_environment()` reads each variable of `Environment` (the README's Configuration table lists
the same ones; tests/unit/test_settings.py checks both, and that no other module of orchestration/
touches os.environ). An empty or blank value means unset: the default. A bad value is refused with a
SettingsError naming the variable, the value and what to set, before anything runs. dbt reads some
of them itself (profiles.yml: ECOM_DBT_TARGET, ECOM_SPARK_*): they are checked here all the same, so
`make run` refuses a bad one before dbt starts. ECOM_BACKFILL_START/END are no setting: a run writes
them for dbt (subprocess_environment), and only dbt reads them.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import json
import math
import os
import re
import sys
import zoneinfo
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
PROFILES_DIR = REPO_ROOT


class SettingsError(ValueError):
    """A setting is unknown or has a bad value; the message names it and what is allowed."""


class _Invalid(ValueError):
    """Raised by a checker: what is wrong with the value (the caller adds name and source)."""


# ---------------------------------------------------------------------------
# Environment variables. Each checker gets the value as set (never blank) and returns
# the typed value, or raises _Invalid saying what is wrong ("is not a number").
# ---------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
# DuckDB's memory_limit: a number and a unit (1000^i or 1024^i bytes), or a share of the RAM
_DUCKDB_MEMORY = re.compile(r"([0-9]+(\.[0-9]+)?|\.[0-9]+) ?(b|bytes|kb|mb|gb|tb|kib|mib|gib|tib|%)", re.IGNORECASE)
# the JVM's memory sizes, as spark.driver.memory takes them: 4g, 512m, 4096 (MB)
_JVM_MEMORY = re.compile(r"[0-9]+([kmgtp]b?)?", re.IGNORECASE)


def _number(minimum: float, maximum: float | None = None, whole: bool = False) -> Callable[[str], float | int]:
    def check(value: str) -> float | int:
        text = value.strip()
        if not (_WHOLE_NUMBER if whole else _NUMBER).fullmatch(text):
            raise _Invalid("is not a whole number" if whole else "is not a number")
        number = int(text) if whole else float(text)
        if not math.isfinite(number):
            raise _Invalid("is not a finite number")
        if number < minimum:
            raise _Invalid(f"is below {minimum:g}")
        if maximum is not None and number > maximum:
            raise _Invalid(f"is above {maximum:g}")
        return number

    return check


def _path(value: str) -> Path:
    # Relative paths are taken from the directory the command runs in (the repository root for
    # every make target), then made absolute because dbt runs in its own process with
    # dbt_project/ as its working directory.
    return Path(value).expanduser().resolve()


def _text(value: str) -> str:
    return value


def _duckdb_memory(value: str) -> str:
    text = value.strip()
    match = _DUCKDB_MEMORY.fullmatch(text)
    if not match or not float(match.group(1)) > 0:
        raise _Invalid("is no DuckDB memory limit")
    return text


def _jvm_memory(value: str) -> str:
    text = value.strip()
    if not _JVM_MEMORY.fullmatch(text) or not int(re.match(r"[0-9]+", text).group()) > 0:
        raise _Invalid("is no JVM memory size")
    return text


def _name(value: str) -> str:
    text = value.strip()
    if not re.fullmatch(r"\S+", text):
        raise _Invalid("holds a space")
    return text


def _day(value: str) -> str:
    text = value.strip()
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise _Invalid("is no day") from None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise _Invalid("is no day")
    return text


def _schedule_time_zone(value: str) -> str:
    text = value.strip()
    if text not in _time_zone_names():
        same = [name for name in sorted(_time_zone_names()) if name.lower() == text.lower()]
        close = same or difflib.get_close_matches(text, sorted(_time_zone_names()), n=1, cutoff=0.6)
        raise _Invalid("is no IANA time zone" + (f" (did you mean {close[0]}?)" if close else ""))
    return text


def _cron(value: str) -> str:
    text = value.strip()
    import dagster as dg

    try:
        dg.ScheduleDefinition(name="check", cron_schedule=text, job_name="check")
    except dg.DagsterInvalidDefinitionError:
        raise _Invalid("is no cron schedule Dagster takes") from None
    return text


@cache
def dbt_targets() -> tuple[str, ...]:
    """The outputs of profiles.yml, the targets ECOM_DBT_TARGET may name."""
    profiles = yaml.safe_load((PROFILES_DIR / "profiles.yml").read_text())
    return tuple(profiles["ecom"]["outputs"])


def _dbt_target(value: str) -> str:
    text = value.strip()
    if text not in dbt_targets():
        close = difflib.get_close_matches(text.lower(), dbt_targets(), n=1, cutoff=0.6)
        raise _Invalid("is no target of profiles.yml" + (f" (did you mean {close[0]}?)" if close else ""))
    return text


def _checked_by(checker: Callable[[str], Any]) -> BeforeValidator:
    def validate(value: Any) -> Any:
        return checker(value) if isinstance(value, str) else value

    return BeforeValidator(validate)


_WHOLE_ABOVE_ZERO = _checked_by(_number(1, whole=True))
_NOT_NEGATIVE = _checked_by(_number(0))
_SHARE = _checked_by(_number(0, 1))


class Environment(BaseModel):
    """Every environment variable the project reads (README, Configuration), checked.

    Fields are named after their variable (alias); read them with read_environment()."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    landing_dir: Annotated[Path, _checked_by(_path)] = Field(
        Path("data/landing"), alias="ECOM_LANDING_DIR", description="a folder"
    )
    warehouse: Annotated[Path, _checked_by(_path)] = Field(
        Path("data/warehouse.duckdb"), alias="ECOM_WAREHOUSE", description="a file path"
    )
    serving_db: Annotated[Path, _checked_by(_path)] = Field(
        Path("data/serving.duckdb"), alias="ECOM_SERVING_DB", description="a file path"
    )
    # None: beside the warehouse (Settings)
    dagster_home: Annotated[Path | None, _checked_by(_path)] = Field(None, alias="DAGSTER_HOME", description="a folder")
    raw_parquet_dir: Annotated[Path | None, _checked_by(_path)] = Field(
        None, alias="ECOM_RAW_PARQUET_DIR", description="a folder"
    )
    duckdb_memory_limit: Annotated[str, _checked_by(_duckdb_memory)] = Field(
        "2GB", alias="ECOM_DUCKDB_MEMORY_LIMIT", description="a size above 0 with a unit, e.g. 2GB, 700MB or 50%"
    )
    duckdb_threads: Annotated[int, _WHOLE_ABOVE_ZERO] = Field(
        2, alias="ECOM_DUCKDB_THREADS", description="a whole number above 0, e.g. 2"
    )
    lock_wait_seconds: Annotated[float, _NOT_NEGATIVE] = Field(
        1800.0, alias="ECOM_LOCK_WAIT_SECONDS", description="a number of seconds, 0 or more"
    )
    free_space_margin_mb: Annotated[float, _NOT_NEGATIVE] = Field(
        100.0, alias="ECOM_FREE_SPACE_MARGIN_MB", description="a number of MB, 0 or more"
    )
    generator_memory_limit: Annotated[str, _checked_by(_duckdb_memory)] = Field(
        "1GB", alias="ECOM_GENERATOR_MEMORY_LIMIT", description="a size above 0 with a unit, e.g. 1GB or 500MB"
    )
    sensor_settle_seconds: Annotated[float, _NOT_NEGATIVE] = Field(
        10.0, alias="ECOM_SENSOR_SETTLE_SECONDS", description="a number of seconds, 0 or more"
    )
    schedule_cron: Annotated[str, _checked_by(_cron)] = Field(
        "0 6 * * *", alias="ECOM_SCHEDULE_CRON", description="a cron schedule of 5 fields, e.g. 0 6 * * *"
    )
    schedule_timezone: Annotated[str, _checked_by(_schedule_time_zone)] = Field(
        "UTC", alias="ECOM_SCHEDULE_TIMEZONE", description="an IANA time zone name, e.g. UTC or Europe/Berlin"
    )
    partitions_start: Annotated[str, _checked_by(_day)] = Field(
        "2025-01-01",
        alias="ECOM_PARTITIONS_START",
        description="YYYY-MM-DD (for example the day of your first order)",
    )
    # the shop settings' sources, as written: load_shop_settings() reads and checks what they hold
    config: Annotated[str | None, _checked_by(_text)] = Field(
        None, alias="ECOM_CONFIG", description="the path of a YAML file of shop settings"
    )
    dbt_vars: Annotated[str | None, _checked_by(_text)] = Field(
        None, alias="ECOM_DBT_VARS", description="shop settings as inline YAML or JSON"
    )
    dbt_target: Annotated[str, _checked_by(_dbt_target)] = Field(
        "duckdb", alias="ECOM_DBT_TARGET", description="a target of profiles.yml: duckdb, serving or spark"
    )
    # the `spark` dbt target (profiles.yml reads them; checked here)
    spark_master: Annotated[str, _checked_by(_name)] = Field(
        "local[2]", alias="ECOM_SPARK_MASTER", description="a Spark master URL, e.g. local[2]"
    )
    spark_driver_memory: Annotated[str, _checked_by(_jvm_memory)] = Field(
        "4g", alias="ECOM_SPARK_DRIVER_MEMORY", description="a JVM memory size above 0, e.g. 4g or 512m"
    )
    spark_threads: Annotated[int, _WHOLE_ABOVE_ZERO] = Field(
        2, alias="ECOM_SPARK_THREADS", description="a whole number above 0, e.g. 2"
    )
    spark_dir: Annotated[Path, _checked_by(Path)] = Field(
        Path("data/spark"), alias="ECOM_SPARK_DIR", description="a folder"
    )
    # thresholds of the asset checks (orchestration/checks.py)
    events_freshness_hours: Annotated[float, _NOT_NEGATIVE] = Field(
        36.0, alias="ECOM_EVENTS_FRESHNESS_HOURS", description="a number of hours, 0 or more"
    )
    quarantine_rate_max: Annotated[float, _SHARE] = Field(
        0.02, alias="ECOM_QUARANTINE_RATE_MAX", description="a share from 0 to 1, e.g. 0.02"
    )
    revenue_tolerance: Annotated[float, _NOT_NEGATIVE] = Field(
        0.01, alias="ECOM_REVENUE_TOLERANCE", description="a relative difference, 0 or more, e.g. 0.01"
    )
    revenue_mismatch_max: Annotated[float, _SHARE] = Field(
        0.01, alias="ECOM_REVENUE_MISMATCH_MAX", description="a share from 0 to 1, e.g. 0.01"
    )
    row_count_max_deviation: Annotated[float, _NOT_NEGATIVE] = Field(
        0.5, alias="ECOM_ROW_COUNT_MAX_DEVIATION", description="a relative deviation, 0 or more, e.g. 0.5"
    )


# the default of a variable whose default is no value, as README and messages put it
_SHOWN_DEFAULTS = {
    "DAGSTER_HOME": "<folder of ECOM_WAREHOUSE>/dagster_home",
    "ECOM_RAW_PARQUET_DIR": "<folder of ECOM_WAREHOUSE>/raw_parquet",
}


def environment_variables() -> dict[str, str]:
    """Every variable read_environment() reads, with its field name."""
    return {field.alias: name for name, field in Environment.model_fields.items()}


def shown_default(name: str) -> str:
    """The default of environment variable `name` as README's Configuration table writes it."""
    default = Environment.model_fields[environment_variables()[name]].default
    if name in _SHOWN_DEFAULTS:
        return _SHOWN_DEFAULTS[name]
    if default is None:
        return "unset"
    return f"{default:g}" if isinstance(default, float) else str(default)


def read_environment(environ: Mapping[str, str] | None = None) -> Environment:
    """The checked environment (os.environ by default); SettingsError names every bad variable."""
    source = os.environ if environ is None else environ
    given = {name: source[name] for name in environment_variables() if (source.get(name) or "").strip()}
    try:
        return Environment.model_validate(given)
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            name = str(problem["loc"][0])
            allowed = Environment.model_fields[environment_variables()[name]].description
            what = problem.get("ctx", {}).get("error") or problem["msg"]
            problems.append(
                f"{name}={given[name]!r} {what}: set it to {allowed}, or unset it for {shown_default(name)}"
            )
        raise SettingsError("; ".join(problems)) from None


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    serving_db: Path
    dagster_home: Path
    duckdb_memory_limit: str
    duckdb_threads: int
    # How long a step of a daemon-launched run waits for another run's writer lock.
    lock_wait_seconds: float
    # Parquet copies of the raw tables, one folder per table, for Spark.
    raw_parquet_dir: Path


def load_settings(environment: Environment | None = None) -> Settings:
    """The paths and limits of a run; SettingsError when any environment variable is bad."""
    env = environment or read_environment()
    warehouse = _path(str(env.warehouse))
    return Settings(
        landing_dir=_path(str(env.landing_dir)),
        warehouse=warehouse,
        serving_db=_path(str(env.serving_db)),
        # Beside the warehouse by default, so pointing ECOM_WAREHOUSE elsewhere
        # keeps Dagster's run history out of data/ as well.
        dagster_home=env.dagster_home or warehouse.parent / "dagster_home",
        duckdb_memory_limit=env.duckdb_memory_limit,
        duckdb_threads=env.duckdb_threads,
        lock_wait_seconds=env.lock_wait_seconds,
        raw_parquet_dir=env.raw_parquet_dir or warehouse.parent / "raw_parquet",
    )


def export_for_subprocesses(settings: Settings) -> None:
    """dbt reads its warehouse path from the environment (profiles.yml): hand it the absolute one."""
    os.environ["ECOM_WAREHOUSE"] = str(settings.warehouse)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    os.environ["ECOM_RAW_PARQUET_DIR"] = str(settings.raw_parquet_dir)
    # the checked values (a blank one is the default for dbt too)
    os.environ["ECOM_DUCKDB_MEMORY_LIMIT"] = settings.duckdb_memory_limit
    os.environ["ECOM_DUCKDB_THREADS"] = str(settings.duckdb_threads)


@contextmanager
def subprocess_environment(values: dict[str, str]) -> Iterator[None]:
    """os.environ with `values` set while a subprocess (dbt) starts: it copies the environment."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def ensure_dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME with the repository's dagster.yaml, created on first use."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text((REPO_ROOT / "orchestration" / "config" / "dagster.yaml").read_text())
    return settings.dagster_home


def partitions_start() -> str:
    """ECOM_PARTITIONS_START (YYYY-MM-DD, default 2025-01-01): the first daily partition of the dbt assets,
    so the first day `make backfill` and the UI can rebuild. `make run` loads orders and events of any date
    whatever it says; a shop with older history sets it to its first day only to backfill those days."""
    return read_environment().partitions_start


# ---------------------------------------------------------------------------
# Shop settings: the dbt vars a shop sets without editing the project.
#
# Defaults are the vars in dbt_project/dbt_project.yml. A YAML file named by
# ECOM_CONFIG overrides them, and ECOM_DBT_VARS (inline YAML or JSON) overrides
# the file, key by key. Every value is checked here before anything runs; the
# checked overrides reach dbt as --vars (ShopSettings.dbt_vars), the partitions
# follow the effective reporting_timezone, and the serving copy records them.
# To add a setting: one entry in SHOP_SETTINGS (a checker and what it allows),
# a row in README's table, and, when an incremental model reads it, its name
# in orchestration/history_settings.py HISTORY_SETTINGS (a test checks that).
# ---------------------------------------------------------------------------

CONFIG_FILE_ENV = "ECOM_CONFIG"
DBT_VARS_ENV = "ECOM_DBT_VARS"
# dbt var that tells the guard macro (check_shop_settings) the settings were passed
SETTINGS_SOURCE_VAR = "ecom__settings_source"


def _whole_number_above_zero(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(f"{value!r} is not a whole number")
    if value <= 0:
        raise _Invalid(f"{value} is not above 0")
    return value


def _number_above_zero(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(f"{value!r} is not a number")
    if not value > 0:  # also refuses nan
        raise _Invalid(f"{value} is not above 0")
    if not math.isfinite(value):
        raise _Invalid(f"{value} is not a finite number")
    return value


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        hint = " (write it in capitals)" if isinstance(value, str) and re.fullmatch(r"[A-Za-z]{3}", value) else ""
        raise _Invalid(f"{value!r} is no currency code{hint}")
    return value


def _time_zone_names() -> set[str]:
    return zoneinfo.available_timezones() | {"UTC"}


def _time_zone(value: Any) -> str:
    if not isinstance(value, str) or value not in _time_zone_names():
        close = difflib.get_close_matches(str(value), sorted(_time_zone_names()), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise _Invalid(f"{value!r} is no IANA time zone{hint}")
    return value


def _sql_text(value: Any, what: str) -> str:
    """A name the models put in a SQL string literal: a non-empty string without quotes."""
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"{what} is {value!r}, not a non-empty text")
    if "'" in value or "\\" in value:
        raise _Invalid(f"{what} is {value!r}, which holds a quote or backslash")
    return value


def _normalized_event_name(name: str) -> str:
    """As the dbt macro normalized_event_name: lower case, runs of whitespace, _ and - as one space."""
    return re.sub(r"[\s_-]+", " ", name.lower()).strip()


def _event_name_aliases() -> dict[str, str]:
    path = REPO_ROOT / "seeds" / "event_name_aliases.csv"
    with path.open(newline="") as aliases:
        return {row["alias"]: row["event_name"] for row in csv.DictReader(aliases)}


def _funnel_steps(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise _Invalid(f"{value!r} is not a non-empty list")
    steps = [_sql_text(step, f"step {number}") for number, step in enumerate(value, start=1)]
    # staging renames spec v1, GA4 and other-case names to their v2 name: a step named otherwise
    # would match no event
    aliases = _event_name_aliases()
    for number, step in enumerate(steps, start=1):
        v2_name = aliases.get(_normalized_event_name(step))
        if v2_name is not None and v2_name != step:
            raise _Invalid(
                f"step {number} {step!r} counts as {v2_name!r} (seeds/event_name_aliases.csv): write {v2_name!r}"
            )
    repeated = sorted({step for step in steps if steps.count(step) > 1})
    if repeated:
        raise _Invalid(f"step {repeated[0]!r} is listed twice")
    return steps


def _shop_domains(value: Any) -> list[str]:
    # one domain may be written without a list; referrer hosts are compared lowercased and without www.
    domains = [value] if isinstance(value, str) else value
    if not isinstance(domains, list):
        raise _Invalid(f"{value!r} is not a list")
    checked = []
    for domain in domains:
        host = _sql_text(domain, "domain").strip().lower().removeprefix("www.")
        if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", host):
            raise _Invalid(f"domain {domain!r} is no host name")
        checked.append(host)
    return checked


def _url_parameters(value: Any) -> list[str]:
    # names go into a regular expression (macro kept_url_parameters): letters, digits, _ . - and a final *
    if not isinstance(value, list):
        raise _Invalid(f"{value!r} is not a list")
    for name in value:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+\*?", name):
            raise _Invalid(f"parameter {name!r} is no parameter name (letters, digits, _ . -; a final * for a prefix)")
    return value


def _optional_date(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise _Invalid(f"{value!r} is no date")


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"{value!r} is not true or false")
    return value


# name -> (checker returning the value dbt gets, what is allowed); README "Shop settings" describes each.
SHOP_SETTINGS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "reporting_currency": (_currency, "an ISO 4217 code of three capital letters, e.g. USD, EUR, GBP"),
    "reporting_timezone": (_time_zone, "an IANA time zone name, e.g. UTC, Europe/Berlin, America/New_York"),
    "ecom__shop_domains": (_shop_domains, "a list of host names, e.g. [myshop.com, shop.myshop.com]"),
    "session_timeout_minutes": (_whole_number_above_zero, "a whole number of minutes above 0, e.g. 30"),
    "funnel_steps": (
        _funnel_steps,
        "a non-empty list of distinct event names without quotes, e.g. [Product Viewed, Order Completed]",
    ),
    "ecom__attribution_lookback_days": (_whole_number_above_zero, "a whole number of days above 0, e.g. 30"),
    "ecom__attribution_half_life_days": (_number_above_zero, "a number of days above 0, e.g. 7 or 3.5"),
    "churn_days": (_whole_number_above_zero, "a whole number of days above 0, e.g. 180"),
    "as_of_date": (_optional_date, "a date YYYY-MM-DD, or null for the latest event or order date"),
    "ecom__include_bots": (_boolean, "true or false"),
    "ecom__max_event_lateness_days": (_whole_number_above_zero, "a whole number of days above 0, e.g. 3"),
    "ecom__url_parameters_kept": (
        _url_parameters,
        "a list of query parameter names kept in URLs, a final * for a prefix, e.g. [utm_*, gclid, fbclid]; [] for none",
    ),
}


@dataclass(frozen=True)
class ShopSettings:
    # the effective value of every setting
    values: dict[str, Any]
    # the settings given in ECOM_CONFIG / ECOM_DBT_VARS (checked), and where each came from
    overrides: dict[str, Any]
    origins: dict[str, str]
    # the sources read (ECOM_CONFIG=<file>, ECOM_DBT_VARS), in order
    sources: tuple[str, ...] = ()

    @property
    def reporting_timezone(self) -> str:
        return self.values["reporting_timezone"]

    def dbt_vars(self) -> dict[str, Any]:
        """The --vars a dbt command needs: the overrides, and the marker the guard macro looks for."""
        if not self.sources:
            return {}
        return {**self.overrides, SETTINGS_SOURCE_VAR: " + ".join(self.sources)}


class _SettingsLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: a date stays the text written (checked by its setting)."""


_SettingsLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(text: str, source: str) -> dict[str, Any]:
    try:
        parsed = yaml.load(text, Loader=_SettingsLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise SettingsError(f"{source} is not valid YAML or JSON: {error}") from None
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise SettingsError(
            f"{source} must be a mapping of setting to value, e.g. "
            '{"reporting_timezone": "Europe/Berlin", "session_timeout_minutes": 45}'
        )
    return parsed


def _given_settings() -> list[tuple[str, dict[str, Any]]]:
    """(source, mapping) of ECOM_CONFIG's file then ECOM_DBT_VARS, whichever is set."""
    given = []
    environment = read_environment()
    config_file = environment.config
    if config_file:
        path = Path(config_file).expanduser().resolve()
        if not path.is_file():
            raise SettingsError(f"{CONFIG_FILE_ENV}={config_file}: no such file ({path})")
        given.append((f"{CONFIG_FILE_ENV}={path}", _mapping(path.read_text(), f"{CONFIG_FILE_ENV} file {path}")))
    inline = environment.dbt_vars
    if inline:
        given.append((DBT_VARS_ENV, _mapping(inline, DBT_VARS_ENV)))
    return given


def _checked(name: str, value: Any, source: str, problems: list[str]) -> Any:
    checker, allowed = SHOP_SETTINGS[name]
    try:
        return checker(value)
    except _Invalid as problem:
        problems.append(f"{source}: setting {name}: {problem}; allowed: {allowed}.")
        return value


def _unknown_setting(name: str, source: str) -> str:
    close = difflib.get_close_matches(name, list(SHOP_SETTINGS), n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]}?" if close else ""
    return f"{source}: unknown setting {name!r}.{hint} The settings are: {', '.join(SHOP_SETTINGS)}."


def project_var_defaults() -> dict[str, Any]:
    """The vars of dbt_project.yml: every setting's default."""
    project = _mapping((DBT_PROJECT_DIR / "dbt_project.yml").read_text(), "dbt_project.yml")
    return project.get("vars") or {}


def load_shop_settings() -> ShopSettings:
    """The effective shop settings; raises SettingsError naming every bad or unknown one."""
    problems: list[str] = []
    defaults = project_var_defaults()
    values = {name: _checked(name, defaults.get(name), "dbt_project.yml", problems) for name in SHOP_SETTINGS}
    overrides: dict[str, Any] = {}
    origins: dict[str, str] = {}
    given_settings = _given_settings()
    for source, given in given_settings:
        for name, value in given.items():
            if name not in SHOP_SETTINGS:
                problems.append(_unknown_setting(str(name), source))
                continue
            overrides[name] = values[name] = _checked(name, value, source, problems)
            origins[name] = source
    if problems:
        raise SettingsError(" ".join(problems) + " See README, Shop settings.")
    sources = tuple(source for source, _ in given_settings)
    return ShopSettings(values=values, overrides=overrides, origins=origins, sources=sources)


def main() -> int:
    """`python -m orchestration.settings`: the checked settings as dbt --vars (JSON), for plain dbt:
    dbt build --vars "$(python -m orchestration.settings)". With --show: every setting, value and origin."""
    try:
        shop = load_shop_settings()
    except SettingsError as error:
        print(f"settings NOT accepted: {error}", file=sys.stderr)
        return 2
    if sys.argv[1:] == ["--show"]:
        for name, value in shop.values.items():
            print(f"{name:34} {json.dumps(value):40} {shop.origins.get(name, 'dbt_project.yml')}")
    else:
        print(json.dumps(shop.dbt_vars()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
