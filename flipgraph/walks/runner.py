"""Parallel search: several independent pool walkers (processes), progress, log, best result.

Each worker runs :func:`flipgraph.walks.pool.pool_search` with its own seed derived from
(seed, worker index), so a worker's trajectory is reproducible; the run stops when one worker
reaches the target rank, at the time limit, or on Ctrl-C, and always keeps the best scheme seen.
The best scheme is verified in its ring (mod 2, mod 3, or over Z for ZT) before it is returned.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import queue
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import FlipgraphError
from ..scheme import Scheme, standard
from ..verify import verify
from .packing import RING_CODES, check_packable, pack, unpack
from ._kernel import walk
from .pool import PLUS_HEADROOM, pool_search

SUPPORTED_RINGS = ("z2", "z3", "zt")
#: Default (pool size, plus-after) per ring, tuned on 3x3x3 -> 23 and 4x4x4 (benchmarks/).
RING_DEFAULTS = {"z2": (4, 5_000), "z3": (1, 30_000), "zt": (1, 30_000)}


@dataclass
class SearchSettings:
    """What a search does; the CLI flags and the TOML recipes use the same names (with dashes)."""

    format: tuple[int, int, int]
    ring: str = "z2"
    target_rank: int = 0            # 0: as low as the walkers get within the time limit
    workers: int = 1
    time_limit: float | None = 60.0
    seed: int = 0
    pool_size: int | None = None    # None: the ring's default (RING_DEFAULTS)
    path_limit: int = 10_000_000
    plus_after: int | None = None   # None: the ring's default; 0: no plus transitions
    reset_flips: int = 0            # > 0: start over from the start scheme after this many flips
    start: Scheme | None = None     # default: the standard scheme of rank n·m·p

    def check(self) -> None:
        if self.ring not in SUPPORTED_RINGS:
            raise FlipgraphError(f"no search over ring {self.ring!r}; "
                                 f"supported: {', '.join(SUPPORTED_RINGS)}")
        default_pool, default_plus = RING_DEFAULTS[self.ring]
        if self.pool_size is None:
            self.pool_size = default_pool
        if self.plus_after is None:
            self.plus_after = default_plus
        check_packable(self.format, self.ring)
        if self.workers < 1 or self.pool_size < 1 or self.path_limit < 1:
            raise FlipgraphError("workers, pool size and path limit must be at least 1")
        if self.plus_after < 0 or self.target_rank < 0 or self.reset_flips < 0:
            raise FlipgraphError("plus-after, reset-flips and target rank must be non-negative")
        if self.start is not None and self.start.format != self.format:
            raise FlipgraphError(f"start scheme is {self.start.format_str}, search format is "
                                 f"{'x'.join(map(str, self.format))}")


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


def warm_up(words: int = 1) -> None:
    """Compile (or load from numba's disk cache) the kernel for factors of ``words`` uint64 words
    before any clock starts; forked workers inherit the compiled code."""
    walk(np.zeros((3, 1, words), np.uint64), 0, 0, 0, 1, 0, 0, np.array([1], np.uint64),
         np.zeros(5, np.int64), np.zeros((3, 0, words), np.uint64))


def worker_seed(seed: int, worker: int) -> int:
    return int(np.random.SeedSequence([seed, worker]).generate_state(1, np.uint64)[0] >> np.uint64(1))


def run_search(settings: SearchSettings, *, on_progress: Callable[[dict], None] | None = None,
               log_path: str | Path | None = None) -> SearchResult:
    """Run the search described by ``settings``; ``on_progress`` receives a dict every ~0.5 s
    (elapsed, flips, best_rank, per-worker ranks and pool sizes), ``log_path`` gets the same as
    JSON lines."""
    settings.check()
    start = settings.start if settings.start is not None else standard(*settings.format)
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

    interrupted = False
    try:
        if settings.workers == 1:
            _run_inline(settings, F0, rank0, workers, best, publish)
        else:
            _run_processes(settings, F0, rank0, workers, best, publish)
    except KeyboardInterrupt:
        interrupted = True          # Ctrl-C: stop cleanly, keep the best scheme seen
    finally:
        publish(final=True)
        if log:
            log.close()
    elapsed = time.perf_counter() - t0
    scheme = unpack(best["F"], best["rank"], settings.format, settings.ring)
    verdict = verify(scheme)
    if not verdict:
        raise RuntimeError(f"internal error: the search produced an invalid scheme ({verdict})")
    return SearchResult(scheme=scheme, rank=best["rank"],
                        reached_target=best["rank"] <= settings.target_rank, elapsed=elapsed,
                        flips=sum(w["flips"] for w in workers),
                        walks=sum(w["walks"] for w in workers), workers=workers,
                        interrupted=interrupted)


def _search_kwargs(settings: SearchSettings, worker: int) -> dict:
    return dict(pool_size=settings.pool_size, path_limit=settings.path_limit,
                plus_after=settings.plus_after, seed=worker_seed(settings.seed, worker),
                ring=RING_CODES[settings.ring], reset_flips=settings.reset_flips,
                time_limit=settings.time_limit)


def _run_inline(settings, F0, rank0, workers, best, publish) -> None:
    def progress(state, improved):
        _take(workers, best, 0, _state_dict(state), None if improved is None else improved.copy())
        publish()
        return False

    pool_search(F0, rank0, settings.target_rank, progress=progress, **_search_kwargs(settings, 0))


def _worker_main(settings, F0, rank0, worker, messages, stop) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # the parent handles Ctrl-C and stops us

    def progress(state, improved):
        messages.put(("progress", worker, _state_dict(state),
                      improved.copy() if improved is not None else None))
        return stop.is_set()

    _, _, state = pool_search(F0, rank0, settings.target_rank, progress=progress,
                              **_search_kwargs(settings, worker))
    messages.put(("done", worker, _state_dict(state), None))


def _state_dict(state) -> dict:
    data = asdict(state)
    data.pop("history", None)
    return data


def _run_processes(settings, F0, rank0, workers, best, publish) -> None:
    ctx = mp.get_context("fork" if os.name == "posix" else "spawn")
    messages, stop = ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=_worker_main, args=(settings, F0, rank0, w, messages, stop),
                         daemon=True) for w in range(settings.workers)]
    for proc in procs:
        proc.start()
    running = set(range(settings.workers))
    last = 0.0
    try:
        while running:
            try:
                kind, w, state, improved = messages.get(timeout=0.2)
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    break
                continue
            _take(workers, best, w, state, improved)
            if kind == "done":
                running.discard(w)
            if best["rank"] <= settings.target_rank:
                stop.set()
            now = time.perf_counter()
            if now - last >= 0.5 or improved is not None:
                last = now
                publish()
    finally:
        stop.set()
        deadline = time.perf_counter() + 5
        for proc in procs:
            proc.join(timeout=max(0.0, deadline - time.perf_counter()))
            if proc.is_alive():
                proc.terminate()
        _drain(messages, workers, best)


def _drain(messages, workers, best) -> None:
    """Collect what workers sent before stopping, so the best scheme seen is never lost."""
    while True:
        try:
            kind, w, state, improved = messages.get_nowait()
        except (queue.Empty, OSError, EOFError):
            return
        _take(workers, best, w, state, improved)


def _take(workers, best, w, state: dict, improved) -> None:
    """Record a worker's progress message; keep its scheme if it beats the best so far."""
    workers[w].update(rank=state["rank"], best_rank=state["best_rank"], flips=state["flips"],
                      walks=state["walks"], pool_size=state["pool_size"])
    if improved is not None and state["best_rank"] < best["rank"]:
        best["F"], best["rank"] = improved, state["best_rank"]
