"""C3-symmetric schemes of square formats n×n×n and the walk that keeps them symmetric
(Moosbauer & Poole, "Flip graphs with symmetry and new matrix multiplication schemes", 2025).

Convention. tr(ABC) = tr(BCA): in the *trace form* Σ_ijk a_ij·b_jk·c_ki of the n×n×n tensor the
cyclic shift (x, y, z) -> (y, z, x) of a term's three n×n factors is a symmetry. The project's
layout does not transpose C (DESIGN §1): a term (u, v, w) (rows of U, V, W as n×n matrices) is the
trace-form term (u, v, wᵀ). So here the symmetry reads

    σ(u, v, w) = (v, wᵀ, uᵀ),   σ²(u, v, w) = (wᵀ, u, vᵀ),   σ³ = id,

and its fixed terms, the *cubes*, are (a, a, aᵀ). A C3-symmetric scheme is a list of *orbits*,
trace-form triples (x, y, z) expanding to the terms (x, y, zᵀ), (y, z, xᵀ), (z, x, yᵀ), plus
cubes a expanding to (a, a, aᵀ): rank = 3·orbits + cubes. :func:`expand` makes the ordinary
:class:`~flipgraph.scheme.Scheme` (what is verified and saved); :func:`from_scheme` reads one back.

The walk (:mod:`._symmetric`) flips orbits and keeps the cubes fixed, so the rank stays ≡ cubes
(mod 3). The standard start (:func:`standard_c3`) takes one cube per group of diagonal entries
(``cubes``: a partition of 0..n-1), e.g. 5x5x5 with groups {0,4}, {1,3}, {2} (Moosbauer–Poole's
run for rank 93 = 3·30 + 3).

    >>> from flipgraph import verify
    >>> sym = standard_c3(3, [[0, 2], [1]], "z2")
    >>> (sym.rank, bool(verify(expand(sym))))
    (32, True)
"""
from __future__ import annotations

import itertools
import json
import multiprocessing
import queue
import time
from dataclasses import dataclass

import numpy as np

from ..errors import FlipgraphError
from ..scheme import Scheme
from ..tensors import matmul
from ..verify import verify
from . import _symmetric
from ._kernel import RING_Z2, RING_Z3, RING_ZT
from .pool import PLUS_HEADROOM
from .runner import SearchResult, publish_record, worker_seed

RINGS = {"z2": RING_Z2, "z3": RING_Z3, "zt": RING_ZT}
#: Cube groups (partitions of the diagonal) of Moosbauer–Poole's runs for the best known ranks
#: 2:7, 3:23, 4:49, 5:93, 6:153 (their code's run cases and r5-93 / r6-153 files).
CUBES = {2: [[0, 1]], 3: [[1], [0, 2]], 4: [[0, 1, 2, 3]], 5: [[0, 4], [1, 3], [2]],
         6: [[0, 1], [2, 3], [4, 5]]}
#: Default pool size per ring; plus transitions after PLUS_AFTER[n] quiet orbit flips (their
#: PLUS_TRANSITION_AFTER / 3), times 3 over Z3/ZT.
POOL_SIZE = {"z2": 4, "z3": 1, "zt": 1}
PLUS_AFTER = {2: 300, 3: 300, 4: 1000, 5: 16000, 6: 160000}


@dataclass
class SymmetricScheme:
    """``orbits``: int array (k, 3, n, n) of trace-form triples; ``cubes``: (c, n, n); entries
    in the ring's residues as for Scheme (z2: 0/1; z3: 0..2; zt: -1..1)."""

    orbits: np.ndarray
    cubes: np.ndarray
    ring: str

    @property
    def n(self) -> int:
        return self.cubes.shape[-1] if len(self.cubes) else self.orbits.shape[-1]

    @property
    def rank(self) -> int:
        return 3 * len(self.orbits) + len(self.cubes)


def check_square(target) -> int:
    """n for the matmul target n×n×n with n·n <= 64; FlipgraphError otherwise."""
    fmt = getattr(target, "format", None)
    if fmt is None or target != matmul(*fmt) or len(set(fmt)) != 1:
        raise FlipgraphError(f"--symmetry c3 needs a square matmul format like 4x4x4, not "
                             f"{target.label}")
    if fmt[0] > 8:
        raise FlipgraphError(f"--symmetry c3 handles n <= 8, not {target.label}")
    return fmt[0]


#: moves per symmetric walk when not given (the plain walk's large-format 3·10⁴ was not measured
#: here; the C3 figures in the README were taken with this)
PATH_LIMIT = 10_000_000


def fill_defaults(settings) -> None:
    """The symmetric walk's pool size, plus-transition spacing and path limit where ``settings``
    leave them unset (call before ``settings.check()``, which would fill the plain walk's)."""
    n = check_square(settings.target)
    if settings.pool_size is None:
        settings.pool_size = POOL_SIZE.get(settings.ring, 1)
    if settings.plus_after is None:
        settings.plus_after = PLUS_AFTER.get(n, 160000) * (1 if settings.ring == "z2" else 3)
    if settings.path_limit is None:
        settings.path_limit = PATH_LIMIT


def expand(sym: SymmetricScheme) -> Scheme:
    """The ordinary scheme: (x, y, zᵀ), (y, z, xᵀ), (z, x, yᵀ) per orbit, (a, a, aᵀ) per cube."""
    n = sym.n
    terms = []
    for x, y, z in sym.orbits:
        terms += [(x, y, z.T), (y, z, x.T), (z, x, y.T)]
    terms += [(a, a, a.T) for a in sym.cubes]
    U, V, W = (np.array([t[m].reshape(-1) for t in terms], dtype=np.int64).reshape(-1, n * n)
               for m in range(3))
    return Scheme(matmul(n, n, n), U, V, W, sym.ring)


def standard_c3(n: int, cubes, ring: str) -> SymmetricScheme:
    """The standard algorithm as a symmetric scheme: one orbit per rotation class of (i, j, k)
    not all equal, (E_ij, E_jk, E_ki); one cube x_g = Σ_{i∈g} E_ii per group g of ``cubes``,
    with orbits (−E_ii, E_jj, E_kk) cancelling the cross terms of x_g⊗x_g⊗x_g."""
    groups = [sorted(g) for g in cubes]
    if sorted(i for g in groups for i in g) != list(range(n)):
        raise FlipgraphError(f"cube groups {cubes} are not a partition of 0..{n - 1}")
    minus = {"z2": 1, "z3": 2}.get(ring, -1)           # −1 in the ring

    def unit(i, j, c=1):
        e = np.zeros((n, n), np.int64)
        e[i, j] = c
        return e

    def classes(triples):
        return sorted({min((t[r:] + t[:r]) for r in range(3)) for t in triples})

    orbits = [(unit(i, j), unit(j, k), unit(k, i))
              for i, j, k in classes(itertools.product(range(n), repeat=3)) if not i == j == k]
    for g in groups:
        orbits += [(unit(i, i, minus), unit(j, j), unit(k, k))
                   for i, j, k in classes(itertools.product(g, repeat=3)) if not i == j == k]
    diag = [np.diag(np.isin(np.arange(n), g).astype(np.int64)) for g in groups]
    return SymmetricScheme(np.array(orbits, np.int64).reshape(-1, 3, n, n),
                           np.array(diag, np.int64).reshape(-1, n, n), ring)


def default_cubes(n: int, target_rank: int = 0) -> list[list[int]]:
    """The cube groups of a standard start: :data:`CUBES` when their count fits the target rank
    (rank ≡ cubes mod 3), else the most groups k <= n with k ≡ target rank (mod 3): the outer
    n − k pairs {i, n−1−i} and singletons, or (k < n/2) k − 1 pairs and one group of the rest."""
    if n in CUBES and (not target_rank or (target_rank - len(CUBES[n])) % 3 == 0):
        return CUBES[n]
    k = max([k for k in range(1, n + 1) if k % 3 == target_rank % 3] or [n])
    pairs = [sorted({i, n - 1 - i}) for i in range((n + 1) // 2)]
    if k >= len(pairs):
        return sorted(pairs[:n - k] + [[i] for p in pairs[n - k:] for i in p])
    return pairs[:k - 1] + [sorted(i for p in pairs[k - 1:] for i in p)]


def _rank_one_key(u, v, w, ring: str) -> bytes:
    """Bytes of the rank-one tensor u⊗v⊗w up to moving signs between factors (the first nonzero
    entry of u and of v made +1, w takes the signs)."""
    u, v, w = (np.array(f, np.int64).reshape(-1) for f in (u, v, w))
    if ring != "z2":
        minus = 2 if ring == "z3" else -1
        for f in (u, v):
            nz = np.flatnonzero(f)
            if len(nz) and f[nz[0]] == minus:
                f[:], w = -f, -w
                if ring == "z3":
                    f %= 3
                    w %= 3
    return np.concatenate([u, v, w]).tobytes()


def from_scheme(scheme: Scheme) -> SymmetricScheme:
    """The orbits and cubes of a C3-symmetric scheme of n×n×n (see the module docstring);
    FlipgraphError when it is not symmetric."""
    n = check_square(scheme.target)
    ring = scheme.ring.name
    terms = [(scheme.U[q].reshape(n, n), scheme.V[q].reshape(n, n), scheme.W[q].reshape(n, n))
             for q in range(scheme.rank)]
    left: dict[bytes, list[int]] = {}
    for q, t in enumerate(terms):
        left.setdefault(_rank_one_key(*t, ring), []).append(q)
    orbits, cubes = [], []
    for q, (u, v, w) in enumerate(terms):
        key = _rank_one_key(u, v, w, ring)
        if q not in left.get(key, []):
            continue
        left[key].remove(q)
        images = [_rank_one_key(v, w.T, u.T, ring), _rank_one_key(w.T, u, v.T, ring)]
        if images[0] == key:                               # fixed by σ: ±(a, a, aᵀ)
            for a in (u, (-u) % 3 if ring == "z3" else -u):
                if _rank_one_key(a, a, a.T, ring) == key:
                    cubes.append(a)
                    break
            else:
                raise FlipgraphError("a term fixed by the C3 symmetry is not a cube (a, a, aᵀ)")
            continue
        for image in images:
            if not left.get(image):
                raise FlipgraphError("the scheme is not C3-symmetric: a term's cyclic image "
                                     "(v, wᵀ, uᵀ) is missing")
            left[image].pop()
        orbits.append((u, v, w.T))
    return SymmetricScheme(np.array(orbits, np.int64).reshape(-1, 3, n, n),
                           np.array(cubes, np.int64).reshape(-1, n, n), ring)


# -- packing: orbit slots 3o + j hold the j-th trace-form matrix of orbit o --------------------

def pack(orbits: np.ndarray, ring: str, capacity: int) -> tuple[np.ndarray, np.ndarray]:
    """(P, N): uint64[3·capacity], bit i·n+j of P (N) marks entry (i, j) equal to +1 (−1; z3: 2)."""
    flat = orbits.reshape(-1, orbits.shape[-1] ** 2)
    weights = np.left_shift(np.uint64(1), np.arange(flat.shape[1], dtype=np.uint64))
    P = np.zeros(3 * capacity, np.uint64)
    N = np.zeros(3 * capacity, np.uint64)
    minus = 2 if ring == "z3" else -1
    P[:len(flat)] = ((flat == 1) * weights).sum(axis=1, dtype=np.uint64)
    N[:len(flat)] = ((flat == minus) * weights).sum(axis=1, dtype=np.uint64)
    return P, N


def unpack(P: np.ndarray, N: np.ndarray, count: int, n: int, ring: str) -> np.ndarray:
    """Orbits (count, 3, n, n) from packed slots."""
    shifts = np.arange(n * n, dtype=np.uint64)
    plus = ((P[:3 * count, None] >> shifts) & np.uint64(1)).astype(np.int64)
    minus = ((N[:3 * count, None] >> shifts) & np.uint64(1)).astype(np.int64)
    vals = plus + (2 if ring == "z3" else -1) * minus
    return vals.reshape(count, 3, n, n)


def orbit_key(P: np.ndarray, N: np.ndarray, count: int) -> bytes:
    """Bytes identifying packed orbits up to their order and rotation (not signs)."""
    slots = np.stack([P[:3 * count], N[:3 * count]], axis=1).reshape(count, 3, 2)
    rots = [min(tuple(map(tuple, np.roll(o, -r, axis=0))) for r in range(3)) for o in slots]
    return json.dumps(sorted(map(str, rots))).encode()


# -- the search ---------------------------------------------------------------------------

def _walk(P, N, count, ring, target, max_moves, plus_after, max_orbits, rng):
    out = np.zeros(4, np.int64)
    bestP, bestN = np.zeros_like(P), np.zeros_like(N)
    final = _symmetric.walk(P, N, count, RINGS[ring], target, max_moves, plus_after, max_orbits,
                            rng, out, bestP, bestN)
    return final, out, bestP, bestN


def warm_up() -> None:
    """Compile (or load from numba's cache) the symmetric kernel before any clock starts."""
    for ring in ("z2", "zt"):
        sym = standard_c3(2, [[0, 1]], ring)
        P, N = pack(sym.orbits, ring, len(sym.orbits) + 1)
        _walk(P, N, len(sym.orbits), ring, 0, 10, 0, len(sym.orbits), np.ones(1, np.uint64))


class SymmetricStrategy:
    """One worker's pool search over orbits: pools of up to ``pool_size`` distinct schemes per
    orbit count; walks of at most ``path_limit`` moves from a pool member to one orbit fewer
    (plus transitions up to ``headroom`` orbits above the level). A level moves down when the
    next pool is full, or when its walk budget (8·pool_size walks) is spent with at least one
    scheme found; after 2·pool_size walks with none, the search starts afresh from the start
    scheme (Moosbauer–Poole's runs; the best is kept)."""

    def __init__(self, start: SymmetricScheme, target_orbits: int, *, pool_size: int,
                 path_limit: int, plus_after: int, seed: int, headroom: int = PLUS_HEADROOM):
        self.ring, self.n = start.ring, start.n
        self.target_orbits = target_orbits
        self.pool_size, self.path_limit, self.plus_after = pool_size, path_limit, plus_after
        self.gen = np.random.Generator(np.random.PCG64(seed))
        self.rng = np.array([int(self.gen.integers(1, 2**63))], np.uint64)
        count = len(start.orbits)
        self.headroom = headroom
        self.capacity = count + headroom + 1
        P, N = pack(start.orbits, self.ring, self.capacity)
        self.level = count
        self.pool = [(P, N)]
        self.start = (P, N, count)
        self.next_pool: dict[bytes, tuple] = {}
        self.best = (P.copy(), N.copy(), count)
        self.flips = self.walks = self.walks_at_level = 0

    def step(self) -> bool:
        """One walk; True when the best orbit count improved."""
        P, N = (a.copy() for a in self.pool[int(self.gen.integers(len(self.pool)))])
        max_orbits = min(self.level + self.headroom, self.capacity)
        final, out, bestP, bestN = _walk(P, N, self.level, self.ring, self.level - 1,
                                         self.path_limit, self.plus_after, max_orbits, self.rng)
        self.flips += int(out[0])
        self.walks += 1
        self.walks_at_level += 1
        improved = False
        if out[3] < self.best[2]:
            self.best = (bestP, bestN, int(out[3]))
            improved = True
        if final < self.level:
            self.next_pool.setdefault(orbit_key(P, N, final), (P, N, final))
        elif not self.next_pool and self.walks_at_level >= 2 * self.pool_size:
            P, N, count = self.start                         # stuck: a fresh run from the start
            self.pool, self.level, self.walks_at_level = [(P, N)], count, 0
            return improved
        if len(self.next_pool) >= self.pool_size or (
                self.next_pool and self.walks_at_level >= 8 * self.pool_size):
            low = min(c for _, _, c in self.next_pool.values())
            self.pool = [(p, n) for p, n, c in self.next_pool.values() if c == low]
            self.level, self.next_pool, self.walks_at_level = low, {}, 0
        return improved


def _worker(w, start, settings, target_orbits, pool_size, plus_after, reports, stop):
    """Process body: run a strategy, report (w, level, best count, flips, best orbits or None)."""
    strategy = SymmetricStrategy(start, target_orbits, pool_size=pool_size,
                                 path_limit=settings.path_limit, plus_after=plus_after,
                                 seed=worker_seed(settings.seed, w))
    last = 0.0
    while not stop.is_set():
        improved = strategy.step()
        now = time.perf_counter()
        if improved or now - last > 0.5:
            last = now
            P, N, count = strategy.best
            best = unpack(P, N, count, strategy.n, strategy.ring) if improved else None
            reports.put((w, strategy.level, count, strategy.flips, strategy.walks, best))
        if strategy.best[2] <= target_orbits:
            break


def symmetric_search(settings, *, on_progress=None, log_path=None, on_improvement=None,
                     executor=None, checkpoint_path=None, **_ignored) -> SearchResult:
    """The C3-symmetric search of ``settings`` (a SearchSettings for n×n×n): ``settings.workers``
    processes (inline for one), each a :class:`SymmetricStrategy` from the standard start
    (:func:`standard_c3` with :func:`default_cubes`) or from ``settings.start`` (which must be
    C3-symmetric). Every new best is expanded and verified before it is kept. Runs until the
    time limit, the target rank, or Ctrl-C; no checkpoints (nor resume), no Dask executor."""
    if executor is not None:
        raise FlipgraphError("--symmetry c3 runs on local processes only (no --scheduler)")
    n = check_square(settings.target)
    ring = settings.ring
    if ring not in RINGS:
        raise FlipgraphError(f"no symmetric walk over {ring!r}; choose z2, z3 or zt")
    if settings.start is not None:
        start = from_scheme(settings.start.over(ring))
    else:
        start = standard_c3(n, default_cubes(n, settings.target_rank), ring)
    first = expand(start)
    if not verify(first):
        raise FlipgraphError(f"the start scheme is not valid over {ring}")
    fill_defaults(settings)
    pool_size, plus_after = settings.pool_size, settings.plus_after
    cubes = len(start.cubes)
    target_orbits = max(0, -(-(settings.target_rank - cubes) // 3)) if settings.target_rank else 0
    warm_up()
    workers = [dict(worker=w, rank=first.rank, best_rank=first.rank, flips=0, walks=0,
                    pool_size=1) for w in range(settings.workers)]
    best = {"rank": first.rank, "scheme": first}
    log = open(log_path, "w") if log_path else None
    if log:
        log.write(json.dumps({"header": {"target": settings.target.id,
                                         "format": settings.target.label, "ring": ring,
                                         "symmetry": "c3", "cubes": cubes, "seed": settings.seed,
                                         "workers": settings.workers, "pool_size": pool_size,
                                         "path_limit": settings.path_limit,
                                         "plus_after": plus_after,
                                         "target_rank": settings.target_rank}}) + "\n")
    t0 = time.perf_counter()

    def publish(**extra):
        publish_record(time.perf_counter() - t0, workers, best["rank"], log, on_progress, **extra)

    def on_report(w, level, count, flips, walks, orbits):
        workers[w].update(rank=3 * level + cubes, best_rank=3 * count + cubes, flips=flips,
                          walks=walks)
        if orbits is not None and 3 * count + cubes < best["rank"]:
            scheme = expand(SymmetricScheme(orbits, start.cubes, ring))
            if verify(scheme):
                best.update(rank=scheme.rank, scheme=scheme)
                if on_improvement:
                    on_improvement(scheme)
            else:
                publish(invalid_from_worker=w)
        publish()

    limit = settings.time_limit
    interrupted = False
    ctx = multiprocessing.get_context("fork")
    reports, stop = ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=_worker, daemon=True,
                         args=(w, start, settings, target_orbits, pool_size, plus_after, reports,
                               stop))
             for w in range(settings.workers)] if settings.workers > 1 else []
    try:
        if procs:
            for p in procs:
                p.start()
            while (limit is None or time.perf_counter() - t0 < limit) and \
                    best["rank"] > settings.target_rank and any(p.is_alive() for p in procs):
                try:
                    on_report(*reports.get(timeout=0.2))
                except queue.Empty:
                    pass
        else:
            strategy = SymmetricStrategy(start, target_orbits, pool_size=pool_size,
                                         path_limit=settings.path_limit, plus_after=plus_after,
                                         seed=worker_seed(settings.seed, 0))
            last = 0.0
            while (limit is None or time.perf_counter() - t0 < limit) and \
                    best["rank"] > settings.target_rank:
                improved = strategy.step()
                now = time.perf_counter()
                if improved or now - last > 0.5:
                    last = now
                    P, N, count = strategy.best
                    on_report(0, strategy.level, count, strategy.flips, strategy.walks,
                              unpack(P, N, count, n, ring) if improved else None)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        stop.set()
        for p in procs:                             # a worker stops between walks
            p.join(timeout=1)
            if p.is_alive():
                p.terminate()
        while procs:
            try:
                on_report(*reports.get_nowait())
            except (queue.Empty, OSError, ValueError):
                break
        publish(final=True, backend="local symmetric")
        if log:
            log.close()
    return SearchResult(scheme=best["scheme"], rank=best["rank"],
                        reached_target=best["rank"] <= settings.target_rank,
                        elapsed=time.perf_counter() - t0,
                        flips=sum(w["flips"] for w in workers),
                        walks=sum(w["walks"] for w in workers), workers=workers,
                        interrupted=interrupted)
