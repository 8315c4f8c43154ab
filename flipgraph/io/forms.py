"""Parsing of linear forms written out by hand or in public listings, e.g. ``a11 - 1/2*a23 + 2a31``.

A form is a signed sum of terms ``[coef][*]<letter><index>``; the coefficient is an integer, a
fraction ``p/q`` or absent (1). The index is either two digits ``ij`` (1-based, for dimensions
below 10), ``i_j``, ``(i,j)`` or ``[i,j]`` (any size), or, with ``flat=True``, one number ``k``
(1-based). The single token ``0`` is the zero form. Given the matrix's ``shape``, a run of digits
``ijk`` is split where only one split fits the shape (``a311`` in a 13x15 matrix is (3, 11));
where two fit, :class:`AmbiguousIndex` is raised.
"""
from __future__ import annotations

import re
from fractions import Fraction

import numpy as np

from ..errors import FormatError
from .common import fraction

_TERM = re.compile(
    r"\s*([+-])?\s*(\d+(?:/\d+)?)?\s*\*?\s*([a-zA-Z])"
    r"(?:(\d+)_(\d+)|[(\[]\s*(\d+)\s*,\s*(\d+)\s*[)\]]|(\d+))\s*"
)
_INDEX_DIGITS = 6


class AmbiguousIndex(FormatError):
    """A run of digits such as ``a111`` that splits into (row, column) in more than one way."""


def parse_form(text: str, letter: str, *, flat: bool = False,
               shape: tuple[int, int] | None = None) -> dict[tuple[int, ...], Fraction]:
    """Parse ``text`` into {0-based index: coefficient}. ``letter`` is the only variable letter
    allowed (``a``, ``b``, ``c`` or ``m``). Two-digit indices ``ij`` mean (i, j) unless ``flat``;
    longer runs are split by ``shape`` (see the module docstring). Raises FormatError (message
    without location: the caller adds file and line)."""
    text = text.strip()
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1]
    pos, out = 0, {}
    if text == "0":
        return out
    if not text:
        raise FormatError("empty linear form")
    while pos < len(text):
        match = _TERM.match(text, pos)
        if not match or match.end() == pos:
            raise FormatError(f"cannot read {text[pos:pos + 20]!r} in linear form {text!r}")
        sign, coef, let, i1, j1, i2, j2, digits = match.groups()
        if pos > 0 and sign is None:
            raise FormatError(f"missing + or - before {text[pos:pos + 20]!r} in {text!r}")
        if let.lower() != letter:
            raise FormatError(f"unexpected variable {let}{text[match.start(3) + 1:match.end()].strip()} "
                              f"in a {letter}-form {text!r}")
        if max(len(x or "") for x in (i1, j1, i2, j2, digits)) > _INDEX_DIGITS:
            raise FormatError(f"an index of more than {_INDEX_DIGITS} digits in {text[:40]!r}")
        value = fraction(coef, "coefficient") if coef else Fraction(1)
        if sign == "-":
            value = -value
        if i1 is not None:
            index = (int(i1) - 1, int(j1) - 1)
        elif i2 is not None:
            index = (int(i2) - 1, int(j2) - 1)
        elif flat:
            index = (int(digits) - 1,)
        elif len(digits) == 2:
            index = (int(digits[0]) - 1, int(digits[1]) - 1)
        else:
            index = _split(digits, shape, f"{let}{digits}", text)
        if min(index) < 0:
            raise FormatError(f"index {let}{digits or ''} in {text!r} is not 1-based")
        out[index] = out.get(index, Fraction(0)) + value
        pos = match.end()
    return out


def _split(digits: str, shape, name: str, text: str) -> tuple[int, int]:
    """The one (row, column) split of ``digits`` that fits ``shape`` (no leading zeros)."""
    fits = [(int(digits[:k]), int(digits[k:])) for k in range(1, len(digits))
            if digits[k] != "0" and shape is not None
            and 1 <= int(digits[:k]) <= shape[0] and 1 <= int(digits[k:]) <= shape[1]]
    if len(fits) != 1:
        raise AmbiguousIndex(f"ambiguous index {name} in {text[:60]!r}: write {name[0]}i_j for "
                             f"dimensions of 10 or more")
    return fits[0][0] - 1, fits[0][1] - 1


def scheme_from_forms(fmt: tuple[int, int, int], products: list[tuple[str, str]],
                      outputs: dict[str, str], ring="z"):
    """Build a Scheme from written products and outputs (project convention, C not transposed).

    ``products[q] = (a-form, b-form)`` is M_{q+1}; ``outputs["c11"] = "m1 + m4 - m5"`` gives
    C[0,0]. Entries of A, B, C are written with 1-based indices (``a12`` = A[0, 1])."""
    from ..scheme import Scheme

    n, m, p = fmt
    r = len(products)
    U = [[Fraction(0)] * (n * m) for _ in range(r)]
    V = [[Fraction(0)] * (m * p) for _ in range(r)]
    W = [[Fraction(0)] * (n * p) for _ in range(r)]
    for q, (a_form, b_form) in enumerate(products):
        for (i, j), x in parse_form(a_form, "a").items():
            _check(i < n and j < m, f"a{i + 1}{j + 1} outside a {n}x{m} matrix in product {q + 1}")
            U[q][i * m + j] += x
        for (j, k), x in parse_form(b_form, "b").items():
            _check(j < m and k < p, f"b{j + 1}{k + 1} outside a {m}x{p} matrix in product {q + 1}")
            V[q][j * p + k] += x
    for name, form in outputs.items():
        (i, k), = parse_form(name, "c").keys()
        _check(i < n and k < p, f"{name} outside a {n}x{p} matrix")
        for (q,), x in parse_form(form, "m", flat=True).items():
            _check(q < r, f"m{q + 1} used in {name} but only {r} products are defined")
            W[q][i * p + k] += x
    return Scheme((n, m, p), U, V, W, ring)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise FormatError(message)


def parse_at(text: str, letter: str, where: str, *, flat: bool = False,
             shape: tuple[int, int] | None = None) -> dict[tuple[int, ...], Fraction]:
    """:func:`parse_form`, with ``where`` (file and line) prefixed to any error message."""
    try:
        return parse_form(text, letter, flat=flat, shape=shape)
    except FormatError as exc:
        raise type(exc)(f"{where}: {exc}") from None


def scheme_from_trace_triples(triples: list[tuple], where: str,
                              fmt: tuple[int, int, int] | None = None, ring=None, flag=None):
    """Build a Scheme from products written as trace-convention triples (Moosbauer ``.exp``,
    Maple ``.m``): ``triples[q] = (location, a-form, b-form, c-form[, scale])`` with the scheme
    satisfying sum_q scale·a·b·c = trace(A·B·C), so ``c_ki`` (1-based) marks the output entry
    C[i, k]; ``scale`` (default 1) is a whole-product factor such as the ``/3`` of ``(...)/3``.

    The format is ``fmt`` when given (indices beyond it are errors), else read off the largest
    indices (in a valid scheme every row and column of A, B and C occurs). ``ring`` is the
    caller's ring, ``flag`` the file's own (see :func:`flipgraph.io.common.build_read`).
    Converted to the project convention.
    """
    from .common import build_read, check_size

    if not triples:
        raise FormatError(f"{where}: no products (an empty scheme file)")
    parsed = [(t[0], parse_at(t[1], "a", t[0]), parse_at(t[2], "b", t[0]),
               {k: x * (t[4] if len(t) > 4 else 1) for k, x in parse_at(t[3], "c", t[0]).items()})
              for t in triples]
    if fmt is None:
        def largest(*picks):
            return 1 + max([idx[pos] for t in parsed for k, pos in picks for idx in t[k]], default=0)
        fmt = (largest((1, 0), (3, 1)), largest((1, 1), (2, 0)), largest((2, 1), (3, 0)))
    n, m, p = fmt
    r = len(parsed)
    check_size(where, fmt, r)
    U, V, W = (np.zeros((r, cols), dtype=object) for cols in (n * m, m * p, n * p))
    for q, (loc, a, b, c) in enumerate(parsed):
        for (i, j), x in a.items():
            _check(i < n and j < m, f"{loc}: a{i + 1}{j + 1} outside a {n}x{m} matrix")
            U[q, i * m + j] = x
        for (j, k), x in b.items():
            _check(j < m and k < p, f"{loc}: b{j + 1}{k + 1} outside a {m}x{p} matrix")
            V[q, j * p + k] = x
        for (k, i), x in c.items():
            _check(i < n and k < p, f"{loc}: c{k + 1}{i + 1} outside a {p}x{n} matrix (C transposed)")
            W[q, i * p + k] = x
    return build_read(where, fmt, U, V, W, ring, flag)
