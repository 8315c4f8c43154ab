"""Atomic file writes: every file flipgraph writes appears whole or not at all.

The data goes to a temporary file ``.<name>.<random>.tmp`` in the target's folder, is fsynced,
renamed over the target with ``os.replace`` and the folder is fsynced; a missing folder is created
first (as ``search --out`` creates its folder). A process killed at any moment leaves the old file
or the new one, never half of one. On any error (disk full, no permission, a parent that is a
file, ...) the temporary file is removed and a one-line
:class:`~flipgraph.errors.FlipgraphError` naming the user's file (never the temporary one) is
raised. An existing file keeps its permissions; a new one gets 0o666 minus the umask.

Example::

    >>> from flipgraph.atomic import write_text
    >>> write_text("/tmp/hello.txt", "hello\\n")                          # doctest: +SKIP
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import FlipgraphError

__all__ = ["write_text", "write_bytes", "replacing", "temporary_pattern"]


def write_text(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with replacing(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)


def temporary_pattern(path) -> str:
    """The glob pattern (in ``path``'s folder) of the temporary files written for ``path``."""
    return f".{Path(path).name}.*.tmp"


@contextmanager
def replacing(path):
    """Yield the name of a fresh, empty temporary file next to ``path``; when the block ends
    without error, fsync it and atomically replace ``path`` with it. For writers that need a
    file name. Errors: see the module docstring."""
    path = Path(path)
    tmp = None
    try:
        _make_folder(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        yield Path(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        tmp = None
        _fsync_folder(path.parent)
    except OSError as exc:
        raise FlipgraphError(f"{path}: not written: {_reason(exc, tmp, path)}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _make_folder(path: Path) -> None:
    """Create ``path``'s missing folders; a file in their way is a one-line error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (path.parent, *path.parent.parents)
                        if p.exists() and not p.is_dir()), path.parent)
        raise FlipgraphError(f"{path}: not written: {blocker} is a file, not a folder") from None


def _reason(exc: OSError, tmp, path: Path) -> str:
    """The OS's reason, without the temporary file's name."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return reason.replace(str(tmp), str(path)) if tmp else reason


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
