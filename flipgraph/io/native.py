"""Native JSON, the project's own file format (project convention: C NOT transposed).

    {"flipgraph": 1, "format": [n, m, p], "ring": "zt", "rank": r,
     "U": [[...], ...], "V": [[...], ...], "W": [[...], ...], "meta": {...}}

U is r rows of n·m coefficients (entry i*m + j multiplies A[i, j]), V is r rows of m·p (j*p + k,
B[j, k]), W is r rows of n·p (i*p + k: the product's coefficient in C[i, k]). Coefficients are JSON
integers or, over q, strings "a/b"; z2/z3 coefficients are residues 0..p-1. "meta" is optional and
free (a JSON object, e.g. provenance). The reader is strict: any other key, a wrong shape, a rank
that disagrees with the rows, or a coefficient outside the ring is a FormatError naming file and key.
"""
from __future__ import annotations

import json

from ..errors import FormatError, SchemeError
from ..rings import ring as as_ring
from ..scheme import Scheme
from .common import build, dense_rows, load_json, number_json, reread

VERSION = 1
_REQUIRED = ("flipgraph", "format", "ring", "rank", "U", "V", "W")


def parse(text: str, where: str, ring=None) -> tuple[Scheme, dict]:
    """(scheme, meta) from native JSON text; ``ring`` (optional) reads the values in another ring."""
    data = load_json(text, where)
    if not isinstance(data, dict):
        raise FormatError(f"{where}: the top level must be a JSON object")
    unknown = sorted(set(data) - set(_REQUIRED) - {"meta"})
    if unknown:
        raise FormatError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(_REQUIRED)}, meta)")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise FormatError(f"{where}: missing key {missing[0]!r}")
    if data["flipgraph"] != VERSION or isinstance(data["flipgraph"], bool):
        raise FormatError(f"{where}: key 'flipgraph': unsupported version {data['flipgraph']!r} "
                          f"(this reader knows {VERSION})")
    fmt = data["format"]
    if (not isinstance(fmt, list) or len(fmt) != 3
            or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in fmt)):
        raise FormatError(f"{where}: key 'format': expected [n, m, p] of positive integers, got {fmt!r}")
    n, m, p = fmt
    rank = data["rank"]
    if not isinstance(rank, int) or isinstance(rank, bool) or rank < 0:
        raise FormatError(f"{where}: key 'rank': expected a non-negative integer, got {rank!r}")
    if not isinstance(data["ring"], str):
        raise FormatError(f"{where}: key 'ring': expected a ring name, got {data['ring']!r}")
    meta = data.get("meta", {})
    if not isinstance(meta, dict):
        raise FormatError(f"{where}: key 'meta': expected a JSON object")
    mats = [dense_rows(data[key], rank, cols, f"{where}: key {key!r}")
            for key, cols in (("U", n * m), ("V", m * p), ("W", n * p))]
    try:
        file_ring = as_ring(data["ring"])
    except SchemeError as exc:
        raise FormatError(f"{where}: key 'ring': {exc}") from None
    scheme = build(where, fmt, *mats, file_ring)
    return (reread(scheme, ring, where) if ring is not None else scheme), meta


def write(scheme: Scheme, meta: dict | None = None) -> str:
    """Native JSON text of ``scheme`` (one product per line, so diffs stay readable)."""
    head = {"flipgraph": VERSION, "format": list(scheme.format), "ring": scheme.ring.name,
            "rank": scheme.rank}
    lines = [json.dumps(head)[:-1] + ","]
    for key, mat in (("U", scheme.U), ("V", scheme.V), ("W", scheme.W)):
        rows = [json.dumps([number_json(x) for x in row]) for row in mat]
        lines.append(f' "{key}": [' + ",\n  ".join(rows) + "],")
    if meta:
        lines.append(f' "meta": {json.dumps(meta, sort_keys=True)},')
    lines[-1] = lines[-1][:-1]
    return "\n".join(lines) + "}\n"
