"""AlphaTensor factorizations (``factorizations_f2.npz``, ``factorizations_r.npz``), read safely.

The archive maps keys ``"n,m,p"`` to (U, V, W) with shapes (n·m × R), (m·p × R), (p·n × R):
columns are products, and W indexes C TRANSPOSED (trace convention, entry k*n + i is C[i, k]).
Most entries are pickled object arrays. The file is untrusted input, so it is NOT opened with
``np.load(allow_pickle=True)``: each ``.npy`` member is read from the zip, a plain numeric array
through :func:`numpy.lib.format.read_array` (pickles refused), an object array through a
restricted unpickler that can only rebuild ndarrays (``ndarray``, ``dtype``, ``_reconstruct``);
any other class is a FormatError. Element values must be integers or floats with a small binary
denominator (±0.5 becomes Fraction(-1, 2), exactly); NaN, infinities and values like 0.1 are refused.

Ring: explicit ring, else ``z2`` when the file name says ``f2``/``mod2``, else the smallest of
zt, z, q holding the values.
"""
from __future__ import annotations

import io
import pickle
import zipfile
import zlib
from fractions import Fraction
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from ..errors import FormatError
from ..scheme import Scheme
from .common import build, choose_ring, from_trace, ring_flag_from_name

MAX_DENOMINATOR = 2**16
MAX_MEMBER_BYTES = 1 << 30


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
    except zipfile.BadZipFile:
        raise FormatError(f"{where}: not an .npz (zip) archive") from None
    flag = ring if ring is not None else ring_flag_from_name(path)
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
            if info.file_size > MAX_MEMBER_BYTES:
                raise FormatError(f"{loc}: member of {info.file_size} bytes is too large")
            try:
                raw = archive.read(info)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise FormatError(f"{loc}: damaged archive member ({exc})") from None
            U, V, W = _factors(raw, fmt, loc)
            n, m, p = fmt
            U, V, W = U.T, V.T, from_trace(W.T, n, p)
            out.append((key, build(loc, fmt, U, V, W, choose_ring(flag, None, U, V, W))))
    return out


def _key_format(key: str, where: str) -> tuple[int, int, int]:
    parts = key.split(",")
    if len(parts) != 3 or not all(x.isdigit() and int(x) >= 1 for x in parts):
        raise FormatError(f"{where}: key is not of the form 'n,m,p'")
    return tuple(int(x) for x in parts)


def _factors(raw: bytes, fmt, where: str) -> list[np.ndarray]:
    """(U, V, W) as object arrays of exact numbers, in the file's layout (columns = products)."""
    stream = io.BytesIO(raw)
    try:
        version = npy_format.read_magic(stream)
        read_header = {(1, 0): npy_format.read_array_header_1_0,
                       (2, 0): npy_format.read_array_header_2_0}.get(version)
        if read_header is None:
            raise ValueError(f"unsupported .npy version {version}")
        shape, fortran, dtype = read_header(stream)
    except (ValueError, OSError, SyntaxError) as exc:
        raise FormatError(f"{where}: not a .npy array ({exc})") from None
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
        stream.seek(0)
        try:
            array = npy_format.read_array(stream, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise FormatError(f"{where}: unreadable array ({exc})") from None
        if array.ndim != 3 or array.shape[0] != 3:
            raise FormatError(f"{where}: expected 3 stacked factors, found shape {array.shape}")
        factors = list(array)
    n, m, p = fmt
    rows = (n * m, m * p, p * n)
    ranks = set()
    out = []
    for name, factor, want in zip("UVW", factors, rows):
        if not isinstance(factor, np.ndarray) or factor.ndim != 2 or factor.shape[0] != want:
            got = factor.shape if isinstance(factor, np.ndarray) else type(factor).__name__
            raise FormatError(f"{where}: factor {name} has shape {got}, expected ({want}, R)")
        ranks.add(factor.shape[1])
        out.append(_exact(factor, f"{where}: factor {name}"))
    if len(ranks) != 1:
        raise FormatError(f"{where}: the factors disagree on the rank ({sorted(ranks)})")
    return out


def _exact(factor: np.ndarray, where: str) -> np.ndarray:
    """int64 when every value is an integer, else an object array of exact Fractions."""
    if factor.dtype.kind in "iu":
        return factor.astype(np.int64)
    if factor.dtype.kind != "f":
        raise FormatError(f"{where}: values of type {factor.dtype} (expected integers or floats)")
    bad = ~np.isfinite(factor) | (np.abs(factor) >= 2.0**40)
    if bad.any():
        raise FormatError(f"{where}: value {factor[bad][0]!r} is not finite or too large")
    scaled = factor * MAX_DENOMINATOR                   # exact: a power-of-two scaling
    off = scaled != np.round(scaled)
    if off.any():
        raise FormatError(f"{where}: value {factor[off][0]!r} is not a small dyadic fraction")
    if (factor == np.round(factor)).all():
        return factor.astype(np.int64)
    values, inverse = np.unique(scaled.astype(np.int64), return_inverse=True)
    exact = np.array([Fraction(int(v), MAX_DENOMINATOR) for v in values] + [None], dtype=object)[:-1]
    return exact[inverse.reshape(factor.shape)]
