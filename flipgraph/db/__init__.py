"""The scheme database: verified schemes of any target in HDF5 files, deduplicated by canonical
hash, keyed by target id (schema version 2; version-1 files are read and upgraded on write).

    store       Database, Entry, where the user database and the shipped catalogue live
    layout      the HDF5 file layout (schema versions 1 and 2)
    catalogue   build_catalogue: the shipped catalogue from the classics and our own searches
    best_known  best_known: the table of best known ranks (and additions) per target and ring
    compare     standings: our best per ring beside the best known, per target
    runs        read_run: a search's output folder (best.json, lifted.json, log) as items

Example::

    >>> from flipgraph import classics
    >>> from flipgraph.db import Database
    >>> db = Database("/tmp/my.h5")                                    # doctest: +SKIP
    >>> db.add(classics.strassen(), {"source": "flipgraph.classics.strassen"})
    ('5f1c…', True)
    >>> scheme, entry = db.best(2, 2, 2)                  # valid over Z/Q unless a ring is asked
"""
from .best_known import BestKnown, Record, best_known
from .catalogue import build_catalogue
from .compare import Standing, standings
from .layout import KIND, SCHEMA_VERSION
from .runs import read_run
from .store import (CHAR0_RINGS, Database, Entry, default_database, resolve_target, shipped_path,
                    usable_rings, user_path)

__all__ = ["Database", "Entry", "default_database", "user_path", "shipped_path", "usable_rings",
           "resolve_target", "CHAR0_RINGS", "best_known", "BestKnown", "Record", "standings",
           "Standing", "read_run", "build_catalogue", "SCHEMA_VERSION", "KIND"]
