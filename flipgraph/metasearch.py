"""Meta search: flip-graph walks on many matmul formats at once, fed by meta moves (issue 16).

Every format of the run keeps its own pool strategy (:class:`~flipgraph.walks.PoolStrategy`) in
the walk ring. The run goes in rounds: first meta moves (:mod:`flipgraph.meta`) make candidate
schemes from the best schemes of the other formats (those of the run, the database's, and the
standard schemes of formats with a 1 in them) — product (ranks multiply), merge (ranks add),
extend (rank + the naive new products), project (rank at most the larger one's) — and a
format's walk starts over from a candidate below its level; then every format still short of its
goal walks for a slice (``workers`` processes share the formats); then each new best is verified,
lifted when asked (``lift_to``), and saved when it beats what the database holds for its format in
its ring (:func:`flipgraph.pipeline.save_if_better`). A format is done at its goal rank: the best
known rank over Z (:mod:`flipgraph.db.best_known`), for a scheme valid over Z (ZT, or lifted; a
ZT walk wants a ZT scheme, and takes a Z scheme with coefficients ±2 through its ternary form,
:mod:`flipgraph.ternary`).

    >>> settings = MetaSettings(meta_formats("2x2x2,2x2x4"), lift_to="z")   # doctest: +SKIP
    >>> database = default_database("/tmp/x.h5", catalogue=False)          # doctest: +SKIP
    >>> result = run_meta_search(settings, database)                        # doctest: +SKIP
    >>> result.complete, result.ranks_z                                     # doctest: +SKIP
    (True, {(2, 2, 2): 7, (2, 2, 4): 14})

``result.done`` holds the seconds to each goal.
"""
from __future__ import annotations

import itertools
import multiprocessing as mp
import re
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import meta
from .db.best_known import best_known
from .errors import FlipgraphError, SchemeError
from .lift import lift
from .pipeline import save_if_better
from .scheme import Scheme, standard
from .walks.packing import check_packable, factor_words, pack, unpack
from .walks.pool import PLUS_HEADROOM, PoolStrategy
from .walks.runner import SUPPORTED_RINGS, search_defaults, worker_seed
from .walks.walker import warm_up
from .tensors import matmul
from .ternary import outside, ternary_form
from .verify import verify

Format = tuple[int, int, int]
#: Largest dimension ``--meta`` accepts (the walk kernel's limits are checked per format too).
MAX_DIM = 8
#: Seconds at most for the ternary form of one Z scheme (:func:`flipgraph.ternary.ternary_form`).
TERNARY_SECONDS = 10.0


def meta_formats(spec: str) -> list[Format]:
    """The formats of ``--meta``: ``A..B`` (every n ≤ m ≤ p with A ≤ n and p ≤ B) or a comma list
    of formats (``2x2x3,3x3x3``; each sorted, duplicates dropped), smallest first."""
    spec = spec.strip()
    span = re.fullmatch(r"(\d+)\.\.(\d+)", spec)
    if span:
        low, high = int(span[1]), int(span[2])
        if not 1 <= low <= high <= MAX_DIM:
            raise FlipgraphError(f"--meta {spec}: give A..B with 1 <= A <= B <= {MAX_DIM}")
        found = list(itertools.combinations_with_replacement(range(low, high + 1), 3))
    else:
        found = []
        for part in spec.split(","):
            dims = re.fullmatch(r"\s*(\d+)x(\d+)x(\d+)\s*", part)
            if not dims or not all(1 <= int(d) <= MAX_DIM for d in dims.groups()):
                raise FlipgraphError(f"--meta {spec}: {part.strip()!r} is not a format like 2x3x3 "
                                     f"(dimensions 1..{MAX_DIM}), nor is the whole a span A..B")
            found.append(tuple(sorted(int(d) for d in dims.groups())))
    return sorted(set(found), key=lambda f: (np.prod(f), f))


@dataclass
class MetaSettings:
    """A meta search: ``formats`` (sorted triples), walk ``ring`` (z2, z3 or zt), ``lift_to``
    ("z", or None: keep the walk ring), ``slice`` seconds of walking per format and round;
    ``from_scratch``: the database's schemes are not starts (it still decides what is saved)."""

    formats: list[Format]
    ring: str = "z2"
    workers: int = 1
    time_limit: float = 60.0
    seed: int = 0
    lift_to: str | None = None
    slice: float = 1.0
    from_scratch: bool = False      # start from the standard schemes, not the database's

    def check(self) -> None:
        if self.ring not in SUPPORTED_RINGS:
            raise FlipgraphError(f"no search over ring {self.ring!r}; "
                                 f"supported: {', '.join(SUPPORTED_RINGS)}")
        if self.workers < 1 or not self.time_limit > 0 or not self.slice > 0:
            raise FlipgraphError("workers, time limit and slice must be positive")
        for fmt in self.formats:
            check_packable(matmul(*fmt), self.ring)


@dataclass
class MetaResult:
    """What a meta search reached: per format the best rank valid over Z (``ranks_z``) and in the
    walk ring (``ranks``), the goal (best known over Z; None: none known), when each goal was met
    (``done``: seconds), how many schemes were saved, and the seconds spent."""

    ranks: dict[Format, int] = field(default_factory=dict)
    ranks_z: dict[Format, int | None] = field(default_factory=dict)
    goals: dict[Format, int | None] = field(default_factory=dict)
    done: dict[Format, float] = field(default_factory=dict)
    saved: int = 0
    elapsed: float = 0.0

    @property
    def complete(self) -> bool:
        return all(f in self.done for f, goal in self.goals.items() if goal is not None)


class _Format:
    """One format's state in the run: its walk, its best schemes (walk ring, and valid over Z)."""

    def __init__(self, fmt: Format, goal: int | None, settings: MetaSettings, index: int):
        self.fmt, self.goal, self.settings, self.index = fmt, goal, settings, index
        self.restarts = 0
        self.best: Scheme | None = None          # lowest rank in the walk ring
        self.best_z: Scheme | None = None        # lowest rank valid over Z (ZT or Z)
        self.ternary: Scheme | None = None       # lowest rank over ZT
        self.walks: list[PoolStrategy] = []     # one or more (when workers outnumber formats)
        self.origin: Scheme | None = None        # where the walks started
        self.lifted: set[tuple[int, int]] = set()  # (restarts, walk) whose best was lifted
        self.made: dict = {}          # (over_z, perm, move) -> (inputs, result) of meta moves

    def start(self, scheme: Scheme) -> None:
        """Walk from ``scheme`` (read in the walk ring) towards the goal, with fresh seeds."""
        scheme = scheme.over(self.settings.ring)
        if self.goal is not None and scheme.rank <= self.goal:
            scheme = standard(*self.fmt).over(self.settings.ring)   # at the goal, not over Z
        self.origin = scheme
        self.restarts += 1
        count = max(1, len(self.walks))
        self.walks = []
        self.widen(count)

    def widen(self, count: int) -> None:
        """Walk ``count`` independent walks from the origin (more when formats are done)."""
        ring, scheme = self.settings.ring, self.origin
        while len(self.walks) < count:
            seed = worker_seed(self.settings.seed, 10**6 * self.index + 1000 * self.restarts
                               + len(self.walks))
            self.walks.append(PoolStrategy(
                pack(scheme, ring, scheme.rank + PLUS_HEADROOM + 1), scheme.rank, self.goal or 0,
                seed=seed, ring=ring, **search_defaults(matmul(*self.fmt), ring)))

    def offers(self, scheme: Scheme) -> tuple[bool, bool]:
        """Whether ``scheme`` (of this format) beats the run's best in the walk ring (where it can
        be read: a Z scheme with a 2 is no ZT walk's start) / over Z."""
        in_ring = (self.best is None or scheme.rank < self.best.rank) \
            and _readable(scheme, self.settings.ring)
        over_z = scheme.ring.name in ("zt", "z") and (self.best_z is None
                                                      or scheme.rank < self.best_z.rank)
        return in_ring, over_z

    @property
    def finished(self) -> bool:
        """At the goal with a scheme valid over Z; a ZT walk or a lift to ZT wants a ZT one (a
        stored Z scheme with a 2 at the goal does not end it)."""
        done = self.ternary if "zt" in (self.settings.ring, self.settings.lift_to) else self.best_z
        return self.goal is not None and done is not None and done.rank <= self.goal


def _readable(scheme: Scheme, ring: str) -> bool:
    """Whether ``scheme``'s coefficients belong to ``ring`` (reduced mod p for z2/z3)."""
    try:
        scheme.over(ring)
    except SchemeError:
        return False
    return True


def _walk(job: tuple[dict, float]) -> dict:
    """A process pool task: continue a saved strategy for some seconds; its new state."""
    state, seconds = job
    strategy = PoolStrategy.from_state(state)
    strategy.run(seconds)
    return strategy.state()


def run_meta_search(settings: MetaSettings, database, *,
                    on_event: Callable[[str], None] | None = None) -> MetaResult:
    """Run the meta search ``settings``; improvements are saved into ``database`` (a
    :class:`flipgraph.db.Database`) with their provenance; ``on_event`` gets a line per event."""
    settings.check()
    for words in {factor_words(f, settings.ring) for f in settings.formats}:
        warm_up(words, settings.ring)        # compiled before the clock; workers fork after
    say = on_event or (lambda line: None)
    table = best_known()
    formats = {}
    for index, fmt in enumerate(settings.formats):
        record = table.best(fmt, "z")
        formats[fmt] = _Format(fmt, record.rank if record else None, settings, index)
    result = MetaResult(goals={f: s.goal for f, s in formats.items()})
    t0 = time.perf_counter()
    clock = lambda: time.perf_counter() - t0                          # noqa: E731

    wants_ternary = "zt" in (settings.ring, settings.lift_to)
    tried_ternary: set[str] = set()

    def offer(state: _Format, scheme: Scheme, how: str) -> None:
        """Take ``scheme`` (verified) as a best of its format where it is one; save it. For a ZT
        goal, a Z scheme with coefficients ±2 that would be the lowest ternary one is also
        offered as its ternary form when one is found (each scheme tried once)."""
        if (wants_ternary and scheme.ring.name == "z" and outside(scheme)
                and (state.ternary is None or scheme.rank < state.ternary.rank)):
            key = scheme.canonical_hash()
            if key not in tried_ternary:
                tried_ternary.add(key)
                found = ternary_form(scheme, seed=settings.seed, time_limit=TERNARY_SECONDS)
                if found is not None:
                    offer(state, found, f"{how}, ternary form")
        in_ring, over_z = state.offers(scheme)
        ternary = not scheme.ring.modulus and _readable(scheme, "zt") \
            and (state.ternary is None or scheme.rank < state.ternary.rank)
        if not (in_ring or over_z or ternary):
            return
        if in_ring:
            state.best = scheme.over(settings.ring) if scheme.ring.name != settings.ring else scheme
        if over_z:
            state.best_z = scheme
        if ternary:
            state.ternary = scheme.over("zt")
        provenance = {"source": "flipgraph search --meta", "how": how, "ring": settings.ring,
                      "seed": settings.seed, "seconds": round(clock(), 3)}
        for kept in {id(s): s for s in (scheme, state.best)}.values():
            if save_if_better(database, kept, provenance):
                result.saved += 1
        say(f"{clock():7.2f} s  {scheme.format_str} rank {scheme.rank} over {scheme.ring} ({how})")
        if state.finished and state.fmt not in result.done:
            result.done[state.fmt] = clock()
            say(f"{clock():7.2f} s  {scheme.format_str}: goal {state.goal} reached over "
                f"{'ZT' if 'zt' in (settings.ring, settings.lift_to) else 'Z'}")

    for fmt, state in formats.items():
        offer(state, standard(*fmt).over("zt"), "standard")
        for ring in ((settings.ring, "z") if not settings.from_scratch else ()):
            held = database.best(*fmt, ring=ring)
            if held is not None:
                offer(state, held[0].to_format(*fmt), "database")
    ctx = mp.get_context("fork")
    with ctx.Pool(settings.workers) as workers:
        while clock() < settings.time_limit:
            open_ = [s for s in formats.values() if not s.finished]
            if not open_:
                break
            for state in open_:                               # meta moves
                for scheme, how in _candidates(state.fmt, formats):
                    offer(state, scheme, how)
                if not state.walks or state.best.rank < min(w.level for w in state.walks):
                    state.start(state.best)                   # walk from the best
                elif any(w.done for w in state.walks):        # at the goal, not lifted: again
                    state.start(state.origin)
            open_ = [s for s in open_ if not s.finished]
            for state in open_:
                state.widen(max(1, settings.workers // max(1, len(open_))))
            seconds = min(settings.slice, max(0.05, settings.time_limit - clock()))
            jobs = [(state, w) for state in open_ for w in range(len(state.walks))]
            states = workers.map(_walk, [(s.walks[w].state(), seconds) for s, w in jobs])
            for (state, w), saved in zip(jobs, states):
                state.walks[w] = PoolStrategy.from_state(saved)
                _collect(state, w, settings, offer)
    result.elapsed = clock()
    result.ranks = {f: s.best.rank for f, s in formats.items()}
    result.ranks_z = {f: s.best_z.rank if s.best_z else None for f, s in formats.items()}
    return result


def _collect(state: _Format, w: int, settings: MetaSettings, offer) -> None:
    """Offer walk ``w``'s best when it is new, lifted when asked: once per walk at the goal (the
    walks restart when its scheme does not lift), or at every new best when there is no goal."""
    walk = state.walks[w]
    rank = walk.best_rank
    at_goal = state.goal is not None and rank <= state.goal and not state.finished
    new = rank < state.best.rank
    if not (new or at_goal and (state.restarts, w) not in state.lifted):
        return
    found = unpack(walk.best, rank, matmul(*state.fmt), settings.ring)
    if not verify(found):
        raise RuntimeError(f"internal error: an invalid {found.format_str} walk")
    offer(state, found, "flips")
    if settings.lift_to and settings.ring in ("z2", "z3") and (at_goal or state.goal is None):
        state.lifted.add((state.restarts, w))
        lifted = lift(found, to=settings.lift_to, ternary_seconds=TERNARY_SECONDS)
        if lifted.ok:
            offer(state, lifted.scheme, f"flips, lifted to {lifted.ring}")


def _candidates(fmt: Format, formats: dict[Format, _Format]):
    """(scheme, how) from meta moves for ``fmt`` whose rank beats the run's best for it, lowest
    first, over Z where the inputs are (ZT schemes, lifted) and in the walk ring otherwise."""
    state = formats[fmt]

    def best_of(other: Format, over_z: bool) -> Scheme | None:
        key = tuple(sorted(other))
        if 1 in key:
            return standard(*key).over("zt")       # n·m·p products is optimal with a 1
        held = formats.get(key)
        if held is None:
            return None
        return held.best_z if over_z else held.best

    def bar(over_z: bool) -> int:
        held = state.best_z if over_z else state.best
        return held.rank if held is not None else 10**9

    found = []
    for over_z in (True, False):
        for perm in sorted(set(itertools.permutations(fmt))):
            for move in _moves(perm):
                inputs = [best_of(f, over_z) for f in move[1]]
                if any(s is None for s in inputs):
                    continue
                bound = move[2]([s.rank for s in inputs])
                if bound >= bar(over_z):
                    continue
                made = state.made.get((over_z, perm, move[0]))
                if made is None or any(x is not y for x, y in zip(made[0], inputs)):
                    made = (inputs, move[3]([s.to_format(*f) for s, f in zip(inputs, move[1])]))
                    state.made[(over_z, perm, move[0])] = made   # built again when an input changes
                scheme = made[1]
                if scheme.rank < bar(over_z):
                    found.append((scheme.to_format(*fmt), f"{move[0]}"))
    found.sort(key=lambda c: c[0].rank)
    return found[:2]


def _moves(perm: Format):
    """The meta moves that make the format ``perm``: (name, input formats, rank bound from the
    inputs' ranks, build from the inputs moved to those formats). A projection has no useful
    bound (it drops the terms the row or column held), so it is built (0) unless its input has
    the standard rank n·m·p."""
    n = list(perm)
    label = lambda f: "x".join(map(str, f))                          # noqa: E731
    for dim in range(3):
        for part in range(1, n[dim] // 2 + 1):                        # merge along dim
            a, b = n.copy(), n.copy()
            a[dim], b[dim] = part, n[dim] - part
            yield (f"merge {label(a)} + {label(b)}", (tuple(a), tuple(b)), sum,
                   lambda s, d=dim: meta.merge(s[0], s[1], d))
        if n[dim] > 1:                                                # extend along dim
            a = n.copy()
            a[dim] -= 1
            extra = int(np.prod(n)) // n[dim]
            yield (f"extend {label(a)}", (tuple(a),), lambda r, e=extra: r[0] + e,
                   lambda s, d=dim: meta.extend(s[0], d))
        if n[dim] < MAX_DIM:                                          # project along dim
            a = n.copy()
            a[dim] += 1
            full = int(np.prod(a))             # a standard scheme projects to a standard one
            for index in range(a[dim]):        # which row/column goes matters (3x5x4: 50 to 61)
                yield (f"project {label(a)} index {index}", (tuple(a),),
                       lambda r, full=full: r[0] if r[0] >= full else 0,
                       lambda s, d=dim, i=index: meta.project(s[0], d, i))
    for a in itertools.product(*(_divisors(d) for d in n)):          # product
        b = tuple(d // x for d, x in zip(n, a))
        if 1 < np.prod(a) and 1 < np.prod(b):
            yield (f"product {label(a)} * {label(b)}", (a, b), lambda r: r[0] * r[1],
                   lambda s: meta.product(s[0], s[1]))


def _divisors(d: int) -> list[int]:
    return [x for x in range(1, d + 1) if d % x == 0]
