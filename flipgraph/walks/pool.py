"""One walker's search: the pool strategy over packed schemes (DESIGN §3), single process.

Keep up to ``pool_size`` distinct schemes of the current rank r; repeatedly pull one at random and
walk from it (at most ``path_limit`` moves, plus transitions after ``plus_after`` quiet flips) until
a walk reaches rank r − 1; when the next pool is full (or the level's attempt budget is spent
and at least one scheme was found) the search moves down a level. ``pool_size=1`` is the plain
walk with restarts from the last scheme reached.

Everything here is deterministic for a given seed: the kernel's generator state and the pool
choices come from one seeded stream, so a worker's trajectory depends only on (seed, budget).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._kernel import RING_Z2, walk

#: Extra rank a plus transition may add above the level being searched.
PLUS_HEADROOM = 4


@dataclass
class PoolState:
    """Progress of one walker, reported through the ``progress`` callback."""

    rank: int                                   # current level (rank of the pool)
    best_rank: int
    flips: int = 0
    plus: int = 0
    walks: int = 0
    restarts: int = 0
    pool_size: int = 1
    next_pool_size: int = 0
    elapsed: float = 0.0
    history: list = field(default_factory=list)   # (elapsed, flips, rank) when a level is reached


def canonical_key(F: np.ndarray, rank: int, ring: int = RING_Z2) -> bytes:
    """Bytes identifying the packed scheme (all words) up to term order and, over Z3/ZT, the signs
    of each term's factors (a and b made sign-normal, c takes the signs)."""
    terms = F[:, :rank].copy()
    if ring != RING_Z2:
        swap = np.arange(F.shape[2]) ^ 1                   # word w of −x is word w ^ 1 of x
        for mode in (0, 1):
            plus, minus = terms[mode][:, 0::2], terms[mode][:, 1::2]
            both = plus | minus
            lowest = both & (~both + np.uint64(1))
            first = np.argmax(both != 0, axis=1)           # the word holding the lowest entry
            flip = (minus & lowest)[np.arange(rank), first] != 0
            for target in (mode, 2):
                terms[target][flip] = terms[target][flip][:, swap]
    order = np.lexsort(terms.transpose(1, 0, 2).reshape(rank, 3 * F.shape[2]).T[::-1])
    return terms[:, order].tobytes()


def pool_search(F0: np.ndarray, rank0: int, target: int, *, pool_size: int, path_limit: int,
                plus_after: int, seed: int, ring: int = RING_Z2, time_limit: float | None = None,
                reset_flips: int = 0,
                progress: Callable[[PoolState, np.ndarray | None], bool] | None = None,
                report_every: float = 0.5) -> tuple[np.ndarray, int, PoolState]:
    """Search down from the packed scheme (F0, rank0) to rank ``target``.

    ``reset_flips`` > 0: after that many flips since the last start, the search starts over from
    (F0, rank0) with the same generator stream (the best scheme is kept): times to a rank are
    heavy-tailed, so fresh starts beat waiting on a bad draw.
    ``progress(state, improved)`` is called at least every ``report_every`` seconds and whenever a
    new level is reached (then ``improved`` is the packed scheme, else None); returning True stops
    the search. Returns (F, rank, state) of the best scheme found."""
    gen = np.random.Generator(np.random.PCG64(seed))
    rng = np.array([gen.integers(1, 2**63)], dtype=np.uint64)
    out = np.zeros(5, dtype=np.int64)
    no_best = np.zeros((3, 0, F0.shape[2]), dtype=np.uint64)
    cap = F0.shape[1]
    start = time.perf_counter()
    deadline = start + time_limit if time_limit else None
    pool = [F0.copy()]
    level = rank0
    best_F = F0.copy()
    state = PoolState(rank=rank0, best_rank=rank0)
    next_pool: dict[bytes, tuple[np.ndarray, int]] = {}
    last_report = start
    walks_at_level = 0
    flips_at_start = 0
    while level > target:
        if reset_flips and state.flips - flips_at_start > reset_flips:
            pool, level, next_pool, walks_at_level = [F0.copy()], rank0, {}, 0
            flips_at_start = state.flips
            state.restarts += 1
        if deadline and time.perf_counter() > deadline:
            break
        F = pool[int(gen.integers(len(pool)))].copy()
        rank = walk(F, level, ring, level - 1, path_limit, plus_after,
                    min(level + PLUS_HEADROOM, cap), rng, out, no_best)
        state.flips += int(out[0])
        state.plus += int(out[1])
        state.walks += 1
        walks_at_level += 1
        improved = None
        F[:, rank:] = 0                        # the kernel leaves dead terms behind
        if rank < level:
            next_pool.setdefault(canonical_key(F, rank, ring), (F, rank))
            if rank < state.best_rank:
                state.best_rank = rank
                best_F = F.copy()
                improved = best_F
        # move down when the next pool is full, or when a level's budget is spent with some found
        if next_pool and (len(next_pool) >= pool_size or walks_at_level >= 4 * pool_size):
            lowest = min(rank for _, rank in next_pool.values())
            pool = [Fn for Fn, rank in next_pool.values() if rank == lowest]
            level = lowest
            next_pool = {}
            walks_at_level = 0
            state.history.append((time.perf_counter() - start, state.flips, level))
        now = time.perf_counter()
        state.rank, state.pool_size, state.next_pool_size = level, len(pool), len(next_pool)
        state.elapsed = now - start
        if progress and (improved is not None or now - last_report >= report_every):
            last_report = now
            if progress(state, improved):
                break
    state.elapsed = time.perf_counter() - start
    return best_F, state.best_rank, state

