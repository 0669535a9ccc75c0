"""Resources shared by the assets."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource

from orchestration.project import dbt_project
from orchestration.settings import export_for_subprocesses, load_settings


def dbt_resource() -> DbtCliResource:
    # dbt runs in its own process and reads the warehouse path from the environment.
    export_for_subprocesses(load_settings())
    # The dbt of this virtualenv, found without relying on PATH being activated.
    return DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt"))
