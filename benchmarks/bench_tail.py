"""The tail of time-to-rank on 4x4x4 over Z2 (issue 16): 64 -> 49 on 2 workers, seed by seed.

    PYTHONPATH=$PWD python benchmarks/bench_tail.py [CONTENDERS] [SEEDS] [LIMIT] [LOGS]
    CONTENDERS: comma-separated names of CONTENDERS below (default: plain,c3), each with optional
                settings, e.g. plain:stall_flips=4e7:plus_after=20000
    SEEDS: 1..10 (default) or 1,4,7
    LIMIT: seconds per run (default 60)
    LOGS: a folder for each run's search log NAME-SEED.jsonl (default: none)

Each run is `flipgraph search 4x4x4 --target-rank 49 --workers 2 --seed S` (with the contender's
flags) through the library; contenders run interleaved seed by seed. Printed per run: seconds and
total flips to 49 (the flips are the load-free figure; C3 flips are orbit flips, three term flips
each) and the flips at which the best rank first reached 52, 51, 50. Numba compile time is spent
before any clock. "flips to 49" is the total at the first progress record with rank 49 (a run
then still waits for the other worker's walk, up to 10⁷ moves; the seconds include that).

Measured on the 2-core machine, 2026-11-27, load 4-6 (another engineer's nice-0 process took half
a core most of the time; 2 workers made 7-11 M flips/s together), 60 s limit:

    PYTHONPATH=$PWD python benchmarks/bench_tail.py plain,c3 1..10 60
    before (plus-after 5000, no restarts): 5/10 reached 49; flips median 372 M, missed at 561-652 M
    after (plus-after 2500, restart every 4e7 flips): 10/10; flips median 204 M, max 335 M;
        seconds median 25.9, max 44.8 (seeds 21..30: 10/10, median 64 M, max 329 M, 46.0 s;
        seeds 11..20 as flags, 45 s limit: 10/10, median 54 M, max 126 M, 15.8 s)
    c3: 10/10 (twice), seconds median 0.7-1.0, max 2.0; at most 5.5 M orbit flips

Quiet machine (load 0.2-2, 25-30 M flips/s for two), 20:11-20:26 UTC, restarts compared
(benchmarks/bench_restarts.py explains the choice):

    PYTHONPATH=$PWD python benchmarks/bench_tail.py plain,plain:reset_flips=1.2e8,plain:reset_flips=1.6e8 1..10 60
    PYTHONPATH=$PWD python benchmarks/bench_tail.py plain:reset_flips=8e7,plain:reset_flips=1.2e8,plain:reset_flips=1.6e8 11..20 60
    every 4e7 (then the default): max 889 M flips, 35.5 s; 8e7: 450 M, 18.2 s;
    1.2e8: 437 M / 484 M, 17.4 s / 21.1 s; 1.6e8: 637 M / 448 M, 20.6 s / 18.7 s
    PYTHONPATH=$PWD python benchmarks/bench_tail.py plain,c3 1..10 60; ... plain 21..30 60
    today's default (1.6e8): 10/10, 10/10; max 488 M / 381 M flips, 16.7 s / 14.2 s
"""
from __future__ import annotations

import json
import statistics
import sys
import time

from flipgraph.walks import SearchSettings, run_search
from flipgraph.walks.symmetric import symmetric_search
from flipgraph.walks.walker import warm_up

#: name -> (search function, extra SearchSettings fields)
CONTENDERS = {
    "plain": (run_search, {}),
    "c3": (symmetric_search, {}),
}


def contender(spec: str):
    """"plain" or "plain:stall_flips=4e7:plus_after=20000": a search function and its settings."""
    name, *pairs = spec.split(":")
    search, extra = CONTENDERS[name]
    return search, {**extra, **{k: int(float(v)) for k, v in (p.split("=") for p in pairs)}}


def one_run(name: str, seed: int, limit: float, log_dir: str | None = None) -> dict:
    search, extra = contender(name)
    firsts: dict[int, int] = {}

    def on_progress(record):
        firsts.setdefault(record["best_rank"], record["flips"])

    settings = SearchSettings(target="4x4x4", ring="z2", target_rank=49, workers=2,
                              time_limit=limit, seed=seed, **extra)
    t0 = time.perf_counter()
    log_path = f"{log_dir}/{name.replace(':', '_')}-{seed}.jsonl" if log_dir else None
    result = search(settings, on_progress=on_progress, log_path=log_path)
    wall = time.perf_counter() - t0
    return dict(name=name, seed=seed, reached=result.reached_target, rank=result.rank,
                seconds=round(result.elapsed, 2), wall=round(wall, 2),
                flips=firsts.get(49, result.flips), final_flips=result.flips,
                firsts={r: firsts[r] for r in sorted(firsts) if r <= 52})


def main(argv):
    if len(argv) > 1 and argv[1] in ("-h", "--help"):
        print(__doc__)
        return
    names = argv[1].split(",") if len(argv) > 1 else ["plain", "c3"]
    unknown = [n for n in names if n.split(":")[0] not in CONTENDERS]
    if unknown:
        sys.exit(f"unknown contender {unknown[0]!r}; choose from {', '.join(CONTENDERS)}")
    if len(argv) > 2 and ".." in argv[2]:
        low, high = argv[2].split("..")
        seeds = list(range(int(low), int(high) + 1))
    else:
        seeds = [int(s) for s in argv[2].split(",")] if len(argv) > 2 else list(range(1, 11))
    limit = float(argv[3]) if len(argv) > 3 else 60.0
    log_dir = argv[4] if len(argv) > 4 else None
    warm_up(1, "z2")
    from flipgraph.walks import symmetric
    symmetric.warm_up()
    runs = []
    for seed in seeds:
        for name in names:
            run = one_run(name, seed, limit, log_dir)
            runs.append(run)
            firsts = " ".join(f"{r}@{f / 1e6:.0f}M" for r, f in sorted(run["firsts"].items(),
                                                                        reverse=True))
            print(f"{name:>10} seed {seed:2d}: "
                  f"{'%6.2f s' % run['seconds'] if run['reached'] else 'missed (%d)' % run['rank']}"
                  f" {run['flips'] / 1e6:7.0f} M flips  [{firsts}]", flush=True)
            print("JSON " + json.dumps(run), flush=True)
    for name in names:
        mine = [r for r in runs if r["name"] == name]
        secs = [r["seconds"] if r["reached"] else float("inf") for r in mine]
        flips = [r["flips"] for r in mine]
        print(f"{name}: {sum(r['reached'] for r in mine)}/{len(mine)} reached 49; seconds "
              f"median {statistics.median(secs):.2f}, max {max(secs):.2f}; flips median "
              f"{statistics.median(flips) / 1e6:.0f} M, max {max(flips) / 1e6:.0f} M")


if __name__ == "__main__":
    main(sys.argv)
