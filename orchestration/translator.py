"""Asset keys and groups for dbt nodes, derived from the dbt folders, never from model names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings


class EcomDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # Sources carry their key in meta (["raw", table]); the load assets use the same key.
            return super().get_asset_key(dbt_resource_props)
        # models/<layer>/<domain>/<name>.sql -> <schema>/<name>, e.g. marts/fct_orders
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        # fqn: [project, layer, domain, ..., name]; seeds: [project, name]
        if dbt_resource_props["resource_type"] == "seed" or len(fqn) < 3:
            return "seeds"
        layer = fqn[1]
        domain = fqn[2] if len(fqn) > 3 else None
        return f"{layer}_{domain}" if domain else layer


translator = EcomDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True))
