"""Helpers shared by the readers and writers: exact numbers, the trace convention, ring choice.

The trace convention (used by most public data): W indexes C TRANSPOSED, column k*n + i holds
C[i, k]. The project convention: column i*p + k holds C[i, k]. :func:`from_trace` and
:func:`to_trace` convert the W matrix (r × n·p) between the two.
"""
from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import FormatError, SchemeError
from ..rings import Z, ZT, Ring, ring as as_ring, smallest_ring
from ..scheme import Scheme

_RATIONAL = re.compile(r"\s*[+-]?\d+(?:\s*/\s*\d+)?\s*$")


def from_trace(W, n: int, p: int) -> np.ndarray:
    """W (r × p·n) indexed k*n + i (trace convention) -> W (r × n·p) indexed i*p + k."""
    W = np.asarray(W)
    return W.reshape(-1, p, n).transpose(0, 2, 1).reshape(-1, n * p)


def to_trace(W, n: int, p: int) -> np.ndarray:
    """W (r × n·p) indexed i*p + k (project convention) -> W (r × p·n) indexed k*n + i."""
    W = np.asarray(W)
    return W.reshape(-1, n, p).transpose(0, 2, 1).reshape(-1, p * n)


def parse_number(value, where: str) -> Fraction:
    """A JSON coefficient: an integer or a string "a/b" (or "a"). Floats and booleans are refused,
    so that a file round-trips exactly. ``where`` names the file and key for the error."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise FormatError(f"{where}: {value!r} is not an integer or a rational string \"a/b\"")
    if isinstance(value, str):
        if not _RATIONAL.match(value):
            raise FormatError(f"{where}: {value!r} is not a rational number \"a/b\"")
        try:
            return Fraction(value.replace(" ", ""))
        except ZeroDivisionError:
            raise FormatError(f"{where}: {value!r} has a zero denominator") from None
    return Fraction(value)


def dense_rows(rows, rank: int, cols: int, where: str) -> np.ndarray:
    """JSON rows -> object array (rank × cols) of exact numbers, or a FormatError naming ``where``
    (the key, and the row and column of a bad entry)."""
    if not isinstance(rows, list):
        raise FormatError(f"{where}: expected a list of rows")
    if len(rows) != rank:
        raise FormatError(f"{where}: {len(rows)} rows, but 'rank' is {rank}")
    out = np.empty((rank, cols), dtype=object)
    for q, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != cols:
            got = len(row) if isinstance(row, list) else type(row).__name__
            raise FormatError(f"{where}[{q}]: expected a row of {cols} coefficients, got {got}")
        out[q] = [parse_number(x, f"{where}[{q}][{c}]") for c, x in enumerate(row)]
    return out


def number_json(x) -> int | str:
    """A coefficient for JSON: an int when integral, else the string "a/b"."""
    x = Fraction(x)
    return int(x) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def signed_values(scheme: Scheme) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """U, V, W as object arrays of Fractions; GF(p) entries as symmetric representatives
    (2 -> -1 in z3), which read back to the same residues."""
    mats = (scheme.U, scheme.V, scheme.W)
    if scheme.ring.modulus:
        mod = scheme.ring.modulus
        mats = tuple(np.where(m > mod // 2, m - mod, m) for m in mats)
    return tuple(np.vectorize(Fraction, otypes=[object])(m) if m.size else m.astype(object)
                 for m in mats)


def choose_ring(explicit, flag: str | Ring | None, *mats) -> Ring:
    """The ring of an imported scheme: an explicit ring wins; else the file's own flag; else the
    smallest characteristic-0 ring (zt, z, q) holding every value."""
    if explicit is not None:
        return as_ring(explicit)
    if flag is not None:
        return as_ring(flag)
    arrays = [np.asarray(m) for m in mats]
    if all(a.dtype.kind in "iu" for a in arrays):               # fast path for integer arrays
        return ZT if all(a.size == 0 or np.abs(a).max() <= 1 for a in arrays) else Z
    return smallest_ring(np.concatenate([a.astype(object).ravel() for a in arrays]))


def build(where: str, fmt, U, V, W, ring) -> Scheme:
    """Scheme(fmt, U, V, W, ring), turning a SchemeError into a FormatError naming ``where``."""
    try:
        return Scheme(fmt, U, V, W, ring)
    except SchemeError as exc:
        raise FormatError(f"{where}: {exc}") from None


def ring_flag_from_name(path: str | Path) -> str | None:
    """'z2' when a file name says mod 2 (``mod2``, ``f2``, ``z2``, ``gf2``), else None."""
    name = Path(path).name.lower()
    return "z2" if re.search(r"(^|[^a-z0-9])(mod2|f2|z2|gf2)([^a-z0-9]|$)", name) else None


def format_from_name(path: str | Path) -> tuple[int, int, int] | None:
    """A format written in a file name: ``3x4x5...`` or Moosbauer's ``345-47...`` (one digit each)."""
    name = Path(path).name
    match = re.match(r"(\d+)x(\d+)x(\d+)(?!\d)", name) or re.match(r"(\d)(\d)(\d)-\d", name)
    return tuple(int(g) for g in match.groups()) if match else None


def line_of(text: str, offset: int) -> int:
    """1-based line number of a character offset."""
    return text.count("\n", 0, offset) + 1


def reread(scheme: Scheme, ring, where: str) -> Scheme:
    """``scheme.over(ring)``, turning a SchemeError into a FormatError naming ``where``."""
    try:
        return scheme.over(ring)
    except SchemeError as exc:
        raise FormatError(f"{where}: {exc}") from None


def load_json(text: str, where: str):
    """json.loads, with a FormatError naming file and line for invalid JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{where}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
