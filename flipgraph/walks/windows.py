"""Block windows: walks on a sub-block of a large matrix-multiplication format.

From the standard algorithm of a large format (6x6x6 and up) a random walk over all terms almost
never reduces: measured here, no reduction in 40 M flips on 6x6x6 over ZT (TFG's flip_graph: none in
37 M either), against about one per million flips on 4x4x4. The walk spreads its flips over all
n·m·p terms and the alignments a reduction needs never build up. A window walk only moves the
terms whose three factors lie inside a block I×J, J×K, I×K of the format (rows I of A, its
columns J, columns K of B): those terms sum to a sub-tensor of their own (a smaller matrix product
at the start), so the walk on them is a small walk that reduces as fast as 3x3x3 or 4x4x4 does,
and the other terms stay as they are.

A window is ``uint64[3, K]``: per mode, the packed mask of the block's entries (both planes over
Z3/ZT); a factor lies inside when it has no entry outside the mask. The windows of a format are its
tiles (each dimension cut into runs of about 3, or about 2 up to 5x5x5) and the unions of two
neighbouring tiles, so reductions found in the tiles can be combined.

Mid-sized formats need them too: from the standard algorithm, a factor of more than 16 entries
(9 over Z3) makes the first reductions rare. Z2, 30 s, one worker, seeds 1-3
(benchmarks/bench_windows.py): 2x5x5 reached 49, 49, 45 without windows and 42, 40, 40 with
them; 3x5x5 74, 72, 72 and 61, 63, 60; TFG's flip_graph stayed at 40 on 2x2x10 for 79 M flips,
where windows reach 35 in 2 s. Once the windows stop reducing, a worker on such a format drops
them (:func:`patience`).
"""
from __future__ import annotations

import itertools

import numpy as np

from ..tensors import parse_target
from .packing import factor_words, pack_bits

#: Formats with more standard products than this are cut into runs of about 3 ...
LARGE_PRODUCTS = 125
#: ... and smaller ones into runs of about 2 when a factor has more entries than this, per ring:
#: over Z3 (3^k factor values, two values of λ) 4x4x4, 3x4x4 and 2x4x4 make no reduction at all
#: from the standard algorithm in 15 s (seed 1), and reach 54, 39 and 28 with windows.
MID_FACTOR = {"z2": 16, "zt": 16, "z3": 9}
#: Window walks in a row without a reduction after which a worker on a mid-sized format walks
#: whole schemes only, until it starts over. Large formats keep their windows: there whole walks
#: hardly reduce (60 s, ZT, one worker: 6x6x6 193 with this, 186 without; 4x4x10 158 and 140).
MID_PATIENCE = 20


def runs(n: int, tile: int = 3) -> list[range]:
    """0..n-1 cut into n // tile balanced consecutive runs (7 -> 3 + 4, 8 -> 4 + 4)."""
    q = max(1, n // tile)
    cuts = [i * n // q for i in range(q + 1)]
    return [range(a, b) for a, b in zip(cuts, cuts[1:])]


def window(fmt: tuple[int, int, int], rows, inner, cols, ring: str) -> np.ndarray:
    """The packed window of the block A[rows, inner]·B[inner, cols] of format ``fmt``."""
    n, m, p = fmt
    K = factor_words(fmt, ring)
    masks = np.zeros((3, K), np.uint64)
    for mode, (size, pairs) in enumerate((
            (n * m, [i * m + j for i in rows for j in inner]),
            (m * p, [j * p + k for j in inner for k in cols]),
            (n * p, [i * p + k for i in rows for k in cols]))):
        bits = np.zeros((1, size), np.uint64)
        bits[0, pairs] = 1
        if ring == "z2":
            masks[mode] = pack_bits(bits, K)[0]
        else:
            plane = pack_bits(bits, K // 2)[0]
            masks[mode, 0::2] = plane
            masks[mode, 1::2] = plane
    return masks


def patience(target) -> int:
    """Window walks in a row without a reduction before a worker drops the windows of ``target``
    (:class:`~flipgraph.walks.pool.PoolStrategy`'s ``window_patience``); 0: never."""
    target = parse_target(target)
    return MID_PATIENCE if target.is_matmul and np.prod(target.format) <= LARGE_PRODUCTS else 0


def block_windows(target, ring: str) -> np.ndarray | None:
    """uint64[count, 3, K]: the windows of a matmul ``target`` (tiles and unions of two
    neighbouring tiles along one dimension) of more than LARGE_PRODUCTS products, or with a factor
    of more than ``MID_FACTOR[ring]`` entries (so a dimension of 4 or more: two tiles at least);
    None for other targets and smaller formats (over Z2 and ZT 4x4x4 and 3x3x5, over Z3 3x3x3)."""
    target = parse_target(target)
    if not target.is_matmul:
        return None
    n, m, p = target.format
    if n * m * p > LARGE_PRODUCTS:
        tile = 3
    elif max(n * m, m * p, p * n) > MID_FACTOR[ring]:
        tile = 2
    else:
        return None
    cuts = [runs(d, tile) for d in target.format]
    blocks = set()
    for tile in itertools.product(*(range(len(c)) for c in cuts)):
        blocks.add(tuple((t, t) for t in tile))
        for d in range(3):
            if tile[d] + 1 < len(cuts[d]):
                blocks.add(tuple((t, t + 1) if e == d else (t, t) for e, t in enumerate(tile)))
    out = []
    for block in sorted(blocks):
        rows, inner, cols = ([i for part in cuts[d][lo:hi + 1] for i in part]
                             for d, (lo, hi) in enumerate(block))
        out.append(window(target.format, rows, inner, cols, ring))
    return np.stack(out)
