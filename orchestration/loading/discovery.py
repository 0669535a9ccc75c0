"""Finds the landed files of each source, per the contract's naming rules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestration.loading.contract import (
    EVENT_EXTENSIONS,
    EVENT_SOURCE,
    IGNORED_PREFIXES,
    IGNORED_SUFFIXES,
    TABLE_EXTENSIONS,
)


@dataclass(frozen=True)
class LandedFile:
    source: str
    path: Path  # absolute
    relative_path: str  # relative to the landing directory, '/'-separated
    size: int
    mtime: float

    @property
    def format(self) -> str:
        name = self.path.name.removesuffix(".gz")
        if name.endswith(".csv"):
            return "csv"
        if name.endswith(".parquet"):
            return "parquet"
        return "json"


def is_ignored(relative_parts: tuple[str, ...]) -> bool:
    """Writers use temporary names and rename when done; any hidden part hides the file."""
    if any(part.startswith(IGNORED_PREFIXES) for part in relative_parts):
        return True
    return relative_parts[-1].endswith(IGNORED_SUFFIXES)


def has_known_format(name: str, source: str) -> bool:
    base = name.removesuffix(".gz")
    allowed = EVENT_EXTENSIONS if source == EVENT_SOURCE else TABLE_EXTENSIONS
    return base.endswith(allowed)


def discover(landing_dir: Path, source: str) -> list[LandedFile]:
    """Every loadable file of a source, sorted byte-wise by relative path (the contract's order)."""
    root = landing_dir / source
    if not root.is_dir():
        return []
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        parts = path.relative_to(root).parts
        if is_ignored(parts) or not has_known_format(path.name, source):
            continue
        stat = path.stat()
        found.append(
            LandedFile(
                source=source,
                path=path.resolve(),
                relative_path=path.relative_to(landing_dir).as_posix(),
                size=stat.st_size,
                mtime=stat.st_mtime,
            )
        )
    return sorted(found, key=lambda f: f.relative_path.encode())
