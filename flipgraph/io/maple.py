"""Maple ``.m`` files: a Maple list of products written as [a-form, b-form, c-form] triples, in the
trace convention (sum over triples of a·b·c = trace(A·B·C), so ``c_ki`` marks C[i, k]).

Accepted, precisely:

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

from ..errors import FormatError
from ..scheme import Scheme
from .common import format_from_name, line_of, ring_flag_from_name
from .forms import scheme_from_trace_triples

_ASSIGN = re.compile(r"\s*[A-Za-z_]\w*\s*:=")
_OPEN, _CLOSE = "([{", ")]}"


def parse(text: str, where: str, path, ring=None) -> Scheme:
    """The scheme in a Maple list of triples (see the module docstring)."""
    text = re.sub(r"#[^\n]*", lambda match: " " * len(match.group()), text)  # keep offsets
    start = _ASSIGN.match(text).end() if _ASSIGN.match(text) else 0
    end = len(text.rstrip().rstrip(";:").rstrip())
    body = text[start:end].strip()
    offset = text.index(body, start) if body else start
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
    return scheme_from_trace_triples(triples, where, format_from_name(path),
                                     ring if ring is not None else ring_flag_from_name(path))


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
