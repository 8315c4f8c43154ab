"""A search: several independent pool strategies (workers), progress, log, best result.

Worker w is a :class:`~flipgraph.walks.pool.PoolStrategy` seeded from (seed, w), so its trajectory
is reproducible (with one worker; several share their finds through a :class:`Board`: a worker
that lags or stalls takes over the lowest level another reached); an executor (:mod:`flipgraph.walks.executors`: inline, or one process per
worker) runs them. The run stops when one worker reaches the target rank, at the time limit, or
on Ctrl-C, and always keeps the best scheme seen, verified in its ring (mod 2, mod 3, or over Z
for ZT) as soon as it arrives. With a checkpoint file, a killed search continues from its last
checkpoint (:class:`~.checkpoint.Checkpoint`, ``resume=``) on any executor.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import FlipgraphError
from ..pacing import Pacer
from ..scheme import Scheme, standard
from ..tensors import Target, parse_target
from ..verify import verify
from .checkpoint import SETTINGS, Checkpoint
from .executors import Executor, InlineExecutor, ProcessExecutor
from .packing import check_packable, pack, unpack
from .pool import PLUS_HEADROOM, PoolStrategy, canonical_key
from .walker import warm_up
from .windows import block_windows, patience

SUPPORTED_RINGS = ("z2", "z3", "zt")
#: Default (pool size, plus-after) per ring, tuned on 3x3x3 -> 23 and 4x4x4 (benchmarks/).
RING_DEFAULTS = {"z2": (4, 5_000), "z3": (1, 30_000), "zt": (1, 30_000)}
#: Targets at least this large (entries of U, V, W together; 5x5x5: 75) walk short paths from a
#: pool of one: on 5x5x5 from 125 over Z2, 6·10⁷ flips of 10⁷-move walks found no reduction at
#: all, 3·10⁴-move walks with plus transitions after 2000 flips reached 108-112 (two seeds).
LARGE = 75
LARGE_DEFAULTS = dict(pool_size=1, plus_after=2_000, path_limit=30_000)
#: Z2 targets from MEDIUM entries up to LARGE (4x4x4: 48) take plus transitions after 2500 quiet
#: flips and start over every MEDIUM_Z2_RESET flips (scaled by size). 4x4x4 64 -> 49 on 2
#: workers (benchmarks/bench_tail.py, 10 seeds each): flips to 49 median 121 M with plus-after
#: 5000, 53 M with 2500, 73 M with 1000 (20000: 2 of 2 seeds missed). Restarts, quiet machine,
#: seeds 1-20 interleaved: every 4·10⁷ flips at most 889 M flips (35 s), 8·10⁷ (seeds 11-20)
#: 450 M, 1.2·10⁸ 484 M, 1.6·10⁸ 637 M with the lowest median (55-119 M). One worker alone
#: without restarts (benchmarks/bench_restarts.py, 40 seeds): median 93 M to 49, 5 of 40 still
#: above 49 at 5·10⁸; drawn from those, 1.2-1.6·10⁸ gives two workers the thinnest tail.
MEDIUM = 40
MEDIUM_Z2_PLUS_AFTER = 2_500
MEDIUM_Z2_RESET = 160_000_000
#: At most this share of the search's time goes to verifying workers' new bests; a new best
#: found sooner waits (the lowest one), and the best at the end or at the target is verified.
VERIFY_SHARE = 0.1
#: ... unless a check takes less than this many seconds (small formats verify every new best).
VERIFY_FREE = 0.05


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
    pool_size: int | None = None    # None: by ring and size (search_defaults)
    path_limit: int | None = None   # None: 10⁷, or 3·10⁴ for large targets (search_defaults)
    plus_after: int | None = None   # None: by ring and size; 0: no plus transitions
    reset_flips: int | None = None  # > 0: start over from the start scheme after this many
                                    # flips (None: per format, search_defaults; 0: never)
    stall_flips: int | None = None  # flips at a level before going back one (None: per format,
                                    # stall_flips_default; 0: never); also when workers share
    share: bool = True              # workers hand their finds to stalled or lagging workers
    windows: bool = True            # from the standard scheme of a matmul format that has them,
                                    # walks on block windows (windows.py); False: whole walks only
    start: Scheme | None = None     # default: the target's standard scheme (rank = its nnz)

    def __post_init__(self) -> None:
        self.target = parse_target(self.target)

    def check(self) -> None:
        if self.ring not in SUPPORTED_RINGS:
            raise FlipgraphError(f"no search over ring {self.ring!r}; "
                                 f"supported: {', '.join(SUPPORTED_RINGS)}")
        for name, value in search_defaults(self.target, self.ring).items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        check_packable(self.target, self.ring)
        if self.workers < 1 or self.pool_size < 1 or self.path_limit < 1:
            raise FlipgraphError("workers, pool size and path limit must be at least 1")
        if min(self.plus_after, self.target_rank, self.reset_flips, self.stall_flips) < 0:
            raise FlipgraphError("plus-after, reset-flips, stall-flips and target rank must be "
                                 "non-negative")
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


def search_defaults(target: Target, ring: str) -> dict:
    """The settings a search of ``target`` over ``ring`` takes when not given: pool size,
    plus-after, path limit, reset flips and stall flips, as measured (RING_DEFAULTS,
    LARGE_DEFAULTS, MEDIUM)."""
    pool_size, plus_after = RING_DEFAULTS[ring]
    size = sum(target.sizes)
    chosen = dict(pool_size=pool_size, plus_after=plus_after, path_limit=10_000_000,
                  reset_flips=0, stall_flips=stall_flips_default(target, ring))
    if size >= LARGE:
        chosen.update(LARGE_DEFAULTS)
    elif size >= MEDIUM and ring == "z2":
        chosen.update(plus_after=MEDIUM_Z2_PLUS_AFTER, reset_flips=MEDIUM_Z2_RESET * size // 48)
    return chosen


def stall_flips_default(target: Target, ring: str) -> int:
    """Flips at one level before a worker goes back a level (and takes other workers' finds).
    Measured on 4x4x4 over Z2 from 64 (benchmarks/bench_search.py t444): most levels take
    20-70 M flips, a dead end ran past 1.4 G; 150 M there, scaled by the target's size; 0 (never)
    below 40 entries, where searches end before a level stalls."""
    size = sum(target.sizes)
    return 0 if size < 40 else 150_000_000 * size // 48


class Board:
    """The schemes workers reached at the lowest levels (each verified new best of a worker).
    :meth:`offer` hands them to a worker that is behind: two levels or more, or one level after
    ``patience`` flips at its own level (0: only two levels or more); never a level the worker
    reached itself (a worker that went back or started over is not handed its own dead end)."""

    def __init__(self, ring: str, size: int, patience: int):
        self.ring, self.size, self.patience = ring, size, patience
        self.schemes: dict[int, dict[bytes, np.ndarray]] = {}
        self.given: dict[int, int] = {}        # worker -> the level offered or reached last

    def post(self, F: np.ndarray, rank: int, worker: int) -> None:
        self.given[worker] = rank
        found = self.schemes.setdefault(rank, {})
        if len(found) < self.size:
            found.setdefault(canonical_key(F, rank, self.ring), F.copy())
        for old in sorted(self.schemes)[2:]:
            del self.schemes[old]

    def offer(self, worker: int, report: dict) -> tuple[int, list[np.ndarray]] | None:
        if not self.schemes:
            return None
        lowest = min(self.schemes)
        level = report["rank"]
        behind = level >= lowest + 2 or (
            level > lowest and self.patience and report.get("level_flips", 0) >= self.patience)
        if not behind or self.given.get(worker) == lowest:
            return None
        self.given[worker] = lowest
        return lowest, list(self.schemes[lowest].values())


def publish_record(elapsed: float, workers: list[dict], best_rank: int, log, on_progress,
                   **extra) -> None:
    """One progress record (the search log's line and what ``on_progress`` gets) from the
    workers' counters (dicts with flips, rank, best_rank, pool_size)."""
    record = {"time": round(elapsed, 3), "flips": sum(w["flips"] for w in workers),
              "best_rank": best_rank, "ranks": [w["rank"] for w in workers],
              "best_ranks": [w["best_rank"] for w in workers],
              "pool_sizes": [w["pool_size"] for w in workers],
              "worker_flips": [w["flips"] for w in workers], **extra}
    if log:
        log.write(json.dumps(record) + "\n")
        log.flush()
    if on_progress:
        on_progress(record)


def worker_seed(seed: int, worker: int) -> int:
    return int(np.random.SeedSequence([seed, worker]).generate_state(1, np.uint64)[0] >> np.uint64(1))


def strategies(settings: SearchSettings, F0: np.ndarray, rank0: int) -> list[PoolStrategy]:
    """One pool strategy per worker, worker w seeded from (settings.seed, w); from the standard
    scheme of a matmul format with block windows (unless ``settings.windows`` is False)."""
    windows = block_windows(settings.target, settings.ring) \
        if settings.start is None and settings.windows else None
    misses = patience(settings.target) if windows is not None else 0
    return [PoolStrategy(F0, rank0, settings.target_rank, pool_size=settings.pool_size,
                         path_limit=settings.path_limit, plus_after=settings.plus_after,
                         seed=worker_seed(settings.seed, w), ring=settings.ring,
                         reset_flips=settings.reset_flips, stall_flips=settings.stall_flips,
                         windows=windows, window_patience=misses)
            for w in range(settings.workers)]


def run_search(settings: SearchSettings, *, on_progress: Callable[[dict], None] | None = None,
               log_path: str | Path | None = None, executor: Executor | None = None,
               checkpoint_path: str | Path | None = None, checkpoint_every: float = 60.0,
               resume: Checkpoint | None = None, note: dict | None = None,
               on_improvement: Callable[[Scheme], None] | None = None) -> SearchResult:
    """Run the search described by ``settings``; ``on_progress`` receives a dict every ~0.5 s
    (elapsed, flips, best_rank, per-worker ranks and pool sizes), ``log_path`` gets a header (the
    settings and the backend) then the same as JSON lines (the last one, ``final``, says the backend
    again: on a cluster, which workers ran chunks). ``executor`` runs the workers (default:
    inline for one worker, else one process per worker). Every new best is verified here before it
    is kept (one that fails is dropped and logged), then handed to ``on_improvement``.

    ``checkpoint_path``: keep the search's :class:`~.checkpoint.Checkpoint` there, rewritten at
    every new best, every ``checkpoint_every`` seconds and at the end, with ``note`` in it.
    ``resume``: continue that checkpoint's search (workers' states, best, seconds searched, which
    count against ``settings.time_limit``); ``settings`` are then the checkpoint's
    (``SearchSettings(target=resume.target, **resume.settings)``, the time limit may be changed),
    the log is appended to and its times go on from the checkpoint's."""
    settings.check()
    walkers, best, elapsed0 = _begin(settings, resume)
    if executor is None:
        executor = InlineExecutor() if settings.workers == 1 else ProcessExecutor()
    backend = executor.describe()
    states = [w.state() for w in walkers] if checkpoint_path else None
    workers = [dict(worker=w, rank=s.level, best_rank=s.best_rank, flips=s.flips, walks=s.walks,
                    pool_size=len(s.pool)) for w, s in enumerate(walkers)]
    log = open(log_path, "a" if resume else "w") if log_path else None
    if log and not resume:
        log.write(json.dumps({"header": {"target": settings.target.id,
                                         "format": settings.target.label,
                                         **{name: getattr(settings, name) for name in SETTINGS},
                                         "backend": backend}}) + "\n")
    warm_up(walkers[0].start.shape[2], settings.ring)
    t0 = time.perf_counter()
    clock = {"published": t0, "saved": t0}
    verifying = Pacer(VERIFY_SHARE, VERIFY_FREE)

    def now_elapsed() -> float:
        return elapsed0 + time.perf_counter() - t0

    def publish(**extra) -> None:
        publish_record(now_elapsed(), workers, best["rank"], log, on_progress, **extra)

    def save_checkpoint() -> None:
        clock["saved"] = time.perf_counter()
        Checkpoint(settings.target, {name: getattr(settings, name) for name in SETTINGS}, states,
                   best["F"], best["rank"], now_elapsed(), note or {}).save(checkpoint_path)

    def on_state(w: int, state: dict) -> None:
        states[w] = state

    held: dict = {}     # the lowest new best not verified yet: {"F", "rank", "worker"}

    def accept(w: int, F: np.ndarray, rank: int) -> bool:
        """Verify worker w's scheme at or below the best level; it goes to the board, and a new
        best becomes ``best``. True if the best improved. Verifying is then put off until it
        would take at most VERIFY_SHARE of the time (on 16x16x16, 0.3 s a scheme)."""
        with verifying.timed():
            scheme = unpack(F, rank, settings.target, settings.ring)
            valid = verify(scheme)
        if not valid:
            publish(invalid_from_worker=w)
            return False
        board.post(F, rank, w)
        if rank == best["rank"]:
            return False                       # another worker's scheme at the best level
        best.update(F=F, rank=rank, scheme=scheme)
        if on_improvement:
            on_improvement(scheme)
        return True

    def on_report(w: int, report: dict, improved) -> bool:
        workers[w].update(rank=report["rank"], best_rank=report["best_rank"],
                          flips=report["flips"], walks=report["walks"],
                          pool_size=report["pool_size"])
        rank = report["best_rank"]
        improved_best = False
        if improved is not None and rank < min(best["rank"], held.get("rank", best["rank"])):
            held.update(F=improved.copy(), rank=rank, worker=w)
        elif improved is not None and rank == best["rank"] and verifying.due():
            accept(w, improved, rank)
        if held and (verifying.due() or held["rank"] <= settings.target_rank):
            improved_best = accept(held.pop("worker"), held.pop("F"), held.pop("rank"))
        now = time.perf_counter()
        if improved_best or now - clock["published"] >= 0.5:
            clock["published"] = now
            publish()
        if checkpoint_path and (improved_best or now - clock["saved"] >= checkpoint_every):
            save_checkpoint()
        return best["rank"] <= settings.target_rank

    # one level behind, a worker takes the lower level after half the flips after which it
    # would go back a level or start over
    patience = min([f for f in (settings.stall_flips, settings.reset_flips) if f], default=0)
    board = Board(settings.ring, settings.pool_size, patience // 2)
    share = board.offer if settings.share and settings.workers > 1 else None
    time_limit = None if settings.time_limit is None else max(0.0, settings.time_limit - elapsed0)
    interrupted = False
    try:
        if resume:
            publish(resumed=backend)
        executor.run(walkers, time_limit, on_report,
                     on_state if checkpoint_path else None, checkpoint_every,
                     **({"share": share} if share else {}))   # older executors take no share
    except KeyboardInterrupt:
        interrupted = True          # Ctrl-C: stop cleanly, keep the best scheme seen
    finally:
        if held:
            accept(held.pop("worker"), held.pop("F"), held.pop("rank"))
        publish(final=True, backend=executor.describe())
        if log:
            log.close()
        if checkpoint_path:
            save_checkpoint()
    return SearchResult(scheme=best["scheme"], rank=best["rank"],
                        reached_target=best["rank"] <= settings.target_rank, elapsed=now_elapsed(),
                        flips=sum(w["flips"] for w in workers),
                        walks=sum(w["walks"] for w in workers), workers=workers,
                        interrupted=interrupted)


def _begin(settings: SearchSettings, resume: Checkpoint | None):
    """The workers' strategies, the best scheme so far ({"F", "rank", "scheme"}, verified) and
    the seconds already searched: fresh from the start scheme, or from the checkpoint."""
    if resume is None:
        start = settings.start if settings.start is not None else standard(settings.target)
        start = start.over(settings.ring)
        if not verify(start):
            raise FlipgraphError(f"the start scheme is not valid over {settings.ring}")
        F0 = pack(start, settings.ring, start.rank + PLUS_HEADROOM + 1)
        return strategies(settings, F0, start.rank), {"F": F0, "rank": start.rank, "scheme": start}, 0.0
    if len(resume.states) != settings.workers:
        raise FlipgraphError(f"the checkpoint holds {len(resume.states)} workers, the settings "
                             f"ask for {settings.workers}")
    scheme = unpack(resume.best, resume.best_rank, settings.target, settings.ring)
    if not verify(scheme):
        raise FlipgraphError("the checkpoint's best scheme does not verify; not resuming")
    return ([PoolStrategy.from_state(state) for state in resume.states],
            {"F": resume.best, "rank": resume.best_rank, "scheme": scheme}, resume.elapsed)
