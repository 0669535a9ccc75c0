"""Dagster's SQLite run history with one database connection per file for the length of a run.

Dagster (1.13) opens a new SQLAlchemy engine, and with it a new SQLite connection, for every
read and write of its run history, and throws it away after the transaction: about 8 ms per
event, and a run stores some 1,100 events (330 planned materializations, then a dbt model's
output and materialization, a dbt test's check evaluation, each mirrored into the index
database). A new engine also compiles every statement again, its cache being per engine.
The storages below keep one engine per database file instead, so a connection and its
compiled statements are reused. Every read and write is still its own transaction, committed
before Dagster goes on, as before: what a run has stored survives the run being killed.

Files and tables are Dagster's own (the default `DagsterSqliteStorage` layout), so `make dev`,
the UI and any later run read the history as usual. Only the process that opens the instance
through `quick_instance` uses these classes; `make dev` keeps Dagster's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.base_storage import DagsterStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from sqlalchemy.engine import Connection, Engine


class _Engines:
    """One engine per SQLite URL, each keeping its connections open between transactions."""

    def __init__(self) -> None:
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> Engine:
        with self._lock:
            if url not in self._engines:
                self._engines[url] = create_engine(
                    url,
                    # two kept: Dagster asks has_table() while it holds the index database's connection;
                    # more only for a moment (the pool blocks no one)
                    pool_size=2,
                    max_overflow=-1,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
                )
            return self._engines[url]

    def dispose(self) -> None:
        with self._lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()


class QuickSqliteEventLogStorage(SqliteEventLogStorage):
    """The per-run event databases and the index database, each through its own lasting engine."""

    def __init__(self, base_dir: str, inst_data: dg.ConfigurableClassData | None = None) -> None:
        self._engines = _Engines()
        super().__init__(base_dir, inst_data=inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # as SqliteEventLogStorage._connect, less the engine created and disposed on each call
        with self._db_lock:
            engine = self._engines.get(self.conn_string_for_shard(shard))
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as connection, connection.begin():
                yield connection

    def has_table(self, table_name: str) -> bool:
        # asked before every asset check evaluation is stored: over the lasting engine too
        engine = self._engines.get(self.conn_string_for_shard(INDEX_SHARD_NAME))
        with engine.connect() as connection:
            return bool(engine.dialect.has_table(connection, table_name))

    def dispose(self) -> None:
        super().dispose()
        self._engines.dispose()


class QuickSqliteRunStorage(SqliteRunStorage):
    """runs.db through one lasting engine."""

    def __init__(self, conn_string: str, inst_data: dg.ConfigurableClassData | None = None) -> None:
        self._engines = _Engines()
        super().__init__(conn_string, inst_data)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self._engines.get(self._conn_string).connect() as connection, connection.begin():
            yield connection

    def dispose(self) -> None:
        super().dispose()
        self._engines.dispose()


class QuickSqliteStorage(DagsterSqliteStorage):
    """DagsterSqliteStorage (same base_dir, same files) with the two storages above."""

    def __init__(self, base_dir: str, inst_data: dg.ConfigurableClassData | None = None) -> None:
        # DagsterSqliteStorage.__init__ with the two classes above (it names its classes itself)
        self.base_dir = base_dir
        self._run_storage = QuickSqliteRunStorage.from_local(str(Path(base_dir) / "history"))
        self._event_log_storage = QuickSqliteEventLogStorage(str(Path(base_dir) / "history" / "runs"))
        self._schedule_storage = SqliteScheduleStorage.from_local(str(Path(base_dir) / "schedules"))
        self._inst_data = inst_data
        DagsterStorage.__init__(self)

    @classmethod
    def from_config_value(
        cls, inst_data: dg.ConfigurableClassData | None, config_value: dict[str, str]
    ) -> QuickSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)


# dagster.yaml keys that choose a storage: when DAGSTER_HOME's file sets one, it is used as set
STORAGE_KEYS = ("storage", "run_storage", "event_log_storage", "schedule_storage")


def quick_instance(dagster_home: Path) -> dg.DagsterInstance:
    """The instance of DAGSTER_HOME, with QuickSqliteStorage unless its dagster.yaml chooses a storage."""
    home = str(dagster_home.resolve())
    config, _ = dagster_instance_config(home)
    if any(config.get(key) for key in STORAGE_KEYS):
        return dg.DagsterInstance.get()
    storage = {"custom": {"module": __name__, "class": QuickSqliteStorage.__name__, "config": {"base_dir": home}}}
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(home, overrides={"storage": storage}))
