"""Generate a sample shop landing directory.

python -m tools.sample_shop --out data/landing --days 90 --visitors 10000 --seed 7
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from tools.sample_shop.generate import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.sample_shop", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="landing directory to write (created if missing)")
    parser.add_argument("--days", type=int, default=90, help="days of history (default 90)")
    parser.add_argument("--visitors", type=int, default=10_000, help="distinct visitors (~5 events each)")
    parser.add_argument("--seed", type=int, default=7, help="same seed, same bytes")
    parser.add_argument(
        "--end-date",
        type=dt.date.fromisoformat,
        default=dt.date(2026, 10, 31),
        help="last day of data, YYYY-MM-DD (fixed by default so reruns are identical)",
    )
    args = parser.parse_args(argv)
    if args.days < 1 or args.visitors < 1:
        parser.error("--days and --visitors must be at least 1")
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    manifest = generate(args.out, args.days, args.visitors, args.seed, args.end_date, progress)
    progress(
        f"done: {manifest['events']:,} events ({manifest['event_lines']:,} lines), "
        f"{manifest['sessions']:,} sessions, {manifest['orders']:,} orders in {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
