"""The addition-reduced JSON form of public Perminov-style files (``*_reduced.json``).

Keys: ``n`` ([n1, n2, n3], or one int for a square format), ``m`` (rank), ``z2`` (valid mod 2
only), ``complexity`` {naive, reduced}, and three programs ``u_fresh``/``u``, ``v_fresh``/``v``,
``w_fresh``/``w``. Each entry is a sparse form, a list of {"index": i, "value": c} (c an int or a
string "a/b"). Indices: u over A entries i*n2 + j, then the fresh u variables (u_fresh[t] has index
n1*n2 + t); v over B entries j*n3 + k, then fresh; w_fresh and w over the products q < rank, then
fresh. ``u``/``v`` hold one form per product; ``w`` one form per entry of C **transposed**: row
k*n1 + i is C[i, k] (the trace convention; :class:`flipgraph.slp.SLP` is not transposed).

Example::

    >>> slp = read_reduced("3x3x3_m23_cr58_cn119_ZT_reduced.json")    # doctest: +SKIP
    >>> slp.additions.total, slp.check()                               # doctest: +SKIP
    (58, True)
"""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from ..atomic import write_text
from ..errors import FormatError
from ..rings import Z2, smallest_ring
from ..slp import SLP


def read_reduced(path) -> SLP:
    """Read a reduced JSON file into an SLP (checked exactly; FormatError if it is wrong)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path}: line {exc.lineno}: not JSON ({exc.msg})") from None
    return slp_from_reduced(data, str(path))


def slp_from_reduced(data: dict, source: str = "<reduced json>") -> SLP:
    """Build the SLP described by a reduced-JSON dict; ``source`` names it in error messages."""
    def need(key):
        if not isinstance(data, dict) or key not in data:
            raise FormatError(f"{source}: missing key {key!r}")
        return data[key]

    n = need("n")
    try:
        n1, n2, n3 = (n, n, n) if isinstance(n, int) else (int(x) for x in n)
        rank = int(need("m"))
    except (TypeError, ValueError):
        raise FormatError(f"{source}: key 'n' must be [n1, n2, n3] or an int, 'm' an int") from None
    lists = {key: need(key) for key in ("u_fresh", "u", "v_fresh", "v", "w_fresh", "w")}
    for key, forms in lists.items():
        if not isinstance(forms, list):
            raise FormatError(f"{source}: key {key!r} must be a list of forms")
    for key, want in (("u", rank), ("v", rank), ("w", n1 * n3)):
        if len(lists[key]) != want:
            raise FormatError(f"{source}: key {key!r} must hold {want} forms")
    values = [_value(e, source, key) for key, forms in lists.items() for form in forms
              for e in _entries(form, source, key)]
    ring = Z2 if data.get("z2") else smallest_ring(values or [0])
    slp = SLP(n1, n2, n3, ring)
    base_a = [f"a{i}_{j}" for i in range(n1) for j in range(n2)]
    base_b = [f"b{j}_{k}" for j in range(n2) for k in range(n3)]
    base_m = [f"m{q}" for q in range(rank)]
    slp.a_side, slp.left = _program(lists["u_fresh"], lists["u"], base_a, "x", "l", source, "u")
    slp.b_side, slp.right = _program(lists["v_fresh"], lists["v"], base_b, "y", "r", source, "v")
    slp.c_side, outs = _program(lists["w_fresh"], lists["w"], base_m, "z", None, source, "w")
    slp.outputs = sorted(((f"c{c % n1}_{c // n1}", terms) for c, (_, terms) in enumerate(outs)),
                         key=lambda a: _output_order(a[0]))
    if not slp.check():
        raise FormatError(f"{source}: the reduced program does not compute A·B")
    return slp


def reduced_dict(slp: SLP) -> dict:
    """The reduced JSON form of a program (it must pass its exact check). ``complexity.naive`` is
    the naive count of the scheme the program computes."""
    from ..additions import naive_additions

    if not slp.check():
        raise ValueError("refusing to export a program that fails its exact check")
    n1, n2, n3 = slp.format
    index_a = _indices([f"a{i}_{j}" for i in range(n1) for j in range(n2)], slp.a_side)
    index_b = _indices([f"b{j}_{k}" for j in range(n2) for k in range(n3)], slp.b_side)
    index_m = _indices([f"m{q}" for q in range(slp.rank)], slp.c_side)
    by_name = dict(slp.outputs)
    transposed = [by_name[f"c{c % n1}_{c // n1}"] for c in range(n1 * n3)]
    return {
        "n": [n1, n2, n3],
        "m": slp.rank,
        "z2": slp.ring.modulus == 2,
        "complexity": {"naive": naive_additions(slp.to_scheme()).total,
                       "reduced": slp.additions.total},
        "u_fresh": [_sparse(t, index_a) for _, t in slp.a_side],
        "u": [_sparse(t, index_a) for _, t in slp.left],
        "v_fresh": [_sparse(t, index_b) for _, t in slp.b_side],
        "v": [_sparse(t, index_b) for _, t in slp.right],
        "w_fresh": [_sparse(t, index_m) for _, t in slp.c_side],
        "w": [_sparse(t, index_m) for t in transposed],
    }


def write_reduced(slp: SLP, path, provenance: dict | None = None) -> None:
    """Write :func:`reduced_dict` as JSON, with flipgraph's ``provenance`` object (where the
    scheme came from; other readers ignore the key) when given."""
    data = reduced_dict(slp)
    if provenance:
        data["provenance"] = provenance
    write_text(path, json.dumps(data, indent=1) + "\n")


def reduced_provenance(path) -> dict:
    """The ``provenance`` object of a reduced JSON file written by flipgraph ({} if none)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    found = data.get("provenance") if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}


def _output_order(name: str):
    i, k = name[1:].split("_")
    return int(i), int(k)


def _entries(form, source, key):
    if not isinstance(form, list):
        raise FormatError(f"{source}: key {key!r}: a form must be a list of {{index, value}}")
    for e in form:
        if not isinstance(e, dict) or "index" not in e or "value" not in e:
            raise FormatError(f"{source}: key {key!r}: entry {e!r} needs 'index' and 'value'")
        yield e


def _value(entry, source, key):
    try:
        value = Fraction(entry["value"])
    except (TypeError, ValueError, ZeroDivisionError):
        raise FormatError(f"{source}: key {key!r}: bad value {entry['value']!r}") from None
    return int(value) if value.denominator == 1 else value


def _program(fresh, forms, base, letter, form_letter, source, key):
    names = base + [f"{letter}{t}" for t in range(len(fresh))]

    def terms(form, limit, what):
        out = []
        for e in _entries(form, source, what):
            idx = e["index"]
            if not isinstance(idx, int) or not 0 <= idx < limit:
                raise FormatError(f"{source}: key {what!r}: index {idx!r} out of range "
                                  f"(at most {limit - 1} here)")
            out.append((_value(e, source, what), names[idx]))
        return tuple(out)

    fresh_assigns = [(names[len(base) + t], terms(f, len(base) + t, key + "_fresh"))
                     for t, f in enumerate(fresh)]
    form_assigns = [(f"{form_letter}{q}" if form_letter else None, terms(f, len(names), key))
                    for q, f in enumerate(forms)]
    return fresh_assigns, form_assigns


def _indices(base: list, fresh: list) -> dict:
    return {name: e for e, name in enumerate(base + [target for target, _ in fresh])}


def _sparse(terms, index) -> list:
    return [{"index": index[src], "value": c if isinstance(c, int) else str(c)} for c, src in terms]
