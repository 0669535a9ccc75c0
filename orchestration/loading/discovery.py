"""Finds the landed files of each source, per the contract's naming rules."""

from __future__ import annotations

import errno
import os
import stat
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
    # why the name cannot be read (a symlink loop, a FIFO, ...), else None; such a name is
    # never opened (a FIFO would block the open) and gets a load_log row with this reason
    problem: str | None = None

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


def _kind_problem(mode: int) -> str | None:
    """Why a name that is not a regular file is not read; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return (
            "a FIFO (named pipe), not a regular file: not opened, a read would wait for a writer; land a regular file"
        )
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file: not opened; land a regular file"
    return "not a regular file (a device?): not opened; land a regular file"


def _stat_problem(path: Path, exc: OSError) -> str:
    """Why stat() failed on a listed name, said so that someone can act on it."""
    if exc.errno == errno.ELOOP:
        return "symlink loop: the link resolves to itself; point it at a file or remove it"
    if exc.errno == errno.ENOENT and path.is_symlink():
        return f"dangling symlink to {os.readlink(path)}: the target does not exist; land it or remove the link"
    return f"unreadable name: {exc.strerror}; fix its permissions or remove it"


def _landed(source: str, path: Path, landing_dir: Path) -> LandedFile | None:
    """The landed file at `path`, with its problem if it cannot be read; None for a folder (its files are
    listed on their own) or a name removed since the listing."""
    relative = path.relative_to(landing_dir).as_posix()
    try:
        info = path.stat()  # follows links: the data's own size and time
    except OSError as exc:
        try:
            info = path.lstat()  # the name itself: it was just listed
        except FileNotFoundError:
            return None  # removed since the listing: nothing landed
        problem: str | None = _stat_problem(path, exc)
        resolved = path.absolute()
    else:
        if stat.S_ISDIR(info.st_mode):
            return None
        problem = _kind_problem(info.st_mode)
        resolved = path.resolve() if problem is None else path.absolute()
    return LandedFile(source, resolved, relative, info.st_size, info.st_mtime, problem)


def _unlistable(source: str, landing_dir: Path, exc: OSError) -> LandedFile:
    """A folder that cannot be listed: its files cannot even be named, so the folder is logged."""
    path = Path(exc.filename)
    try:
        info = path.lstat()
        size, mtime = info.st_size, info.st_mtime
    except OSError:
        size, mtime = 0, 0.0
    problem = f"folder cannot be listed: {exc.strerror}; its files are not loaded until it can be read"
    return LandedFile(source, path.absolute(), path.relative_to(landing_dir).as_posix(), size, mtime, problem)


def discover(landing_dir: Path, source: str) -> list[LandedFile]:
    """Every landed file of a source, sorted byte-wise by relative path (the contract's order).

    A name that looks like a data file but cannot be read (a symlink loop, a dangling link, a FIFO,
    a socket), and a folder that cannot be listed, is listed too, with its `problem`: nothing that
    lands vanishes without a trace. Folder symlinks are not followed (as pathlib's rglob)."""
    root = landing_dir / source
    if not root.is_dir():
        return []
    found = []
    unlistable: list[OSError] = []
    for folder, folders, files in os.walk(root, onerror=unlistable.append):
        # a symlink loop or a dangling link is among `files` (it is no folder); a folder symlink
        # among `folders`, not descended into: _landed skips folders
        for name in (*folders, *files):
            path = Path(folder, name)
            parts = path.relative_to(root).parts
            if is_ignored(parts) or not has_known_format(name, source):
                continue
            landed = _landed(source, path, landing_dir)
            if landed is not None:
                found.append(landed)
    for exc in unlistable:
        if exc.filename and not is_ignored(Path(exc.filename).relative_to(root).parts or ("x",)):
            found.append(_unlistable(source, landing_dir, exc))
    return sorted(found, key=lambda f: f.relative_path.encode())
