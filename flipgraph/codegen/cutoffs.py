"""Where generated routines and this machine's tuned cutoffs live (read side; measuring is
:mod:`flipgraph.codegen.tune`).

The cache folder is ``$FLIPGRAPH_CACHE``, else ``$XDG_CACHE_HOME/flipgraph`` (``~/.cache/flipgraph``);
the cutoffs are ``<cache>/cutoffs.json``: {"cutoffs": {kind: block size}} as written by ``tune``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path


def cache_dir() -> Path:
    """The folder of flipgraph's caches (routines and the tuned cutoffs)."""
    if os.environ.get("FLIPGRAPH_CACHE"):
        return Path(os.environ["FLIPGRAPH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "flipgraph"


def cutoffs_path() -> Path:
    return cache_dir() / "cutoffs.json"


def tuned_cutoffs() -> dict:
    """kind -> cutoff as stored by :func:`flipgraph.codegen.tune.tune` ({} when the machine was
    never tuned)."""
    try:
        data = json.loads(cutoffs_path().read_text())
        return {k: int(v) for k, v in data["cutoffs"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
