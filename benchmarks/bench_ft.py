"""Fault tolerance: the pair search and the overhead of ft_matmul.

    python benchmarks/bench_ft.py pairs [SEEDS] [PARITY] [TOP] [OBJECTIVE]  # 100 2 5 lex,sum
    python benchmarks/bench_ft.py overhead [N] [REPEATS]         # default 4096 3

pairs: distinct 2x2x2 rank-7 ZT schemes from SEEDS flip-graph searches (plus Strassen and
Winograd), every pair ranked by P(decodable | f) for the smallest f first (lex), the TOP pairs
given PARITY parity products for each objective (lex, sum); printed beside Strassen + Winograd
(with the same parity searches) and 2 / 3 plain copies of Strassen, with the winners written out.

overhead: ft_matmul (Strassen + Winograd, no fault, inline) against one plain product (numpy's
float64 gemm and flipgraph.multiply), interleaved, best and median of REPEATS, with `uptime`.
"""
import os
import statistics
import sys
import time

import numpy as np

import flipgraph
from flipgraph import classics, ft


def _row(config, label=None):
    r = ft.analyze(config)
    cells = " ".join(f"{v:6.3f}" for v in r["p_decodable"].values())
    node = " ".join(f"{v:7.4f}" for v in r["p_independent"].values())
    print(f"{(label or r['name'])[:40]:<40} {r['products']:>3} {r['check_relations']:>6} "
          f"{r['locatable_single_errors']:>5}  {cells}  {node}")


def pairs(seeds=100, parity=2, top=5, objectives=ft.OBJECTIVES):
    t0 = time.perf_counter()
    schemes = ft.distinct_schemes("2x2x2", 7, range(seeds), extra=[classics.strassen(),
                                                                    classics.winograd()])
    t1 = time.perf_counter()
    ranked = ft.pair_search(schemes, parity=0, top=len(schemes) ** 2)
    t2 = time.perf_counter()
    print(f"{len(schemes)} distinct rank-7 schemes ({t1 - t0:.1f} s), {len(ranked)} pairs ranked "
          f"({t2 - t1:.1f} s)")
    print(f"{'configuration':<40} {'N':>3} {'checks':>6} {'locat':>5}  "
          + " ".join(f"{'f=' + str(f):>6}" for f in ft.FAILURES) + "  "
          + " ".join(f"{'p=' + str(p):>7}" for p in ft.NODE_P))
    sw = ft.configuration(["strassen", "winograd"])
    _row(sw)
    _, i, j, best = ranked[0]
    _row(best, f"best pair (s{i}, s{j})")
    same = sum(1 for r in ranked if r[0] == ranked[0][0])
    winners = []
    for objective in objectives if parity else ():
        _row(ft.best_parity(sw, parity, objective=objective),
             f"strassen + winograd + {parity} parity ({objective})")
        found = [(ft.score(c, objective=objective), i, j, c) for _, i, j, cfg in ranked[:top]
                 for c in [ft.best_parity(cfg, parity, objective=objective)]]
        value, i, j, cfg = max(found, key=lambda r: r[0])
        _row(cfg, f"best pair + {parity} parity ({objective}) (s{i}, s{j})")
        winners.append(cfg)
    _row(ft.configuration(["strassen"], copies=2))
    _row(ft.configuration(["strassen"], copies=3))
    print(f"pairs tied with the best pair: {same} of {len(ranked)}")
    for winner in winners or [best]:
        print(f"=== {winner.name}")
        for name, s in zip(winner.names, winner.schemes):
            print(f"--- {name}")
            for a, b, c in s.terms():
                print("  U", a.tolist(), "V", b.tolist(), "W", c.tolist())
        for k, (u, v) in enumerate(winner.parity):
            print(f"--- parity{k + 1}: u = {list(u)} v = {list(v)}")
    print(f"total {time.perf_counter() - t0:.1f} s")


def overhead(n=4096, repeats=3):
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    contenders = {
        "numpy": lambda: A @ B,
        "flipgraph.multiply": lambda: flipgraph.multiply(A, B),
        "ft_matmul (S+W)": lambda: flipgraph.ft_matmul(A, B)[0],
    }
    for fn in contenders.values():                     # warm up: workspace, tables, BLAS
        fn()
    times = {k: [] for k in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    print(f"n = {n} float64, {repeats} interleaved repeats; load {os.getloadavg()[0]:.2f}")
    base = min(times["numpy"])
    for name, ts in times.items():
        print(f"{name:<20} best {min(ts):7.3f} s  median {statistics.median(ts):7.3f} s  "
              f"ratio to numpy (best) {min(ts) / base:5.2f}")
    _, report = flipgraph.ft_matmul(A, B)
    print(f"clean run: detected={report.detected}, thresholds max {max(report.thresholds):.2e}")
    os.system("uptime")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "pairs"
    args = [int(x) for x in sys.argv[2:5]]
    if len(sys.argv) > 5:
        args.append(tuple(sys.argv[5].split(",")))
    {"pairs": pairs, "overhead": overhead}[what](*args)
