"""Alternatives: many distinct schemes of one rank, by walking at fixed rank (flips only).

From a start scheme of rank r, walk ``moves`` moves at a time (a reduction met on the way is
taken, and the walk goes on from the lower rank; plus transitions, after ``plus_after`` flips
without a reduction, may take it up to two ranks above r — some schemes, like Laderman's, admit no
flip at all); after each stretch the scheme reached, if its rank is r or lower, is kept when new — distinct up to the order of the products and the scaling of their
factors (:meth:`flipgraph.scheme.Scheme.canonical_hash`). Every kept scheme is verified in the
walk's ring. This feeds the addition reducer and the fault-tolerant pairs, which want many
different schemes of the best rank.

    >>> from flipgraph import classics
    >>> from flipgraph.walks.alternatives import alternatives
    >>> found = alternatives(classics.laderman(), 5, seed=1)
    >>> len(found), {s.rank for s in found} <= {23, 22}
    (5, True)
"""
from __future__ import annotations

import time

import numpy as np

from ..errors import FlipgraphError
from ..scheme import Scheme
from ..verify import verify
from .naive import walk_ring
from .packing import check_packable, pack, unpack
from .walker import Walker, warm_up


def alternatives(start: Scheme, count: int, *, ring: str | None = None, moves: int = 20_000,
                 plus_after: int = 2_000, seed: int = 0, time_limit: float | None = 60.0,
                 include_start: bool = False) -> list[Scheme]:
    """Up to ``count`` distinct verified schemes met by a fixed-rank walk from ``start`` (at its
    rank or below), in the order found. ``ring``: the walk's ring (default: z2/z3 for mod-p
    schemes, zt for integer schemes in {-1, 0, 1}); ``moves``: flips between two samples."""
    ring = ring or walk_ring(start)
    check_packable(start.target, ring)
    if count < 1 or moves < 1:
        raise FlipgraphError("count and moves must be at least 1")
    current = start.over(ring)
    if not verify(current):
        raise FlipgraphError(f"the start scheme is not valid over {ring}")
    rank = top = current.rank
    F = pack(current, ring, top + 2)
    warm_up(F.shape[2], ring)                        # compile (or load) the kernel before the clock
    walker = Walker(ring, int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0]) | 1)
    seen = set() if include_start else {current.canonical_hash()}
    found: list[Scheme] = []
    deadline = time.perf_counter() + time_limit if time_limit else None
    stuck = 0
    while len(found) < count and stuck < 50:
        if deadline and time.perf_counter() > deadline:
            break
        result = walker.walk(F, rank, max_moves=moves, plus_after=plus_after, max_rank=top + 2)
        rank = result.rank
        if rank > top:
            continue
        scheme = unpack(F, rank, current.target, ring)
        key = scheme.canonical_hash()
        if key in seen:
            stuck += 1
            continue
        stuck = 0
        if not verify(scheme):
            raise RuntimeError(f"internal error: a fixed-rank walk left the scheme invalid over {ring}")
        seen.add(key)
        found.append(scheme)
    return found
