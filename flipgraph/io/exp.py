"""Moosbauer ``.exp`` files (Kauers–Moosbauer flip-graph results), trace convention.

One product per line, ``(a11+a12)*(b21)*(2*c11-c13)``: three linear forms in A, B and C with
1-based two-digit indices (``a1_12`` style for dimensions of 10 or more), such that
sum over products of a·b·c = trace(A·B·C). So ``c_ki`` marks the output entry C[i, k] (C is
transposed with respect to the project convention; the reader and writer convert). Variants
found in published files are read too: a single-term factor without parentheses
(``a31*(b11-b12)*(c12)``), factors separated by blanks or nothing instead of ``*``
(``(a11) (b11)(c11)``), a factor divided by an integer (``(c11+c12)/3``) or multiplied by one
(``(3*(a11-a12))``, ``(-(a11))``), and a sign or
coefficient on the whole product (``-(a11)*(b11)*(c11)``, ``1/2*(...)``, ``-(a25*(b11)*c12)``). Blank lines and ``#``
comments are ignored, except a ``# ring: R`` line, which the reader honours and the writer adds.

The format comes from the file name (``345-47-mod0.exp``, ``3x4x5...``) when it has one, else
from the largest indices. The ring: an explicit ring, else the ``# ring:`` line, else the file
name's (``mod2`` -> z2, ``mod0`` -> the smallest of zt, z, q), else as
:func:`flipgraph.io.common.build_read` finds it.
"""
from __future__ import annotations

import re
from fractions import Fraction

from ..errors import FormatError
from ..scheme import Scheme
from .common import fraction, format_from_name, ring_flag_from_name, signed_values, to_trace
from .forms import scheme_from_trace_triples
from .listing import entry_names, form_text, ring_directive

_SCALE = re.compile(r"([+-]?)\s*(\d+(?:/\d+)?)?\s*\*?\s*")
_DIVISOR = re.compile(r"\s*/\s*(\d+)")
_BARE = re.compile(r"[+-]?\s*(?:\d+(?:/\d+)?\s*\*?\s*)?[a-zA-Z](?:\d+_\d+|\d+|\[\s*\d+\s*,\s*\d+\s*\])")


def parse(text: str, where: str, path, ring=None) -> Scheme:
    """The scheme in ``.exp`` text; ``path`` supplies the name hints (format, mod2)."""
    triples, flag = [], None
    for number, line in enumerate(text.splitlines(), 1):
        loc = f"{where}: line {number}"
        directive = ring_directive(line, loc)
        flag = directive or flag
        line = line.split("#", 1)[0].strip()
        if line:
            triples.append(product_triple(line, loc))
    return scheme_from_trace_triples(triples, where, format_from_name(path), ring,
                                     flag or ring_flag_from_name(path))


def write(scheme: Scheme) -> str:
    """``.exp`` text: a ``# ring:`` line, then one line per product, C written transposed
    (``c_ki`` for C[i, k])."""
    n, m, p = scheme.format
    U, V, W = signed_values(scheme)
    names = (entry_names("a", n, m), entry_names("b", m, p), entry_names("c", p, n))
    lines = [f"# ring: {scheme.ring.name}"]
    for a, b, c in zip(U, V, to_trace(W, n, p)):
        forms = (form_text(row, nm, times="*", spaced=False) for row, nm in zip((a, b, c), names))
        lines.append("*".join(f"({f})" for f in forms))
    return "\n".join(lines) + "\n"


def product_triple(line: str, where: str) -> tuple[str, str, str, str, Fraction]:
    """(where, a-form, b-form, c-form, scale) of one written product (see the module docstring)."""
    factors, scale, pos = [], Fraction(1), 0
    if line.endswith(")") and line.count(")") == line.count("(") + 1:
        line = line[:-1]                       # a stray ')' closing the line (seen in published files)
    while pos < len(line):
        if line[pos].isspace() or (line[pos] == "*" and factors):
            pos += 1
            continue
        if line[pos] == ")":
            raise FormatError(f"{where}: unbalanced ')' in {line[:60]!r}")
        if line[pos] == "(":
            end = _closing(line, pos, where)
            factor, pos = line[pos + 1:end], end + 1
            divisor = _DIVISOR.match(line, pos)
            if divisor:
                value = fraction(divisor.group(1), where)
                if value == 0:
                    raise FormatError(f"{where}: division by zero in {line[:60]!r}")
                scale, pos = scale / value, divisor.end()
            factors.append(factor)
            continue
        bare = _BARE.match(line, pos)
        if bare:
            factors.append(bare.group())
            pos = bare.end()
            continue
        coefficient = _SCALE.match(line, pos)
        if coefficient.end() > pos and line[coefficient.end():coefficient.end() + 1] == "(":
            sign, value = coefficient.groups()
            scale *= (-1 if sign == "-" else 1) * (fraction(value, where) if value else 1)
            pos = coefficient.end()
            continue
        raise FormatError(f"{where}: cannot read {line[pos:pos + 20]!r} in {line[:60]!r}")
    if len(factors) == 1 and factors[0] != line.strip():       # -(a25*(b11-b12)*c12)
        inner = product_triple(factors[0], where)
        return (*inner[:4], inner[4] * scale)
    if len(factors) != 3:
        raise FormatError(f"{where}: expected (a-form)*(b-form)*(c-form), found {len(factors)} "
                          f"factor(s)")
    forms = []
    for factor in factors:
        form, factor_scale = _unscaled(factor, where)
        forms.append(form)
        scale *= factor_scale
    return (where, *forms, scale)


def _unscaled(factor: str, where: str) -> tuple[str, Fraction]:
    """``3*(a11 - a12)`` or ``-(a11)`` -> ("a11 - a12", 3) / ("a11", -1); other forms unchanged."""
    scale = Fraction(1)
    while True:
        factor = factor.strip()
        match = _SCALE.match(factor)
        if not (factor[match.end():match.end() + 1] == "("
                and _closing(factor, match.end(), where) == len(factor) - 1):
            return factor, scale
        sign, value = match.groups()
        scale *= (-1 if sign == "-" else 1) * (fraction(value, where) if value else 1)
        factor = factor[match.end() + 1:-1]


def _closing(line: str, start: int, where: str) -> int:
    depth = 0
    for pos in range(start, len(line)):
        depth += (line[pos] == "(") - (line[pos] == ")")
        if depth == 0:
            return pos
    raise FormatError(f"{where}: unbalanced '(' in {line[:60]!r}")
