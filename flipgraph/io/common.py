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
from ..rings import Z, Z2, Z3, ZT, Ring, ring as as_ring, smallest_ring
from ..scheme import Scheme
from ..tensors import Target
from ..verify import verify

_RATIONAL = re.compile(r"\s*[+-]?\d+(?:\s*/\s*\d+)?\s*$")

#: Bounds checked before any allocation, so that a tiny hostile file cannot ask for gigabytes:
#: entries per factor (n·m, m·p, n·p; 4096 = 64×64, the public schemes reach 16×16) and
#: coefficients in all (r·(nm + mp + np)), and digits per coefficient.
MAX_FACTOR = 4096
MAX_ENTRIES = 5 * 10**7
MAX_DIGITS = 1000
#: A file's ring named "char0" (Kauers' ``-mod0`` names): the smallest of zt, z, q, as when unnamed,
#: but no mod-2/mod-3 fallback.
CHAR0 = "char0"


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
        if len(value) > 2 * MAX_DIGITS + 8:
            raise FormatError(f"{where}: a number of {len(value)} characters is too long")
        if not _RATIONAL.match(value):
            raise FormatError(f"{where}: {value!r} is not a rational number \"a/b\"")
        try:
            return Fraction(value.replace(" ", ""))
        except ZeroDivisionError:
            raise FormatError(f"{where}: {value!r} has a zero denominator") from None
    if value.bit_length() > 3.33 * MAX_DIGITS:
        raise FormatError(f"{where}: an integer of more than {MAX_DIGITS} digits is too long")
    return Fraction(value)


def fraction(text: str, where: str) -> Fraction:
    """A number written ``-12``, ``3/4`` (no blanks): a FormatError for a zero denominator or
    more than MAX_DIGITS digits."""
    if len(text) > 2 * MAX_DIGITS + 2:
        raise FormatError(f"{where}: a number of {len(text)} characters is too long")
    try:
        return Fraction(text)
    except ZeroDivisionError:
        raise FormatError(f"{where}: {text!r} has a zero denominator") from None
    except ValueError:
        raise FormatError(f"{where}: {text[:20]!r} is not a number") from None


def check_size(where: str, fmt, rank: int) -> None:
    """A FormatError when a scheme of ``fmt`` (n, m, p), or of a Target, and ``rank`` would exceed
    MAX_FACTOR entries per factor or MAX_ENTRIES coefficients; call before allocating the matrices."""
    if isinstance(fmt, Target):
        if max(fmt.sizes) > MAX_FACTOR or rank * sum(fmt.sizes) > MAX_ENTRIES or rank < 0:
            raise FormatError(f"{where}: rank {rank} for {fmt.label} is too large (at most "
                              f"{MAX_ENTRIES} coefficients)")
        return
    n, m, p = fmt
    if min(n, m, p) < 1 or rank < 0:
        raise FormatError(f"{where}: format {n}x{m}x{p} rank {rank}: dimensions must be positive")
    if max(n * m, m * p, n * p) > MAX_FACTOR:
        raise FormatError(f"{where}: format {n}x{m}x{p} is too large (at most {MAX_FACTOR} "
                          f"entries per matrix)")
    if rank * (n * m + m * p + n * p) > MAX_ENTRIES:
        raise FormatError(f"{where}: rank {rank} for {n}x{m}x{p} is too large (at most "
                          f"{MAX_ENTRIES} coefficients)")


def dense_rows(rows, rank: int, cols: int, where: str) -> np.ndarray:
    """JSON rows -> array (rank × cols) of exact numbers (int64 when all are plain integers, else
    objects), or a FormatError naming ``where`` (the key, and the row and column of a bad entry)."""
    if not isinstance(rows, list):
        raise FormatError(f"{where}: expected a list of rows")
    if len(rows) != rank:
        raise FormatError(f"{where}: {len(rows)} rows, but 'rank' is {rank}")
    for q, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != cols:
            got = len(row) if isinstance(row, list) else type(row).__name__
            raise FormatError(f"{where}[{q}]: expected a row of {cols} coefficients, got {got}")
    if all(type(x) is int and -2**62 < x < 2**62 for row in rows for x in row):
        return np.array(rows, dtype=np.int64).reshape(rank, cols)     # fast path: plain integers
    out = np.empty((rank, cols), dtype=object)
    for q, row in enumerate(rows):
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
    if flag is not None and flag != CHAR0:
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


def build_read(where: str, fmt, U, V, W, explicit=None, flag=None) -> Scheme:
    """The scheme a reader found, in its ring: ``explicit`` (the caller's) wins, else ``flag``
    (the file's own; CHAR0: the smallest of zt, z, q). A file that names no ring is read in the
    smallest of zt, z, q holding its values and, when invalid there, in z2 then z3 where it is
    valid (a mod-p scheme is never handed out as an integer one, nor the reverse)."""
    scheme = build(where, fmt, U, V, W, choose_ring(explicit, flag, U, V, W))
    if explicit is not None or flag is not None or verify(scheme):
        return scheme
    for ring in (Z2, Z3):
        try:
            candidate = scheme.over(ring)
        except SchemeError:
            continue
        if verify(candidate):
            return candidate
    return scheme


def ring_flag_from_name(path: str | Path) -> str | None:
    """The ring a file name states: 'z2' (``mod2``, ``f2``, ``z2``, ``gf2``), 'z3' (``mod3``,
    ``z3``, ``gf3``), CHAR0 (``mod0``, Perminov's ``_ZT``/``_Z``/``_Q`` endings, AlphaTensor's
    ``_r``: read in the smallest ring holding the values), else None."""
    name = Path(path).name.lower()
    for flag, words in (("z2", "mod2|f2|z2|gf2"), ("z3", "mod3|z3|gf3"), (CHAR0, "mod0|zt|z|q|r")):
        if re.search(rf"(^|[^a-z0-9])({words})([^a-z0-9]|$)", name):
            return flag
    return None


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
    except RecursionError:
        raise FormatError(f"{where}: JSON nested too deeply") from None
    except ValueError as exc:   # an integer of more than 4300 digits
        raise FormatError(f"{where}: invalid JSON ({str(exc).split(';')[0]})") from None
