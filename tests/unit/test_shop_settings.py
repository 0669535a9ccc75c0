"""Shop settings (README "Shop settings"): ECOM_CONFIG names a YAML file, ECOM_DBT_VARS overrides it key
by key, every value is checked before anything runs, and dbt and the partitions get the effective ones."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration import partitions
from orchestration.settings import SettingsError, load_shop_settings
from tests.conftest import REPO_ROOT, without_shop_settings


def settings_with(monkeypatch: pytest.MonkeyPatch, inline: str):
    monkeypatch.setenv("ECOM_DBT_VARS", inline)
    return load_shop_settings()


def refusal(monkeypatch: pytest.MonkeyPatch, inline: str) -> str:
    monkeypatch.setenv("ECOM_DBT_VARS", inline)
    with pytest.raises(SettingsError) as refused:
        load_shop_settings()
    return str(refused.value)


@pytest.mark.parametrize(
    ("inline", "named", "wrong", "allowed"),
    [
        ('{"reporting_currency": "usd"}', "reporting_currency", "write it in capitals", "three capital letters"),
        ('{"reporting_currency": "EURO"}', "reporting_currency", "'EURO' is no currency code", "ISO 4217"),
        ("{reporting_currency: 978}", "reporting_currency", "978 is no currency code", "ISO 4217"),
        ("{reporting_timezone: Europe/Berln}", "reporting_timezone", "did you mean Europe/Berlin?", "IANA"),
        ("{reporting_timezone: asia/tokyo}", "reporting_timezone", "did you mean Asia/Tokyo?", "IANA"),
        ("{reporting_timezone: +02:00}", "reporting_timezone", "is no IANA time zone", "Europe/Berlin"),
        ("{session_timeout_minutes: 0}", "session_timeout_minutes", "0 is not above 0", "minutes above 0"),
        ('{"session_timeout_minutes": "45"}', "session_timeout_minutes", "'45' is not a whole number", "minutes"),
        ("{session_timeout_minutes: true}", "session_timeout_minutes", "True is not a whole number", "minutes"),
        ("{ecom__attribution_lookback_days: -7}", "ecom__attribution_lookback_days", "-7 is not above 0", "days"),
        ("{ecom__attribution_half_life_days: 0}", "ecom__attribution_half_life_days", "0 is not above 0", "days"),
        ("{churn_days: 12.5}", "churn_days", "12.5 is not a whole number", "whole number of days above 0"),
        ("{churn_days: -1}", "churn_days", "-1 is not above 0", "whole number of days above 0"),
        ("{funnel_steps: []}", "funnel_steps", "[] is not a non-empty list", "non-empty list"),
        ("{funnel_steps: Order Completed}", "funnel_steps", "is not a non-empty list", "event names"),
        ('{"funnel_steps": ["Product Viewed", 3]}', "funnel_steps", "step 2 is 3, not a non-empty text", "names"),
        ('{"funnel_steps": ["Product Viewed", " "]}', "funnel_steps", "step 2 is ' ', not a non-empty", "names"),
        ("{funnel_steps: [Order Completed, Order Completed]}", "funnel_steps", "listed twice", "distinct"),
        # staging renames spec v1 and other-case names: such a step would match no event
        ("{funnel_steps: [Viewed Product, Order Completed]}", "funnel_steps", "counts as 'Product Viewed'", "names"),
        ("{funnel_steps: [order_completed]}", "funnel_steps", "write 'Order Completed'", "names"),
        ("{ecom__attribution_half_life_days: .inf}", "ecom__attribution_half_life_days", "not a finite", "days"),
        ('{"funnel_steps": ["Men\'s Product Viewed"]}', "funnel_steps", "holds a quote", "without quotes"),
        ("{ecom__shop_domains: [myshop.com, 'http://x.com/']}", "ecom__shop_domains", "is no host name", "host"),
        ("{ecom__shop_domains: {a: 1}}", "ecom__shop_domains", "is not a list", "a list of host names"),
        ("{as_of_date: 2026-02-30}", "as_of_date", "'2026-02-30' is no date", "YYYY-MM-DD, or null"),
        ("{as_of_date: 31.03.2026}", "as_of_date", "'31.03.2026' is no date", "YYYY-MM-DD"),
        ('{"ecom__include_bots": "false"}', "ecom__include_bots", "'false' is not true or false", "true or false"),
        ("{ecom__max_event_lateness_days: 0}", "ecom__max_event_lateness_days", "0 is not above 0", "days above 0"),
        # the names go into a regular expression: a quote, a space or a * inside would break or widen it
        ("{ecom__url_parameters_kept: gclid}", "ecom__url_parameters_kept", "'gclid' is not a list", "[utm_*,"),
        ("{ecom__url_parameters_kept: ['*']}", "ecom__url_parameters_kept", "'*' is no parameter name", "prefix"),
        ("{ecom__url_parameters_kept: ['utm_*x']}", "ecom__url_parameters_kept", "'utm_*x' is no parameter", "prefix"),
        ('{"ecom__url_parameters_kept": ["ref\'s"]}', "ecom__url_parameters_kept", "is no parameter name", "prefix"),
    ],
)
def test_a_bad_value_is_refused_naming_the_setting_what_is_wrong_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, inline: str, named: str, wrong: str, allowed: str
) -> None:
    message = refusal(monkeypatch, inline)
    assert f"ECOM_DBT_VARS: setting {named}: " in message
    assert wrong in message and "allowed: " in message and allowed in message


def test_an_unknown_setting_gets_a_did_you_mean_and_the_list(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, "{sesion_timeout_minutes: 45}")
    assert "unknown setting 'sesion_timeout_minutes'" in message
    assert "Did you mean session_timeout_minutes?" in message
    assert "The settings are: reporting_currency, reporting_timezone" in message
    # without the ecom__ prefix the close match is still found
    assert "Did you mean ecom__shop_domains?" in refusal(monkeypatch, "{shop_domains: [myshop.com]}")
    # a var the pipeline sets itself is no setting
    assert "unknown setting 'ecom__backfill_start'" in refusal(monkeypatch, "{ecom__backfill_start: '2026-01-01'}")


def test_every_problem_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, "{churn_days: 0, reporting_timezone: Mars/Olympus, currency: EUR}")
    assert "setting churn_days" in message and "setting reporting_timezone" in message
    assert "unknown setting 'currency'" in message


@pytest.mark.parametrize(
    ("inline", "problem"),
    [
        ("{reporting_timezone: [", "ECOM_DBT_VARS is not valid YAML or JSON"),
        ("[churn_days, 90]", "ECOM_DBT_VARS must be a mapping of setting to value"),
    ],
)
def test_text_that_is_no_mapping_is_refused(monkeypatch: pytest.MonkeyPatch, inline: str, problem: str) -> None:
    assert problem in refusal(monkeypatch, inline)


def test_a_shop_lists_the_url_parameters_it_keeps(monkeypatch: pytest.MonkeyPatch) -> None:
    shop = settings_with(monkeypatch, "{ecom__url_parameters_kept: [utm_*, ref, promo.code, x-id]}")
    assert shop.dbt_vars()["ecom__url_parameters_kept"] == ["utm_*", "ref", "promo.code", "x-id"]
    # [] keeps no parameter at all
    assert settings_with(monkeypatch, "{ecom__url_parameters_kept: []}").values["ecom__url_parameters_kept"] == []


def test_without_settings_the_project_defaults_hold_and_dbt_gets_no_vars() -> None:
    shop = load_shop_settings()
    # dbt_project.yml's defaults
    assert shop.values["reporting_timezone"] == "UTC" and shop.values["reporting_currency"] == "USD"
    assert shop.values["session_timeout_minutes"] == 30 and shop.values["as_of_date"] is None
    assert shop.overrides == {} and shop.dbt_vars() == {}


def test_the_file_then_the_variable_key_by_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "shop.yml"
    config.write_text(
        "# my shop\nreporting_currency: EUR\nchurn_days: 90\nas_of_date: 2026-03-31\n"
        "ecom__shop_domains: WWW.MyShop.com\nfunnel_steps:\n  - Product Added\n  - Order Completed\n"
    )
    monkeypatch.setenv("ECOM_CONFIG", str(config))
    shop = settings_with(monkeypatch, '{"churn_days": 60, "ecom__attribution_half_life_days": 3.5}')
    assert shop.values["reporting_currency"] == "EUR"  # from the file
    assert shop.values["churn_days"] == 60  # the variable wins over the file
    assert shop.values["session_timeout_minutes"] == 30  # neither: the project default
    assert shop.origins["reporting_currency"] == f"ECOM_CONFIG={config}"
    assert shop.origins["churn_days"] == "ECOM_DBT_VARS"
    # an unquoted YAML date stays the date written; one domain needs no list, compared lowercased without www.
    assert shop.values["as_of_date"] == "2026-03-31"
    assert shop.values["ecom__shop_domains"] == ["myshop.com"]
    assert shop.dbt_vars() == {
        "reporting_currency": "EUR",
        "churn_days": 60,
        "as_of_date": "2026-03-31",
        "ecom__shop_domains": ["myshop.com"],
        "funnel_steps": ["Product Added", "Order Completed"],
        "ecom__attribution_half_life_days": 3.5,
        "ecom__settings_source": f"ECOM_CONFIG={config} + ECOM_DBT_VARS",
    }


def test_a_missing_or_bad_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ECOM_CONFIG", str(tmp_path / "nope.yml"))
    with pytest.raises(SettingsError, match=r"ECOM_CONFIG=.*nope.yml: no such file"):
        load_shop_settings()
    config = tmp_path / "shop.yml"
    config.write_text("churn_days: soon\n")
    monkeypatch.setenv("ECOM_CONFIG", str(config))
    with pytest.raises(SettingsError, match=rf"ECOM_CONFIG={config}: setting churn_days: 'soon' is not a whole"):
        load_shop_settings()


def test_partitions_follow_the_effective_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    evening_utc = dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC)
    assert partitions.daily_partitions().timezone == "UTC"
    assert partitions.today_partition_key(evening_utc) == "2026-03-01"
    monkeypatch.setenv("ECOM_DBT_VARS", "{reporting_timezone: Asia/Tokyo}")
    # 20:00 UTC is 05:00 the next morning in Tokyo (UTC+9)
    assert partitions.daily_partitions().timezone == "Asia/Tokyo"
    assert partitions.today_partition_key(evening_utc) == "2026-03-02"
    window = partitions.daily_partitions().time_window_for_partition_key("2026-03-02")
    assert window.start.isoformat() == "2026-03-02T00:00:00+09:00"


def test_the_dbt_build_gets_the_settings_and_the_partition_window(monkeypatch: pytest.MonkeyPatch) -> None:
    class Context:
        has_partition_key = True
        has_partition_key_range = False
        partition_time_window = partitions.daily_partitions().time_window_for_partition_key("2026-03-02")

    monkeypatch.setenv("ECOM_DBT_VARS", "{session_timeout_minutes: 45}")
    variables = partitions.dbt_run_vars(Context())
    assert variables == {
        "session_timeout_minutes": 45,
        "ecom__settings_source": "ECOM_DBT_VARS",
        "ecom__backfill_start": "2026-03-02 00:00:00",
        "ecom__backfill_end": "2026-03-03 00:00:00",
    }
    assert partitions.dbt_vars_args(variables) == ["--vars", json.dumps(variables)]


def run_module(
    module: str, args: list[str], settings: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    env = {**without_shop_settings(dict(os.environ)), **(env or {}), "ECOM_DBT_VARS": settings}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_make_run_with_a_bad_value_stops_before_anything_runs(tmp_path: Path) -> None:
    paths = {"ECOM_WAREHOUSE": str(tmp_path / "w.duckdb"), "ECOM_SERVING_DB": str(tmp_path / "s.duckdb")}
    result = run_module("orchestration.cli", ["run"], "{reporting_timezone: Europe/Berln}", env=paths)
    assert result.returncode == 2
    assert "pipeline NOT started: ECOM_DBT_VARS: setting reporting_timezone:" in result.stderr
    assert "did you mean Europe/Berlin?" in result.stderr and "Traceback" not in result.stderr
    # nothing ran: no warehouse was created
    assert not (tmp_path / "w.duckdb").exists()


def test_the_settings_command_prints_dbt_vars_or_refuses() -> None:
    good = run_module("orchestration.settings", [], "{churn_days: 90}")
    assert good.returncode == 0 and json.loads(good.stdout) == {
        "churn_days": 90,
        "ecom__settings_source": "ECOM_DBT_VARS",
    }
    bad = run_module("orchestration.settings", [], "{churn_days: 0}")
    assert bad.returncode == 2 and bad.stdout == ""
    assert "settings NOT accepted: ECOM_DBT_VARS: setting churn_days: 0 is not above 0" in bad.stderr


def test_the_dagster_code_location_does_not_load_with_a_bad_value(tmp_path: Path) -> None:
    result = run_module(
        "dagster",
        ["definitions", "validate", "-m", "orchestration.definitions"],
        "{churn_days: -3}",
        env={"DAGSTER_HOME": str(tmp_path)},
        timeout=300,
    )
    assert result.returncode != 0
    assert "ECOM_DBT_VARS: setting churn_days: -3 is not above 0" in result.stdout + result.stderr


def test_the_semantic_layer_reads_no_setting() -> None:
    """`make query` answers from target/semantic_manifest.json (dbt parse, any vars) over the served marts:
    with no var in the semantic YAML or the time spine, the manifest is the same for any settings, and the
    metrics follow the settings through the marts they read."""
    files = sorted((REPO_ROOT / "dbt_project" / "models" / "semantic").iterdir())
    assert {f.suffix for f in files} == {".yml", ".sql"}
    assert [f.name for f in files if "var(" in f.read_text()] == []
