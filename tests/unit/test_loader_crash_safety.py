"""A crash mid-load leaves nothing behind, and the rerun loads everything exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.loading import load


def write_events(landing: Path) -> None:
    for day in (1, 2, 3):
        path = landing / "events" / f"2026-01-0{day}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "\n".join(
                f'{{"messageId":"m{day}-{i}","type":"page","timestamp":"2026-01-0{day}T10:00:0{i}Z","anonymousId":"a{i}"}}'
                for i in range(3)
            )
            + "\n"
        )


def counts(con) -> tuple[int, int]:
    return (
        con.execute("select count(*) from raw.events").fetchone()[0],
        con.execute("select count(*) from raw.load_log").fetchone()[0],
    )


def test_crash_then_rerun(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    landing = tmp_path / "landing"
    write_events(landing)
    con = load.connect(tmp_path / "wh.duckdb")
    load.ensure_raw_schema(con)

    real_log = load._log
    calls = {"n": 0}

    def crash_on_second_file(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("simulated crash while logging the second file")
        return real_log(*args, **kwargs)

    monkeypatch.setattr(load, "_log", crash_on_second_file)
    with pytest.raises(KeyboardInterrupt):
        load.load_source(con, landing, "events")
    con.execute("rollback")
    # the batch was one transaction: no row and no log entry survived
    assert counts(con) == (0, 0)

    monkeypatch.setattr(load, "_log", real_log)
    stats = load.load_source(con, landing, "events")
    assert (stats.files_loaded, stats.rows_loaded) == (3, 9)
    assert counts(con) == (9, 3)

    # a third run finds nothing new
    again = load.load_source(con, landing, "events")
    assert (again.files_loaded, again.files_skipped) == (0, 3)
    assert counts(con) == (9, 3)


def test_changed_file_is_a_new_version(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_events(landing)
    con = load.connect(tmp_path / "wh.duckdb")
    load.ensure_raw_schema(con)
    load.load_source(con, landing, "events")
    path = landing / "events" / "2026-01-01.jsonl"
    path.write_text(
        path.read_text() + '{"messageId":"m-new","type":"page","timestamp":"2026-01-01T11:00:00Z","anonymousId":"a9"}\n'
    )
    stats = load.load_source(con, landing, "events")
    assert stats.files_loaded == 1
    # the three old lines load again (duplicates by messageId) plus the new one
    assert (stats.rows_loaded, stats.duplicate_rows) == (4, 3)


def test_memory_limit_and_threads_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.settings import load_settings

    monkeypatch.setenv("ECOM_DUCKDB_MEMORY_LIMIT", "700MB")
    monkeypatch.setenv("ECOM_DUCKDB_THREADS", "1")
    settings = load_settings()
    con = load.connect(tmp_path / "wh.duckdb", settings.duckdb_memory_limit, settings.duckdb_threads)
    limit, threads = con.execute("select current_setting('memory_limit'), current_setting('threads')").fetchone()
    # DuckDB reports 700MB as 667.5 MiB
    assert limit.startswith("667") and threads == 1
