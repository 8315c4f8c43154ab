"""flipgraph.atomic: whole files or none, one-line errors naming the user's file."""
from __future__ import annotations

import errno
import os

import pytest

from flipgraph import classics, io
from flipgraph.atomic import replacing, write_bytes, write_text
from flipgraph.errors import FlipgraphError


def _no_temporaries(folder):
    return not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_writes_and_keeps_permissions(tmp_path):
    path = tmp_path / "a.txt"
    write_text(path, "one\n")
    mask = os.umask(0)
    os.umask(mask)
    assert path.read_text() == "one\n" and path.stat().st_mode & 0o777 == 0o666 & ~mask
    path.chmod(0o640)
    write_bytes(path, b"two")
    assert path.read_bytes() == b"two" and path.stat().st_mode & 0o777 == 0o640
    assert _no_temporaries(tmp_path)


def test_failure_in_the_block_keeps_the_old_file(tmp_path):
    path = tmp_path / "a.txt"
    write_text(path, "old")
    with pytest.raises(RuntimeError):
        with replacing(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("writer crashed")
    assert path.read_text() == "old" and _no_temporaries(tmp_path)
    with pytest.raises(FlipgraphError) as info:
        with replacing(path) as tmp:
            raise OSError(errno.EIO, "Input/output error", str(tmp))
    assert str(info.value) == f"{path}: not written: Input/output error"


@pytest.mark.parametrize("call", ["write", "fsync"])
def test_disk_full_is_one_line_naming_the_file(tmp_path, monkeypatch, call):
    path = tmp_path / "scheme.exp"
    io.save(classics.strassen(), path)
    before = path.read_bytes()

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, call, full)
    with pytest.raises(FlipgraphError) as info:
        io.save(classics.laderman(), path)
    monkeypatch.undo()
    assert str(info.value) == f"{path}: not written: No space left on device"
    assert path.read_bytes() == before and _no_temporaries(tmp_path)


def test_missing_folders_are_created_and_a_file_in_the_way_is_a_flipgraph_error(tmp_path):
    write_text(tmp_path / "new" / "deeper" / "a.txt", "x")
    assert (tmp_path / "new" / "deeper" / "a.txt").read_text() == "x"
    (tmp_path / "plain").write_text("a file")
    for target in (tmp_path / "plain" / "a.txt", tmp_path / "plain" / "deeper" / "a.txt"):
        with pytest.raises(FlipgraphError, match=f"{target}: not written: {tmp_path / 'plain'} "
                                                 f"is a file, not a folder"):
            write_text(target, "x")
