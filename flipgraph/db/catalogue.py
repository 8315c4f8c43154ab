"""Building the shipped catalogue (schemes/catalogue.h5): the classic hand-written schemes and
the results of this engine's own searches, each with its provenance."""
from __future__ import annotations

from pathlib import Path

from .runs import read_run
from .store import Database, shipped_path


def build_catalogue(path: str | Path | None = None, runs=()) -> list[tuple[str, bool]]:
    """Add the classic hand-written schemes (flipgraph.classics) to the shipped catalogue
    (default: :func:`~flipgraph.db.shipped_path`), and the results of ``flipgraph search`` runs:
    each folder in ``runs`` contributes its lifted.json (else best.json) with the search's own
    provenance (recipe, seed, engine, date). Only searches made by this engine are accepted.
    Idempotent."""
    from ..classics import CLASSICS

    items = [(make(), {"source": f"flipgraph.classics.{name}", "method": "hand-written"})
             for name, make in CLASSICS.items()]
    for run in runs:
        results = read_run(run, located=False)
        items.append((results[-1].scheme, results[-1].provenance))     # lifted.json, else best.json
    return Database(path or shipped_path()).add_many(items)
