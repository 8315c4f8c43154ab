"""Moosbauer ``.exp`` files (Kauers–Moosbauer flip-graph results), trace convention.

One product per line, ``(a11+a12)*(b21)*(2*c11-c13)``: three linear forms (a single-term factor
may stand without parentheses, ``a31*(b11-b12)*(c12)``) in A, B and C with
1-based two-digit indices (``a1_12`` style for dimensions of 10 or more), such that
sum over products of a·b·c = trace(A·B·C). So ``c_ki`` marks the output entry C[i, k] (C is
transposed with respect to the project convention; the reader and writer convert). Blank lines
and ``#`` comments are ignored.

The format comes from the file name (``345-47-mod0.exp``, ``3x4x5...``) when it has one, else
from the largest indices. The ring: an explicit ring, else ``z2`` for ``mod2`` names, else the
smallest of zt, z, q holding the coefficients.
"""
from __future__ import annotations

import re

from ..errors import FormatError
from ..scheme import Scheme
from .common import format_from_name, ring_flag_from_name, signed_values, to_trace
from .forms import scheme_from_trace_triples
from .listing import entry_names, form_text

_COEFFICIENT = re.compile(r"\s*[+-]?\s*\d+(?:/\d+)?\s*$")


def parse(text: str, where: str, path, ring=None) -> Scheme:
    """The scheme in ``.exp`` text; ``path`` supplies the name hints (format, mod2)."""
    triples = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        loc = f"{where}: line {number}"
        groups = _factors(line, loc)
        if len(groups) != 3:
            raise FormatError(f"{loc}: expected (a-form)*(b-form)*(c-form), found {len(groups)} "
                              f"factor(s)")
        triples.append((loc, *groups))
    return scheme_from_trace_triples(triples, where, format_from_name(path),
                                     ring if ring is not None else ring_flag_from_name(path))


def write(scheme: Scheme) -> str:
    """``.exp`` text: one line per product, C written transposed (``c_ki`` for C[i, k])."""
    n, m, p = scheme.format
    U, V, W = signed_values(scheme)
    names = (entry_names("a", n, m), entry_names("b", m, p), entry_names("c", p, n))
    lines = []
    for a, b, c in zip(U, V, to_trace(W, n, p)):
        forms = (form_text(row, nm, times="*", spaced=False) for row, nm in zip((a, b, c), names))
        lines.append("*".join(f"({f})" for f in forms))
    return "\n".join(lines) + ("\n" if lines else "")


def _factors(line: str, where: str) -> list[str]:
    """Split a product at the ``*`` outside parentheses; a bare coefficient (``2*a31``) stays
    with the term after it."""
    pieces, depth, start = [], 0, 0
    for pos, ch in enumerate(line):
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            raise FormatError(f"{where}: unbalanced ')' in {line!r}")
        if ch == "*" and depth == 0:
            pieces.append(line[start:pos])
            start = pos + 1
    if depth:
        raise FormatError(f"{where}: unbalanced '(' in {line!r}")
    pieces.append(line[start:])
    merged = []
    for piece in pieces:
        if merged and _COEFFICIENT.match(merged[-1]):
            merged[-1] += "*" + piece
        else:
            merged.append(piece)
    return merged
