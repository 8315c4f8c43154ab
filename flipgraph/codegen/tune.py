"""Measure this machine's cutoffs: the block size below which the leaf product beats one more
level of a 2x2x2 rank-7 scheme, per kind of leaf: "float" (float64 BLAS; also the exact integer
products done in float64), "gf" (exact products in float32 BLAS, measured on GF(31)), "object"
(Fractions).

For each kind, square sizes s double from a small start; at each s the leaf product and one level
of the routine are timed interleaved (best of ``repeats``). The cutoff is s/2 for the smallest s
where the level wins at s and at every larger size measured (so recursion happens for blocks of
≥ s/2, i.e. matrices of ≥ s); if it never wins, the cutoff is the largest size measured.
The result is stored as JSON in ``<cache>/cutoffs.json`` and read by :func:`tuned_cutoffs`.
"""
from __future__ import annotations

import json
import time
from fractions import Fraction

import numpy as np

from ..atomic import write_text
from .cutoffs import cutoffs_path

#: kind -> (first size, last size measured by default)
SIZES = {"float": (256, 2048), "object": (8, 64), "gf": (256, 2048)}


def _operands(kind: str, s: int, rng):
    if kind == "float":
        return rng.standard_normal((s, s)), rng.standard_normal((s, s))
    if kind == "object":
        return tuple(np.array([Fraction(int(x), 3) for x in rng.integers(-99, 100, s * s)],
                              dtype=object).reshape(s, s) for _ in range(2))
    import galois

    field = galois.GF(31)
    return field.Random((s, s), seed=rng), field.Random((s, s), seed=rng)


def _best_time(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def measure(kind: str, sizes, repeats: int = 2, progress=None) -> list[tuple[int, float, float]]:
    """(size, leaf seconds, one-level seconds) per size, timed interleaved."""
    from .library import best_routine
    from .runtime import run

    step = best_routine().STEP
    rng = np.random.default_rng(0)
    rows = []
    for s in sizes:
        A, B = _operands(kind, s, rng)
        leaf = lambda: run(A, B, [step], levels=0)         # noqa: E731 - timed closures
        level = lambda: run(A, B, [step], levels=1)        # noqa: E731
        t_leaf = t_level = float("inf")
        for _ in range(repeats):
            t_leaf = min(t_leaf, _best_time(leaf, 1))
            t_level = min(t_level, _best_time(level, 1))
        rows.append((s, t_leaf, t_level))
        if progress:
            progress(kind, s, t_leaf, t_level)
    return rows


def choose(rows) -> int:
    """The cutoff from measured rows (see the module docstring)."""
    cutoff = rows[-1][0]
    for s, t_leaf, t_level in reversed(rows):
        if t_level >= t_leaf:
            break
        cutoff = s // 2
    return cutoff


def tune(kinds=("float", "object", "gf"), max_sizes: dict | None = None,
         repeats: int = 2, progress=None) -> dict:
    """Measure the kinds, store and return {kind: cutoff}. Kinds not measured keep their
    previously stored value."""
    stored = json.loads(cutoffs_path().read_text()) if cutoffs_path().exists() else {}
    cutoffs, table = stored.get("cutoffs", {}), stored.get("measured", {})
    for kind in kinds:
        first, last = SIZES[kind]
        last = (max_sizes or {}).get(kind, last)
        sizes = [first << e for e in range(20) if first << e <= last]
        rows = measure(kind, sizes, repeats, progress)
        cutoffs[kind] = choose(rows)
        table[kind] = [list(r) for r in rows]
    path = cutoffs_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps({"cutoffs": cutoffs, "measured": table}, indent=1))
    return cutoffs
