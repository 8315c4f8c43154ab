"""Fixed-rank walks that minimise naive additions (DESIGN §5: good schemes matter more than the
CSE heuristic).

The walk keeps the best scheme met (lowest rank, then fewest nonzero coefficients); at fixed rank r
the naive additions are nnz(U) + nnz(V) + nnz(W) − 2r − (nonzero columns of W, n·p for matmul), so
fewest nonzeros = fewest naive additions. Flips only (no
plus transitions); a reduction met on the way is kept. Each round restarts from the best scheme.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..errors import FlipgraphError
from ..scheme import Scheme
from ..verify import verify
from .packing import pack, unpack
from .walker import Walker, warm_up


@dataclass
class NaiveResult:
    scheme: Scheme          # verified, in the walk's ring
    naive_before: int
    naive_after: int
    flips: int
    seconds: float


def walk_ring(scheme: Scheme) -> str:
    """The ring a fixed-rank walk on ``scheme`` can use: zt for integer schemes in {-1,0,1}."""
    if scheme.ring.name in ("z2", "z3"):
        return scheme.ring.name
    if scheme.ring.is_integral and (scheme.rank == 0 or max(
            int(abs(m).max()) for m in (scheme.U, scheme.V, scheme.W)) <= 1):
        return "zt"
    raise FlipgraphError(f"minimising naive additions walks over zt, z2 or z3: this {scheme.ring} "
                         f"scheme has coefficients outside {{-1, 0, 1}}")


def minimize_naive(scheme: Scheme, *, rounds: int = 20, moves: int = 200_000,
                   plus_after: int = 0, seed: int = 0,
                   time_limit: float | None = None) -> NaiveResult:
    """Walk from ``scheme`` for ``rounds`` × ``moves`` moves (each round from the best so far)
    and return the scheme with the fewest naive additions met at its rank (or lower), verified.
    ``plus_after`` > 0 lets the walk step one or two ranks up (plus transitions) to leave a local
    minimum; only schemes at the original rank or below are kept."""
    ring = walk_ring(scheme)
    if not verify(scheme, ring):
        raise FlipgraphError(f"the scheme is not valid over {ring}")
    current = scheme.over(ring)
    best = pack(current, ring, current.rank)
    warm_up(best.shape[2], ring)                     # compile (or load) the kernel before the clock
    start = time.perf_counter()
    rank = current.rank
    walker = Walker(ring, int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0] | 1))
    flips = 0
    for _ in range(rounds):
        if time_limit and time.perf_counter() - start > time_limit:
            break
        F = np.zeros((3, rank + 2, best.shape[2]), np.uint64)
        F[:, :rank] = best[:, :rank]
        walked = walker.walk(F, rank, max_moves=moves, plus_after=plus_after,
                             max_rank=rank + 2 if plus_after else rank, keep_best=True)
        flips += walked.flips
        rank, best = walked.best_rank, walked.best
    found = unpack(best, rank, scheme.target, ring)
    if not verify(found):
        raise RuntimeError("internal error: the naive-addition walk produced an invalid scheme")
    return NaiveResult(found, naive_count(scheme), naive_count(found), flips,
                       time.perf_counter() - start)


def naive_count(scheme: Scheme) -> int:
    """Additions of the naive evaluation, from nonzeros: per row of U and V and per column of W,
    nonzeros − 1 (equals :func:`flipgraph.additions.naive_total`, which imports this module)."""
    rows = [(m != 0).sum(axis=1) for m in (scheme.U, scheme.V, scheme.W.T)]
    return int(sum(np.maximum(nnz - 1, 0).sum() for nnz in rows))
