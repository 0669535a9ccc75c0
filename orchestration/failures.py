"""Why a run failed, in words for the `pipeline FAILED` line: a full disk, or the warehouse taken.

A step's error reaches the command line as text (Dagster's step failure, dbt's log messages inside
it) or, when Dagster could not even store it (its run history on a full disk), as the exception the
writer lock saw leave the step (orchestration/locking.py). Both are read here; anything else is left
to the step's own message in the log above the line.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from orchestration.disks import describe_disk
from orchestration.locking import describe_process
from orchestration.settings import Settings

# The messages a full disk produces: the OS (ENOSPC), DuckDB ("No space left on device", also inside
# dbt's log), SQLite (Dagster's run history: SQLITE_FULL, and SQLITE_IOERR when a write of its log fails).
NO_SPACE = re.compile(r"No space left on device|\[Errno 28\]|database or disk is full|disk I/O error", re.I)
# DuckDB: 'Could not set lock on file "...": Conflicting lock is held in /usr/bin/python3 (PID 123) by user x'
CONFLICTING_LOCK = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")
QUOTED_PATH = re.compile(r"[\"'](/[^\"']+)[\"']")


def exception_text(error: BaseException) -> str:
    """The messages of an exception and of the errors that caused it, one per line."""
    texts, seen = [], set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # an OSError's text names its file: "[Errno 28] No space left on device: '/data/x'"
        texts.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return "\n".join(texts)


def error_info_text(info: object) -> str:
    """The messages of Dagster's SerializableErrorInfo and of its causes, one per line."""
    texts, seen = [], 0
    pending = [info]
    while pending and seen < 20:
        current = pending.pop(0)
        if current is None:
            continue
        seen += 1
        texts.append(getattr(current, "message", "") or "")
        pending += [getattr(current, "cause", None), getattr(current, "context", None)]
    return "\n".join(texts)


def is_no_space(text: str) -> bool:
    return bool(NO_SPACE.search(text))


def is_dagster_storage_error(error: BaseException) -> bool:
    """An error of Dagster's own SQLite storage (its run history in DAGSTER_HOME)."""
    current: BaseException | None = error
    seen = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.Error) or type(current).__module__.startswith("sqlalchemy"):
            return True
        current = current.__cause__ or current.__context__
    return False


def full_folder(text: str, settings: Settings) -> Path | None:
    """The folder of the pipeline whose file an error message names (the deepest one that matches)."""
    folders = sorted(
        {settings.warehouse.parent, settings.serving_db.parent, settings.dagster_home},
        key=lambda folder: len(folder.parts),
        reverse=True,
    )
    for quoted in QUOTED_PATH.findall(text):
        path = Path(quoted)
        for folder in folders:
            if path == folder or folder in path.parents:
                return folder
    return None


def no_space_message(text: str, settings: Settings, folder: Path | None = None) -> str:
    """'no space left on the disk of <folder> (mounted at ..., N free now)'; every folder when the message
    names none of them."""
    folder = folder or full_folder(text, settings)
    if folder is not None:
        return f"no space left on {describe_disk(folder)}"
    folders = dict.fromkeys([settings.warehouse.parent, settings.serving_db.parent, settings.dagster_home])
    return "no space left on a disk the run writes: " + "; ".join(describe_disk(f) for f in folders)


def lock_message(text: str, settings: Settings) -> str | None:
    """Who took the warehouse during the run, as the pre-run lock message says it."""
    match = CONFLICTING_LOCK.search(text)
    if match is None:
        return None
    holder = describe_process(int(match["pid"]), fallback=match["program"])
    return (
        f"{settings.warehouse} was taken during the run by {holder}: close that program (BI tools should open "
        "the serving file, ECOM_SERVING_DB, instead) and run again"
    )


def first_line(text: str) -> str:
    """The line of an error message that says what happened (dbt's parsed errors, else the first)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if is_no_space(line) or CONFLICTING_LOCK.search(line):
            return line[:300]
    return lines[0][:300] if lines else ""


ADVICE = "free space on that disk (docs/operations.md, Free space), then run again"


def explain(text: str, settings: Settings) -> str | None:
    """'no space left on ...' or '<warehouse> was taken ...' for an error message, else None."""
    locked = lock_message(text, settings)
    if locked:
        return locked
    if is_no_space(text):
        return f"{no_space_message(text, settings)} ({first_line(text)}): {ADVICE}"
    return None


def explain_step(step: str, text: str, settings: Settings) -> str | None:
    """'<step>: no space left on ...' or '<step>: <warehouse> was taken ...', else None."""
    reason = explain(text, settings)
    return f"{step}: {reason}" if reason else None


def explain_steps(failures: Iterable[tuple[str, str]], settings: Settings) -> list[str]:
    """One line per reason, naming every step it failed (a lock taken fails dbt and the checks after it)."""
    steps_by_reason: dict[str, list[str]] = {}
    for step, text in failures:
        reason = explain(text, settings)
        if reason:
            steps_by_reason.setdefault(reason, []).append(step)
    return [f"{', '.join(steps)}: {reason}" for reason, steps in steps_by_reason.items()]


def is_storage_error(error: BaseException) -> bool:
    """Dagster's own storage failing, or any error a full disk explains."""
    return is_dagster_storage_error(error) or is_no_space(exception_text(error))


def explain_crash(error: BaseException, step_errors: list[BaseException], settings: Settings) -> str:
    """The `pipeline FAILED` line when the run itself broke (Dagster could not store its events): what
    broke, on which disk, and the error of the step that failed before, which Dagster could not record."""
    text = exception_text(error)
    if is_dagster_storage_error(error):
        what = f"Dagster could not write its run history in {settings.dagster_home} ({first_line(text)})"
        folder: Path | None = settings.dagster_home
    else:
        what = f"the run stopped: {first_line(text)}"
        folder = None
    parts = [f"{what}; {no_space_message(text, settings, folder)}: {ADVICE}" if is_no_space(text) else what]
    for step_error in step_errors:
        if step_error is error:
            continue
        step_text = exception_text(step_error)
        parts.append(explain_step("before that a step failed", step_text, settings) or first_line(step_text))
    return "pipeline FAILED: " + "; ".join(parts)
