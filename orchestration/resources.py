"""Resources shared by the assets."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from dagster_dbt import DbtCliResource
from packaging import version

from orchestration.dbt_command import COMMAND as DBT_COMMAND
from orchestration.project import dbt_project
from orchestration.settings import export_for_subprocesses, load_settings


class LeanDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two start-up costs that our `dbt build` gets nothing from.

    Before starting dbt, `DbtCliResource.cli` (dagster-dbt 0.29) runs `dbt --version` in a
    subprocess (about 2 s: it imports dbt) and loads a dbt adapter in this process (about 2.5 s:
    profile, project and macros). The adapter only serves `.fetch_row_counts()` and
    `.fetch_column_metadata()`, which the assets do not call; the version only tells dbt Core
    (1.x) from dbt Fusion (2.x). The dbt this resource runs is this virtualenv's, so its version
    is the installed dbt-core package's. tests/unit/test_resources.py fails if dagster-dbt renames
    either hook.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None


def dbt_resource() -> DbtCliResource:
    # dbt runs in its own process and reads the warehouse path from the environment.
    export_for_subprocesses(load_settings())
    # dbt's command line through orchestration/dbt_command.py (this virtualenv's Python, without relying
    # on PATH), which shares `make prepare`'s saved parse whatever the warehouse's path. dagster-dbt
    # puts the global flags right after the executable: the script is the first of them.
    executable, *script = DBT_COMMAND
    return LeanDbtCliResource(project_dir=dbt_project, dbt_executable=executable, global_config_flags=script)
