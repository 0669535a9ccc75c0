"""`mf query` (MetricFlow over dbt's semantic models) answers the way the marts do.

Each answer comes from the CLI an analyst uses, against the read-only `serving`
target (the serving file, attached under the warehouse's name), and is compared
with SQL over the marts themselves: additive measures summed, ratios as the
sum of the numerator over the sum of the denominator. Counts exact, money to the
cent, ratios to 1e-9.
"""

from __future__ import annotations

import csv
import math
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.conftest import BIN, REPO_ROOT, PipelineRun

pytestmark = pytest.mark.slow


def mf_query(run: PipelineRun, tmp_path: Path, metrics: list[str], group_by: list[str]) -> list[dict[str, str]]:
    out = tmp_path / f"{'_'.join(metrics)[:60]}.csv"
    env = dict(
        os.environ,
        DBT_PROFILES_DIR=str(REPO_ROOT),
        ECOM_DBT_TARGET="serving",
        ECOM_WAREHOUSE=str(run.warehouse),
        ECOM_SERVING_DB=str(run.serving),
    )
    result = subprocess.run(
        [str(BIN / "mf"), "query", "--metrics", ",".join(metrics), "--group-by", ",".join(group_by), "--csv", str(out)],
        cwd=REPO_ROOT / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 and out.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    with out.open() as f:
        return list(csv.DictReader(f))


def marts(run: PipelineRun, sql: str) -> list[tuple]:
    with duckdb.connect(str(run.serving), read_only=True) as con:
        return con.execute(sql).fetchall()


def close(mf_value: str, mart_value: object, tolerance: float) -> bool:
    """Money (tolerance 0.005) to the cent in absolute terms; ratios (1e-9) relative or absolute."""
    if mart_value is None:
        return mf_value == ""
    if mf_value == "":
        return False
    if tolerance >= 0.005:
        return abs(float(mf_value) - float(mart_value)) <= tolerance
    return math.isclose(float(mf_value), float(mart_value), rel_tol=tolerance, abs_tol=tolerance)


def test_net_sales_and_conversion_rate_by_month_and_channel_group(generated_run: PipelineRun, tmp_path: Path) -> None:
    rows = mf_query(
        generated_run,
        tmp_path,
        ["net_sales", "conversion_rate", "sessions"],
        ["metric_time__month", "segment_day__channel_group"],
    )
    answers = {(r["metric_time__month"][:10], r["segment_day__channel_group"]): r for r in rows}
    expected = marts(
        generated_run,
        """
        select cast(date_trunc('month', date_day) as date), channel_group,
               sum(net_sales), sum(converted_sessions) / nullif(sum(sessions), 0), sum(sessions)
        from marts.kpi_daily_by_segment group by all
        """,
    )
    assert len(expected) >= 10 and set(answers) == {(str(m), c) for m, c, *_ in expected}
    for month, channel, net_sales, conversion_rate, sessions in expected:
        answer = answers[(str(month), channel)]
        assert close(answer["net_sales"], net_sales, 0.005), (month, channel, answer, net_sales)
        assert close(answer["conversion_rate"], conversion_rate, 1e-9), (month, channel, answer, conversion_rate)
        assert int(answer["sessions"]) == sessions


MONTHLY = [
    # metric, kpi_monthly column, tolerance (money to the cent, counts exact, ratios 1e-9)
    ("sessions", "sessions", 0),
    ("orders", "orders", 0),
    ("gmv", "gmv", 0.005),
    ("net_sales", "net_sales", 0.005),
    ("refunds", "refunds", 0.005),
    ("net_revenue", "net_revenue", 0.005),
    ("new_customers", "new_customers", 0),
    ("marketing_spend", "marketing_spend", 0.005),
    ("bounce_rate", "bounce_rate", 1e-9),
    ("engagement_rate", "engagement_rate", 1e-9),
    ("cart_abandonment_rate", "cart_abandonment_rate", 1e-9),
    ("aov", "aov", 1e-9),
    ("refund_rate", "refund_rate", 1e-9),
    ("repeat_purchase_rate", "repeat_purchase_rate", 1e-9),
    # 0 in a month where nobody churned (MetricFlow's 0 / active; the mart used to say null)
    ("churn_rate", "churn_rate", 1e-9),
    ("mobile_traffic_share", "mobile_traffic_share", 1e-9),
    ("avg_session_duration_seconds", "avg_session_duration_seconds", 1e-9),
    ("cac", "cac", 1e-9),
    ("nps", "nps", 1e-9),
    ("complaint_rate", "complaint_rate", 1e-9),
    ("stockout_rate", "stockout_rate", 1e-9),
]


def test_monthly_kpis_equal_kpi_monthly(generated_run: PipelineRun, tmp_path: Path) -> None:
    rows = mf_query(generated_run, tmp_path, [m for m, _, _ in MONTHLY], ["metric_time__month"])
    answers = {r["metric_time__month"][:10]: r for r in rows}
    columns = ", ".join(c for _, c, _ in MONTHLY)
    expected = marts(generated_run, f"select month_start, {columns} from marts.kpi_monthly order by 1")
    assert len(expected) >= 2
    for month, *values in expected:
        answer = answers[str(month)]
        for (metric, column, tolerance), value in zip(MONTHLY, values, strict=True):
            if tolerance == 0:
                assert int(answer[metric] or 0) == value, (month, metric, answer[metric], value)
            else:
                assert close(answer[metric], value, tolerance), (month, metric, answer[metric], column, value)


def test_roas_by_campaign_and_net_sales_by_product_category(generated_run: PipelineRun, tmp_path: Path) -> None:
    models = ["first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based"]
    rows = mf_query(generated_run, tmp_path, [f"roas_{m}" for m in models], ["campaign_day__campaign"])
    answers = {r["campaign_day__campaign"]: r for r in rows}
    sums = ", ".join(f"sum(attributed_net_sales_{m}) / nullif(sum(spend), 0)" for m in models)
    expected = marts(generated_run, f"select campaign, {sums} from marts.marketing_daily group by all")
    assert any(v is not None for _, *values in expected for v in values)
    for campaign, *values in expected:
        for model, value in zip(models, values, strict=True):
            assert close(answers[campaign][f"roas_{model}"], value, 1e-9), (campaign, model)

    rows = mf_query(generated_run, tmp_path, ["product_net_sales"], ["product__category"])
    answers = {r["product__category"]: r["product_net_sales"] for r in rows}
    expected = marts(
        generated_run,
        """
        select p.category, sum(i.net_sales) from marts.fct_order_items as i
        inner join marts.dim_products as p on p.product_id = i.product_id
        where not i.is_cancelled group by all
        """,
    )
    assert len(expected) >= 3
    for category, net_sales in expected:
        assert close(answers[category], net_sales, 0.005), (category, answers[category], net_sales)


def test_retention_by_cohort_and_period_equals_the_cohort_mart(generated_run: PipelineRun, tmp_path: Path) -> None:
    rows = mf_query(
        generated_run,
        tmp_path,
        ["retention_rate"],
        ["cohort_period__cohort_month__month", "cohort_period__period_number"],
    )
    answers = {(r["cohort_period__cohort_month__month"][:10], r["cohort_period__period_number"]): r for r in rows}
    expected = marts(
        generated_run, "select cohort_month, period_number, retention_rate from marts.cohort_retention_monthly"
    )
    assert expected
    for cohort_month, period, rate in expected:
        assert close(answers[(str(cohort_month), str(period))]["retention_rate"], rate, 1e-9)
