"""Block windows from the standard algorithm of mid-sized formats (walks/windows.py): the best
rank a search reaches in N seconds with windows (the default) and without (``--no-windows``),
one worker, interleaved format by format and seed by seed.

    python benchmarks/bench_windows.py [RING [FORMATS [SEEDS [SECONDS [WORKERS [CONTENDERS]]]]]]
    # default: z2 4x4x5,3x4x5,3x5x5,2x5x5,2x2x10 1..3 30 1 windows,none

CONTENDERS: windows (the default search), none (``windows=False``), kept (windows that a worker
never drops: ``windows.MID_PATIENCE = 0``, as before they were dropped; large formats keep theirs
anyway).

One worker makes a run deterministic for its flips, so the ranks reached after a given number of
flips do not depend on the load; the seconds do (the load is printed). Each line: format, seed,
then per contender the best rank, the seconds to it and the flips.
"""
from __future__ import annotations

import os
import sys

from flipgraph.walks import search, windows
from flipgraph.walks.walker import warm_up


def run(fmt: str, ring: str, seed: int, seconds: float, workers: int, contender: str) -> str:
    reached = {}
    patience = windows.MID_PATIENCE
    if contender == "kept":
        windows.MID_PATIENCE = 0

    def progress(record):
        reached.setdefault(record["best_rank"], record["time"])

    try:
        result = search(fmt, ring=ring, workers=workers, time_limit=seconds, seed=seed,
                        windows=contender != "none", on_progress=progress)
    finally:
        windows.MID_PATIENCE = patience
    at = reached.get(result.rank, result.elapsed)
    return f"{result.rank} at {at:5.1f} s ({result.flips / 1e6:5.0f} M flips)"


def main(argv: list[str]) -> None:
    ring = argv[0] if argv else "z2"
    formats = (argv[1] if len(argv) > 1 else "4x4x5,3x4x5,3x5x5,2x5x5,2x2x10").split(",")
    lo, _, hi = (argv[2] if len(argv) > 2 else "1..3").partition("..")
    seeds = range(int(lo), int(hi or lo) + 1)
    seconds = float(argv[3]) if len(argv) > 3 else 30.0
    workers = int(argv[4]) if len(argv) > 4 else 1
    contenders = (argv[5] if len(argv) > 5 else "windows,none").split(",")
    for words in (1, 2):
        warm_up(words, ring)
    print(f"{ring}, {seconds:g} s, {workers} worker(s), load {os.getloadavg()[0]:.1f}", flush=True)
    for fmt in formats:
        for seed in seeds:
            results = [f"{c} {run(fmt, ring, seed, seconds, workers, c)}" for c in contenders]
            print(f"{fmt:7s} seed {seed}: {' | '.join(results)}   "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
