"""Generated multiplies against their peers — interleaved timings, best and median of --repeats.

Prints, per case, the seconds of each contender (best, median) and the ratios (peer time / ours:
> 1 means flipgraph is faster), checks that exact results agree, and the load average before and
after. The peer for exact products is python-flint (``pip install python-flint``; its cases are
skipped with a note when it is missing): only its product is timed, the conversion to
fmpz_mat / nmod_mat is not.

    python benchmarks/bench_codegen.py int --n 2048 --bits 20     # vs flint fmpz_mat, float64 trick
    python benchmarks/bench_codegen.py int --n 2048 --bits 64     # full-range int64 vs numpy
    python benchmarks/bench_codegen.py gf --n 1024 --p 31         # vs no recursion, flint nmod_mat
    python benchmarks/bench_codegen.py float --n 8192 --levels auto  # vs numpy, repeat and first call
    python benchmarks/bench_codegen.py accuracy --n 512           # the README's error table
    python benchmarks/bench_codegen.py gram --n 8192 --bits 10 --numpy-n 2048   # A·Aᵀ vs syrk

Threads: numpy's BLAS uses its default threads for every contender; flint its default (one).

Measured (2 cores shared, load 6–8): ``gram --n 8192 --bits 10 --repeats 4``: numpy float64
``A @ A.T`` (syrk) / flipgraph int64 exact 0.93× best (0.86× median), / flipgraph float64 1.07×
(0.94×); numpy int64 ``A @ A.T`` 15.8 s at n = 2048, extrapolated 39× slower than flipgraph
int64. Three other runs (load 6–13): int64 0.90–1.00× best — parity within the noise.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from fractions import Fraction

import numpy as np

import flipgraph
from flipgraph.codegen import release, routine


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def race(contenders: dict, repeats: int, rounds: dict | None = None):
    """Times per contender, run interleaved (a, b, c, b, c, a, ...: the order rotates each round);
    ``rounds`` caps the runs of slow contenders. Returns (times, outputs)."""
    times = {name: [] for name in contenders}
    outs = {}
    names = list(contenders)
    for i in range(repeats):
        for name in names[i % len(names):] + names[:i % len(names)]:      # rotated each round
            fn = contenders[name]
            if i >= (rounds or {}).get(name, repeats):
                continue
            start = time.perf_counter()
            outs[name] = fn()
            times[name].append(time.perf_counter() - start)
    return times, outs


def report(title, times, ours):
    print(f"{title}  (load {load()})")
    for name, ts in times.items():
        print(f"  {name:<22} best {min(ts):8.4f}s  median {statistics.median(ts):8.4f}s")
    for name, ts in times.items():
        if name != ours:
            print(f"  {name}/{ours}: best {min(ts) / min(times[ours]):.3f}x, median "
                  f"{statistics.median(ts) / statistics.median(times[ours]):.3f}x")


def flint_or_none():
    try:
        import flint
    except ImportError:
        print("  (python-flint not installed: pip install python-flint)")
        return None
    return flint


def int_case(n, bits, repeats, numpy_repeats):
    """int64 entries in ±2^bits (bits = 64: the full range, wrap-around)."""
    rng = np.random.default_rng(0)
    lo, hi = (-2 ** 63, 2 ** 63) if bits >= 64 else (-2 ** bits, 2 ** bits + 1)
    A, B = rng.integers(lo, hi, (n, n)), rng.integers(lo, hi, (n, n))
    contenders = {"flipgraph": lambda: flipgraph.multiply(A, B)}
    if n * max(abs(lo), hi) ** 2 <= 2 ** 53:                   # the float trick is exact
        contenders["float64 trick"] = lambda: (A.astype(np.float64) @ B.astype(np.float64)
                                               ).astype(np.int64)
    flint = flint_or_none() if bits < 64 else None
    if flint is not None:
        FA, FB = flint.fmpz_mat(A.tolist()), flint.fmpz_mat(B.tolist())
        contenders["flint fmpz_mat"] = lambda: FA * FB
    if bits >= 64:
        contenders["numpy int64"] = lambda: A @ B
    with np.errstate(over="ignore"):
        times, outs = race(contenders, repeats, {"numpy int64": numpy_repeats})
    ours = outs["flipgraph"]
    if "numpy int64" in outs:
        assert np.array_equal(outs["numpy int64"], ours), "not bit-identical"
    if "float64 trick" in outs:
        assert np.array_equal(outs["float64 trick"], ours)
    if "flint fmpz_mat" in outs:
        FC = outs["flint fmpz_mat"]
        for i, j in rng.integers(0, n, (200, 2)):
            assert int(FC[int(i), int(j)]) == int(ours[i, j])
    report(f"int64 n={n} entries ±2^{min(bits, 63)} (results equal)", times, "flipgraph")


def gf_case(n, p, repeats, galois_too):
    import galois

    field = galois.GF(p)
    A, B = field.Random((n, n), seed=1), field.Random((n, n), seed=2)
    step = routine("winograd")
    contenders = {"flipgraph": lambda: flipgraph.multiply(A, B),
                  "no recursion": lambda: step.matmul(A, B, levels=0),
                  "one level": lambda: step.matmul(A, B, levels=1)}
    flint = flint_or_none()
    if flint is not None:
        FA = flint.nmod_mat(n, n, A.view(np.ndarray).ravel().tolist(), p)
        FB = flint.nmod_mat(n, n, B.view(np.ndarray).ravel().tolist(), p)
        contenders["flint nmod_mat"] = lambda: FA * FB
    if galois_too:
        contenders["galois"] = lambda: A @ B
    times, outs = race(contenders, repeats)
    ours = outs["flipgraph"]
    assert np.array_equal(ours, outs["no recursion"]) and np.array_equal(ours, outs["one level"])
    if "flint nmod_mat" in outs:
        FC = outs["flint nmod_mat"]
        for i, j in np.random.default_rng(0).integers(0, n, (200, 2)):
            assert int(FC[int(i), int(j)]) == int(ours[i, j])
    report(f"GF({p}) n={n} (results equal)", times, "flipgraph")


def float_case(n, levels, repeats, dtype, scheme):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, n)).astype(dtype)
    B = rng.standard_normal((n, n)).astype(dtype)
    mod = routine(scheme)

    def first():
        release()                            # a fresh workspace, as in a process's first call
        return mod.matmul(A, B, levels=levels)

    times, _ = race({"numpy": lambda: A @ B, f"{scheme} repeat": lambda: mod.matmul(
        A, B, levels=levels), f"{scheme} first call": first}, repeats)
    report(f"{np.dtype(dtype).name} n={n} {scheme} levels={levels} ({mod.ADDITIONS} additions)",
           times, f"{scheme} repeat")
    first_call = min(times[f"{scheme} first call"])
    print(f"  numpy/first call: best {min(times['numpy']) / first_call:.3f}x")


def gram_case(n, bits, repeats, numpy_n, cutoffs):
    """flipgraph.gram on int64 entries in ±2^bits (exact) and on float64 against numpy's
    float64 ``A @ A.T`` (BLAS syrk); numpy's int64 ``A @ A.T`` (no BLAS) is timed once at
    ``numpy_n`` and extrapolated by (n/numpy_n)^3."""
    rng = np.random.default_rng(0)
    A = rng.integers(-2 ** bits, 2 ** bits + 1, (n, n))
    F = A.astype(np.float64)
    cut = dict(zip(("gram", "float"), map(int, cutoffs.split(",")))) if cutoffs else None
    flipgraph.gram(A[:300, :300], cutoff=64)              # generate the routines off the clock
    contenders = {"numpy float64": lambda: F @ F.T,
                  "flipgraph int64": lambda: flipgraph.gram(A, cutoff=cut),
                  "flipgraph float64": lambda: flipgraph.gram(F, cutoff=cut)}
    times, outs = race(contenders, repeats)
    want = outs.pop("numpy float64")
    assert np.array_equal(outs["flipgraph int64"], want.astype(np.int64)), "int64 not exact"
    err = np.abs(outs["flipgraph float64"] - want).max() / np.abs(want).max()
    report(f"A·Aᵀ n={n} entries ±2^{bits} (int64 exact; float64 max rel. diff {err:.1e})",
           times, "flipgraph int64")
    peer, ours = times["numpy float64"], times["flipgraph float64"]
    print(f"  numpy float64/flipgraph float64: best {min(peer) / min(ours):.3f}x, median "
          f"{statistics.median(peer) / statistics.median(ours):.3f}x")
    small = A[:numpy_n, :numpy_n]
    start = time.perf_counter()
    slow = small @ small.T
    t_int = time.perf_counter() - start
    assert np.array_equal(flipgraph.gram(small), slow)
    guess = t_int * (n / numpy_n) ** 3
    print(f"  numpy int64 A @ A.T: {t_int:.2f}s at n={numpy_n} (one call), extrapolated to "
          f"n={n}: {guess:.0f}s = {guess / min(times['flipgraph int64']):.0f}x flipgraph int64 "
          f"(load {load()})")


def exact_rows(A, B, rows):
    """The rows ``rows`` of A·B exactly, as Fractions (floats are dyadic: scaled to integers)."""
    def scaled(X):
        ratios = [x.as_integer_ratio() for x in X.astype(np.float64).ravel().tolist()]
        shift = max(d.bit_length() - 1 for _, d in ratios)
        ints = [num << (shift - d.bit_length() + 1) for num, d in ratios]
        return np.array(ints, dtype=object).reshape(X.shape), shift
    (X, sx), (Y, sy) = scaled(A[rows]), scaled(B)
    return [[Fraction(int(v), 1 << (sx + sy)) for v in row] for row in X.dot(Y)]


def accuracy(n, schemes, max_levels):
    """Max relative error max|C − C_exact| / max|C_exact| on standard normal A, B (n×n), the
    exact product (Fractions) on a 16-row sample."""
    rng = np.random.default_rng(0)
    rows = rng.choice(n, 16, replace=False)
    print(f"max |C - exact| / max |exact|, n={n}, 16 sampled rows, standard normal entries "
          f"(load {load()})")
    print("| scheme | levels | float64 | float32 |")
    print("|---|---|---|---|")
    data, exact = {}, {}
    for dtype in (np.float64, np.float32):
        A = rng.standard_normal((n, n)).astype(dtype)
        B = rng.standard_normal((n, n)).astype(dtype)
        data[dtype], exact[dtype] = (A, B), exact_rows(A, B, rows)

    def err(C, dtype):
        ref = exact[dtype]
        worst = max(abs(Fraction(float(c)) - r) for crow, rrow in zip(C[rows], ref)
                    for c, r in zip(crow, rrow))
        return float(worst / max(abs(r) for rrow in ref for r in rrow))

    line = [f"{err(data[t][0] @ data[t][1], t):.1e}" for t in (np.float64, np.float32)]
    print(f"| numpy | 0 | {line[0]} | {line[1]} |", flush=True)
    for scheme in schemes:
        mod = routine(scheme)
        n1, m1, p1 = mod.STEP.format
        for levels in range(1, max_levels + 1):
            line = [f"{err(mod.matmul(*data[t], levels=levels), t):.1e}"
                    for t in (np.float64, np.float32)]
            print(f"| {scheme} ({n1}x{m1}x{p1}:{mod.STEP.rank}) | {levels} | {line[0]} | "
                  f"{line[1]} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("case", choices=["int", "gf", "float", "float32", "accuracy", "gram"])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--bits", type=int, default=20, help="int: entries in ±2^bits (64: all)")
    parser.add_argument("--p", type=int, default=31)
    parser.add_argument("--levels", type=lambda v: None if v == "auto" else int(v), default=1,
                        help="float: levels of recursion, or 'auto' (the engine's cutoffs)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--numpy-repeats", type=int, default=1,
                        help="int --bits 64: runs of numpy's (slow) int64 matmul")
    parser.add_argument("--scheme", default="winograd")
    parser.add_argument("--schemes", default="strassen,winograd,laderman,mm444",
                        help="accuracy: routines compared")
    parser.add_argument("--max-levels", type=int, default=3)
    parser.add_argument("--galois", action="store_true", help="gf: also time galois's matmul")
    parser.add_argument("--numpy-n", type=int, default=2048,
                        help="gram: size at which numpy's int64 A @ A.T is timed (extrapolated)")
    parser.add_argument("--cutoffs", default="",
                        help="gram: GRAM,FLOAT block sizes (default flipgraph's)")
    args = parser.parse_args()
    print(f"load average at start {load()}", flush=True)
    if args.case == "int":
        int_case(args.n, args.bits, args.repeats, args.numpy_repeats)
    elif args.case == "gf":
        gf_case(args.n, args.p, args.repeats, args.galois)
    elif args.case == "gram":
        gram_case(args.n, args.bits, args.repeats, args.numpy_n, args.cutoffs)
    elif args.case in ("float", "float32"):
        float_case(args.n, args.levels, args.repeats,
                   np.float64 if args.case == "float" else np.float32, args.scheme)
    else:
        accuracy(args.n, args.schemes.split(","), args.max_levels)


if __name__ == "__main__":
    main()
