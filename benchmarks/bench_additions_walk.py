"""Our own rank-23 3x3x3 ZT schemes, walked at fixed rank towards fewer additions, then reduced.

For each seed: ``flipgraph.search`` finds a rank-23 ZT scheme; three versions of it are reduced with
300 CSE restarts and printed against the record (58 additions, Perminov 2025):

* search: the scheme as found;
* naive walk: :func:`flipgraph.walks.naive.minimize_naive` (fixed rank, fewest naive additions;
  20 rounds x 200000 flips, plus transitions after 1000 quiet flips);
* reduced walk: :func:`flipgraph.additions.minimize_reduced` (the same walk, 300 rounds x 20000
  flips, keeping the scheme with the fewest reduced additions by quick greedy CSE).

Run from the repo root:

    python benchmarks/bench_additions_walk.py [SEEDS]      # seeds 1..SEEDS, default 8
"""
import sys
import time

import flipgraph
from flipgraph.additions import minimize_reduced, naive_total, reduce_additions
from flipgraph.walks.naive import minimize_naive

RECORD = 58


def main(seeds: int) -> None:
    best = {}
    for seed in range(1, seeds + 1):
        start = time.perf_counter()
        found = flipgraph.search("3x3x3", ring="zt", target_rank=23, time_limit=60, seed=seed)
        if found.rank != 23:
            print(f"seed {seed}: search reached rank {found.rank} only")
            continue
        versions = {
            "search": found.scheme,
            "naive walk": minimize_naive(found.scheme, rounds=20, moves=200_000, plus_after=1000,
                                         seed=seed).scheme,
            "reduced walk": minimize_reduced(found.scheme, seed=seed)[0],
        }
        cells = []
        for name, scheme in versions.items():
            red = reduce_additions(scheme, restarts=300)
            assert scheme.rank == 23 and flipgraph.verify(scheme) and red.slp.check()
            best[name] = min(best.get(name, red.reduced.total), red.reduced.total)
            cells.append(f"{name} {red.reduced.total} ({naive_total(scheme)} naive)")
        print(f"seed {seed}: " + "; ".join(cells) + f"  [{time.perf_counter() - start:.0f} s]",
              flush=True)
    for name, count in best.items():
        print(f"best after {name}: {count} additions (record {RECORD}, ratio {count / RECORD:.3f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
