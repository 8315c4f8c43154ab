"""Ternary forms (flipgraph.ternary) of the shipped catalogue's matrix-multiplication schemes over
Z: for each one with coefficients beyond ±1, whether a ternary form is found (default seed 0),
how long it takes, and the naive additions before and after.

    python benchmarks/bench_ternary.py [SEEDS]      # SEEDS: seeds per scheme (default 1)

Measured 2026-11-28, seed 0, load 2.8 on 2 cores (two searches running): every one of the 15 has
a ternary form, in 0.0–13.6 s (3x4x5:47: 4.2 s; 3x5x5:58: 7.7 s; 5x5x5:93: 7.4 s; 4x4x5:63:
13.6 s). Naive additions drop for 13 of them (3x4x4:38: 601 -> 322); 3x5x5:58 (559 -> 727) and
5x5x5:93 (909 -> 1216) get more.
"""
from __future__ import annotations

import sys
import time

from flipgraph.additions import naive_additions
from flipgraph.db.store import Database, shipped_path
from flipgraph.ternary import outside, ternary_form


def main(seeds: int = 1) -> None:
    db = Database(shipped_path(), readonly=True)
    entries = [e for e in db.query(None, ring="z") if e.ring == "z"]
    print(f"{'format':8} {'rank':>4} {'beyond ±1':>9} {'seed':>4} {'found':>5} {'seconds':>7} "
          f"{'additions':>9} {'ternary':>7}")
    for entry in sorted(entries, key=lambda e: (e.rank, e.format)):
        scheme = db.get(entry)
        if not scheme.target.is_matmul or outside(scheme) == 0:
            continue
        for seed in range(seeds):
            start = time.perf_counter()
            found = ternary_form(scheme, seed=seed)
            seconds = time.perf_counter() - start
            after = naive_additions(found).total if found is not None else "-"
            print(f"{scheme.format_str:8} {scheme.rank:4} {outside(scheme):9} {seed:4} "
                  f"{'yes' if found is not None else 'no':>5} {seconds:7.1f} "
                  f"{naive_additions(scheme).total:9} {after:>7}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
