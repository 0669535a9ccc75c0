"""The dbt project as Dagster sees it."""

from __future__ import annotations

from dagster_dbt import DbtProject

from orchestration.settings import DBT_PROJECT_DIR, PROFILES_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=PROFILES_DIR)
# Under `dagster dev` the manifest is rebuilt when the code location loads;
# everywhere else `make prepare` (dbt parse) builds it before anything imports this.
dbt_project.prepare_if_dev()
