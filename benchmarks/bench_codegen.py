"""Generated multiplies against numpy (and galois) — interleaved timings, best of --repeats.

Prints, per case, the seconds of each contender and the ratio (reference time / ours: > 1 means
the generated routine is faster), plus the error for floats (max |C - C_ref| / (|A||B|)_max,
next to numpy's own error against a float128/exact reference on a sample of entries).

    python benchmarks/bench_codegen.py float --n 8192 --levels 1           # the DESIGN §8 figure
    python benchmarks/bench_codegen.py int --n 2048 --levels 5             # vs numpy and 8-product split
    python benchmarks/bench_codegen.py gf --n 512 --levels 1               # vs galois GF(31)
    python benchmarks/bench_codegen.py sweep                               # small sizes, all dtypes

Threads: numpy's BLAS uses its default threads for both contenders (the leaves are numpy's); set
OPENBLAS_NUM_THREADS=1 for steadier figures when other jobs share the cores. The header line gives
the load average at the start.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

import flipgraph
from flipgraph.codegen import routine, routine_for


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def race(contenders: dict, repeats: int) -> dict:
    """Best time per contender, running them interleaved (a, b, c, a, b, c, ...); the first
    round is printed too (it includes one-off costs such as faulting in a fresh workspace)."""
    best = {name: float("inf") for name in contenders}
    outs = {}
    for i in range(repeats):
        for name, fn in contenders.items():
            t, outs[name] = timed(fn)
            best[name] = min(best[name], t)
        if i == 0:
            print("  first round: " + ", ".join(f"{k} {v:.4g}s" for k, v in best.items()),
                  flush=True)
    return best, outs


def report(title, best, ref):
    line = ", ".join(f"{k} {v:.4g}s" for k, v in best.items())
    ratios = ", ".join(f"{ref}/{k} = {best[ref] / v:.3f}x" for k, v in best.items() if k != ref)
    print(f"{title}: {line}; {ratios}", flush=True)


def float_case(n, levels, repeats, dtype, scheme):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, n)).astype(dtype)
    B = rng.standard_normal((n, n)).astype(dtype)
    mod = routine(scheme)
    best, outs = race({"numpy": lambda: A @ B,
                       scheme: lambda: mod.matmul(A, B, levels=levels)}, repeats)
    report(f"{np.dtype(dtype).name} n={n} {scheme} levels={levels} ({mod.ADDITIONS} additions)",
           best, "numpy")
    rows = rng.choice(n, 16, replace=False)                 # exact-ish reference on 16 rows
    ref = A[rows].astype(np.longdouble) @ B.astype(np.longdouble)
    scale = float(np.abs(A).max()) * float(np.abs(B).max()) * n
    for name, C in outs.items():
        err = float(np.abs(C[rows].astype(np.longdouble) - ref).max()) / scale
        print(f"  error {name}: max |C - ref| / (n max|A| max|B|) = {err:.2e}")


def int_case(n, levels, repeats, scheme, numpy_ref=True):
    rng = np.random.default_rng(0)
    A = rng.integers(-1000, 1000, (n, n))
    B = rng.integers(-1000, 1000, (n, n))
    mod = routine(scheme)
    classical = routine_for(flipgraph.standard(2, 2, 2), "classical222")
    contenders = {}
    if numpy_ref:
        contenders["numpy"] = lambda: A @ B
    contenders["classical8"] = lambda: classical.matmul(A, B, levels=levels)
    contenders[scheme] = lambda: mod.matmul(A, B, levels=levels)
    best, outs = race(contenders, repeats)
    first = next(iter(outs.values()))
    assert all(np.array_equal(first, C) for C in outs.values()), "int results differ"
    report(f"int64 n={n} levels={levels} (leaf {n >> levels})", best,
           "numpy" if numpy_ref else "classical8")
    print(f"  classical8/{scheme} = {best['classical8'] / best[scheme]:.3f}x; results bit-equal")


def gf_case(n, levels, repeats, scheme, p):
    import galois

    field = galois.GF(p)
    A, B = field.Random((n, n), seed=1), field.Random((n, n), seed=2)
    mod = routine(scheme)
    best, outs = race({"galois": lambda: A @ B,
                       scheme: lambda: mod.matmul(A, B, levels=levels)}, repeats)
    assert np.array_equal(outs["galois"], outs[scheme])
    report(f"GF({p}) n={n} levels={levels}", best, "galois")


def sweep(repeats):
    for n in (256, 512, 1024):
        float_case(n, 1, repeats, np.float64, "winograd")
    for n in (256, 512):
        int_case(n, 2, repeats, "winograd")
    gf_case(256, 1, repeats, "winograd", 31)


def main():
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("case", choices=["float", "float32", "int", "gf", "sweep"])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--levels", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scheme", default="winograd")
    parser.add_argument("--p", type=int, default=31)
    parser.add_argument("--no-numpy", action="store_true", help="int: skip numpy's (slow) product")
    args = parser.parse_args()
    if args.case == "float":
        float_case(args.n, args.levels, args.repeats, np.float64, args.scheme)
    elif args.case == "float32":
        float_case(args.n, args.levels, args.repeats, np.float32, args.scheme)
    elif args.case == "int":
        int_case(args.n, args.levels, args.repeats, args.scheme, not args.no_numpy)
    elif args.case == "gf":
        gf_case(args.n, args.levels, args.repeats, args.scheme, args.p)
    else:
        sweep(args.repeats)


if __name__ == "__main__":
    main()
