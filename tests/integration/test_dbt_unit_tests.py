"""dbt's unit tests, once per test run: a pipeline run skips them (orchestration/assets/dbt.py).

They check each tricky model's SQL on fixed input rows. dbt still reads the columns of a unit
test's inputs from the warehouse, so they run on a copy of the session's built tiny shop.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PipelineRun, copy_run, run_dbt

pytestmark = pytest.mark.slow


def test_every_dbt_unit_test_passes(tiny_shop_run: PipelineRun, tmp_path: Path) -> None:
    run = copy_run(tiny_shop_run, tmp_path / "run")
    target = tmp_path / "target"
    run_dbt(["test", "--select", "test_type:unit"], target, {"ECOM_WAREHOUSE": str(run.warehouse)})

    manifest = json.loads((target / "manifest.json").read_text())
    defined = {unique_id for unique_id in manifest["unit_tests"]}
    results = json.loads((target / "run_results.json").read_text())["results"]
    passed = {result["unique_id"] for result in results if result["status"] == "pass"}
    # every unit test the project defines ran and passed (a selector that matched nothing would pass too)
    assert defined and passed == defined


def test_a_pipeline_run_skips_the_unit_tests(tiny_shop_run: PipelineRun) -> None:
    output = tiny_shop_run.result.stdout + tiny_shop_run.result.stderr
    # dbt's last line counts what it ran: "Finished running 4 incremental models, ..., 262 data tests, ..."
    [finished] = [line for line in output.splitlines() if "Finished running" in line]
    assert "data tests" in finished and "unit test" not in finished
