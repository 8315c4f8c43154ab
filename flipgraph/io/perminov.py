"""Perminov-style JSON schemes (the FastMatrixMultiplication collection), trace convention.

Keys read: ``n`` = [n1, n2, n3] (or one integer for a square format), ``m`` = rank, ``z2``
(optional bool: valid only mod 2), and

* plain files: ``u``, ``v``, ``w`` = rank rows of flat coefficients (integers or strings "a/b");
  u over A entries i*n2 + j, v over B entries j*n3 + k, w over C TRANSPOSED, k*n1 + i;
* ``*_reduced`` files: ``u_fresh``, ``v_fresh``, ``w_fresh`` define fresh variables as sparse
  lists of {"index", "value"} (fresh indices continue after the originals: n1*n2 for u, n2*n3 for
  v, rank for w; a fresh variable may use earlier ones), and ``u``, ``v`` (rank rows) and ``w``
  (n1*n3 rows, one per entry of C TRANSPOSED, over the products) are sparse forms over originals
  and fresh variables. They are expanded to the plain scheme.

When "multiplications" / "elements" listing lines are present (``m1 = (a21 - a22) * (b12)``,
``c12 = -m1 + m2``) they are in the project convention (``c12`` is C[0, 1], not transposed), and
the reader checks that they agree with u/v/w. The arrays are authoritative: for dimensions of
10 or more the lines write indices without separators (``a311``), and where one of them splits
into (row, column) in two ways (``a111`` in a 13x15 matrix), or where the keys hold something
other than lines of text, the lines are not checked. Other keys (complexity, invariants, ...) are
ignored. The writer adds ``"ring"`` (a flipgraph extension, read back when present) so that a
file round-trips exactly.
"""
from __future__ import annotations

import json
from fractions import Fraction

import numpy as np

from ..errors import FormatError
from ..scheme import Scheme
from .listing import (output_lines as listing_output_lines,
    parse_lines as listing_parse_lines,
    product_lines as listing_product_lines)
from .common import (CHAR0, MAX_ENTRIES, build_read, check_size, dense_rows, from_trace, load_json, number_json,
                     parse_number, reread, to_trace)
from .forms import AmbiguousIndex


def parse(text: str, where: str, ring=None) -> Scheme:
    """The scheme in Perminov JSON text (see the module docstring)."""
    data = load_json(text, where)
    if not isinstance(data, dict):
        raise FormatError(f"{where}: the top level must be a JSON object")
    for key in ("n", "m", "u", "v", "w"):
        if key not in data:
            raise FormatError(f"{where}: missing key {key!r}")
    n, m, p = _format(data["n"], where)
    rank = data["m"]
    if not isinstance(rank, int) or isinstance(rank, bool) or rank < 0:
        raise FormatError(f"{where}: key 'm' (the rank): expected a non-negative integer, got {rank!r}")
    flag = _ring_flag(data, where)
    check_size(where, (n, m, p), rank)
    if "u_fresh" in data or "v_fresh" in data or "w_fresh" in data:
        U = _expand(data, "u", rank, n * m, where)
        V = _expand(data, "v", rank, m * p, where)
        W = _expand(data, "w", n * p, rank, where).T.copy()
    else:
        U, V, W = (dense_rows(data[key], rank, cols, f"{where}: key {key!r}")
                   for key, cols in (("u", n * m), ("v", m * p), ("w", n * p)))
    W = from_trace(W, n, p)
    scheme = build_read(where, (n, m, p), U, V, W, None, flag)
    _check_listing(data, scheme, where)
    return reread(scheme, ring, where) if ring is not None else scheme


def write(scheme: Scheme) -> str:
    """Perminov JSON text: n, m, z2, ring, multiplications, elements, u, v, w (w over C transposed)."""
    n, m, p = scheme.format
    U, V, W = (np.vectorize(number_json, otypes=[object])(x) if x.size else x
               for x in (scheme.U, scheme.V, to_trace(scheme.W, n, p)))
    head = {"n": [n, m, p], "m": scheme.rank, "z2": scheme.ring.name == "z2", "ring": scheme.ring.name}
    parts = [f'    "{k}": {json.dumps(v)}' for k, v in head.items()]
    parts.append(_lines("multiplications", listing_product_lines(scheme, times=" * ")))
    parts.append(_lines("elements", listing_output_lines(scheme)))
    parts += [_lines(key, [json.dumps(row.tolist()) for row in mat], quote=False)
              for key, mat in (("u", U), ("v", V), ("w", W))]
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _lines(key: str, rows: list[str], quote: bool = True) -> str:
    body = ",\n".join("        " + (json.dumps(r) if quote else r) for r in rows)
    return f'    "{key}": [\n{body}\n    ]' if rows else f'    "{key}": []'


def _format(value, where: str) -> tuple[int, int, int]:
    dims = [value] * 3 if isinstance(value, int) else value
    if (not isinstance(dims, list) or len(dims) != 3
            or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in dims)):
        raise FormatError(f"{where}: key 'n': expected [n1, n2, n3] of positive integers, got {value!r}")
    return tuple(dims)


def _ring_flag(data: dict, where: str):
    """The ring the file names: "ring" (ours), else "z2": true -> z2, false -> CHAR0, else None."""
    if "z2" not in data and "ring" not in data:
        return None
    z2 = data.get("z2", False)
    if not isinstance(z2, bool):
        raise FormatError(f"{where}: key 'z2': expected true or false, got {z2!r}")
    if "ring" in data:
        if not isinstance(data["ring"], str) or data["ring"] not in ("z2", "z3", "zt", "z", "q"):
            raise FormatError(f"{where}: key 'ring': unknown ring {data['ring']!r}")
        if z2 != (data["ring"] == "z2"):
            raise FormatError(f"{where}: keys 'z2' and 'ring' disagree")
        return data["ring"]
    return "z2" if z2 else CHAR0


def _expand(data: dict, key: str, count: int, originals: int, where: str) -> np.ndarray:
    """Dense rows (count × originals) of the sparse forms data[key] over originals + fresh."""
    fresh_rows = data.get(f"{key}_fresh", [])
    if not isinstance(fresh_rows, list):
        raise FormatError(f"{where}: key '{key}_fresh': expected a list of sparse forms")
    if (len(fresh_rows) + originals) * originals > MAX_ENTRIES:
        raise FormatError(f"{where}: key '{key}_fresh': {len(fresh_rows)} fresh variables is too many")
    known = list(np.eye(originals, dtype=object)) if originals else []
    for f, form in enumerate(fresh_rows):
        known.append(_sparse(form, known, originals, f"{where}: key '{key}_fresh'[{f}]"))
    rows = data[key]
    if not isinstance(rows, list) or len(rows) != count:
        got = len(rows) if isinstance(rows, list) else type(rows).__name__
        raise FormatError(f"{where}: key {key!r}: expected {count} sparse forms, got {got}")
    out = np.zeros((count, originals), dtype=object)
    for q, form in enumerate(rows):
        out[q] = _sparse(form, known, originals, f"{where}: key {key!r}[{q}]")
    return out


def _sparse(form, known: list, originals: int, where: str) -> np.ndarray:
    if not isinstance(form, list):
        raise FormatError(f"{where}: expected a list of {{index, value}} entries")
    out = np.full(originals, Fraction(0), dtype=object)
    for t, entry in enumerate(form):
        if not isinstance(entry, dict) or set(entry) != {"index", "value"}:
            raise FormatError(f"{where}[{t}]: expected {{\"index\": i, \"value\": x}}")
        index = entry["index"]
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(known):
            raise FormatError(f"{where}[{t}]: index {index!r} is not an original or an earlier fresh "
                              f"variable (0..{len(known) - 1})")
        out = out + parse_number(entry["value"], f"{where}[{t}]") * known[index]
    return out


def _check_listing(data: dict, scheme: Scheme, where: str) -> None:
    """The "multiplications"/"elements" lines, when present, must describe the same scheme."""
    if "multiplications" not in data and "elements" not in data:
        return
    items = []
    for key in ("multiplications", "elements"):
        lines = data.get(key, [])
        if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
            return                     # not listing lines (e.g. arrays): the arrays are authoritative
        items += [(f"{where}: key {key!r}[{i}]", line) for i, line in enumerate(lines)]
    try:
        listed = listing_parse_lines(items, where, scheme.format, scheme.ring)
    except AmbiguousIndex:
        return
    for name, a, b in (("U", listed.U, scheme.U), ("V", listed.V, scheme.V), ("W", listed.W, scheme.W)):
        if a.shape != b.shape or not np.array_equal(a, b):
            row = next((q for q in range(min(len(a), len(b))) if not np.array_equal(a[q], b[q])),
                       min(len(a), len(b)))
            raise FormatError(f"{where}: the 'multiplications'/'elements' lines disagree with u/v/w "
                              f"({name}, product m{row + 1})")
