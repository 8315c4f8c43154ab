"""verify, canonical form and lift of one scheme, timed in two source trees in one run (interleaved).

Compares this tree against another checkout of flipgraph (e.g. the release before a change), each
round running both in fresh subprocesses, alternating which goes first; prints best and median per
operation and the ratio old/new (> 1: this tree is faster), with the machine load.

    git archive 7293905 | (mkdir -p /tmp/old && tar -x -C /tmp/old)
    python benchmarks/bench_core.py /tmp/old 444-49-z.exp 444-49-mod2.exp --rounds 5

The scheme files are read by both trees (use a format both know, e.g. .exp); the first is verified
and canonicalised, the second (mod 2) lifted.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, sys, time
from flipgraph import io, verify, lift
valid, modp, ring = sys.argv[1], sys.argv[2], sys.argv[3]
s = io.load(valid, ring=ring)
m = io.load(modp, ring="z2")
out = {}
def clock(name, fn, reps):
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter(); fn(); best = min(best, time.perf_counter() - t)
    out[name] = best
verify(s); lift(m)                       # compile and warm caches outside the clock
clock("verify", lambda: verify(s), 5)
clock("canonical_hash", lambda: s.canonical_hash(), 5)
clock("lift", lambda: lift(m), 1)
print(json.dumps(out))
"""


def probe(tree: Path, valid: str, modp: str, ring: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, "-c", PROBE, valid, modp, ring], env=env, cwd="/tmp",
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="the other flipgraph source tree")
    parser.add_argument("valid", help="a scheme valid over its ring (verify, canonical form)")
    parser.add_argument("modp", help="a mod-2 scheme that lifts (lift)")
    parser.add_argument("--ring", default="z", help="ring to read the valid scheme in")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    valid, modp = str(Path(args.valid).resolve()), str(Path(args.modp).resolve())
    times = {"old": [], "new": []}
    for r in range(args.rounds):
        order = [("old", args.old), ("new", HERE)]
        for name, tree in (order if r % 2 == 0 else order[::-1]):
            times[name].append(probe(tree, valid, modp, args.ring))
    print(f"load average: {os.getloadavg()[0]:.2f} (2 cores); {args.rounds} rounds, interleaved")
    print(f"{'operation':<16}{'old best':>10}{'new best':>10}{'old med':>10}{'new med':>10}"
          f"{'ratio (best)':>14}")
    for op in times["old"][0]:
        old = [t[op] for t in times["old"]]
        new = [t[op] for t in times["new"]]
        print(f"{op:<16}{min(old):>10.4f}{min(new):>10.4f}{statistics.median(old):>10.4f}"
              f"{statistics.median(new):>10.4f}{min(old) / min(new):>13.2f}x")


if __name__ == "__main__":
    main()
