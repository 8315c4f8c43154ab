"""Lift Z2 schemes found by our own flip-graph search and report how many reach Z, and how fast.

    python benchmarks/bench_lift.py 3x3x3 23 24      # format, target rank, number of seeds
    python benchmarks/bench_lift.py 4x4x4 49 2

Each seed runs one search (flipgraph.walks.search, Z2, 1 worker) to the target rank; distinct schemes
(canonical hash) are lifted with flipgraph.lift (to Z); prints ring, method and seconds per scheme.
"""
import sys
import time

import flipgraph
from flipgraph.walks import search

fmt, target, seeds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
limit = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
seen, rows = set(), []
for seed in range(seeds):
    t0 = time.perf_counter()
    found = search(fmt, target_rank=target, time_limit=limit, seed=seed)
    if found.rank > target or found.scheme.canonical_hash() in seen:
        continue
    seen.add(found.scheme.canonical_hash())
    result = flipgraph.lift(found.scheme)
    rows.append(result)
    print(f"seed {seed}: search {time.perf_counter() - t0 - result.seconds:.2f} s, {result}", flush=True)
if not rows:
    sys.exit(f"no search reached rank {target} in {limit:.0f} s per seed")
lifted = [r for r in rows if r.ok]
print(f"{len(lifted)}/{len(rows)} distinct rank-{target} {fmt} Z2 schemes lift to Z "
      f"({sum(r.ring == 'zt' for r in rows)} ZT); max lift time {max(r.seconds for r in rows):.2f} s, "
      f"mean {sum(r.seconds for r in rows) / max(len(rows), 1):.2f} s")
