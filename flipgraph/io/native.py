"""Native JSON, the project's own file format (project convention: C NOT transposed).

Version 2 (written)::

    {"flipgraph": 2, "target": "mm:3x3x3", "ring": "zt", "rank": r,
     "U": [[...], ...], "V": [[...], ...], "W": [[...], ...], "meta": {...}}

``target`` is a matrix-multiplication id ``mm:NxMxP``, or for any other bilinear map the tensor
itself: {"id": "user:<hash>", "name": ..., "sizes": [nU, nV, nW], "entries": [[i, j, k, c], ...]}
(:mod:`flipgraph.tensors`; the id must match the entries). U, V, W have r rows of nU, nV, nW
coefficients; for matmul U's entry i*m + j multiplies A[i, j], V's j*p + k B[j, k], W's i*p + k is the
product's coefficient in C[i, k]. Version 1 (still read) has ``"format": [n, m, p]`` instead of
``target``. Coefficients are JSON integers or, over q, strings "a/b"; z2/z3 coefficients are residues
0..p-1. "meta" is optional and free (a JSON object, e.g. provenance). The reader is strict: any other
key, a wrong shape, a rank that disagrees with the rows, or a coefficient outside the ring is a
FormatError naming file and key.
"""
from __future__ import annotations

import json

from ..errors import FormatError, SchemeError
from ..rings import ring as as_ring
from ..scheme import Scheme
from ..tensors import Target, from_json, matmul
from .common import build, dense_rows, load_json, number_json, reread

VERSION = 2
_REQUIRED = {1: ("flipgraph", "format", "ring", "rank", "U", "V", "W"),
             2: ("flipgraph", "target", "ring", "rank", "U", "V", "W")}


def parse(text: str, where: str, ring=None) -> tuple[Scheme, dict]:
    """(scheme, meta) from native JSON text; ``ring`` (optional) reads the values in another ring."""
    data = load_json(text, where)
    if not isinstance(data, dict):
        raise FormatError(f"{where}: the top level must be a JSON object")
    version = data.get("flipgraph")
    if type(version) is not int or version not in _REQUIRED:
        raise FormatError(f"{where}: key 'flipgraph': unsupported version {version!r} "
                          f"(this reader knows {', '.join(map(str, _REQUIRED))})")
    required = _REQUIRED[version]
    unknown = sorted(set(data) - set(required) - {"meta"})
    if unknown:
        raise FormatError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(required)}, meta)")
    missing = [k for k in required if k not in data]
    if missing:
        raise FormatError(f"{where}: missing key {missing[0]!r}")
    target = _target(data, version, where)
    rank = data["rank"]
    if not isinstance(rank, int) or isinstance(rank, bool) or rank < 0:
        raise FormatError(f"{where}: key 'rank': expected a non-negative integer, got {rank!r}")
    if not isinstance(data["ring"], str):
        raise FormatError(f"{where}: key 'ring': expected a ring name, got {data['ring']!r}")
    meta = data.get("meta", {})
    if not isinstance(meta, dict):
        raise FormatError(f"{where}: key 'meta': expected a JSON object")
    mats = [dense_rows(data[key], rank, cols, f"{where}: key {key!r}")
            for key, cols in zip("UVW", target.sizes)]
    try:
        file_ring = as_ring(data["ring"])
    except SchemeError as exc:
        raise FormatError(f"{where}: key 'ring': {exc}") from None
    scheme = build(where, target, *mats, file_ring)
    return (reread(scheme, ring, where) if ring is not None else scheme), meta


def write(scheme: Scheme, meta: dict | None = None) -> str:
    """Native JSON text of ``scheme`` (one product per line, so diffs stay readable)."""
    head = {"flipgraph": VERSION, "target": scheme.target.to_json(), "ring": scheme.ring.name,
            "rank": scheme.rank}
    lines = [json.dumps(head)[:-1] + ","]
    for key, mat in (("U", scheme.U), ("V", scheme.V), ("W", scheme.W)):
        if mat.dtype.kind in "iu":              # integers as they are (fast on 16x16x16)
            rows = [json.dumps(row) for row in mat.tolist()]
        else:
            rows = [json.dumps([number_json(x) for x in row]) for row in mat]
        lines.append(f' "{key}": [' + ",\n  ".join(rows) + "],")
    if meta:
        lines.append(f' "meta": {json.dumps(meta, sort_keys=True)},')
    lines[-1] = lines[-1][:-1]
    return "\n".join(lines) + "}\n"


def _target(data: dict, version: int, where: str) -> Target:
    """The target of a native file: v1 ``format`` [n, m, p], v2 ``target`` (id or tensor)."""
    if version == 1:
        fmt = data["format"]
        if (not isinstance(fmt, list) or len(fmt) != 3
                or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in fmt)):
            raise FormatError(f"{where}: key 'format': expected [n, m, p] of positive integers, "
                              f"got {fmt!r}")
        key, build_target = "format", lambda: matmul(*fmt)
    else:
        key, build_target = "target", lambda: from_json(data["target"])
    try:
        return build_target()
    except SchemeError as exc:
        raise FormatError(f"{where}: key {key!r}: {exc}") from None
