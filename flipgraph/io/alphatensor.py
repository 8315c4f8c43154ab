"""AlphaTensor factorizations (``factorizations_f2.npz``, ``factorizations_r.npz``), read safely.

The archive maps keys ``"n,m,p"`` to (U, V, W) with shapes (n·m × R), (m·p × R), (p·n × R):
columns are products, and W indexes C TRANSPOSED (trace convention, entry k*n + i is C[i, k]).
Most entries are pickled object arrays. The file is untrusted input, so it is NOT opened with
``np.load(allow_pickle=True)``: each ``.npy`` member is read from the zip, a plain numeric array
through :func:`numpy.lib.format.read_array` (pickles refused), an object array through a
restricted unpickler that can only rebuild ndarrays (``ndarray``, ``dtype``, ``_reconstruct``);
any other class is a FormatError. Element values must be integers or floats with a small binary
denominator (±0.5 becomes Fraction(-1, 2), exactly); NaN, infinities and values like 0.1 are refused.

The archive's sizes are not trusted: a member may expand to at most MAX_MEMBER_BYTES (read in
chunks, so a zip bomb costs no memory), and a header's shape must match the bytes present.

Ring: explicit ring, else ``z2`` when the file name says ``f2``/``mod2`` (``_r``: the smallest of
zt, z, q holding the values), else as :func:`flipgraph.io.common.build_read` finds it.
"""
from __future__ import annotations

import io
import pickle
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..scheme import Scheme
from .npy import exact as npy_exact, header as npy_header, plain_array as npy_plain_array
from .common import build_read, check_size, from_trace, ring_flag_from_name

MAX_MEMBER_BYTES = 1 << 25          # 32 MB: ten times AlphaTensor's largest member


def _reconstruct():
    try:
        from numpy._core.multiarray import _reconstruct as fn
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct as fn
    return fn


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
}


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles ndarrays and nothing else (see the module docstring)."""

    def __init__(self, file, where: str):
        super().__init__(file)
        self.where = where

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]()
        raise FormatError(f"{self.where}: refused to unpickle {module}.{name} (only numeric arrays "
                          f"are accepted)")


def parse_all(path: str | Path, where: str, ring=None, keys=None) -> list[tuple[str, Scheme]]:
    """The factorizations in the archive (those in ``keys`` when given), as ("n,m,p", Scheme) in
    the archive's order."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError,
            struct.error) as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise                      # the file system's error, named by the caller
        raise FormatError(f"{where}: not an .npz (zip) archive ({exc})") from None
    flag = ring_flag_from_name(path)
    out = []
    with archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                raise FormatError(f"{where}: unexpected member {info.filename!r} (expected n,m,p.npy)")
            key = info.filename[:-4]
            if keys is not None and key not in keys:
                continue
            loc = f"{where}: key {key!r}"
            fmt = _key_format(key, loc)
            U, V, W = _factors(_member(archive, info, loc), fmt, loc)
            n, m, p = fmt
            U, V, W = U.T, V.T, from_trace(W.T, n, p)
            out.append((key, build_read(loc, fmt, U, V, W, ring, flag)))
    return out


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    """The member's bytes, read in chunks and refused beyond MAX_MEMBER_BYTES (its declared size
    is not trusted)."""
    if info.file_size > MAX_MEMBER_BYTES:
        raise FormatError(f"{where}: member of {info.file_size} bytes is too large")
    chunks, total = [], 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(1 << 20):
                total += len(chunk)
                if total > MAX_MEMBER_BYTES:
                    raise FormatError(f"{where}: member expands beyond {MAX_MEMBER_BYTES} bytes")
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError,
            struct.error) as exc:
        raise FormatError(f"{where}: damaged archive member ({type(exc).__name__}: {exc})") from None
    return b"".join(chunks)


def _key_format(key: str, where: str) -> tuple[int, int, int]:
    parts = key.split(",")
    if len(parts) != 3 or not all(x.isascii() and x.isdigit() and len(x) <= 6 and int(x) >= 1
                                  for x in parts):
        raise FormatError(f"{where}: key is not of the form 'n,m,p'")
    return tuple(int(x) for x in parts)


def _factors(raw: bytes, fmt, where: str) -> list[np.ndarray]:
    """(U, V, W) as object arrays of exact numbers, in the file's layout (columns = products)."""
    stream = io.BytesIO(raw)
    shape, fortran, dtype = npy_header(stream, where)
    if dtype.hasobject:
        if shape != (3,) or fortran:
            raise FormatError(f"{where}: expected 3 factors, found an object array of shape {shape}")
        try:
            array = _ArrayUnpickler(stream, where).load()
        except FormatError:
            raise
        except Exception as exc:  # a malformed pickle: any error is bad input
            raise FormatError(f"{where}: unreadable pickled array ({type(exc).__name__})") from None
        if not isinstance(array, np.ndarray) or array.shape != (3,):
            raise FormatError(f"{where}: expected 3 factors")
        factors = list(array)
    else:
        array = npy_plain_array(stream, where, shape, fortran, dtype)
        if array.ndim != 3 or array.shape[0] != 3:
            raise FormatError(f"{where}: expected 3 stacked factors, found shape {array.shape}")
        factors = list(array)
    n, m, p = fmt
    rows = (n * m, m * p, p * n)
    ranks = set()
    for name, factor, want in zip("UVW", factors, rows):
        if not isinstance(factor, np.ndarray) or factor.ndim != 2 or factor.shape[0] != want:
            got = factor.shape if isinstance(factor, np.ndarray) else type(factor).__name__
            raise FormatError(f"{where}: factor {name} has shape {got}, expected ({want}, R)")
        ranks.add(factor.shape[1])
    if len(ranks) != 1:
        raise FormatError(f"{where}: the factors disagree on the rank ({sorted(ranks)})")
    check_size(where, fmt, ranks.pop())
    return [npy_exact(factor, f"{where}: factor {name}") for name, factor in zip("UVW", factors)]

