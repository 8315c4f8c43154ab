"""One walker's search: the pool strategy over packed schemes (DESIGN §3), single process.

Keep up to ``pool_size`` distinct schemes of the current rank r; repeatedly pull one at random and
walk from it (at most ``path_limit`` moves, plus transitions after ``plus_after`` quiet flips) until
a walk reaches rank r − 1; when the next pool is full (or the level's attempt budget is spent
and at least one scheme was found) the search moves down a level. ``pool_size=1`` is the plain
walk with restarts from the last scheme reached.

A level can be a dead end (times to a rank are heavy-tailed): after ``stall_flips`` flips at one
level without a scheme one rank lower, the strategy goes back to the pool it kept of the level
above (the pools of the last :data:`KEPT_LEVELS` levels are kept) and comes down again through
fresh schemes. Several workers share their finds: :meth:`PoolStrategy.adopt` hands a stalled
worker the schemes another worker reached (the runner decides when, see
:class:`~flipgraph.walks.runner.Board`).

Everything here is deterministic for a given seed: the walk generator's state and the pool
choices come from one seeded stream, so a trajectory depends only on (seed, number of walks).
:meth:`PoolStrategy.state` captures the whole strategy as plain data and
:meth:`PoolStrategy.from_state` continues it exactly where it was.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from .walker import Walker

#: Extra rank a plus transition may add above the level being searched.
PLUS_HEADROOM = 4
#: With windows (large formats, :mod:`flipgraph.walks.windows`): the share of walks on one window,
#: and their move budget (a window is small: a long walk on it only wanders).
WINDOW_SHARE = 0.97
WINDOW_MOVES = 1_000_000

#: How many levels above the current one keep their pools (to go back to when stalled).
KEPT_LEVELS = 3

_COUNTERS = ("flips", "plus", "walks", "restarts", "walks_at_level", "flips_at_start",
             "flips_at_level", "stalls", "adoptions", "window_misses")


def canonical_key(F: np.ndarray, rank: int, ring: str = "z2") -> bytes:
    """Bytes identifying the packed scheme (all words) up to term order and, over Z3/ZT, the signs
    of each term's factors (a and b made sign-normal, c takes the signs)."""
    terms = F[:, :rank].copy()
    if ring != "z2":
        swap = np.arange(F.shape[2]) ^ 1                   # word w of −x is word w ^ 1 of x
        for mode in (0, 1):
            plus, minus = terms[mode][:, 0::2], terms[mode][:, 1::2]
            both = plus | minus
            lowest = both & (~both + np.uint64(1))
            first = np.argmax(both != 0, axis=1)           # the word holding the lowest entry
            flip = (minus & lowest)[np.arange(rank), first] != 0
            for target in (mode, 2):
                terms[target][flip] = terms[target][flip][:, swap]
    order = np.lexsort(terms.transpose(1, 0, 2).reshape(rank, 3 * F.shape[2]).T[::-1])
    return terms[:, order].tobytes()


class PoolStrategy:
    """The pool search from the packed scheme (F0, rank0) down to ``target_rank``.

    ``reset_flips`` > 0: after that many flips since the last start, the search starts over from
    (F0, rank0) with the same generator stream (the best scheme is kept): times to a rank are
    heavy-tailed, so fresh starts beat waiting on a bad draw. When walks have reached a lower
    level since (its pool not yet full), the search goes down to it instead, and the count starts
    again. The capacity of F0 bounds plus transitions (at most ``PLUS_HEADROOM`` above the
    level). ``stall_flips`` > 0: go back a level after that many flips at one level without a
    find (see the module docstring). ``windows`` (uint64[count, 3, K], from
    :func:`flipgraph.walks.windows.block_windows`): a share ``WINDOW_SHARE`` of the walks moves
    only the terms inside one of them, drawn at random; ``window_patience`` > 0: after that many
    window walks in a row without a reduction, only whole walks until the next start over (the
    blocks are then reduced as far as walks inside them go)."""

    def __init__(self, F0: np.ndarray, rank0: int, target_rank: int, *, pool_size: int,
                 path_limit: int, plus_after: int, seed: int, ring: str = "z2",
                 reset_flips: int = 0, stall_flips: int = 0, windows: np.ndarray | None = None,
                 window_patience: int = 0):
        self._gen = np.random.Generator(np.random.PCG64(seed))
        self.walker = Walker(ring, int(self._gen.integers(1, 2**63)))
        self.ring, self.target_rank = ring, target_rank
        self.pool_size, self.path_limit, self.plus_after = pool_size, path_limit, plus_after
        self.reset_flips, self.stall_flips = reset_flips, stall_flips
        self.windows, self.window_patience = windows, window_patience
        self.start, self.start_rank = F0.copy(), rank0
        self.level = rank0
        self.pool = [F0.copy()]
        self.next_pool: dict[bytes, tuple[np.ndarray, int]] = {}
        self.kept: dict[int, list[np.ndarray]] = {}        # level -> its pool, levels passed
        self.best, self.best_rank = F0.copy(), rank0
        self.flips = self.plus = self.walks = self.restarts = 0
        self.walks_at_level = self.flips_at_start = self.flips_at_level = 0
        self.stalls = self.adoptions = self.window_misses = 0
        self.elapsed = 0.0

    @property
    def done(self) -> bool:
        return self.level <= self.target_rank

    def step(self) -> np.ndarray | None:
        """One walk from a random pool member; returns the new best scheme's packed terms when
        it beats the best so far, else None."""
        if self.reset_flips and self.flips - self.flips_at_start > self.reset_flips:
            if self.next_pool:             # a lower level was reached: go there, not back
                self._descend()
            else:
                self._enter([self.start.copy()], self.start_rank, keep=False)
                self.kept = {}
                self.restarts += 1
                self.window_misses = 0
            self.flips_at_start = self.flips
        elif (self.stall_flips and not self.next_pool and self.kept
              and self.flips - self.flips_at_level > self.stall_flips):
            above = min(self.kept)                 # the nearest level kept (a walk or an
            self._enter(self.kept.pop(above), above, keep=False)    # adoption may skip one)
            self.stalls += 1
        level = self.level
        F = self.pool[int(self._gen.integers(len(self.pool)))].copy()
        limits = dict(target_rank=level - 1, plus_after=self.plus_after,
                      max_rank=min(level + PLUS_HEADROOM, F.shape[1]))
        windowed = (self.windows is not None
                    and not 0 < self.window_patience <= self.window_misses
                    and self._gen.random() < WINDOW_SHARE)
        if windowed:
            window = self.windows[int(self._gen.integers(len(self.windows)))]
            walked = self.walker.walk_window(F, level, window, **limits,
                                             max_moves=min(self.path_limit, WINDOW_MOVES))
            self.window_misses = 0 if walked.rank < level else self.window_misses + 1
        else:
            walked = self.walker.walk(F, level, max_moves=self.path_limit, **limits)
        self.flips += walked.flips
        self.plus += walked.plus
        self.walks += 1
        self.walks_at_level += 1
        improved = None
        rank = walked.rank
        F[:, rank:] = 0                        # the kernel leaves dead terms behind
        if rank < level:
            self.next_pool.setdefault(canonical_key(F, rank, self.ring), (F, rank))
            if rank < self.best_rank:
                self.best, self.best_rank = F.copy(), rank
                improved = self.best
        # move down when the next pool is full, or when a level's budget is spent with some found
        if self.next_pool and (len(self.next_pool) >= self.pool_size
                               or self.walks_at_level >= 4 * self.pool_size):
            self._descend()
        return improved

    def _descend(self) -> None:
        """Search from the lowest schemes found below the current level."""
        lowest = min(r for _, r in self.next_pool.values())
        self._enter([Fn for Fn, r in self.next_pool.values() if r == lowest], lowest)

    def _enter(self, pool: list[np.ndarray], level: int, keep: bool = True) -> None:
        """Search from ``pool`` at ``level`` now; ``keep``: keep the current level's pool."""
        if keep:
            self.kept[self.level] = self.pool
            for old in sorted(self.kept)[KEPT_LEVELS:]:
                del self.kept[old]
        self.kept = {r: P for r, P in self.kept.items() if r > level}
        self.pool, self.level, self.next_pool = pool, level, {}
        self.walks_at_level, self.flips_at_level = 0, self.flips

    def adopt(self, level: int, schemes: list[np.ndarray]) -> bool:
        """Take ``schemes`` (packed, of rank ``level``, found by another worker) as the pool
        when ``level`` is below the current level; True when taken. The best follows."""
        if level >= self.level or not schemes:
            return False
        self._enter([np.array(F, np.uint64) for F in schemes[:self.pool_size]], level)
        if level < self.best_rank:
            self.best, self.best_rank = self.pool[0].copy(), level
        self.adoptions += 1
        return True

    def run(self, time_limit: float | None = None,
            progress: Callable[[dict, np.ndarray | None], bool] | None = None,
            report_every: float = 0.5) -> bool:
        """Step until done or ``time_limit`` seconds. ``progress(report, improved)`` is called at
        least every ``report_every`` seconds and after every new best (then ``improved`` is its
        packed terms, else None); returning True stops the run. Returns True when stopped so."""
        start = time.perf_counter()
        base = self.elapsed
        last_report = start
        while not self.done:
            now = time.perf_counter()
            if time_limit is not None and now - start > time_limit:
                break
            improved = self.step()
            now = time.perf_counter()
            self.elapsed = base + now - start
            if progress and (improved is not None or now - last_report >= report_every):
                last_report = now
                if progress(self.report(), improved):
                    return True
        self.elapsed = base + time.perf_counter() - start
        return False

    def report(self) -> dict:
        """Progress counters as a plain dict (what the runner shows and logs)."""
        return dict(rank=self.level, best_rank=self.best_rank, flips=self.flips, plus=self.plus,
                    walks=self.walks, restarts=self.restarts, pool_size=len(self.pool),
                    next_pool_size=len(self.next_pool), elapsed=self.elapsed,
                    level_flips=self.flips - self.flips_at_level, stalls=self.stalls,
                    adoptions=self.adoptions)

    # ---------------------------------------------------------------- save and restore
    def state(self) -> dict:
        """The whole strategy as plain data (arrays, ints, floats, lists); see :meth:`from_state`."""
        cap = self.start.shape[1]
        nexts = list(self.next_pool.values())
        kept = [F for r in sorted(self.kept) for F in self.kept[r]]
        bits = self._gen.bit_generator.state
        return dict(
            ring=self.ring, target_rank=self.target_rank, pool_size=self.pool_size,
            path_limit=self.path_limit, plus_after=self.plus_after, reset_flips=self.reset_flips,
            stall_flips=self.stall_flips, windows=self.windows,
            window_patience=self.window_patience,
            start=self.start.copy(), start_rank=self.start_rank, level=self.level,
            pool=np.stack(self.pool),
            next_pool=np.stack([F for F, _ in nexts]) if nexts else np.zeros((0, 3, cap), np.uint64),
            next_ranks=[r for _, r in nexts],
            kept=np.stack(kept) if kept else np.zeros((0, *self.start.shape), np.uint64),
            kept_levels=[r for r in sorted(self.kept) for _ in self.kept[r]],
            best=self.best.copy(), best_rank=self.best_rank,
            **{name: getattr(self, name) for name in _COUNTERS},
            elapsed=self.elapsed,
            generator=[bits["state"]["state"], bits["state"]["inc"], bits["has_uint32"],
                       bits["uinteger"]],
            rng_state=self.walker.rng_state)

    @classmethod
    def from_state(cls, data: dict) -> PoolStrategy:
        """The strategy saved by :meth:`state`; it continues exactly as the saved one would."""
        self = cls(np.asarray(data["start"], np.uint64), int(data["start_rank"]),
                   int(data["target_rank"]), pool_size=int(data["pool_size"]),
                   path_limit=int(data["path_limit"]), plus_after=int(data["plus_after"]),
                   seed=0, ring=data["ring"], reset_flips=int(data["reset_flips"]),
                   stall_flips=int(data.get("stall_flips", 0)),
                   windows=None if data.get("windows") is None
                   else np.asarray(data["windows"], np.uint64),
                   window_patience=int(data.get("window_patience", 0)))
        state, inc, has_uint32, uinteger = (int(x) for x in data["generator"])
        self._gen.bit_generator.state = {"bit_generator": "PCG64",
                                         "state": {"state": state, "inc": inc},
                                         "has_uint32": has_uint32, "uinteger": uinteger}
        self.walker.rng_state = int(data["rng_state"])
        self.level = int(data["level"])
        self.pool = [np.array(F, np.uint64) for F in data["pool"]]
        self.next_pool = {}
        for F, r in zip(data["next_pool"], data["next_ranks"]):
            F = np.array(F, np.uint64)
            self.next_pool[canonical_key(F, int(r), self.ring)] = (F, int(r))
        self.kept = {}
        for F, r in zip(data.get("kept", []), data.get("kept_levels", [])):
            self.kept.setdefault(int(r), []).append(np.array(F, np.uint64))
        self.best, self.best_rank = np.array(data["best"], np.uint64), int(data["best_rank"])
        for name in _COUNTERS:
            setattr(self, name, int(data.get(name, 0)))     # checkpoints before stalls: 0
        self.elapsed = float(data["elapsed"])
        return self
