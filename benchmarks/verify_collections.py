"""Read and verify every scheme file under the folders given, and print a table by folder.

    python benchmarks/verify_collections.py /work/public/FastMatrixMultiplication/schemes ...
    python benchmarks/verify_collections.py --depth 2 --list-failures DIR ...

Fetches nothing. A file counts once: *verified* when every scheme in it is valid in the ring
flipgraph reads it in (the file's own ring, else the strongest ring where it is valid: the
smallest of zt/z/q holding its values, else z2 or z3), *invalid* when one is not, *error* when
flipgraph refuses it with its one-line error (FlipgraphError), *traceback* for any other
exception (a bug). Files that are not matrix-multiplication schemes (flip-cpd's structured
products) are counted apart as *other target*, files with a suffix flipgraph does not read
(.md, .py, ...) are skipped. Rows: a folder's path relative to its argument, cut to --depth parts.
BLAS runs on one thread (OPENBLAS_NUM_THREADS=1 unless set): verify's many small products were
up to 28x slower with OpenBLAS threads on a busy 2-core machine.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")     # before numpy is imported

from flipgraph import io, verify  # noqa: E402
from flipgraph.errors import FlipgraphError  # noqa: E402

SUFFIXES = {f.suffix for f in io.FORMATS.values()} | {".npy"}
COLUMNS = ("verified", "invalid", "error", "traceback", "other target")


def classify(path: Path) -> tuple[str, str]:
    """(column, detail) for one file."""
    try:
        entries = io.load_all(path)
        bad = [f"{key}: {verdict}" for key, scheme in entries
               if not (verdict := verify(scheme))]
    except FlipgraphError as exc:
        if "not a matrix-multiplication scheme" in str(exc):
            return "other target", str(exc)
        return "error", str(exc)
    except Exception:  # noqa: BLE001 - a traceback is what this script counts
        return "traceback", traceback.format_exc(limit=-3)
    return ("invalid", bad[0]) if bad else ("verified", "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--depth", type=int, default=1, help="folder parts per row (default 1)")
    parser.add_argument("--list-failures", action="store_true", help="print every non-verified file")
    args = parser.parse_args()
    missing = [str(f) for f in args.folders if not f.is_dir()]
    if missing:
        parser.error(f"not a folder: {', '.join(missing)}")
    table: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    start = time.perf_counter()
    width = max(len(f"{root.parent.name}/{root.name}/{d.name}") for root in args.folders for d in [root, *root.iterdir()]
                if d.is_dir()) + 2
    print(f"{'folder':<{width}} " + " ".join(f"{c:>12}" for c in COLUMNS), flush=True)
    for root in args.folders:
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                       and not p.name.endswith(".meta.json"))
        rows = []
        for path in files:
            parts = path.relative_to(root).parent.parts[:args.depth]
            row = "/".join((root.parent.name, root.name, *parts))
            rows += [] if row in rows else [row]
            column, detail = classify(path)
            table[row][column] += 1
            if args.list_failures and column not in ("verified", "other target"):
                print(f"{column}: {path}: {detail.strip()}", file=sys.stderr, flush=True)
        for row in rows:                                    # each folder's rows as soon as it is done
            print(f"{row:<{width}} " + " ".join(f"{table[row][c]:>12}" for c in COLUMNS), flush=True)
    total = {c: sum(counts[c] for counts in table.values()) for c in COLUMNS}
    print(f"{'total':<{width}} " + " ".join(f"{total[c]:>12}" for c in COLUMNS))
    schemes = sum(total[c] for c in COLUMNS[:4])
    print(f"{total['verified']}/{schemes} matrix-multiplication files verified "
          f"({100 * total['verified'] / max(schemes, 1):.1f} %), {total['traceback']} tracebacks, "
          f"{time.perf_counter() - start:.0f} s")

if __name__ == "__main__":
    main()
