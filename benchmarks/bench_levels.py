"""Flips to each rank on 4x4x4 over Z2 from the standard algorithm, one worker per run, seed by
seed (issue 16). One worker makes a run deterministic: the same code and seed give the same flips,
so two versions of the code compare exactly, whatever the load.

    PYTHONPATH=$PWD python benchmarks/bench_levels.py TARGET LIMIT SEEDS
    e.g. python benchmarks/bench_levels.py 47 60 1,2,3,4,5,6

Prints one JSON line per seed: the final rank and, for each rank <= 50 reached, the total flips
and seconds when it was first reached. To compare with an older commit, check it out beside
(`git worktree add /tmp/old REV`) and run this same file with PYTHONPATH=/tmp/old.

Measured 2026-11-28 (load 2-3 on 2 cores), a reset that finds a lower level reached since goes
down to it instead of starting over (flipgraph/walks/pool.py), against the commit before:
    target 49, 60 s, seeds 1..10: seeds 1-9 identical flips; seed 10: 619 M flips (43.6 s)
        before, 164 M (11.3 s) after.
    target 47, 60 s, seeds 1..6: before none below 48 (seed 3 reached 48 at 131 M flips, and its
        reset 29 M flips later started over from the standard algorithm); after, seed 3 reached
        47 at 169 M flips (17.3 s) and seed 1 at 393 M (42.4 s): 4x4x4:47 over Z2, the best known
        rank over GF(2) (AlphaTensor), on one core.
"""
from __future__ import annotations

import json
import sys

from flipgraph.walks import SearchSettings, run_search
from flipgraph.walks.walker import warm_up


def main(argv):
    if len(argv) != 4 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return
    target, limit = int(argv[1]), float(argv[2])
    seeds = [int(s) for s in argv[3].split(",")]
    warm_up(1, "z2")
    for seed in seeds:
        firsts = {}

        def on_progress(record):
            firsts.setdefault(record["best_rank"], (record["flips"], round(record["time"], 1)))

        result = run_search(SearchSettings(target="4x4x4", ring="z2", target_rank=target,
                                           workers=1, time_limit=limit, seed=seed),
                            on_progress=on_progress)
        print(json.dumps({"seed": seed, "rank": result.rank,
                          "firsts": {r: f for r, f in sorted(firsts.items()) if r <= 50}}),
              flush=True)


if __name__ == "__main__":
    main(sys.argv)
