"""Dagster assets: raw loads, dbt models, the serving copy."""
