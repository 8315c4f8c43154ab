"""Untrusted ``.npy`` data, read without pickles and without trusting the header's sizes.

    header(stream, where) -> (shape, fortran_order, dtype)
    plain_array(stream, where, shape, fortran, dtype) -> ndarray   (numeric dtypes only)
    exact(array, where) -> int64 array, or object array of Fractions

A header that does not parse, a shape whose data is not in the stream, or values that are not
exact small numbers are FormatErrors naming ``where``; nothing is allocated beyond the bytes present.
"""
from __future__ import annotations

import warnings
from fractions import Fraction
from math import prod

import numpy as np
from numpy.lib import format as npy_format

from ..errors import FormatError

MAX_DENOMINATOR = 2**16
_LIMIT = 2**62


def header(stream, where: str):
    """(shape, fortran_order, dtype) of the ``.npy`` data at the stream's position."""
    try:
        version = npy_format.read_magic(stream)
        read = {(1, 0): npy_format.read_array_header_1_0,
                (2, 0): npy_format.read_array_header_2_0}.get(version)
        if read is None:
            raise ValueError(f"unsupported .npy version {version}")
        with warnings.catch_warnings():       # e.g. "created on Python 2": not the user's concern
            warnings.simplefilter("ignore")
            shape, fortran, dtype = read(stream)
    except Exception as exc:  # noqa: BLE001 - numpy's header parser raises many kinds on bad bytes
        raise FormatError(f"{where}: not a .npy array ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0][:80] if str(exc) else 'damaged header'})") from None
    if not all(isinstance(d, int) and d >= 0 for d in shape):
        raise FormatError(f"{where}: bad .npy shape {shape}")
    return shape, fortran, dtype


def plain_array(stream, where: str, shape, fortran: bool, dtype) -> np.ndarray:
    """The numeric array that follows the header; the header's size must match the bytes present."""
    if dtype.hasobject or dtype.kind not in "biuf" or dtype.itemsize == 0:
        raise FormatError(f"{where}: values of type {dtype} (expected integers or floats)")
    want = prod(shape) * dtype.itemsize
    data = stream.read(want + 1)
    if len(data) != want:
        raise FormatError(f"{where}: the header announces {want} bytes of data, the file holds "
                          f"{len(data) if len(data) <= want else 'more'}")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")


def exact(values: np.ndarray, where: str) -> np.ndarray:
    """int64 when every value is an integer, else an object array of exact Fractions (floats
    must be small dyadic fractions: ±0.5 becomes Fraction(-1, 2)); integers at or beyond 2^62
    (an unsigned 2^64 - 1 is not -1) are refused."""
    if values.dtype.kind == "b":
        return values.astype(np.int64)
    if values.dtype.kind in "iu":
        if values.size and (int(values.max()) >= _LIMIT or int(values.min()) <= -_LIMIT):
            raise FormatError(f"{where}: value {int(values.max()) if int(values.max()) >= _LIMIT else int(values.min())} is too large")
        return values.astype(np.int64)
    if values.dtype.kind != "f":
        raise FormatError(f"{where}: values of type {values.dtype} (expected integers or floats)")
    values = values.astype(np.float64)                  # exact from float16/32
    bad = ~np.isfinite(values) | (np.abs(values) >= 2.0**40)
    if bad.any():
        raise FormatError(f"{where}: value {values[bad][0]!r} is not finite or too large")
    scaled = values * MAX_DENOMINATOR                   # exact: a power-of-two scaling
    off = scaled != np.round(scaled)
    if off.any():
        raise FormatError(f"{where}: value {values[off][0]!r} is not a small dyadic fraction")
    if (values == np.round(values)).all():
        return values.astype(np.int64)
    distinct, inverse = np.unique(scaled.astype(np.int64), return_inverse=True)
    table = np.array([Fraction(int(v), MAX_DENOMINATOR) for v in distinct] + [None], dtype=object)[:-1]
    return table[inverse.reshape(values.shape)]
