"""Wide packed factors (issue 12): flips/s per core of the kernel against a saved copy of the
one-word kernel it replaced, interleaved in one run, and flips/s on wide formats.

    git show 48d13d7:flipgraph/walks/_kernel.py > /tmp/old_kernel.py
    python benchmarks/bench_wide.py [OLD_KERNEL.py [REPS [MOVES]]]     # default /tmp/old_kernel.py 7 5e6

Fixed-rank walks (no plus transitions, rejected ZT flips not counted) on 3x3x3 rank 23 (found by a
seeded search) and 4x4x4 rank 50 (Strassen², 49, after a plus transition) in Z2, Z3 and ZT, and walks from the standard algorithm on 8x8x8 (Z2) and 4x4x8 (ZT), which both kernels handle;
then the new kernel alone on 6x6x6 ZT, 7x7x7 Z3, 9x9x9 Z2 and 16x16x16 Z2 from the standard
algorithm. Each line: best and median flips/s over REPS runs, contenders alternating in order.
The C++ ternary_flip_graph (TFG) figures measured here (issue 12): 6x6x6 ZT 1.8 M, 8x8x8 Z2 1.1 M,
4x4x8 ZT 2.8 M flips/s per core from the standard algorithm. With ``BENCH_TFG=/tmp/tfg/flip_graph``
TFG's own binary is measured side by side instead, alternating with ours (:func:`tfg_rate`: one
runner, one thread, 12 s; its printed mean wall time per 10⁶ flips scaled by its CPU share).

Measured 2026-11-27 23:00 UTC on a quiet machine, load 0.6-1.0 (``BENCH_TFG=/tmp/tfg/flip_graph
python benchmarks/bench_wide.py /tmp/old_kernel.py 7 5e6``), new/old best, median: Z2 3x3x3 1.04,
1.05; Z2 4x4x4 0.98, 1.03; Z3 3x3x3 1.18, 1.21; Z3 4x4x4 1.06, 1.13; ZT 3x3x3 1.02, 1.06; ZT 4x4x4
1.03, 1.04 (1.02, 0.99 in a ZT-only run of 9 at 22:59); 8x8x8 Z2 0.98, 1.03; 4x4x8 ZT 1.07, 1.08.
From the standard algorithm: 6x6x6 ZT 7.4 M vs TFG 1.30 M (5.7x); 8x8x8 Z2 8.7 M vs TFG 0.78 M
(11.2x). Under load (6-8, 15:35 UTC) ZT 4x4x4 measured 0.88, 0.92: ratios under load are noise.
"""
from __future__ import annotations

import importlib
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from flipgraph import classics, standard, verify
from flipgraph.scheme import Scheme
from flipgraph.walks import search
from flipgraph.walks._kernel import walk
from flipgraph.walks.packing import RING_CODES, pack, unpack

RINGS = os.environ.get("BENCH_RINGS", "z2,z3,zt").split(",")
TFG = {("6x6x6", "zt"): 1.8e6, ("8x8x8", "z2"): 1.1e6, ("4x4x8", "zt"): 2.8e6}
TFG_BINARY = os.environ.get("BENCH_TFG")          # e.g. /tmp/tfg/flip_graph: measure it here
TFG_SECONDS = 12


def tfg_rate(fmt, ring):
    """Flips per CPU second of TFG's own flip_graph (one runner, one thread) from the standard
    algorithm: it prints the wall time of every 10⁶ flips; that mean wall time is scaled by the
    run's CPU share (child CPU time / wall time), so load hits it as process_time hits ours."""
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        try:
            text = subprocess.run(
                [TFG_BINARY, "-n1", str(fmt[0]), "-n2", str(fmt[1]), "-n3", str(fmt[2]),
                 "--ring", ring.upper(), "--count", "1", "--threads", "1", "--seed", "1",
                 "--output-path", out], capture_output=True, text=True,
                timeout=TFG_SECONDS).stdout
        except subprocess.TimeoutExpired as stopped:
            text = stopped.stdout.decode() if stopped.stdout else ""
    wall = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime
    means = re.findall(r"iteration time \(last / min / max / mean\): [\d.]+ / [\d.]+ / [\d.]+ / "
                       r"([\d.]+)", text)
    return 1e6 / (float(means[-1]) * cpu / wall) if means else 0.0


def load_old(path):
    """``walk`` of the kernel module saved at ``path`` (imported by name, so numba caches it)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    return importlib.import_module(os.path.basename(path)[:-3]).walk


def narrow(F, ring):
    """The one-word layout of the old kernel: z2 bits; z3/zt +1 plane in bits 0..31, −1 above."""
    return F[..., 0].copy() if ring == "z2" else F[..., 0] | (F[..., 1] << np.uint64(32))


def rate(kernel, F, rank, ring, moves, seed):
    F = F.copy()
    best = np.zeros((3, 0) + F.shape[2:], np.uint64)
    out = np.zeros(5, np.int64)
    start = time.process_time()
    kernel(F, rank, RING_CODES[ring], 0, moves, 0, rank, np.array([seed], np.uint64), out, best)
    return out[0] / (time.process_time() - start)


def strassen_squared():
    """Strassen ⊗ Strassen: 4x4x4 rank 49 over ZT (entry (2·i1 + i2, 2·j1 + j2) of each factor)."""
    s = classics.strassen()
    mats = [np.array([np.kron(x.reshape(2, 2), y.reshape(2, 2)).ravel() for x in M for y in M])
            for M in (s.U, s.V, s.W)]
    return Scheme((4, 4, 4), *mats, "zt")


def rank50(ring):
    """4x4x4 at rank 50 on the flip graph: Strassen² (49, no flip) after plus transitions and
    flips (walks from 49 with one rank of headroom until one ends at 50)."""
    scheme = strassen_squared()
    assert verify(scheme)
    for seed in range(1, 100):
        F = pack(scheme, ring, scheme.rank + 2)
        rank = walk(F, scheme.rank, RING_CODES[ring], 0, 100_000, 1000, scheme.rank + 1,
                    np.array([seed], np.uint64), np.zeros(5, np.int64),
                    np.zeros((3, 0, F.shape[2]), np.uint64))
        if rank == scheme.rank + 1 and verify(unpack(F, rank, (4, 4, 4), ring)):
            return F, rank
    raise RuntimeError("no walk ended at rank 50")


def cases():
    for ring in RINGS:
        found = search((3, 3, 3), ring=ring, target_rank=23, seed=1, time_limit=300)
        yield "3x3x3", ring, pack(found.scheme, ring, found.rank + 2), found.rank
        yield ("4x4x4", ring, *rank50(ring))
    for fmt, ring in (((8, 8, 8), "z2"), ((4, 4, 8), "zt")):
        yield "x".join(map(str, fmt)), ring, pack(standard(*fmt), ring, fmt[0] * fmt[1] * fmt[2]), \
            fmt[0] * fmt[1] * fmt[2]


def report(label, runs, ref=None):
    best, median = max(runs), statistics.median(runs)
    line = f"  {label:>4}: best {best / 1e6:6.2f} M  median {median / 1e6:6.2f} M"
    if ref:
        line += f"  (new/old: best {best / max(ref):.3f}, median {median / statistics.median(ref):.3f})"
    print(line, flush=True)


def main(argv):
    old_path = argv[1] if len(argv) > 1 else "/tmp/old_kernel.py"
    reps = int(argv[2]) if len(argv) > 2 else 7
    moves = int(float(argv[3])) if len(argv) > 3 else 5_000_000
    old = load_old(old_path)
    print(f"load before: {os.getloadavg()}; {reps} runs of {moves:,} moves each, alternating")
    for name, ring, F, rank in cases():
        contenders = {"old": (old, narrow(F, ring)), "new": (walk, F)}
        for kernel, packed in contenders.values():            # compile / load the cache first
            rate(kernel, packed, rank, ring, 1000, 1)
        runs = {"old": [], "new": []}
        for rep in range(reps):
            order = ("old", "new") if rep % 2 == 0 else ("new", "old")
            for who in order:
                kernel, packed = contenders[who]
                runs[who].append(rate(kernel, packed, rank, ring, moves, rep + 1))
        print(f"{name} {ring} rank {rank}, flips/s per core:")
        report("old", runs["old"])
        report("new", runs["new"], runs["old"])
    for fmt, ring in (((6, 6, 6), "zt"), ((8, 8, 8), "z2"), ((7, 7, 7), "z3"), ((9, 9, 9), "z2"),
                      ((16, 16, 16), "z2")):
        name = "x".join(map(str, fmt))
        F = pack(standard(*fmt), ring, fmt[0] * fmt[1] * fmt[2])
        rate(walk, F, F.shape[1], ring, 1000, 1)
        runs, theirs = [], []
        for rep in range(max(3, reps // 2)):             # TFG (when measured) alternates with ours
            runs.append(rate(walk, F, F.shape[1], ring, moves, rep + 1))
            if TFG_BINARY and (name, ring) in TFG:
                theirs.append(tfg_rate(fmt, ring))
        tfg = max(theirs) if theirs else TFG.get((name, ring))
        print(f"{name} {ring} from the standard algorithm (K = {F.shape[2]} words), flips/s per core:"
              + (f" TFG {tfg / 1e6:.2f} M ({'measured here' if theirs else 'issue 12'}), "
                 f"best/TFG {max(runs) / tfg:.1f}x" if tfg else ""))
        if theirs:
            report("TFG", theirs)
        report("new", runs)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main(sys.argv)
