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
tiles (each dimension cut into runs of about 3) and the unions of two neighbouring tiles, so
reductions found in the tiles can be combined.
"""
from __future__ import annotations

import itertools

import numpy as np

from ..tensors import parse_target
from .packing import factor_words, pack_bits

#: Formats with more standard products than this get windows (5x5x5 and below reduce without).
MIN_PRODUCTS = 125
#: Length of the runs each dimension is cut into.
TILE = 3


def runs(n: int) -> list[range]:
    """0..n-1 cut into n // TILE balanced consecutive runs (7 -> 3 + 4, 8 -> 4 + 4)."""
    q = max(1, n // TILE)
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


def block_windows(target, ring: str) -> np.ndarray | None:
    """uint64[count, 3, K]: the windows of a large matmul ``target`` (tiles and unions of two
    neighbouring tiles along one dimension); None for smaller formats and other targets."""
    target = parse_target(target)
    if not target.is_matmul or np.prod(target.format) <= MIN_PRODUCTS:
        return None
    cuts = [runs(d) for d in target.format]
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
