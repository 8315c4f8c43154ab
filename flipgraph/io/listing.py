"""The human-readable listing (``.txt``), also the style of Perminov's "multiplications" and
"elements" lines. Project convention: C is NOT transposed, ``c12`` is C[0, 1].

    # format: 2x2x2
    # ring: zt
    m1 = (a11 + a22)(b11 + b22)
    ...
    c11 = m1 + m4 - m5 + m7

Products ``m<q> = (<a-form>)(<b-form>)`` (a ``*`` between the factors is optional), numbered 1..r
in any order; outputs ``c<ik> = <form in m1..mr>`` (``c11 = 0`` or a missing line: no product
contributes). Coefficients are written before the variable, ``2a11``, ``1/2*b23``, ``-m4``.
Indices are two digits ``ij`` (1-based) below 10 and ``i_j`` otherwise. Lines starting with ``#``
are comments, except ``# format: NxMxP``, ``# target: {...}`` and ``# ring: R``, which the reader
honours; without them the format is read off the largest indices and the ring is the smallest of zt,
z, q. A scheme of a target that is not matrix multiplication is written with its tensor in the
``# target:`` line (compact JSON, :meth:`flipgraph.tensors.Target.to_json`) and flat 1-based
variable names ``a1.., b1.., c1..`` (x, y, z of the bilinear map).
"""
from __future__ import annotations

import json
import re
from fractions import Fraction

import numpy as np

from ..errors import FormatError, SchemeError
from ..rings import ring as as_ring
from ..scheme import Scheme
from ..tensors import Target, from_json, parse_target
from .common import build_read, check_size, load_json, signed_values
from .forms import parse_at

_PRODUCT = re.compile(r"\s*m(\d{1,9})\s*=(.*)$")
_OUTPUT = re.compile(r"\s*(c[^=]*?)\s*=(.*)$")
_DIRECTIVE = re.compile(r"#\s*(format|ring|target)\s*:\s*(\S+)\s*$")


def entry_names(letter: str, rows: int, cols: int) -> list[str]:
    """Names of a rows×cols matrix's entries in row-major order: a11, a12, ... (a1_10 when wide)."""
    wide = max(rows, cols) >= 10
    return [f"{letter}{i + 1}_{j + 1}" if wide else f"{letter}{i + 1}{j + 1}"
            for i in range(rows) for j in range(cols)]


def form_text(row, names: list[str], *, times: str = "", spaced: bool = True) -> str:
    """``row`` (coefficients) as a linear form over ``names``: ``a11 - 2a12 + 1/2a21``; ``0`` if empty."""
    plus, minus = (" + ", " - ") if spaced else ("+", "-")
    out = ""
    for x, name in zip(row, names):
        x = Fraction(x)
        if x == 0:
            continue
        sign = (minus if out else "-") if x < 0 else (plus if out else "")
        out += sign + (name if abs(x) == 1 else f"{abs(x)}{times}{name}")
    return out or "0"


def split_groups(text: str, where: str, separator: str = "*") -> list[str]:
    """The top-level parenthesised groups of ``text`` (``(x)*(y)`` or ``(x)(y)`` -> ["x", "y"]);
    only blanks and one optional ``separator`` may stand between groups."""
    groups, depth, start, seps = [], 0, 0, 0
    for pos, ch in enumerate(text):
        if ch == "(":
            if depth == 0:
                start, seps = pos + 1, 0
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise FormatError(f"{where}: unbalanced ')' in {text.strip()!r}")
            if depth == 0:
                groups.append(text[start:pos])
        elif depth == 0 and not ch.isspace():
            if ch != separator or seps or not groups:
                raise FormatError(f"{where}: unexpected {ch!r} outside parentheses in {text.strip()!r}")
            seps += 1
    if depth:
        raise FormatError(f"{where}: unbalanced '(' in {text.strip()!r}")
    return groups


def write(scheme: Scheme, *, times: str = "", header: bool = True) -> str:
    """The listing of ``scheme`` (with the ``# format`` / ``# ring`` header unless ``header`` is
    False); ``times=" * "`` puts a star between the two factors, Perminov's style."""
    target = scheme.target
    if target.is_matmul:
        head = [f"# format: {scheme.format_str}", f"# ring: {scheme.ring.name}",
                f"# rank {scheme.rank}; C is not transposed: c12 is row 1, column 2 of C"]
    else:
        head = [f"# target: {json.dumps(target.to_json(), separators=(',', ':'))}",
                f"# ring: {scheme.ring.name}",
                f"# rank {scheme.rank}; {target.name}: c_k = sum T[i,j,k] a_i b_j"]
    lines = head if header else []
    return "\n".join(lines + product_lines(scheme, times) + output_lines(scheme)) + "\n"


def product_lines(scheme: Scheme, times: str = "") -> list[str]:
    """``m1 = (a11 + a22)(b11 + b22)``, one per product."""
    U, V, _ = signed_values(scheme)
    an, bn, _ = scheme.target.variables
    return [f"m{q + 1} = ({form_text(a, an)}){times}({form_text(b, bn)})"
            for q, (a, b) in enumerate(zip(U, V))]


def output_lines(scheme: Scheme) -> list[str]:
    """``c11 = m1 + m4 - m5 + m7``, one per entry of C (row-major)."""
    _, _, W = signed_values(scheme)
    mn = [f"m{q + 1}" for q in range(scheme.rank)]
    return [f"{name} = {form_text(W[:, c], mn)}" for c, name in enumerate(scheme.target.variables[2])]


def ring_directive(line: str, where: str) -> str | None:
    """The ring named by a ``# ring: R`` line, else None; an unknown ring is a FormatError."""
    directive = _DIRECTIVE.match(line.strip())
    if not directive or directive.group(1) != "ring":
        return None
    try:
        return as_ring(directive.group(2)).name
    except SchemeError as exc:
        raise FormatError(f"{where}: {exc}") from None


def parse(text: str, where: str, ring=None) -> Scheme:
    """The scheme in listing text (see the module docstring)."""
    items, fmt, flag = [], None, None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        directive = _DIRECTIVE.match(stripped)
        if directive:
            key, value = directive.groups()
            try:
                if key == "format":
                    fmt = parse_target(value).format
                elif key == "target":
                    target = from_json(load_json(value, f"{where}: line {number}"))
                    fmt = target.format if target.is_matmul else target
                else:
                    flag = as_ring(value)
            except SchemeError as exc:
                raise FormatError(f"{where}: line {number}: {exc}") from None
        elif stripped and not stripped.startswith("#"):
            items.append((f"{where}: line {number}", stripped))
    return parse_lines(items, where, fmt, ring, flag)


def parse_lines(items: list[tuple[str, str]], where: str, fmt=None, ring=None, flag=None) -> Scheme:
    """The scheme in located lines ``(location, "m1 = ...")`` / ``(location, "c11 = ...")``;
    ``ring`` is the caller's ring, ``flag`` the file's (see :func:`~flipgraph.io.common.build_read`).
    With ``fmt`` given, long digit runs (``a311``) are split where only one split fits."""
    if not items:
        raise FormatError(f"{where}: no products (an empty scheme file)")
    flat = isinstance(fmt, Target)                  # a non-matmul target: flat names a1, b2, c3
    shapes = dict(zip("abc", ((fmt[0], fmt[1]), (fmt[1], fmt[2]), (fmt[0], fmt[2])))) \
        if fmt and not flat else {}
    products, outputs = {}, []
    for loc, line in items:
        product, output = _PRODUCT.match(line), _OUTPUT.match(line)
        if product:
            q = int(product.group(1))
            if q in products:
                raise FormatError(f"{loc}: product m{q} defined twice")
            groups = split_groups(product.group(2), loc)
            if len(groups) != 2:
                raise FormatError(f"{loc}: expected m{q} = (a-form)(b-form), found {len(groups)} "
                                  f"parenthesised factor(s)")
            products[q] = (loc, parse_at(groups[0], "a", loc, flat=flat, shape=shapes.get("a")),
                           parse_at(groups[1], "b", loc, flat=flat, shape=shapes.get("b")))
        elif output:
            target = parse_at(output.group(1), "c", loc, flat=flat, shape=shapes.get("c"))
            if len(target) != 1 or next(iter(target.values())) != 1:
                raise FormatError(f"{loc}: left side {output.group(1)!r} is not one entry cik")
            outputs.append((loc, next(iter(target)), parse_at(output.group(2), "m", loc, flat=True)))
        else:
            raise FormatError(f"{loc}: expected 'm<q> = (...)(...)' or 'c<ik> = ...', got {line[:40]!r}")
    r = len(products)
    if sorted(products) != list(range(1, r + 1)):
        missing = min(set(range(1, r + 1)) - set(products))
        raise FormatError(f"{where}: products must be numbered m1..m{r}; m{missing} is missing")
    order = [products[q] for q in range(1, r + 1)]
    if flat:
        return _flat_scheme(fmt, order, outputs, where, ring, flag)
    if fmt is None:
        def largest(values):
            return 1 + max(values, default=0)
        fmt = (largest([i for _, a, _ in order for i, _ in a] + [i for _, (i, _), _ in outputs]),
               largest([j for _, a, _ in order for _, j in a] + [j for _, _, b in order for j, _ in b]),
               largest([k for _, _, b in order for _, k in b] + [k for _, (_, k), _ in outputs]))
    n, m, p = fmt
    check_size(where, fmt, r)
    U, V, W = (np.zeros((r, cols), dtype=object) for cols in (n * m, m * p, n * p))
    for q, (loc, a, b) in enumerate(order):
        for (i, j), x in a.items():
            _inside(i < n and j < m, loc, f"a{i + 1}{j + 1}", n, m)
            U[q, i * m + j] = x
        for (j, k), x in b.items():
            _inside(j < m and k < p, loc, f"b{j + 1}{k + 1}", m, p)
            V[q, j * p + k] = x
    seen = set()
    for loc, (i, k), form in outputs:
        _inside(i < n and k < p, loc, f"c{i + 1}{k + 1}", n, p)
        if (i, k) in seen:
            raise FormatError(f"{loc}: output c{i + 1}{k + 1} defined twice")
        seen.add((i, k))
        for (q,), x in form.items():
            if q >= r:
                raise FormatError(f"{loc}: m{q + 1} is used but only {r} products are defined")
            W[q, i * p + k] = x
    return build_read(where, fmt, U, V, W, ring, flag)


def _flat_scheme(target, order, outputs, where, ring, flag) -> Scheme:
    """A scheme of a non-matmul target from parsed lines whose names are flat (a5 = x[4])."""
    r = len(order)
    mats = [np.zeros((r, size), dtype=object) for size in target.sizes]
    names = target.variables

    def index(key, mode, loc):
        flat = key[0]
        if not 0 <= flat < target.sizes[mode]:
            raise FormatError(f"{loc}: {'abc'[mode]}{flat + 1} is not a variable of {target.name} "
                              f"(it has {'abc'[mode]}1..{names[mode][-1]})")
        return flat

    for q, (loc, a, b) in enumerate(order):
        for mode, form in ((0, a), (1, b)):
            for key, x in form.items():
                mats[mode][q, index(key, mode, loc)] = x
    for loc, key, form in outputs:
        k = index(key, 2, loc)
        for (q,), x in form.items():
            if q >= r:
                raise FormatError(f"{loc}: m{q + 1} is used but only {r} products are defined")
            mats[2][q, k] = x
    return build_read(where, target, *mats, ring, flag)


def _inside(ok: bool, loc: str, entry: str, rows: int, cols: int) -> None:
    if not ok:
        raise FormatError(f"{loc}: {entry} outside a {rows}x{cols} matrix")
