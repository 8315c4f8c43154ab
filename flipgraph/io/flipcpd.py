"""flip-cpd schemes (khoruzhii/flip-cpd ``data/schemes_paper``): ``.npy`` and flat-index ``.txt``.

A flip-cpd scheme decomposes a target named ``<op>-<n1><n2><n3>[abc]`` (file names such as
``gg-333-rank23-rec-0-0-0-z.npy``, or the ``op``/``n1``/``n2``/``n3`` keys of a ``<stem>.meta.json``
beside the file). ``gg`` is plain matrix multiplication, in the project convention (U index
i*n2 + j, V index j*n3 + k, W index i*n3 + k: C not transposed); the structured products of n×n
matrices (``gt``, ``kg``, ``ss``, ``ug``, ``uu``, ...; n1 = n2 = n3; with a suffix letter a, b, c
for the recursive variants) are the targets of :func:`flipgraph.tensors.structured`, whose
parameter order is flip-cpd's.

* ``.npy``: one row of 2·r·(nU + nV + nW) integers, every coefficient a numerator followed by
  its denominator: U (r rows of nU), then V, then W.
* ``.txt``: ``m1 = (a1 - a4)(b1 + b4)`` products and ``c1 = m1 + m2`` outputs with flat 1-based
  indices (``a5`` is U's entry 4), a product ``0`` when a factor is zero.

The ring: the file name's last part (``z`` or ``q``: the smallest of zt, z, q holding the values),
else as :func:`flipgraph.io.common.build_read` finds it.
"""
from __future__ import annotations

import io
import json
import re
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import FormatError, SchemeError
from ..scheme import Scheme
from ..tensors import Target, matmul, structured
from .npy import exact as npy_exact, header as npy_header, plain_array as npy_plain_array
from .common import CHAR0, build_read, check_size
from .forms import parse_at
from .listing import split_groups

_NAME = re.compile(r"([a-z]{2})-(\d)(\d)(\d)([abc]?)(?=-|\.|$)")
_LINE = re.compile(r"\s*([mc])(\d{1,9})\s*=(.*?);?\s*$")
MAX_NPY_BYTES = 1 << 28


def is_flipcpd(path) -> bool:
    """True when the file name (or a ``.meta.json`` beside it) names a flip-cpd target."""
    return _target(path, str(path)) is not None


def parse_npy(path, where: str, ring=None) -> Scheme:
    """The scheme in a flip-cpd ``.npy`` file, with its target."""
    target = target_of(path, where)
    try:
        with open(path, "rb") as handle:
            shape, fortran, dtype = npy_header(handle, where)
            if np.prod(shape, dtype=object) * dtype.itemsize > MAX_NPY_BYTES:
                raise FormatError(f"{where}: an array of {shape} is too large")
            row = npy_plain_array(handle, where, shape, fortran, dtype)
    except IsADirectoryError:
        raise
    values = npy_exact(row, where).ravel()
    if values.dtype == object:
        raise FormatError(f"{where}: expected integers (numerator, denominator pairs)")
    per_rank = 2 * sum(target.sizes)
    if values.size % per_rank:
        raise FormatError(f"{where}: {values.size} numbers is not 2·r·{per_rank // 2} for a "
                          f"{target.label} scheme")
    r = values.size // per_rank
    check_size(where, target, r)
    nums, dens = values[::2], values[1::2]
    if (dens == 0).any():
        raise FormatError(f"{where}: a zero denominator")
    exact = np.array([Fraction(int(a), int(b)) for a, b in zip(nums, dens)] + [None], dtype=object)[:-1]
    nU, nV, nW = target.sizes
    cuts = np.cumsum([r * nU, r * nV])
    U, V, W = (part.reshape(r, -1) if r else part.reshape(0, cols) for part, cols in
               zip(np.split(exact, cuts), target.sizes))
    return build_read(where, target, U, V, W, ring, _ring_flag(path))


def parse_txt(text: str, where: str, path, ring=None) -> Scheme:
    """The scheme in a flip-cpd flat-index ``.txt`` file, with its target."""
    target = target_of(path, where)
    products, outputs = {}, {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        loc = f"{where}: line {number}"
        match = _LINE.match(line)
        if not match:
            raise FormatError(f"{loc}: expected 'm<q> = (...)(...)' or 'c<g> = ...', got {line[:40]!r}")
        kind, index, rhs = match.group(1), int(match.group(2)), match.group(3).strip()
        table = products if kind == "m" else outputs
        if index in table:
            raise FormatError(f"{loc}: {kind}{index} defined twice")
        if kind == "m":
            groups = [] if rhs == "0" else split_groups(rhs, loc, separator="*")
            if rhs != "0" and len(groups) != 2:
                raise FormatError(f"{loc}: expected m{index} = (a-form)(b-form), found {len(groups)} factor(s)")
            table[index] = [parse_at(g, letter, loc, flat=True) for g, letter in zip(groups, "ab")]
        else:
            table[index] = parse_at(rhs, "m", loc, flat=True)
    r = len(products)
    if not r:
        raise FormatError(f"{where}: no products (an empty scheme file)")
    if sorted(products) != list(range(1, r + 1)):
        raise FormatError(f"{where}: products must be numbered m1..m{r}")
    check_size(where, target, r)
    U, V, W = (np.zeros((r, cols), dtype=object) for cols in target.sizes)
    for q, forms in products.items():
        for mat, form in zip((U, V), forms):
            _fill(mat[q - 1], form, where, f"m{q}")
    for g, form in outputs.items():
        if not 1 <= g <= target.sizes[2]:
            raise FormatError(f"{where}: c{g} outside the {target.sizes[2]} outputs of {target.label}")
        column = np.zeros(r, dtype=object)
        _fill(column, form, where, f"c{g}")
        W[:, g - 1] = column
    return build_read(where, target, U, V, W, ring, _ring_flag(path))


def _fill(out: np.ndarray, form: dict, where: str, name: str) -> None:
    for (k,), x in form.items():
        if k >= len(out):
            raise FormatError(f"{where}: {name}: index {k + 1} beyond {len(out)}")
        out[k] = x


def target_of(path, where: str) -> Target:
    """The Target a flip-cpd file decomposes (from its name or its .meta.json)."""
    found = _target(path, where)
    if found is None:
        raise FormatError(f"{where}: cannot tell the flip-cpd target: name the file "
                          f"'<op>-<n1><n2><n3>-...' (e.g. gt-444-...) or put a .meta.json beside it")
    op, fmt, suffix = found
    name = f"{op}-{''.join(map(str, fmt))}{suffix}"
    if op == "gg" and not suffix:
        return matmul(*fmt)
    if len(set(fmt)) != 1:
        raise FormatError(f"{where}: flip-cpd target {name} is not one flipgraph models "
                          f"(structured products of n×n matrices)")
    try:
        return structured(op, fmt[0], suffix)
    except SchemeError as exc:
        raise FormatError(f"{where}: flip-cpd target {name}: {exc}") from None


def _target(path, where: str):
    """(op, (n1, n2, n3), suffix) from ``<stem>.meta.json`` or the file name, else None."""
    path = Path(path)
    meta_path = path.with_name(path.stem + ".meta.json")
    if meta_path.is_file() and meta_path.stat().st_size < 1 << 16:
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            op, fmt = meta["op"], tuple(meta[k] for k in ("n1", "n2", "n3"))
            name = _NAME.match(str(meta.get("name", "")))
        except (ValueError, KeyError, TypeError, RecursionError):
            raise FormatError(f"{meta_path}: not a flip-cpd meta file (op, n1, n2, n3)") from None
        if not (isinstance(op, str) and all(isinstance(d, int) and 1 <= d <= 64 for d in fmt)):
            raise FormatError(f"{meta_path}: op, n1, n2, n3 must be a name and three sizes")
        return op, fmt, name.group(5) if name else ""
    match = _NAME.match(path.name)
    if not match:
        return None
    return match.group(1), tuple(int(d) for d in match.group(2, 3, 4)), match.group(5)


def _ring_flag(path) -> str | None:
    last = Path(path).stem.rsplit("-", 1)[-1].lower()
    return {"z": CHAR0, "q": CHAR0, "z2": "z2", "z3": "z3"}.get(last)


def file_stem(target: Target) -> str:
    """The ``<op>-<n1><n2><n3>`` start of a flip-cpd file name for ``target`` (how its reader
    tells the target), or a FormatError for targets flip-cpd's names cannot hold."""
    if target.is_matmul and max(target.format) <= 9:
        return "gg-" + "".join(map(str, target.format))
    if target.kind not in ("mm", "user"):
        op, rest = target.id.split(":")
        n, suffix = rest.rstrip("abc"), rest[len(rest.rstrip("abc")):]
        if int(n) <= 9:
            return f"{op}-{n * 3}{suffix}"
    raise FormatError(f"{target.label}: flip-cpd file names hold structured products and formats "
                      f"with one-digit dimensions only")


def write_npy(scheme: Scheme, path) -> bytes:
    """flip-cpd's ``.npy`` row (numerator, denominator of every coefficient of U, then V, then W;
    GF(p) residues as symmetric integers). The file name must start with the target's
    :func:`file_stem` (``gt-444-rank34.npy``), which is how flip-cpd and this reader tell it."""
    stem = file_stem(scheme.target)
    if not Path(path).name.startswith(stem + "-") and Path(path).stem != stem:
        raise FormatError(f"{path}: a flip-cpd file of {scheme.target.label} must be named "
                          f"{stem}-....npy (the name tells the target)")
    values = scheme.over("q") if scheme.ring.modulus else scheme
    row = []
    for mat in (values.U, values.V, values.W):
        for x in mat.ravel():
            x = Fraction(x)
            row += [x.numerator, x.denominator]
    if any(abs(v) >= 2**63 for v in row):
        raise FormatError(f"{path}: a coefficient does not fit flip-cpd's int64 row")
    buffer = io.BytesIO()
    np.save(buffer, np.array([row], dtype=np.int64))
    return buffer.getvalue()
