"""Cost of database writes and queries (flipgraph.db) for a database of a few thousand schemes.

Prints: add_many throughput (one transaction), the cost of one add() (lock, copy, fsync, atomic
replace) at that size, and the cost of listing and of best(). Run from the repo root:

    python benchmarks/bench_db.py [N]          # N schemes, default 3000
"""
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from flipgraph import classics, standard  # noqa: E402
from flipgraph.db import Database  # noqa: E402
from test_db import sandwich  # noqa: E402


def main(count: int) -> None:
    bases = [classics.strassen(), classics.winograd(), classics.laderman(), standard(2, 3, 3)]
    items = [(sandwich(bases[i % len(bases)], i), {"source": "bench", "seed": i}) for i in range(count)]
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "bench.h5")
        start = time.perf_counter()
        results = db.add_many(items)
        batch = time.perf_counter() - start
        stored = sum(added for _, added in results)
        size = db.path.stat().st_size
        print(f"add_many: {count} schemes ({stored} distinct) in {batch:.2f} s "
              f"= {1e3 * batch / count:.2f} ms/scheme; file {size / 1e6:.1f} MB")
        singles = [sandwich(classics.strassen(), 10**6 + i) for i in range(20)]
        start = time.perf_counter()
        for scheme in singles:
            db.add(scheme)
        print(f"add (one transaction each) at {stored} schemes: "
              f"{1e3 * (time.perf_counter() - start) / len(singles):.1f} ms")
        start = time.perf_counter()
        entries = db.entries()
        print(f"entries(): {len(entries)} rows in {1e3 * (time.perf_counter() - start):.1f} ms")
        start = time.perf_counter()
        _, entry = db.best(3, 3, 2)
        print(f"best(3,3,2) ({entry.describe_symmetry()}): {1e3 * (time.perf_counter() - start):.1f} ms")
        start = time.perf_counter()
        problems = db.check()
        print(f"check(): {len(entries)} schemes re-verified in {time.perf_counter() - start:.2f} s, "
              f"{len(problems)} problem(s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
