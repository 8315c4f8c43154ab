"""Z2 flip-graph search benchmarks (DESIGN §8): flips/s per core and time to a target rank.

    python benchmarks/bench_search.py [RING] [WHAT] [N]
    RING: z2 (default), z3 or zt
    WHAT: all (default), flips (flips/s only), t333 (3x3x3 27 -> 23, N seeds, default 20),
          t444 (4x4x4 64 -> 49, 2 workers, N seeds, default 10: the strategy of today, workers
                sharing their finds and going back a level when stalled, against independent
                workers that never go back, interleaved seed by seed),
          stall444 (4x4x4 64 -> 49 on one worker, deterministic, N seeds, default 3: going back
                    a level after 1.5e8 or 5e7 flips at a level against never; flips are the
                    load-free figure),
          best444 (4x4x4 from 64: best rank within N seconds on 2 workers, default 600),
          best555 (5x5x5 from 125: best rank within N seconds on 2 workers, default 45, seeds 1
                   and 2; run /tmp/tfg/flip_graph -n1 5 -n2 5 -n3 5 --ring Z2 --threads 2
                   --count 8 --seed S for the same seconds beside it),
          meta (search --meta 2..4 from the standard schemes into a fresh database, lifted to Z:
                seconds until each format holds its best known rank over Z; limit N, default 600)

Numba compile (or cache load) time is measured first and reported apart; every figure after it is
compile-free. The C++ anchors measured on this 2-core machine (DESIGN §8 and the issue): 8.3 M
flips/s per core on 3x3x3 at rank 23 over Z2 and ZT, 5.0 M over Z3; 4x4x4 rank 49 from 64 in
~50 s over Z2; over ZT the C++ tool reached 53 on 4x4x4 in 5 minutes with 8 runners.
"""
from __future__ import annotations

import statistics
import sys
import time

from flipgraph import standard, verify
from flipgraph.walks import PoolStrategy, Walker, search
from flipgraph.walks.packing import RING_CODES, pack, unpack
from flipgraph.walks.runner import RING_DEFAULTS
from flipgraph.walks.walker import warm_up

CPP_FLIPS = {"z2": 8.3e6, "zt": 8.3e6, "z3": 5.0e6}   # C++ anchors, 3x3x3 rank 23
T444_SETTINGS = dict(pool_size=4, path_limit=100_000_000, plus_after=5_000)
#: The strategy before workers shared (issue 16): independent workers, no going back.
INDEPENDENT = dict(share=False, stall_flips=0)


def compile_time() -> float:
    start = time.perf_counter()
    warm_up()
    return time.perf_counter() - start


def flips_per_second(ring, fmt, rank_goal, moves, seed=1) -> tuple[float, int]:
    """Reach ``rank_goal`` by a search, then time a plain walk (no plus transitions) there;
    rejected ZT flips are not counted as flips."""
    found = search(fmt, ring=ring, target_rank=rank_goal, time_limit=300, seed=seed,
                   workers=2 if fmt == (4, 4, 4) else 1,
                   **(T444_SETTINGS if fmt == (4, 4, 4) else {}))
    F = pack(found.scheme, ring, found.rank + 8)
    walker = Walker(ring, rng_state=seed)
    start = time.perf_counter()
    walked = walker.walk(F, found.rank, max_moves=moves)
    elapsed = time.perf_counter() - start
    assert verify(unpack(F, walked.rank, fmt, ring))
    return walked.flips / elapsed, found.rank


def time_to_rank(ring, fmt, start_rank, target, seeds, workers=1, limit=120.0, contenders=None,
                 **settings):
    """Seconds (and flips) to ``target`` per seed; ``contenders`` {name: extra settings} run
    interleaved seed by seed (default: one, the defaults)."""
    contenders = contenders or {"": {}}
    times = {name: [] for name in contenders}
    for seed in range(seeds):
        for name, extra in contenders.items():
            t0 = time.perf_counter()
            if workers == 1:
                s = standard(*fmt)
                strategy = PoolStrategy(pack(s, ring, s.rank + 8), s.rank, target, seed=seed,
                                        ring=ring, **settings, **extra)
                strategy.run(time_limit=limit)
                rank, flips = strategy.best_rank, strategy.flips
                ok = rank <= target and verify(unpack(strategy.best, rank, fmt, ring))
            else:
                result = search(fmt, ring=ring, target_rank=target, workers=workers,
                                time_limit=limit, seed=seed, **settings, **extra)
                ok, flips = result.reached_target, result.flips
            times[name].append(time.perf_counter() - t0 if ok else float("inf"))
            print(f"  {name or 'seed'} {seed}: "
                  f"{'%.3f s' % times[name][-1] if ok else 'missed'}, {flips / 1e6:.0f} M flips",
                  flush=True)
    for name, spent in times.items():
        solved = [t for t in spent if t != float("inf")]
        print(f"{name + ': ' if name else ''}{ring} {fmt[0]}x{fmt[1]}x{fmt[2]} {start_rank}->{target}: "
              f"{len(solved)}/{seeds} reached, best {min(spent):.3f} s, "
              f"median {statistics.median(spent):.3f} s, max {max(spent):.3f} s")


def best_rank(ring, fmt, seconds):
    result = search(fmt, ring=ring, workers=2, time_limit=seconds, seed=0, **T444_SETTINGS)
    print(f"{ring} {fmt[0]}x{fmt[1]}x{fmt[2]} from {fmt[0] * fmt[1] * fmt[2]}: best rank "
          f"{result.rank} in {result.elapsed:.0f} s on 2 workers ({result.flips:,} flips)")


def best555(seconds):
    for seed in (1, 2):
        result = search((5, 5, 5), workers=2, time_limit=seconds, seed=seed)
        print(f"z2 5x5x5 from 125, seed {seed}: best rank {result.rank} in {result.elapsed:.0f} s "
              f"on 2 workers ({result.flips:,} flips)", flush=True)


def meta_fill(seconds):
    import tempfile
    from pathlib import Path

    from flipgraph.db import default_database
    from flipgraph.metasearch import MetaSettings, meta_formats, run_meta_search

    with tempfile.TemporaryDirectory() as folder:
        database = default_database(Path(folder) / "fresh.h5", catalogue=False)
        settings = MetaSettings(meta_formats("2..4"), workers=2, time_limit=seconds, seed=1,
                                lift_to="z", from_scratch=True)
        result = run_meta_search(settings, database, on_event=print)
    for fmt, goal in result.goals.items():
        at = f"{result.done[fmt]:.1f} s" if fmt in result.done else "missed"
        print(f"  {'x'.join(map(str, fmt))}: goal {goal} over Z: {at}")
    print(f"meta 2..4: {len(result.done)}/{len(result.goals)} goals in {result.elapsed:.1f} s")


def main(argv):
    args = argv[1:]
    ring = args.pop(0) if args and args[0] in RING_CODES else "z2"
    what = args[0] if args else "all"
    count = float(args[1]) if len(args) > 1 else None
    print(f"numba compile / cache load: {compile_time():.2f} s (excluded below)")
    if what in ("all", "flips"):
        rate, rank = flips_per_second(ring, (3, 3, 3), 23, 30_000_000)
        print(f"{ring} 3x3x3 rank {rank}: {rate / 1e6:.1f} M flips/s per core "
              f"({rate / CPP_FLIPS[ring]:.2f}x the C++ anchor's {CPP_FLIPS[ring] / 1e6:.1f} M)")
        if ring == "z2":
            rate, rank = flips_per_second(ring, (4, 4, 4), 50, 30_000_000)
            print(f"{ring} 4x4x4 rank {rank}: {rate / 1e6:.1f} M flips/s per core (goal >= 4 M)")
    if what in ("all", "t333"):
        pool_size, plus_after = RING_DEFAULTS[ring]
        time_to_rank(ring, (3, 3, 3), 27, 23, int(count or 20), pool_size=pool_size,
                     path_limit=10_000_000, plus_after=plus_after)
    if what in ("all", "t444") and ring == "z2":
        time_to_rank(ring, (4, 4, 4), 64, 49, int(count or 10), workers=2, limit=90.0,
                     contenders={"shared": {}, "independent": INDEPENDENT}, **T444_SETTINGS)
    if what == "stall444" and ring == "z2":
        time_to_rank(ring, (4, 4, 4), 64, 49, int(count or 3), limit=600.0,
                     contenders={"stall 1.5e8": {"stall_flips": 150_000_000},
                                 "stall 5e7": {"stall_flips": 50_000_000},
                                 "never": {"stall_flips": 0}}, **T444_SETTINGS)
    if what == "best444":
        best_rank(ring, (4, 4, 4), count or 600)
    if what == "best555":
        best555(count or 45)
    if what == "meta":
        meta_fill(count or 600)


if __name__ == "__main__":
    main(sys.argv)
