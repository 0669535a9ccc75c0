"""Whole-table snapshots of a warehouse, for row-for-row comparisons between two builds."""

from __future__ import annotations

from pathlib import Path

import duckdb


def table_rows(warehouse: Path, schema: str, tables: list[str] | None = None, skip: set[str] = frozenset()) -> dict:
    """Every row of each table (all of the schema when tables is None), sorted, without the `skip` columns.

    `skip` holds columns that record when or in which load a row was written,
    which differ between two builds of the same data.
    """
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if tables is None:
            tables = [
                t
                for (t,) in con.execute(
                    "select table_name from information_schema.tables where table_schema = ? order by 1", [schema]
                ).fetchall()
            ]
        snapshot = {}
        for table in tables:
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if c not in skip
            ]
            cols = ", ".join(f'"{c}"' for c in columns)
            snapshot[table] = con.execute(f"select {cols} from {schema}.{table} order by all").fetchall()
    return snapshot
