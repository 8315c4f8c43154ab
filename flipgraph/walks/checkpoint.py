"""A search's checkpoint: everything needed to continue a killed search where it was.

One JSON file, written atomically (:mod:`flipgraph.atomic`): the settings, every worker's
:meth:`~flipgraph.walks.pool.PoolStrategy.state` (pools, generator states, counters), the best
scheme (packed, verified before it was kept), the seconds searched so far, and a ``note`` of the
caller's (the search job's lift ring and recipe). Packed factors are lists of integers (uint64
words); the generators' 128-bit states are plain JSON integers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..atomic import write_text
from ..errors import FlipgraphError, SchemeError
from ..tensors import Target, from_json

VERSION = 1
#: SearchSettings fields kept in a checkpoint (the start scheme lives in the workers' states).
SETTINGS = ("ring", "target_rank", "workers", "time_limit", "seed", "pool_size", "path_limit",
            "plus_after", "reset_flips", "stall_flips", "share", "windows")
#: Settings added later, and what a checkpoint without them ran with (its workers' states hold
#: the windows they walk on).
_LATER = {"stall_flips": 0, "share": False, "windows": True}


@dataclass
class Checkpoint:
    """A search's saved state. ``settings``: the :data:`SETTINGS` fields of its
    :class:`~flipgraph.walks.SearchSettings` (``SearchSettings(target=c.target, **c.settings)``)."""

    target: Target
    settings: dict
    states: list[dict]
    best: np.ndarray
    best_rank: int
    elapsed: float
    note: dict = field(default_factory=dict)

    def save(self, path) -> None:
        data = {"checkpoint": VERSION, "target": self.target.to_json(),
                "settings": {name: self.settings[name] for name in SETTINGS},
                "elapsed": round(self.elapsed, 6), "best_rank": self.best_rank,
                "best": np.asarray(self.best)[:, :self.best_rank], "note": self.note,
                "states": self.states}
        write_text(path, json.dumps(data, default=_plain, separators=(",", ":")))

    @classmethod
    def load(cls, path) -> Checkpoint:
        """The checkpoint in ``path``; a missing or foreign file is a one-line error."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FlipgraphError(f"{path}: no checkpoint (only `flipgraph search` writes one, "
                                 f"into its OUT folder)") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FlipgraphError(f"{path}: not a search checkpoint ({exc})") from None
        try:
            if data.get("checkpoint") != VERSION:
                raise ValueError(f"unknown checkpoint version {data.get('checkpoint')!r}")
            target = from_json(data["target"])
            settings = {**_LATER, **{name: data["settings"][name] for name in SETTINGS
                                     if name in data["settings"] or name not in _LATER}}
            states = list(data["states"])
            best_rank = int(data["best_rank"])
            start = np.asarray(states[0]["start"], np.uint64)          # (3, capacity, K words)
            best = np.zeros(start.shape, np.uint64)
            best[:, :best_rank] = np.array(data["best"], np.uint64).reshape(3, best_rank, start.shape[2])
            if len(states) != settings["workers"]:
                raise ValueError(f"{len(states)} worker states for {settings['workers']} workers")
            return cls(target, settings, states, best, best_rank, float(data["elapsed"]),
                       dict(data.get("note") or {}))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, SchemeError) as exc:
            raise FlipgraphError(f"{path}: not a search checkpoint ({exc})") from None


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.integer):
        return int(value)
    raise TypeError(f"cannot save {type(value).__name__} in a checkpoint")
