"""Z2 flip-graph search benchmarks (DESIGN §8): flips/s per core and time to a target rank.

    python benchmarks/bench_search.py                  # everything (several minutes)
    python benchmarks/bench_search.py flips            # flips/s only
    python benchmarks/bench_search.py t333 [SEEDS]     # 3x3x3 27 -> 23, SEEDS seeds (default 20)
    python benchmarks/bench_search.py t444 [SEEDS]     # 4x4x4 64 -> 49, 2 workers (default 5)

Numba compile (or cache load) time is measured first and reported apart; every figure after it is
compile-free. The C++ anchors measured on this 2-core machine (DESIGN §8 and the issue): 8.3 M
flips/s per core on 3x3x3 at rank 23; 4x4x4 rank 49 from 64 in ~50 s.
"""
from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from flipgraph import standard, verify
from flipgraph.walks import search
from flipgraph.walks._kernel import walk
from flipgraph.walks.packing import pack_z2, unpack_z2
from flipgraph.walks.pool import pool_search

CPP_FLIPS_333 = 8.3e6
T444_SETTINGS = dict(pool_size=4, path_limit=100_000_000, plus_after=5_000)


def compile_time() -> float:
    start = time.perf_counter()
    F = pack_z2(standard(2, 2, 2), 12)
    walk(F, 8, 0, 7, 10, 0, 8, np.array([1], np.uint64), np.zeros(3, np.int64))
    return time.perf_counter() - start


def flips_per_second(fmt, rank_goal, moves, seed=1) -> tuple[float, int]:
    """Reach ``rank_goal`` by a search, then time a plain walk (no plus transitions) there."""
    found = search(fmt, target_rank=rank_goal, time_limit=300, seed=seed, **(
        T444_SETTINGS if fmt == (4, 4, 4) else {}))
    F = pack_z2(found.scheme, found.rank + 8)
    out = np.zeros(3, np.int64)
    rng = np.array([seed], np.uint64)
    start = time.perf_counter()
    rank = walk(F, found.rank, 0, 0, moves, 0, found.rank, rng, out)
    elapsed = time.perf_counter() - start
    assert verify(unpack_z2(F, rank, fmt), "z2")
    return out[0] / elapsed, found.rank


def time_to_rank(fmt, start_rank, target, seeds, workers=1, limit=120.0, **settings):
    times = []
    for seed in range(seeds):
        t0 = time.perf_counter()
        if workers == 1:
            s = standard(*fmt)
            F, rank, _ = pool_search(pack_z2(s, s.rank + 8), s.rank, target, seed=seed,
                                     time_limit=limit, **settings)
            ok = rank <= target and verify(unpack_z2(F, rank, fmt), "z2")
        else:
            result = search(fmt, target_rank=target, workers=workers, time_limit=limit,
                            seed=seed, **settings)
            ok = result.reached_target
        times.append(time.perf_counter() - t0 if ok else float("inf"))
        print(f"  seed {seed}: {'%.3f s' % times[-1] if ok else 'missed'}", flush=True)
    solved = [t for t in times if t != float("inf")]
    median = statistics.median(times)
    print(f"{fmt[0]}x{fmt[1]}x{fmt[2]} {start_rank}->{target}: {len(solved)}/{seeds} reached, "
          f"median {median:.3f} s, max {max(times):.3f} s")


def main(argv):
    what = argv[1] if len(argv) > 1 else "all"
    print(f"numba compile / cache load: {compile_time():.2f} s (excluded below)")
    if what in ("all", "flips"):
        rate, rank = flips_per_second((3, 3, 3), 23, 30_000_000)
        print(f"3x3x3 rank {rank}: {rate / 1e6:.1f} M flips/s per core "
              f"({rate / CPP_FLIPS_333:.2f}x the C++ anchor's 8.3 M)")
        rate, rank = flips_per_second((4, 4, 4), 50, 30_000_000)
        print(f"4x4x4 rank {rank}: {rate / 1e6:.1f} M flips/s per core (goal >= 4 M)")
    if what in ("all", "t333"):
        seeds = int(argv[2]) if len(argv) > 2 else 20
        time_to_rank((3, 3, 3), 27, 23, seeds, pool_size=4, path_limit=10_000_000, plus_after=5_000)
    if what in ("all", "t444"):
        seeds = int(argv[2]) if len(argv) > 2 else 5
        time_to_rank((4, 4, 4), 64, 49, seeds, workers=2, limit=120.0, **T444_SETTINGS)


if __name__ == "__main__":
    main(sys.argv)
