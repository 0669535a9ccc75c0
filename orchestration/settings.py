"""Every environment variable the project reads, resolved in one place."""

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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
PROFILES_DIR = REPO_ROOT


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


def _path(name: str, default: str) -> Path:
    # Relative paths are taken from the directory the command runs in (the
    # repository root for every make target), then made absolute because dbt
    # runs in its own process with dbt_project/ as its working directory.
    return Path(os.environ.get(name) or default).expanduser().resolve()


def load_settings() -> Settings:
    warehouse = _path("ECOM_WAREHOUSE", "data/warehouse.duckdb")
    return Settings(
        landing_dir=_path("ECOM_LANDING_DIR", "data/landing"),
        warehouse=warehouse,
        serving_db=_path("ECOM_SERVING_DB", "data/serving.duckdb"),
        # Beside the warehouse by default, so pointing ECOM_WAREHOUSE elsewhere
        # keeps Dagster's run history out of data/ as well.
        dagster_home=_path("DAGSTER_HOME", str(warehouse.parent / "dagster_home")),
        duckdb_memory_limit=os.environ.get("ECOM_DUCKDB_MEMORY_LIMIT", "2GB"),
        duckdb_threads=int(os.environ.get("ECOM_DUCKDB_THREADS", "2")),
        lock_wait_seconds=float(os.environ.get("ECOM_LOCK_WAIT_SECONDS", "1800")),
        raw_parquet_dir=_path("ECOM_RAW_PARQUET_DIR", str(warehouse.parent / "raw_parquet")),
    )


def export_for_subprocesses(settings: Settings) -> None:
    """dbt reads its warehouse path from the environment (profiles.yml): hand it the absolute one."""
    os.environ["ECOM_WAREHOUSE"] = str(settings.warehouse)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    os.environ["ECOM_RAW_PARQUET_DIR"] = str(settings.raw_parquet_dir)
    os.environ.setdefault("ECOM_DUCKDB_MEMORY_LIMIT", settings.duckdb_memory_limit)
    os.environ.setdefault("ECOM_DUCKDB_THREADS", str(settings.duckdb_threads))


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
    value = (os.environ.get("ECOM_PARTITIONS_START") or "2025-01-01").strip()
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise SettingsError(
            f"ECOM_PARTITIONS_START={value!r} is no day: set it to YYYY-MM-DD (for example the day of your "
            "first order), or unset it for 2025-01-01"
        ) from None
    return value


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


class SettingsError(ValueError):
    """A shop setting is unknown or has a bad value; the message names it and what is allowed."""


class _Invalid(ValueError):
    """Raised by a checker: what is wrong with the value (the caller adds name and source)."""


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
    config_file = os.environ.get(CONFIG_FILE_ENV)
    if config_file:
        path = Path(config_file).expanduser().resolve()
        if not path.is_file():
            raise SettingsError(f"{CONFIG_FILE_ENV}={config_file}: no such file ({path})")
        given.append((f"{CONFIG_FILE_ENV}={path}", _mapping(path.read_text(), f"{CONFIG_FILE_ENV} file {path}")))
    inline = os.environ.get(DBT_VARS_ENV)
    if inline and inline.strip():
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
