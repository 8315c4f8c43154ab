"""Maple ``.m`` files, trace convention (sum over products of a·b·c = trace(A·B·C)), in two layouts.

**Coefficient matrices** (the field's standard: Kauers, Moosbauer, FastMatrixMultiplication): one
list of products ``{{{a}, {b}, {c}}, ...}``, each product three matrices of numbers (integers or
``p/q``): a is n×m (row i: A's row i), b is m×p, c is p×n (c[k][i] is the coefficient of C[i, k]).
Square brackets may stand for braces; ``S := ...;`` and ``#`` comments as below.

**TriadSet** (``.mpl``, FastMatrixMultiplication ``known/tensor``): ``A:=Matrix(...)`` lines and
``Tensor:=TriadSet([Triad([Matrix(n, m, [[..]]), Matrix(m, p, [[..]]), Matrix(p, n, [[..]])]),
...])``: the same three coefficient matrices per product (:func:`parse_triads`).

**Linear forms**, precisely:

* the whole file is one list ``[[f1, g1, h1], [f2, g2, h2], ...]``, optionally assigned
  (``S := [...]``) and ended by ``;`` or ``:``; ``#`` starts a comment to the end of the line;
  blanks and line breaks are free;
* each triple is a list of exactly three linear forms, in A, B and C in that order;
* a form is a signed sum of terms with optional integer or rational coefficients (``2*a11``,
  ``1/2*b23``, ``-c31``, ``0``), optionally wrapped in one pair of parentheses; entries are written
  ``a11`` (1-based, dimensions below 10), ``a1_1``, ``a[1,1]`` or ``a(1,1)``.

The format comes from the file name (``3x3x3...``, ``333-23...``) when it has one, else from the
largest indices. The ring: explicit, else ``z2`` for ``mod2``/``f2`` names, else the smallest of
zt, z, q holding the values.
"""
from __future__ import annotations

import re
from fractions import Fraction

import numpy as np

from ..errors import FormatError
from ..scheme import Scheme
from .common import (MAX_DIGITS, build_read, check_size, format_from_name, fraction, from_trace,
                     line_of, load_json, ring_flag_from_name)
from .forms import scheme_from_trace_triples

_ASSIGN = re.compile(r"\s*[A-Za-z_]\w*\s*:=")
_OPEN, _CLOSE = "([{", ")]}"
_NUMERIC = re.compile(r"[\s\[\]{},0-9/+-]*")
_FRACTION = re.compile(r"(-?)\s*(?<!\d)(\d+)\s*/\s*(\d+)")


def parse(text: str, where: str, path, ring=None) -> Scheme:
    """The scheme in a Maple list of triples (see the module docstring)."""
    text = re.sub(r"#[^\n]*", lambda match: " " * len(match.group()), text)  # keep offsets
    start = _ASSIGN.match(text).end() if _ASSIGN.match(text) else 0
    end = len(text.rstrip().rstrip(";:").rstrip())
    body = text[start:end].strip()
    offset = text.index(body, start) if body else start
    flag = ring_flag_from_name(path)
    if body.startswith("{") or (body and _NUMERIC.fullmatch(body)):
        prefix = re.sub(r"[^\n]", " ", text[:offset])          # keep line numbers
        return _matrices(prefix + body, where, format_from_name(path), ring, flag)
    if not (body.startswith("[") and body.endswith("]")):
        raise FormatError(f"{where}: line {line_of(text, offset)}: expected a Maple list [[a, b, c], ...]")
    triples = []
    for pos, item in _items(text, offset, offset + len(body), where):
        loc = f"{where}: line {line_of(text, pos)}"
        item_body = item.strip()
        inner = pos + item.index(item_body[:1]) if item_body else pos
        if not (item_body.startswith("[") and item_body.endswith("]")):
            raise FormatError(f"{loc}: expected a triple [a-form, b-form, c-form], got {item_body[:30]!r}")
        forms = [f for _, f in _items(text, inner, inner + len(item_body), where)]
        if len(forms) != 3:
            raise FormatError(f"{loc}: a triple needs 3 forms (a, b, c), found {len(forms)}")
        triples.append((loc, *forms))
    return scheme_from_trace_triples(triples, where, format_from_name(path), ring, flag)


_MATRIX = re.compile(r"Matrix\(\s*\d+\s*,\s*\d+\s*,\s*(\[[^()]*?\])\s*\)")
_TRIAD = re.compile(r"Triad\(\s*(\[[^()]*?\])\s*\)")
_TRIADSET = re.compile(r"TriadSet\(\s*(\[[^()]*\])\s*\)")


def parse_triads(text: str, where: str, path, ring=None) -> Scheme:
    """The scheme in a Maple ``TriadSet`` file (``.mpl``; see the module docstring)."""
    start = text.find("TriadSet(")
    if start < 0:
        raise FormatError(f"{where}: no 'TriadSet([Triad([Matrix(...), ...]), ...])' in the file")
    body = _ENTRY.sub(lambda m: m.group() if _PLAIN.fullmatch(m.group()) else _evaluate(m.group(), where),
                      text[start:])
    body = _TRIAD.sub(r"\1", _MATRIX.sub(r"\1", body))
    found = _TRIADSET.match(body)
    if not found:
        raise FormatError(f"{where}: line {line_of(text, start)}: cannot read the TriadSet "
                          f"(expected Triad([Matrix(rows, cols, [[...]]), ...]) products)")
    prefix = re.sub(r"[^\n]", " ", text[:start])                  # keep line numbers
    return _matrices(prefix + found.group(1), where, format_from_name(path), ring,
                     ring_flag_from_name(path))


_ENTRY = re.compile(r"(?<=[\[,])[0-9*+\-/() ]+(?=[,\]])")
_PLAIN = re.compile(r"\s*-?\d+\s*")
_TOKEN = re.compile(r"\s*(?:(\d+)|(.))")
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3}


def _evaluate(expression: str, where: str) -> str:
    """The exact value of an integer expression (+, -, *, /, unary signs, parentheses), as "p/q"
    or "n": shunting-yard into a stack of Fractions (no recursion, no eval)."""
    if len(expression) > 100 * MAX_DIGITS:
        raise FormatError(f"{where}: an expression of {len(expression)} characters is too long")
    values, ops, expect_value = [], [], True

    def apply(op):
        if op == "neg":
            values.append(-values.pop())
            return
        b, a = values.pop(), values.pop()
        values.append(a + b if op == "+" else a - b if op == "-" else a * b if op == "*" else a / b)
        if max(values[-1].numerator.bit_length(), values[-1].denominator.bit_length()) > 3.33 * MAX_DIGITS:
            raise ValueError("too many digits")

    try:
        for number, ch in _TOKEN.findall(expression.strip()):
            if number:
                if not expect_value or len(number) > MAX_DIGITS:
                    raise ValueError("misplaced number")
                values.append(Fraction(int(number)))
                expect_value = False
            elif ch == "(" and expect_value:
                ops.append(ch)
            elif ch == ")" and not expect_value:
                while ops and ops[-1] != "(":
                    apply(ops.pop())
                ops.pop()                                 # IndexError when unbalanced
            elif ch in "+-" and expect_value:
                if ch == "-":
                    ops.append("neg")
            elif ch in "+-*/" and not expect_value:
                while ops and ops[-1] != "(" and _PRECEDENCE[ops[-1]] >= _PRECEDENCE[ch]:
                    apply(ops.pop())
                ops.append(ch)
                expect_value = True
            else:
                raise ValueError(f"unexpected {ch!r}")
        while ops:
            apply(ops.pop())
        if expect_value or len(values) != 1:
            raise ValueError("incomplete")
        value = values[0]
    except (ValueError, IndexError, KeyError, ZeroDivisionError) as exc:
        raise FormatError(f"{where}: cannot evaluate {expression.strip()[:40]!r} ({exc})") from None
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _matrices(text: str, where: str, fmt, ring, flag) -> Scheme:
    """The coefficient-matrix layout: parsed as JSON once braces are brackets and ``p/q`` strings
    (C speed on multi-megabyte files), then checked to be products of three matrices."""
    bad = re.search(r"[^\s\[\]{},0-9/+-]", text)
    if bad:
        raise FormatError(f"{where}: line {line_of(text, bad.start())}: unexpected {bad.group()!r} "
                          f"in a list of coefficient matrices")
    body = re.sub(r"(?<=[\[{,])(\s*)\+", r"\1", re.sub(r"-\s+(?=\d)", "-", text))
    body = _FRACTION.sub(lambda m: f'"{m.group(1)}{m.group(2)}/{m.group(3)}"',
                         body.translate(str.maketrans("{}", "[]")))
    data = load_json(body, where)
    if not isinstance(data, list) or not data:
        raise FormatError(f"{where}: expected a non-empty list of products {{{{a}}, {{b}}, {{c}}}}")
    first = data[0]
    if not (isinstance(first, list) and len(first) == 3 and all(isinstance(x, list) and x and
                                                                isinstance(x[0], list) for x in first)):
        raise FormatError(f"{where}: product 1: expected three coefficient matrices {{a}}, {{b}}, {{c}}")
    shape = (len(first[0]), len(first[0][0]), len(first[1][0]))
    if fmt is not None and fmt != shape:
        raise FormatError(f"{where}: the file name says {'x'.join(map(str, fmt))}, the matrices "
                          f"are {'x'.join(map(str, shape))}")
    n, m, p = shape
    check_size(where, shape, len(data))
    mats = [np.zeros((len(data), n * m), dtype=object), np.zeros((len(data), m * p), dtype=object),
            np.zeros((len(data), p * n), dtype=object)]
    for q, product in enumerate(data):
        loc = f"{where}: product {q + 1}"
        if not isinstance(product, list) or len(product) != 3:
            raise FormatError(f"{loc}: expected three coefficient matrices {{a}}, {{b}}, {{c}}")
        for name, matrix, (rows, cols), out in zip("abc", product, ((n, m), (m, p), (p, n)), mats):
            if (not isinstance(matrix, list) or len(matrix) != rows
                    or not all(isinstance(row, list) and len(row) == cols for row in matrix)):
                raise FormatError(f"{loc}: matrix {name} is not {rows}x{cols}")
            out[q] = [_number(x, loc) for row in matrix for x in row]
    if all(type(x) is int and -2**62 < x < 2**62 for mat in mats for x in mat.ravel()):
        mats = [mat.astype(np.int64) for mat in mats]                  # fast path: plain integers
    return build_read(where, shape, mats[0], mats[1], from_trace(mats[2], n, p), ring, flag)


def _number(value, where: str):
    if isinstance(value, str):
        return fraction(value, where)
    if not isinstance(value, int) or isinstance(value, bool):
        raise FormatError(f"{where}: {value!r} is not a number")
    return value


def _items(text: str, start: int, end: int, where: str) -> list[tuple[int, str]]:
    """The comma-separated items of the bracketed list text[start:end], as (offset, text)."""
    items, depth, item_start = [], 0, start + 1
    for pos in range(start + 1, end - 1):
        ch = text[pos]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth < 0:
                raise FormatError(f"{where}: line {line_of(text, pos)}: unbalanced {ch!r}")
        elif ch == "," and depth == 0:
            items.append((item_start, text[item_start:pos]))
            item_start = pos + 1
    if depth:
        raise FormatError(f"{where}: line {line_of(text, end)}: unbalanced brackets")
    last = text[item_start:end - 1]
    if last.strip() or items:
        items.append((item_start, last))
    return items
