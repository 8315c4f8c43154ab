"""Hostile and broken input (issue 13): one FormatError line naming the file, fast, bounded memory."""
import io as _io
import struct
import time
import tracemalloc
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import io_samples as samples
from flipgraph import Scheme, classics, io, verify
from flipgraph.cli import main
from flipgraph.errors import FormatError


def _refused(path, match, seconds=1.0):
    """The file is refused with one line naming it, within ``seconds`` of CPU time (not wall
    time: the test must not depend on the machine's load)."""
    start = time.process_time()
    with pytest.raises(FormatError, match=match) as info:
        io.load_all(path)
    assert time.process_time() - start < seconds
    message = str(info.value)
    assert "\n" not in message and str(Path(path).name) in message
    return message


@pytest.mark.parametrize("name, text", [
    ("s.txt", "100000 100000 100000 1\n1\n1\n1\n"),
    ("s.txt", "2 2 2 999999999\n1\n1\n1\n"),
    ("s.json", '{"n": [100000, 100000, 100000], "m": 1, "u": [], "v": [], "w": []}'),
    ("s.json", '{"n": [2, 2, 2], "m": 99999999999, "u": [], "v": [], "w": []}'),
    ("s.json", '{"flipgraph": 1, "format": [99999, 99999, 99999], "ring": "z", "rank": 1, '
               '"U": [[1]], "V": [[1]], "W": [[1]]}'),
    ("s.txt", "# format: 99999x99999x99999\nm1 = (a11)(b11)\nc11 = m1\n"),
    ("99999x99999x99999-1.exp", "(a11)*(b11)*(c11)\n"),
    ("s.exp", "(a1_99999)*(b99999_1)*(c1_1)\n"),
], ids=lambda x: x[:30])
def test_huge_sizes_in_a_tiny_file_are_refused_before_allocating(tmp_path, name, text):
    _refused(samples.write(tmp_path, name, text), "too large|expected|outside|numbers")


def _npy(header: bytes, data: bytes = b"") -> bytes:
    """A version-1 .npy file with this header dictionary (unchecked) and data."""
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", 118) + header.ljust(117) + b"\n" + data


def test_huge_shape_in_npy_headers_is_refused(tmp_path):
    raw = _npy(b"{'descr': '<i8', 'fortran_order': False, 'shape': (1, 99999999999), }", bytes(64))
    _refused(samples.write(tmp_path, "gg-222-rank7-z.npy", raw), "too large|announces")


@pytest.mark.parametrize("lie", [False, True], ids=["declared", "lying-size"])
def test_zip_bomb_is_refused_with_bounded_memory(tmp_path, lie):
    buffer = _io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("2,2,2.npy", "w") as member:
            member.write(_npy(b"{'descr': '<i8', 'fortran_order': False, 'shape': (3, 4, 3000000), }"))
            chunk = bytes(1 << 20)
            for _ in range(40):
                member.write(chunk)
    raw = bytearray(buffer.getvalue())
    if lie:                                # the archive says 1000 bytes: only reading can tell
        central = raw.rindex(b"PK\x01\x02")
        raw[central + 24:central + 28] = struct.pack("<I", 1000)
        raw[22:26] = struct.pack("<I", 1000)
    path = samples.write(tmp_path, "bomb.npz", bytes(raw))
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        _refused(path, "too large|expands beyond|damaged archive member", seconds=3)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 << 20


@pytest.mark.parametrize("name, text", [
    ("s.json", '{"n": [2, 2, 2], "m": 1, "u": [[' + "7" * 5000 + ', 0, 0, 0]], "v": [[1,0,0,0]], "w": [[1,0,0,0]]}'),
    ("s.json", '{"flipgraph": 1, "format": [1, 1, 1], "ring": "q", "rank": 1, "U": [["1/' + "3" * 5000
               + '"]], "V": [[1]], "W": [[1]]}'),
    ("s.exp", "(" + "9" * 5000 + "*a11)*(b11)*(c11)\n"),
    ("s.exp", "(a11)*(b11)*(c11)/" + "9" * 5000 + "\n"),
    ("s.txt", "1 1 1 1\n" + "9" * 5000 + "\n1\n1\n"),
    ("s.m", "{{{{" + "9" * 5000 + "}}, {{1}}, {{1}}}}"),
    ("s.txt", "m1 = (" + "9" * 5000 + "a11)(b11)\nc11 = m1\n"),
], ids=lambda x: x[:30])
def test_integers_of_thousands_of_digits_are_refused(tmp_path, name, text):
    _refused(samples.write(tmp_path, name, text), "digits|too long|not a number|not an integer|invalid JSON")


@pytest.mark.parametrize("name", ["s.json", "s.m"])
def test_deeply_nested_input_is_refused(tmp_path, name):
    opener = "[" if name.endswith("json") else "{"
    _refused(samples.write(tmp_path, name, opener * 100_000), "nested too deeply|expected|invalid")


def test_corrupt_npy_header_names_the_file(tmp_path):
    raw = bytearray(samples.npz(classics.strassen()))
    start = raw.index(b"{'descr'")
    raw[start + 10:start + 30] = b"((((((((((((((((((((("[:20]
    _refused(samples.write(tmp_path, "bad.npz", bytes(raw)), "bad.npz.*(not a .npy array|damaged)")
    buffer = _io.BytesIO()
    np.save(buffer, np.zeros((1, 24), dtype=np.int64))
    raw = bytearray(buffer.getvalue())
    raw[20:40] = b"'shape': (1, 24, ((("
    _refused(samples.write(tmp_path, "gg-222-rank1-z.npy", bytes(raw)), "not a .npy array")


def test_corrupt_zip_offsets_name_the_file(tmp_path):
    raw = bytearray(samples.npz(classics.strassen()))
    end = raw.rindex(b"PK\x05\x06")
    raw[end + 16:end + 20] = struct.pack("<I", 0x7FFFFFF0)     # central directory offset
    _refused(samples.write(tmp_path, "offsets.npz", bytes(raw)), "offsets.npz")
    raw = bytearray(samples.npz(classics.strassen()))
    central = raw.rindex(b"PK\x01\x02")
    raw[central + 42:central + 46] = struct.pack("<I", 0x7FFFFF00)  # local header offset
    _refused(samples.write(tmp_path, "member.npz", bytes(raw)), "member.npz")


def test_uint64_values_that_wrap_are_not_minus_one(tmp_path):
    s = classics.strassen()
    assert verify(io.load(samples.write(tmp_path, "ok.npz", samples.npz(s))))
    path = samples.write(tmp_path, "wrap.npz", samples.npz(s, np.uint64))   # -1 stored as 2^64 - 1
    _refused(path, "too large")


def test_float16_dyadics_are_read_exactly(tmp_path):
    s = classics.strassen().over("q")
    U, W = s.U.copy(), s.W.copy()
    U[0] = U[0] * 2
    W[0] = W[0] * Fraction(1, 2)
    half = Scheme((2, 2, 2), U, s.V, W, "q")
    path = samples.write(tmp_path, "half.npz", samples.npz(half, np.float16))
    scheme = io.load(path)
    assert scheme.ring.name == "q" and scheme.W[0, 0] == Fraction(1, 2) and verify(scheme)


def test_empty_files_are_malformed(tmp_path):
    paths = [samples.write(tmp_path, name, "# nothing\n" if name.startswith("comments") else "")
             for name in ("empty.exp", "empty.txt", "comments.exp", "empty.m")]
    for path in paths:
        _refused(path, "empty|no products|expected")
    run = CliRunner().invoke(main, ["verify", *map(str, paths)])
    assert run.exit_code == 2 and run.output.count("\n") == len(paths), run.output
    assert all(line.startswith("flipgraph: error: ") for line in run.output.splitlines())


def test_verify_never_overflows_with_denominators_past_2_63():
    """Was an OverflowError in verify.py (also the crash of `lift 246-39-mod2.exp`, whose lifted
    candidate has such denominators; that file now lifts to Z)."""
    s = classics.strassen().over("q")
    U, W = s.U.copy(), s.W.copy()
    big = Fraction(3**50, 1)                                  # 3^50 > 2^79
    U[0], W[0] = U[0] / big, W[0] * big
    scheme = Scheme((2, 2, 2), U, s.V, W, "q")
    assert verify(scheme)
    W[1] = W[1] + Fraction(1, 3**45)
    verdict = verify(Scheme((2, 2, 2), U, s.V, W, "q"))
    assert not verdict and "off by" in str(verdict)
