"""Every mart of a Spark build against the DuckDB build of the same data, table by table.

Spark writes its tables as Parquet under spark.sql.warehouse.dir
(<ECOM_SPARK_DIR>/warehouse/marts.db/<table>/), so DuckDB reads both sides
and no Spark session is needed to compare. Counts and text compare exactly,
money (decimals of scale <= 2) to the cent, other numbers (ratios, rates,
scores) to 1e-9.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import duckdb

# when a row was computed, not what it says
RUN_COLUMNS = {"sessionized_at"}
MONEY_TOLERANCE = 0.005
RATIO_TOLERANCE = 1e-9


def spark_relation(spark_warehouse: Path, table: str) -> str | None:
    folder = spark_warehouse / "marts.db" / table
    files = [p for p in folder.rglob("*.parquet")] if folder.exists() else []
    # a partitioned table keeps its partition column in the folder names (key_bucket=3/)
    return f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true)" if files else None


def numeric_kind(data_type: str) -> str | None:
    data_type = data_type.upper()
    if data_type.startswith("DECIMAL"):
        scale = int(data_type.rstrip(")").split(",")[1])
        return "money" if scale <= 2 else "ratio"
    if data_type in ("DOUBLE", "FLOAT", "REAL"):
        return "ratio"
    return None


def close(a: object, b: object, kind: str) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = float(a), float(b)
    if kind == "money":
        return abs(a - b) <= MONEY_TOLERANCE
    return math.isclose(a, b, rel_tol=RATIO_TOLERANCE, abs_tol=RATIO_TOLERANCE)


def sort_key(row: tuple, kinds: list[str | None]) -> tuple:
    # exact columns first, numbers rounded so that engines' last digits do not reorder rows
    exact = tuple("" if v is None else str(v) for v, k in zip(row, kinds, strict=True) if k is None)
    approx = tuple("" if v is None else f"{float(v):.6g}" for v, k in zip(row, kinds, strict=True) if k is not None)
    return exact + approx


def compare_table(duck: duckdb.DuckDBPyConnection, spark_warehouse: Path, table: str) -> list[str]:
    columns = duck.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    columns = [(name, data_type) for name, data_type in columns if name not in RUN_COLUMNS]
    names = [name for name, _ in columns]
    kinds = [numeric_kind(data_type) for _, data_type in columns]
    quoted = ", ".join(f'"{name}"' for name in names)
    duck_rows = duck.execute(f"select {quoted} from marts.{table}").fetchall()
    relation = spark_relation(spark_warehouse, table)
    if relation is None:
        return [f"{table}: no Spark table"] if duck_rows else []
    spark_columns = [r[0] for r in duck.execute(f"describe select * from {relation}").fetchall()]
    missing = [name for name in names if name not in spark_columns]
    if missing:
        return [f"{table}: Spark lacks columns {missing}"]
    spark_rows = duck.execute(f"select {quoted} from {relation}").fetchall()
    if len(duck_rows) != len(spark_rows):
        return [f"{table}: {len(duck_rows)} rows on DuckDB, {len(spark_rows)} on Spark"]
    differences = []
    for duck_row, spark_row in zip(
        sorted(duck_rows, key=lambda r: sort_key(r, kinds)),
        sorted(spark_rows, key=lambda r: sort_key(r, kinds)),
        strict=True,
    ):
        for name, kind, a, b in zip(names, kinds, duck_row, spark_row, strict=True):
            same = close(a, b, kind) if kind else normalise(a) == normalise(b)
            if not same:
                differences.append(f"{table}.{name}: DuckDB {a!r}, Spark {b!r} (row {duck_row[:3]!r}...)")
                break
        if len(differences) >= 5:
            break
    return differences


def normalise(value: object) -> object:
    # Spark writes whole numbers of a decimal or bigint column with its own type; compare values
    if isinstance(value, Decimal):
        return float(value)
    return value


def compare_marts(duckdb_file: Path, spark_warehouse: Path) -> dict[str, list[str]]:
    """Differences per mart (empty lists when every mart is equal)."""
    with duckdb.connect(str(duckdb_file), read_only=True) as duck:
        tables = [
            t
            for (t,) in duck.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        return {table: compare_table(duck, spark_warehouse, table) for table in tables}
