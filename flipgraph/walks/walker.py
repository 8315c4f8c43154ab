"""The walk API: one random walk on packed factors, with named inputs and results.

Everything outside :mod:`flipgraph.walks._kernel` walks through :class:`Walker`, which owns the
walk's generator state (xorshift64*, never 0, advanced by every walk) and turns the kernel's raw
slots into a :class:`WalkResult`. Packed factors: see :mod:`flipgraph.walks.packing`.

    >>> from flipgraph import standard
    >>> from flipgraph.walks.packing import pack
    >>> F = pack(standard(2, 2, 2), "z2", 12)
    >>> result = Walker("z2", rng_state=1).walk(F, 8, target_rank=7, max_moves=1000)
    >>> result.rank <= 8 and result.flips <= 1000
    True
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._kernel import walk as _kernel_walk
from .packing import RING_CODES

class WalkResult(NamedTuple):
    """What one walk did. The packed array walked on holds the final scheme in terms 0..rank-1."""

    rank: int                          # rank at the end of the walk
    flips: int
    plus: int                          # plus transitions (rank + 1 each)
    rejected: int                      # moves not taken (a ZT sum left {-1, 0, 1}, or a plus
                                       # transition draw failed); count as moves
    best_rank: int                     # keep_best: rank of the best scheme met (else: after the
                                       # reductions at the start)
    best_nonzeros: int                 # keep_best: its nonzero coefficients (else 0)
    best: np.ndarray | None = None     # keep_best: its packed terms, uint64[3, best_rank]


class Walker:
    """Random walks over ``ring`` ("z2", "z3" or "zt") from one generator state.

    ``rng_state`` (a nonzero 64-bit integer) is the whole state: two walkers with the same state
    walking the same arrays with the same arguments do the same moves."""

    def __init__(self, ring: str, rng_state: int):
        if ring not in RING_CODES:
            raise ValueError(f"no walk kernel for ring {ring!r}")
        self.ring = ring
        self._code = RING_CODES[ring]
        self._rng = np.zeros(1, np.uint64)
        self._out = np.zeros(5, np.int64)
        self.rng_state = rng_state

    @property
    def rng_state(self) -> int:
        return int(self._rng[0])

    @rng_state.setter
    def rng_state(self, value: int) -> None:
        if not 0 < int(value) < 2**64:
            raise ValueError("the walk generator state is a nonzero 64-bit integer")
        self._rng[0] = np.uint64(int(value))

    def walk(self, F: np.ndarray, rank: int, *, max_moves: int, target_rank: int = 0,
             plus_after: int = 0, max_rank: int | None = None,
             keep_best: bool = False) -> WalkResult:
        """Walk in place on ``F`` (uint64[3, capacity], terms 0..rank-1 alive) until the rank is
        <= ``target_rank``, after ``max_moves`` moves (flips, plus transitions, rejected moves),
        or when no move is left. ``plus_after`` > 0: a plus transition after that many flips
        without a reduction (randomised in [A, 2A)) while the rank is below ``max_rank`` (default
        the capacity). ``keep_best``: also return the scheme met with the lowest rank, then the
        fewest nonzeros. Terms at and after the final rank are garbage."""
        if max_rank is None:
            max_rank = F.shape[1]
        best = np.zeros_like(F) if keep_best else np.zeros((3, 0, F.shape[2]), np.uint64)
        final = _kernel_walk(F, rank, self._code, target_rank, max_moves, plus_after, max_rank,
                             self._rng, self._out, best)
        flips, plus, rejected, best_nonzeros, best_rank = self._out.tolist()
        return WalkResult(final, flips, plus, rejected, best_rank, best_nonzeros,
                          best[:, :best_rank].copy() if keep_best else None)

    def walk_window(self, F: np.ndarray, rank: int, window: np.ndarray, *, max_moves: int,
                    target_rank: int = 0, plus_after: int = 0,
                    max_rank: int | None = None) -> WalkResult:
        """Walk in place on the terms of ``F`` whose three factors lie inside ``window``
        (uint64[3, K] masks, see :mod:`flipgraph.walks.windows`); the other terms stay as they
        are. The same arguments as :meth:`walk`, about the whole scheme: it stops when the whole
        rank is <= ``target_rank`` and plus transitions keep it below ``max_rank``. The terms are
        reordered (the walked ones come last)."""
        if max_rank is None:
            max_rank = F.shape[1]
        inside = ((F[:, :rank] & ~window[:, None, :]) == 0).all(axis=(0, 2))
        count = int(inside.sum())
        if count < 2:
            return WalkResult(rank, 0, 0, 0, rank, 0)
        sub = np.zeros((3, count + max(0, max_rank - rank), F.shape[2]), np.uint64)
        sub[:, :count] = F[:, :rank][:, inside]
        walked = self.walk(sub, count, max_moves=max_moves,
                           target_rank=max(0, count - (rank - target_rank)),
                           plus_after=plus_after, max_rank=count + max(0, max_rank - rank))
        kept = rank - count
        F[:, :kept] = F[:, :rank][:, ~inside]
        F[:, kept:kept + walked.rank] = sub[:, :walked.rank]
        final = kept + walked.rank
        return walked._replace(rank=final, best_rank=kept + walked.best_rank)


def warm_up(words: int | None = None, ring: str | None = None) -> None:
    """Compile (or load from numba's disk cache) the kernel for factors of ``words`` uint64 words
    over ``ring`` before any clock starts (each (ring, words) is its own specialisation); ``ring``
    None: every ring, ``words`` None: the narrowest layout of each ring. Forked workers inherit the
    compiled code."""
    for name in [ring] if ring else list(RING_CODES):
        K = words or (1 if name == "z2" else 2)
        if name != "z2" and K % 2:
            continue
        F = np.zeros((3, 4, K), np.uint64)
        F[:, :2, 0] = [[1, 1], [1, 2], [1, 2]]     # the standard 1x1x2 scheme (+1 entries)
        Walker(name, 1).walk(F, 2, max_moves=1)
