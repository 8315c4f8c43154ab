"""A search: several independent pool strategies (workers), progress, log, best result.

Worker w is a :class:`~flipgraph.walks.pool.PoolStrategy` seeded from (seed, w), so its trajectory
is reproducible; an executor (:mod:`flipgraph.walks.executors`: inline, or one process per
worker) runs them. The run stops when one worker reaches the target rank, at the time limit, or
on Ctrl-C, and always keeps the best scheme seen, verified in its ring (mod 2, mod 3, or over Z
for ZT) before it is returned.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import FlipgraphError
from ..scheme import Scheme, standard
from ..tensors import Target, parse_target
from ..verify import verify
from .executors import Executor, InlineExecutor, ProcessExecutor
from .packing import check_packable, pack, unpack
from .pool import PLUS_HEADROOM, PoolStrategy
from .walker import warm_up

SUPPORTED_RINGS = ("z2", "z3", "zt")
#: Default (pool size, plus-after) per ring, tuned on 3x3x3 -> 23 and 4x4x4 (benchmarks/).
RING_DEFAULTS = {"z2": (4, 5_000), "z3": (1, 30_000), "zt": (1, 30_000)}


@dataclass
class SearchSettings:
    """What a search does; the CLI flags and the TOML recipes use the same names (with dashes).
    ``target``: a Target, or a matmul format ("3x3x3", (3, 3, 3)) converted to one."""

    target: Target
    ring: str = "z2"
    target_rank: int = 0            # 0: as low as the walkers get within the time limit
    workers: int = 1
    time_limit: float | None = 60.0
    seed: int = 0
    pool_size: int | None = None    # None: the ring's default (RING_DEFAULTS)
    path_limit: int = 10_000_000
    plus_after: int | None = None   # None: the ring's default; 0: no plus transitions
    reset_flips: int = 0            # > 0: start over from the start scheme after this many flips
    start: Scheme | None = None     # default: the target's standard scheme (rank = its nnz)

    def __post_init__(self) -> None:
        self.target = parse_target(self.target)

    def check(self) -> None:
        if self.ring not in SUPPORTED_RINGS:
            raise FlipgraphError(f"no search over ring {self.ring!r}; "
                                 f"supported: {', '.join(SUPPORTED_RINGS)}")
        default_pool, default_plus = RING_DEFAULTS[self.ring]
        if self.pool_size is None:
            self.pool_size = default_pool
        if self.plus_after is None:
            self.plus_after = default_plus
        check_packable(self.target, self.ring)
        if self.workers < 1 or self.pool_size < 1 or self.path_limit < 1:
            raise FlipgraphError("workers, pool size and path limit must be at least 1")
        if self.plus_after < 0 or self.target_rank < 0 or self.reset_flips < 0:
            raise FlipgraphError("plus-after, reset-flips and target rank must be non-negative")
        if self.start is not None and self.start.target != self.target:
            raise FlipgraphError(f"start scheme is {self.start.format_str}, search target is "
                                 f"{self.target.label}")


@dataclass
class SearchResult:
    """Outcome of a search: the best scheme found (verified), and what it cost."""

    scheme: Scheme
    rank: int
    reached_target: bool
    elapsed: float
    flips: int
    walks: int
    workers: list[dict] = field(default_factory=list)
    interrupted: bool = False

    @property
    def flips_per_second(self) -> float:
        return self.flips / self.elapsed if self.elapsed > 0 else 0.0


def worker_seed(seed: int, worker: int) -> int:
    return int(np.random.SeedSequence([seed, worker]).generate_state(1, np.uint64)[0] >> np.uint64(1))


def strategies(settings: SearchSettings, F0: np.ndarray, rank0: int) -> list[PoolStrategy]:
    """One pool strategy per worker, worker w seeded from (settings.seed, w)."""
    return [PoolStrategy(F0, rank0, settings.target_rank, pool_size=settings.pool_size,
                         path_limit=settings.path_limit, plus_after=settings.plus_after,
                         seed=worker_seed(settings.seed, w), ring=settings.ring,
                         reset_flips=settings.reset_flips) for w in range(settings.workers)]


def run_search(settings: SearchSettings, *, on_progress: Callable[[dict], None] | None = None,
               log_path: str | Path | None = None,
               executor: Executor | None = None) -> SearchResult:
    """Run the search described by ``settings``; ``on_progress`` receives a dict every ~0.5 s
    (elapsed, flips, best_rank, per-worker ranks and pool sizes), ``log_path`` gets the same as
    JSON lines. ``executor`` runs the workers (default: inline for one worker, else one process
    per worker)."""
    settings.check()
    start = settings.start if settings.start is not None else standard(settings.target)
    start = start.over(settings.ring)
    if not verify(start):
        raise FlipgraphError(f"the start scheme is not valid over {settings.ring}")
    rank0 = start.rank
    F0 = pack(start, settings.ring, rank0 + PLUS_HEADROOM + 1)
    log = open(log_path, "w") if log_path else None
    workers = [dict(worker=w, rank=rank0, best_rank=rank0, flips=0, walks=0, pool_size=1)
               for w in range(settings.workers)]
    best = {"F": F0, "rank": rank0}
    warm_up(F0.shape[2])
    t0 = time.perf_counter()
    last_publish = [t0]

    def publish(final: bool = False) -> None:
        record = {"time": round(time.perf_counter() - t0, 3),
                  "flips": sum(w["flips"] for w in workers),
                  "best_rank": best["rank"],
                  "ranks": [w["rank"] for w in workers],
                  "pool_sizes": [w["pool_size"] for w in workers]}
        if final:
            record["final"] = True
        if log:
            log.write(json.dumps(record) + "\n")
            log.flush()
        if on_progress:
            on_progress(record)

    def on_report(w: int, report: dict, improved) -> bool:
        workers[w].update(rank=report["rank"], best_rank=report["best_rank"],
                          flips=report["flips"], walks=report["walks"],
                          pool_size=report["pool_size"])
        if improved is not None and report["best_rank"] < best["rank"]:
            best["F"], best["rank"] = improved, report["best_rank"]
        now = time.perf_counter()
        if improved is not None or now - last_publish[0] >= 0.5:
            last_publish[0] = now
            publish()
        return best["rank"] <= settings.target_rank

    if executor is None:
        executor = InlineExecutor() if settings.workers == 1 else ProcessExecutor()
    interrupted = False
    try:
        executor.run(strategies(settings, F0, rank0), settings.time_limit, on_report)
    except KeyboardInterrupt:
        interrupted = True          # Ctrl-C: stop cleanly, keep the best scheme seen
    finally:
        publish(final=True)
        if log:
            log.close()
    elapsed = time.perf_counter() - t0
    scheme = unpack(best["F"], best["rank"], settings.target, settings.ring)
    verdict = verify(scheme)
    if not verdict:
        raise RuntimeError(f"internal error: the search produced an invalid scheme ({verdict})")
    return SearchResult(scheme=scheme, rank=best["rank"],
                        reached_target=best["rank"] <= settings.target_rank, elapsed=elapsed,
                        flips=sum(w["flips"] for w in workers),
                        walks=sum(w["walks"] for w in workers), workers=workers,
                        interrupted=interrupted)


