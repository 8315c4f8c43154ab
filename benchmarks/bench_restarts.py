"""How often should a Z2 4x4x4 worker start over? (issue 16; the default is
``walks.runner.MEDIUM_Z2_RESET``.)

    PYTHONPATH=$PWD python benchmarks/bench_restarts.py [SEEDS|FILE.jsonl] [CAP] [BUDGET]
    SEEDS: 101..140 (default) or 1,4,7; or a file of lines this script printed before
    CAP: flips after which one run gives up (default 5e8)
    BUDGET: flips per worker the two workers have (default 3.75e8: 30 s at 25 M flips/s for two)

Step 1 runs one worker (the pool strategy with today's defaults, but never starting over) from
the standard algorithm, seed by seed on two processes, and prints a JSON line per seed with the
flips at which it first reached each rank (deterministic: one worker has no timing in it).
Step 2 draws from those flips to 49 (a run that did not get there within CAP counts as never):
two independent workers, each starting over every R flips, and prints for each R how often
both miss BUDGET and the median flips to 49 of the faster one. Workers that share their finds
(what the search does) are faster still; this only ranks the periods.

Measured 2026-11-27 (quiet 2-core machine, seeds 101..140, CAP 5e8): median 93 M flips to 49,
5 of 40 above 49 at 5e8; both workers miss 3.75e8 in 3.0 % of draws for R = 4e7, 1.4 % for
6e7, 0.5 % for 8e7, 0.3 % for 1.2e8, 0.2 % for 1.6e8, 0.3 % for 2.5e8, 1.4 % never starting over.
"""
from __future__ import annotations

import json
import sys
from multiprocessing import Pool

import numpy as np

from flipgraph.scheme import standard
from flipgraph.walks import SearchSettings
from flipgraph.walks.packing import pack
from flipgraph.walks.pool import PLUS_HEADROOM
from flipgraph.walks.runner import strategies

PERIODS = (4e7, 6e7, 8e7, 1.2e8, 1.6e8, 2.5e8, float("inf"))


def first_passage(seed: int, cap: float) -> dict:
    """One worker from 64 without restarts: flips at which each rank was first reached."""
    settings = SearchSettings(target="4x4x4", ring="z2", target_rank=49, seed=seed, reset_flips=0)
    settings.check()
    start = standard(settings.target).over("z2")
    strategy, = strategies(settings, pack(start, "z2", start.rank + PLUS_HEADROOM + 1), start.rank)
    firsts: dict[int, int] = {}
    while not strategy.done and strategy.flips < cap:
        strategy.step()
        firsts.setdefault(strategy.best_rank, strategy.flips)
    return {"seed": seed, "firsts": firsts, "flips": strategy.flips, "reached": strategy.done}


def misses(times: np.ndarray, period: float, budget: float, draws: int = 20_000,
           seed: int = 0) -> tuple[float, float]:
    """(share of draws where both workers miss ``budget``, median flips of the faster worker)."""
    rng = np.random.default_rng(seed)
    best = np.full(draws, np.inf)
    for _ in range(2):
        used = np.zeros(draws)
        found = np.full(draws, np.inf)
        while True:
            open_ = np.isinf(found) & (used < budget)
            if not open_.any():
                break
            t = rng.choice(times, size=draws)
            hit = open_ & (t <= period) & np.isfinite(t)
            found[hit] = used[hit] + t[hit]
            used[open_ & ~hit] += period
        best = np.minimum(best, found)
    return float((best > budget).mean()), float(np.median(best))


def main(argv) -> None:
    if len(argv) > 1 and argv[1] in ("-h", "--help"):
        print(__doc__)
        return
    spec = argv[1] if len(argv) > 1 else "101..140"
    cap = float(argv[2]) if len(argv) > 2 else 5e8
    budget = float(argv[3]) if len(argv) > 3 else 3.75e8
    if spec.endswith(".jsonl"):
        with open(spec) as lines:
            runs = [json.loads(line) for line in lines if line.startswith("{")]
    else:
        low, _, high = spec.partition("..")
        seeds = range(int(low), int(high) + 1) if high else [int(s) for s in spec.split(",")]
        runs = []
        with Pool(2) as pool:
            for run in pool.imap_unordered(_one_run, [(s, cap) for s in seeds]):
                runs.append(run)
                print(json.dumps(run), flush=True)
    times = np.array([min([f for r, f in run["firsts"].items() if int(r) <= 49] or [np.inf])
                      for run in runs], dtype=float)
    print(f"{len(times)} runs: median {np.median(times) / 1e6:.0f} M flips to 49, "
          f"{int(np.isinf(times).sum())} not there within the cap")
    for period in PERIODS:
        share, median = misses(times, period, budget)
        print(f"start over every {period:9.3g} flips: both workers miss {budget:.3g} flips in "
              f"{100 * share:4.1f} % of draws; median {median / 1e6:.0f} M")


def _one_run(args) -> dict:
    return first_passage(*args)                 # Pool.imap takes one argument


if __name__ == "__main__":
    main(sys.argv)
