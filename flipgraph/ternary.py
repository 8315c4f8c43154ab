"""Ternary forms: move an integer scheme with coefficients beyond ±1 to one with coefficients in
{-1, 0, 1} of the same target and rank, valid over Z (ring ZT), when a nearby one exists.

Two moves over Z, both exact:

* sandwiches (:func:`flipgraph.meta.sandwich`, matrix multiplication only): X, Y, Z products of
  transvections I ± E_ij (unimodular, integral inverses), chosen by simulated annealing that
  minimises the number of coefficients outside {-1, 0, 1} (ties: the smaller sum of |c|);
* flips over Z: two terms whose factors at one position agree up to sign,
  a⊗u⊗v + s·a⊗u'⊗v' = a⊗(u + λs·u')⊗v + s·a⊗u'⊗(v' − λ·v) with λ = ±1, by a beam search on the
  same count;

in rounds, each going on from the last one's best. Found here: the catalogue's Z scheme of 3x4x5,
rank 47 (59 coefficients ±2, from lifting a Z2 search result) goes to a single ±2 by a sandwich
and to {-1, 0, 1} by one flip; every matrix-multiplication scheme of the catalogue over Z has a
ternary form (at most 14 s each: ``benchmarks/bench_ternary.py``).

Example::

    >>> from flipgraph import classics, meta, ternary
    >>> I = [[1, 0], [0, 1]]
    >>> doubled = meta.sandwich(classics.strassen(), [[2, 1], [1, 1]], I, I)    # 8 coefficients ±2
    >>> ternary.outside(doubled), ternary.ternary_form(doubled).ring.name
    (8, 'zt')
"""
from __future__ import annotations

import math
import time

import numpy as np

from . import meta
from .errors import SchemeError
from .scheme import Scheme

__all__ = ["outside", "ternary_form"]


def outside(scheme: Scheme) -> int:
    """The number of coefficients of ``scheme`` outside {-1, 0, 1}."""
    return sum(_outside(M) for M in _integers(scheme))


def _integers(scheme: Scheme) -> tuple[np.ndarray, ...]:
    """U, V, W as int64 arrays (rank × entries of A, B, C)."""
    return tuple(np.asarray(M, dtype=object).astype(np.int64)
                 for M in (scheme.U, scheme.V, scheme.W))


def _outside(M) -> int:
    return int((np.abs(M) > 1).sum())


def _score(mats) -> float:
    """The annealing's energy: coefficients outside {-1, 0, 1}, then (a thousandth each) the sum
    of |c|."""
    return sum(_outside(M) + 1e-3 * float(np.abs(M).sum()) for M in mats)


def ternary_form(scheme: Scheme, *, seed: int = 0, steps: int = 4000, attempts: int = 4,
                 beam: int = 30, depth: int = 3, time_limit: float | None = None) -> Scheme | None:
    """A verified ZT scheme of the same target and rank as the integer ``scheme`` (ring zt or
    z), reached by sandwiches and flips over Z (module docstring); None when ``attempts`` rounds
    find none (or ``time_limit`` seconds pass). A round anneals ``steps`` transvections, then
    keeps the best of a beam search of ``beam`` schemes over ``depth`` flips; the next round
    starts from there. Other targets than matrix multiplication get the flips only."""
    if scheme.ring.name not in ("zt", "z"):
        raise SchemeError(f"a ternary form needs a scheme over Z, not {scheme.ring.name}")
    if outside(scheme) == 0:
        return meta.checked(scheme.over("zt"), "ternary form")
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    rng = np.random.default_rng(seed)
    current = scheme.over("z")
    for _ in range(max(attempts, 1)):                 # each round goes on from the last one's best
        if current.target.is_matmul:
            current = _anneal(current, rng, steps, deadline)
        current = _flip_search(current, beam, depth, deadline)
        if outside(current) == 0:
            return meta.checked(current.over("zt"), "ternary form")
        if deadline is not None and time.perf_counter() > deadline:
            break
    return None


def _anneal(scheme: Scheme, rng, steps: int, deadline) -> Scheme:
    """The sandwich of ``scheme`` with the fewest coefficients outside {-1, 0, 1} met by a
    simulated annealing over transvections (temperature 2 down to 0.05)."""
    n, m, p = scheme.format
    r = scheme.rank                                    # U[q] is n×m, V[q] m×p, W[q] n×p
    shapes = ((n, m), (m, p), (n, p))
    U0, V0, W0 = (M.reshape(r, *shape) for M, shape in zip(_integers(scheme), shapes))
    sizes = {"X": n, "Y": m, "Z": p}
    current = {k: (np.eye(s, dtype=np.int64), np.eye(s, dtype=np.int64)) for k, s in sizes.items()}

    def factor(c, f: int) -> np.ndarray:
        """U (f = 0), V (1) or W (2) under the sandwich ``c``."""
        (X, Xi), (Y, Yi), (Z, Zi) = c["X"], c["Y"], c["Z"]
        if f == 0:
            return np.einsum("ai,qab,jb->qij", X, U0, Yi)
        if f == 1:
            return np.einsum("ai,qab,jb->qij", Y, V0, Zi)
        return np.einsum("ia,qab,bj->qij", Xi, W0, Z)

    changes = {"X": (0, 2), "Y": (0, 1), "Z": (1, 2)}     # the factors each matrix moves
    parts = [_score((factor(current, f),)) for f in range(3)]
    score = best_score = sum(parts)
    best = current
    for step in range(steps):
        if deadline is not None and step % 64 == 0 and time.perf_counter() > deadline:
            break
        which = "XYZ"[int(rng.integers(3))]
        k = sizes[which]
        if k < 2:
            continue
        i, j = (int(x) for x in rng.choice(k, 2, replace=False))
        sign = 1 if rng.random() < 0.5 else -1
        E, Ei = np.eye(k, dtype=np.int64), np.eye(k, dtype=np.int64)
        E[i, j], Ei[i, j] = sign, -sign
        M, Mi = current[which]
        trial = {**current, which: (M @ E, Ei @ Mi)}
        if np.abs(trial[which][0]).max() > 64 or np.abs(trial[which][1]).max() > 64:
            continue                                   # keep the entries small
        trial_parts = list(parts)
        for f in changes[which]:
            trial_parts[f] = _score((factor(trial, f),))
        new = sum(trial_parts)
        temperature = max(0.05, 2.0 * (1 - step / steps))
        if new <= score or rng.random() < math.exp((score - new) / temperature):
            current, score, parts = trial, new, trial_parts
            if score < best_score:
                best, best_score = current, score
                if best_score < 1:                     # nothing outside {-1, 0, 1}
                    break
    return meta.sandwich(scheme.over("z"), best["X"][0], best["Y"][0], best["Z"][0])


def _terms(scheme: Scheme) -> list[tuple[np.ndarray, ...]]:
    """The terms as (a, b, c) int64 factor tuples."""
    U, V, W = _integers(scheme)
    return [(U[q], V[q], W[q]) for q in range(scheme.rank)]


def _count(terms) -> int:
    return sum(_outside(f) for t in terms for f in t)


def _key(terms) -> tuple:
    return tuple(sorted(b"".join(f.tobytes() for f in t) for t in terms))


def _flips(terms):
    """Every flip over Z of ``terms`` (λ = ±1, both factors of the pair as the one that grows)."""
    for pos in range(3):
        grow = [x for x in range(3) if x != pos]
        by_factor: dict[bytes, list[tuple[int, int]]] = {}
        for q, t in enumerate(terms):
            f = t[pos]
            nz = f[np.flatnonzero(f)[0]] if f.any() else 1
            sign = 1 if nz > 0 else -1
            by_factor.setdefault((sign * f).tobytes(), []).append((q, sign))
        for group in by_factor.values():
            for q, sq in group:
                for r, sr in group:
                    if q == r:
                        continue
                    s = sq * sr                               # factor_r = s · factor_q
                    for x, y in (grow, grow[::-1]):
                        for lam in (1, -1):
                            tq, tr = list(terms[q]), list(terms[r])
                            tq[x] = terms[q][x] + lam * s * terms[r][x]
                            tr[y] = terms[r][y] - lam * terms[q][y]
                            new = list(terms)
                            new[q], new[r] = tuple(tq), tuple(tr)
                            yield new


def _flip_search(scheme: Scheme, beam: int, depth: int, deadline) -> Scheme:
    """A beam search over flips over Z from ``scheme`` towards no coefficient outside {-1, 0, 1}:
    the scheme met with the fewest such coefficients (``scheme`` itself when no flip helps),
    over Z."""
    front = [_terms(scheme)]
    best, best_count = front[0], _count(front[0])
    seen = {_key(front[0])}
    for _ in range(depth):
        if best_count == 0:
            break
        candidates = []
        for terms in front:
            for new in _flips(terms):
                key = _key(new)
                if key not in seen:
                    seen.add(key)
                    candidates.append((_count(new), len(candidates), new))
            if deadline is not None and time.perf_counter() > deadline:
                break
        if not candidates:
            break
        candidates.sort(key=lambda c: c[:2])
        front = [c[2] for c in candidates[:beam]]
        if candidates[0][0] < best_count:
            best, best_count = front[0], candidates[0][0]
    U, V, W = (np.array([t[i] for t in best], dtype=np.int64) for i in range(3))
    return meta.checked(Scheme(scheme.target, U, V, W, "z"), "flips over Z")
