"""Data flows one way: staging -> intermediate -> marts (README, Architecture).

A model's layer is the folder it sits in (models/<layer>/...). An intermediate model that read a
mart would make the marts depend on each other through intermediate, and a reader following one
event would go down and back up; a helper that needs a mart lives under the mart folder that uses
it instead. Read from dbt's manifest, so a ref hidden in a macro counts too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# layer -> the layers it must not read
FORBIDDEN_UPSTREAM = {
    "staging": ("intermediate", "marts"),
    "intermediate": ("marts",),
}


def model_layer(node: Mapping[str, Any]) -> str | None:
    """The folder under models/ a model sits in (staging, intermediate, marts, ...)."""
    parts = Path(node["original_file_path"]).parts
    return parts[1] if len(parts) > 2 and parts[0] == "models" else None


def upstream_violations(manifest: Mapping[str, Any]) -> list[str]:
    """'<model> (<path>) reads <upstream> (<path>)' for every model that reads a later layer."""
    models = {key: node for key, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    found = []
    for node in models.values():
        forbidden = FORBIDDEN_UPSTREAM.get(model_layer(node) or "", ())
        for upstream_key in node["depends_on"]["nodes"]:
            upstream = models.get(upstream_key)
            if upstream is not None and model_layer(upstream) in forbidden:
                found.append(
                    f"{node['name']} ({node['original_file_path']}) reads "
                    f"{upstream['name']} ({upstream['original_file_path']})"
                )
    return sorted(found)


def model_node(name: str, path: str, reads: list[str]) -> tuple[str, dict[str, Any]]:
    return f"model.p.{name}", {
        "resource_type": "model",
        "name": name,
        "original_file_path": path,
        "depends_on": {"nodes": [f"model.p.{upstream}" for upstream in reads]},
    }


def test_the_check_names_every_model_that_reads_a_later_layer() -> None:
    manifest = {
        "nodes": dict(
            [
                model_node("stg_a", "models/staging/shop/stg_a.sql", []),
                model_node("stg_b", "models/staging/shop/stg_b.sql", ["int_a"]),
                model_node("int_a", "models/intermediate/x/int_a.sql", ["stg_a"]),
                model_node("int_b", "models/intermediate/x/int_b.sql", ["fct_a", "int_a"]),
                model_node("fct_a", "models/marts/x/fct_a.sql", ["int_a"]),
                # a helper under the marts folder may read a mart
                model_node("x__helper", "models/marts/x/x__helper.sql", ["fct_a"]),
                model_node("fct_b", "models/marts/x/fct_b.sql", ["x__helper"]),
            ]
        )
    }
    manifest["nodes"]["test.p.not_null_fct_a"] = {"resource_type": "test", "depends_on": {"nodes": ["model.p.fct_a"]}}

    assert upstream_violations(manifest) == [
        "int_b (models/intermediate/x/int_b.sql) reads fct_a (models/marts/x/fct_a.sql)",
        "stg_b (models/staging/shop/stg_b.sql) reads int_a (models/intermediate/x/int_a.sql)",
    ]


def test_no_intermediate_or_staging_model_reads_a_later_layer(dbt_manifest: Path) -> None:
    manifest = json.loads(dbt_manifest.read_text())
    layers = {model_layer(node) for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    # the folders the rule is about are there (a moved project would pass vacuously otherwise)
    assert {"staging", "intermediate", "marts"} <= layers

    violations = upstream_violations(manifest)
    assert not violations, (
        "data must flow staging -> intermediate -> marts; move a helper that needs a mart under "
        "models/marts/<area>/ (schema intermediate), or read the intermediate model instead:\n" + "\n".join(violations)
    )
