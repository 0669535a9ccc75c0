"""The analyst questions in dbt_project/analyses/ compile and run against the serving file.

Compiled with the read-only `serving` target (what `dbt show --select <name>`
uses), then run on a DuckDB connection that has the serving file attached
read-only under the warehouse's name, as that target does.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT, PipelineRun, run_dbt

pytestmark = pytest.mark.slow

ANALYSES = sorted(p.stem for p in (REPO_ROOT / "dbt_project" / "analyses").glob("*.sql"))


def test_every_analysis_answers_from_the_serving_file(generated_run: PipelineRun, tmp_path: Path) -> None:
    assert len(ANALYSES) >= 5
    env = {
        "ECOM_DBT_TARGET": "serving",
        "ECOM_WAREHOUSE": str(generated_run.warehouse),
        "ECOM_SERVING_DB": str(generated_run.serving),
    }
    run_dbt(["compile", "--quiet", "--select", "path:analyses"], tmp_path / "target", env, timeout=300)
    compiled = {p.stem: p.read_text() for p in (tmp_path / "target").rglob("analyses/*.sql")}
    assert set(compiled) == set(ANALYSES)

    con = duckdb.connect()
    con.execute(f"attach '{generated_run.serving}' as {generated_run.warehouse.stem} (read_only)")
    answers = {name: con.execute(sql).fetchall() for name, sql in compiled.items()}
    for name, rows in answers.items():
        assert rows, f"{name} returned no rows on the generated shop"

    # spot checks of what the answers mean, against the marts directly
    leaks = answers["funnel_leaks_by_device"]
    first_steps = {device: reached for device, step, _, reached, _, _ in leaks if step == 1}
    expected = dict(
        con.execute(
            f"select device_category, sum(sessions_reached) from {generated_run.warehouse.stem}.marts.funnel_daily "
            "where step_number = 1 group by 1"
        ).fetchall()
    )
    assert first_steps == expected
    for device, step, _, reached, share, lost in leaks:
        if step > 1:
            previous = next(r[3] for r in leaks if r[0] == device and r[1] == step - 1)
            assert lost == previous - reached
            assert previous == 0 or abs(float(share) - reached / previous) < 1e-4
    roas = answers["best_campaigns_by_roas"]
    assert all(spend > 0 for _, _, spend, *_ in roas)
    at_risk = answers["customers_at_risk"]
    assert {segment for _, segment, *_ in at_risk} <= {"at_risk", "needs_attention"}


def test_the_docs_site_is_one_offline_file_with_the_kpi_definitions_and_metrics(
    generated_run: PipelineRun, tmp_path: Path
) -> None:
    """`make docs`'s command: dbt's static docs site embeds the manifest and catalog in one page."""
    run_dbt(
        ["docs", "generate", "--static", "--quiet"],
        tmp_path / "target",
        {"ECOM_WAREHOUSE": str(generated_run.warehouse)},
        timeout=300,
    )
    page = (tmp_path / "target" / "static_index.html").read_text()
    assert 'src="http' not in page and '<link href="http' not in page
    # a KPI doc block, rendered into the columns and metrics that reuse it
    assert "Sessions with exactly one page/screen view and no track event." in page
    assert "metric.ecom_analytics.conversion_rate" in page and "semantic_model.ecom_analytics.segment_days" in page
