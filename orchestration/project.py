"""The dbt project as Dagster sees it."""

from __future__ import annotations

from dagster._utils import run_with_concurrent_update_guard
from dagster_dbt import DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

from orchestration.settings import DBT_PROJECT_DIR, PROFILES_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=PROFILES_DIR)


def prepare() -> int:
    """`make prepare`: dbt parse in the environment a run gives dbt (the absolute warehouse path,
    the shop settings as --vars), so the run's dbt reuses this parse. dbt parses the whole
    project again when its --vars or its profile's settings (the warehouse's database name, not
    its folder: orchestration/dbt_command.py) differ from the last parse's."""
    import subprocess
    import sys

    from orchestration.dbt_command import COMMAND
    from orchestration.partitions import dbt_vars_args
    from orchestration.settings import SettingsError, export_for_subprocesses, load_settings, load_shop_settings

    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"dbt parse NOT run: {error}", file=sys.stderr)
        return 2
    try:
        dbt_vars = load_shop_settings().dbt_vars()
    except SettingsError as error:
        # a parse without them still gives Dagster its manifest; a run refuses them, saying why
        print(f"dbt parse without the shop settings, which a run will refuse: {error}", file=sys.stderr)
        dbt_vars = {}
    export_for_subprocesses(settings)
    return subprocess.call(
        [*COMMAND, "--no-use-colors", "parse", "--project-dir", str(DBT_PROJECT_DIR)]
        + ["--profiles-dir", str(PROFILES_DIR), "--quiet", *dbt_vars_args(dbt_vars)]
    )


def _prepare_for_dev() -> None:
    if prepare() != 0:
        raise RuntimeError("dbt parse failed (its output is above): the code location cannot load")


# Under `dagster dev` the manifest is rebuilt when the code location loads, by `make prepare`'s parse
# (dagster-dbt's own, DbtProject.prepare_if_dev, would run a plain `dbt parse` without the shop's
# --vars, whose saved parse a run's dbt could not reuse); one process parses at a time.
# Everywhere else `make prepare` builds it before anything imports this.
if using_dagster_dev():
    run_with_concurrent_update_guard(dbt_project.manifest_path, _prepare_for_dev)

if __name__ == "__main__":
    raise SystemExit(prepare())
