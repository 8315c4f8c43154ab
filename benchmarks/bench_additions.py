"""Addition reduction (flipgraph.additions) against the public Perminov anchors.

Prints, per anchor scheme (imported as a plain scheme: its own reduction discarded): naive count,
our reduced count, the anchor's reduced count and the ratio ours/anchor, with the time taken; then
the restart throughput of the greedy CSE on 4x4x4 rank 49. Run from the repo root:

    python benchmarks/bench_additions.py [RESTARTS]       # restarts per part, default 300
"""
import sys
import time
from pathlib import Path

from flipgraph import classics
from flipgraph.additions import naive_total, reduce_additions
from flipgraph.io.reduced import read_reduced

PERMINOV = Path(__file__).resolve().parents[2] / "shared" / "anchors" / "perminov"
ANCHORS = {"2x2x2_m7_cr15_cn24_ZT_reduced.json": 15,
           "3x3x3_m23_cr58_cn119_ZT_reduced.json": 58,
           "4x4x4_m49_cr159_fv100_cn474_ZT_reduced.json": 159}


def main(restarts: int) -> None:
    reduce_additions(classics.winograd(), restarts=5)        # compile / load the kernels
    for name, record in ANCHORS.items():
        path = PERMINOV / name
        if not path.exists():
            print(f"{name}: anchor missing, skipped")
            continue
        scheme = read_reduced(path).to_scheme()
        start = time.perf_counter()
        red = reduce_additions(scheme, restarts=restarts)
        took = time.perf_counter() - start
        print(f"{scheme.format_str} rank {scheme.rank}: naive {naive_total(scheme)} -> "
              f"{red.reduced.total} {tuple(red.reduced)} (anchor {record}, ratio "
              f"{red.reduced.total / record:.3f}), E = {red.stability}, {took:.1f} s")
    path = PERMINOV / "4x4x4_m49_cr159_fv100_cn474_ZT_reduced.json"
    if path.exists():
        scheme = read_reduced(path).to_scheme()
        start = time.perf_counter()
        red = reduce_additions(scheme, restarts=3000, strategy="greedy")
        took = time.perf_counter() - start
        print(f"greedy, 3000 restarts per part on 4x4x4 rank 49: {took:.1f} s "
              f"({3 * 3000 / took:.0f} runs/s), best {red.reduced.total}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
