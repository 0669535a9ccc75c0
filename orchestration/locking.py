"""One writer at a time: an advisory lock file beside the warehouse.

DuckDB itself refuses a second writer, but only at the moment a process opens
the file: two pipeline runs would interleave (one loading while the other
runs dbt) and fail halfway. Every writer of the warehouse (the `make run`
command for its whole run, and each warehouse-writing step of a run the
Dagster daemon launches) holds this lock, so runs never overlap.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

# flock locks belong to an open file: a second open in the same process would
# wait for itself. Nested holders in one process share the first one.
_held: dict[Path, int] = {}
# Errors that ended a hold of the lock (a writing step failing), in order, the last few. When Dagster
# cannot store a step's failure (its run history on a full disk) the command line still names it from here.
_errors: list[BaseException] = []
_ERRORS_KEPT = 10


def _remember(error: BaseException) -> None:
    _errors.append(error)
    del _errors[:-_ERRORS_KEPT]


def errors_seen() -> list[BaseException]:
    """The errors that left a holder of the lock in this process since forget_errors()."""
    return list(_errors)


def forget_errors() -> None:
    _errors.clear()


class WarehouseBusyError(RuntimeError):
    """Another process writes (or holds) the warehouse."""


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def describe_process(pid: int, fallback: str = "?") -> str:
    """'process 123 (python -m orchestration.cli run)': its command line, or `fallback` once it has ended."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        command = ""
    return f"process {pid} ({command or fallback})"


def _holder(path: Path) -> str:
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return "another process"
    return describe_process(pid)


@contextmanager
def warehouse_lock(warehouse: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Holds the warehouse's writer lock; waits up to `wait_seconds`, then raises WarehouseBusyError."""
    warehouse = warehouse.resolve()
    if warehouse in _held:
        _held[warehouse] += 1
        try:
            yield
        except Exception as error:
            _remember(error)
            raise
        finally:
            _held[warehouse] -= 1
        return
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusyError(
                        f"{warehouse} is being written by {_holder(path)}: only one pipeline run may write it. "
                        "Wait for that run to finish (or stop it), then run again."
                    ) from None
                time.sleep(0.5)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _held[warehouse] = 1
        try:
            yield
        except Exception as error:
            _remember(error)
            raise
        finally:
            del _held[warehouse]
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def check_warehouse_openable(warehouse: Path) -> None:
    """Fails early, naming the file and the process, when something outside the pipeline
    (a BI tool, a notebook, the DuckDB CLI) holds the warehouse open."""
    if not warehouse.exists():
        return
    try:
        duckdb.connect(str(warehouse)).close()
    except duckdb.IOException as error:
        raise WarehouseBusyError(
            f"cannot open {warehouse} for writing: {error}. Another program holds it open; close it "
            "(BI tools should open the serving file, ECOM_SERVING_DB, instead) and run again."
        ) from None
