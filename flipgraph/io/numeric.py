"""The numeric text layout of ternary_flip_graph and the FastMatrixMultiplication catalogue (``.txt``).

One scheme is a line ``n1 n2 n3 r`` and then every coefficient, in three runs, one line each:
r rows of n1·n2 (u, A's entry i*n2 + j), r rows of n2·n3 (v, B's entry j*n3 + k), r rows of n3·n1
(w, over C TRANSPOSED: entry k*n1 + i is C[i, k]). Over Q every
coefficient is two integers, numerator and denominator (``1 2`` is 1/2): a run of twice the
length. A file may hold several schemes one after the other (keys "1", "2", ...). Lines starting
with ``#`` are comments. The reader tells this layout from the readable listing by content
(its first line is four integers); the ring is the file's (``_Q``/``_ZT``/``mod2`` names) or as
:func:`flipgraph.io.common.build_read` finds it. The writer writes one scheme, no comment (the
C++ tools read the file back), GF(p) coefficients as symmetric residues (z3: 2 -> -1).
"""
from __future__ import annotations

import re
from fractions import Fraction

import numpy as np

from ..errors import FormatError
from ..scheme import Scheme
from .common import (MAX_DIGITS, build_read, check_size, from_trace, ring_flag_from_name,
                     signed_values, to_trace)

_INTEGER = re.compile(r"[+-]?[0-9]+")


def looks_numeric(text: str) -> bool:
    """True when the first line that is not blank or a comment is four integers."""
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return len(line.split()) == 4 and all(t.isascii() and t.isdigit() for t in line.split())
    return False


def parse_all(text: str, where: str, path, ring=None, keys=None) -> list[tuple[str, Scheme]]:
    """Every scheme in the file, as ("1", Scheme), ("2", Scheme), ... (a one-scheme file: keyed by
    the file name); ``keys``: only those entries of a many-scheme file."""
    lines = [(number, line.split()) for number, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise FormatError(f"{where}: no scheme (an empty file)")
    flag, out, pos = ring_flag_from_name(path), [], 0
    while pos < len(lines):
        number, head = lines[pos]
        loc = f"{where}: line {number}"
        if len(head) != 4 or not all(t.isascii() and t.isdigit() and len(t) <= 9 for t in head):
            raise FormatError(f"{loc}: expected a scheme header 'n1 n2 n3 rank', got {' '.join(head)[:40]!r}")
        n, m, p, r = (int(t) for t in head)
        check_size(loc, (n, m, p), r)
        runs = []
        for name, size in (("u", r * n * m), ("v", r * m * p), ("w", r * p * n)):
            pos += 1
            at, tokens = lines[pos] if pos < len(lines) else (number, [])
            runs.append(_values(tokens, size, f"{where}: line {at}", name))
        pos += 1
        U, V, W = (np.asarray(run).reshape(r, cols) for run, cols in zip(runs, (n * m, m * p, p * n)))
        out.append((str(len(out) + 1), build_read(loc, (n, m, p), U, V, from_trace(W, n, p), ring, flag)))
    if len(out) == 1:
        return [(str(path).rsplit("/", 1)[-1], out[0][1])]
    return [entry for entry in out if keys is None or entry[0] in keys]


def write(scheme: Scheme) -> str:
    """The numeric layout of one scheme: integers, or numerator-denominator pairs over Q."""
    n, m, p = scheme.format
    U, V, W = signed_values(scheme)
    runs = (U, V, to_trace(W, n, p))
    pairs = any(Fraction(x).denominator != 1 for run in runs for x in run.ravel())
    lines = [f"{n} {m} {p} {scheme.rank}"]
    for run in runs:
        lines.append(" ".join(f"{x.numerator} {x.denominator}" if pairs else str(x.numerator)
                              for x in map(Fraction, run.ravel())))
    return "\n".join(lines) + "\n"


def _values(tokens: list[str], size: int, where: str, name: str) -> list:
    """``size`` coefficients from ``tokens``: ``size`` integers, or ``2·size`` numerator-denominator
    pairs."""
    if len(tokens) not in (size, 2 * size):
        raise FormatError(f"{where}: run {name}: {len(tokens)} numbers, expected {size} (or "
                          f"{2 * size} for numerator-denominator pairs)")
    bad = next((t for t in tokens if len(t) > MAX_DIGITS or not _INTEGER.fullmatch(t)), None)
    if bad is not None:
        raise FormatError(f"{where}: run {name}: {bad[:20]!r} is not an integer (of at most "
                          f"{MAX_DIGITS} digits)")
    ints = [int(t) for t in tokens]
    if len(tokens) == size:
        return np.array(ints, dtype=np.int64 if all(-2**62 < x < 2**62 for x in ints) else object)
    if 0 in ints[1::2]:
        raise FormatError(f"{where}: run {name}: a zero denominator")
    return np.array([Fraction(a, b) for a, b in zip(ints[::2], ints[1::2])] + [None], dtype=object)[:-1]
