"""numba kernels of the pair CSE (common-subexpression elimination) of :mod:`flipgraph.additions`.

Input of one problem: ``F`` (k forms × width columns, int32) holds coefficient *ids* (0 = zero,
1.. = index into the caller's table of distinct coefficient values); the first ``nvar`` columns are
the original variables, the rest are room for fresh variables. ``RT[a, b]`` is the id of the ratio
value(b) / value(a) (the caller's ratio table, ``nratio`` entries), so a pair (x_i, x_j), i < j,
with coefficients (a, b) in a form is the subexpression value(a)·(x_i + ratio·x_j) — shared by
every form holding the same (i, j, ratio), whatever the overall factor (sign).

One step picks a pair occurring in ≥ 2 forms, makes a fresh variable t = x_i + ratio·x_j (a
row ``(i, j, ratio)`` of ``defs``) and substitutes it; it saves count − 1 additions. Strategies:

    0 greedy         the most frequent pair, random among ties
    1 intersections  most frequent; among ties, fewest other repeated pairs destroyed
    2 lookahead      (count − 1) + the best gain of the next step, over the top candidates
    3 potential      (count − 1) + the sum of (count − 1) over all repeated pairs left
    4 rollout        the 24 most frequent pairs (random among equals) each finished by
                     greedy; the best finish

``eps`` is the probability of taking a random repeated pair instead (diversifies restarts).
"""
from __future__ import annotations

import numpy as np
from numba import njit

_MAX_LOOKAHEAD = 12   # candidates simulated per step by the look-ahead strategies
_MAX_ROLLOUT = 24     # candidates finished greedily per step by the rollout strategy


@njit(cache=True)
def _count(F, ncol, RT, nratio, counts, touched):
    """Count every (i, j, ratio) pair over the forms; return how many distinct keys were touched."""
    width = F.shape[1]
    cols = np.empty(ncol, np.int64)
    nt = 0
    for f in range(F.shape[0]):
        nz = 0
        for c in range(ncol):
            if F[f, c] != 0:
                cols[nz] = c
                nz += 1
        for a in range(nz):
            i = cols[a]
            for b in range(a + 1, nz):
                j = cols[b]
                key = (i * width + j) * nratio + RT[F[f, i], F[f, j]]
                if counts[key] == 0:
                    touched[nt] = key
                    nt += 1
                counts[key] += 1
    return nt


@njit(cache=True)
def _substitute(F, i, j, rid, t, RT, changed, saved):
    """Replace x_i + ratio·x_j by x_t in every matching form, remembering the old coefficient of
    x_j in ``saved``; return the number of forms changed (listed in ``changed``)."""
    nch = 0
    for f in range(F.shape[0]):
        a, b = F[f, i], F[f, j]
        if a != 0 and b != 0 and RT[a, b] == rid:
            F[f, t] = a
            F[f, i] = 0
            F[f, j] = 0
            changed[nch] = f
            saved[nch] = b
            nch += 1
    return nch


@njit(cache=True)
def _restore(F, i, j, t, changed, saved, nch):
    """Undo :func:`_substitute`."""
    for z in range(nch):
        f = changed[z]
        F[f, i] = F[f, t]
        F[f, j] = saved[z]
        F[f, t] = 0


@njit(cache=True)
def _gains(F, ncol, RT, nratio, counts, touched):
    """(best count − 1, sum of (count − 1)) over repeated pairs; leaves counts zeroed."""
    nt = _count(F, ncol, RT, nratio, counts, touched)
    best, total = 0, 0
    for z in range(nt):
        key = touched[z]
        c = counts[key]
        if c >= 2:
            total += c - 1
            if c - 1 > best:
                best = c - 1
        counts[key] = 0
    return best, total


@njit(cache=True)
def _greedy_finish(F, nvar, nfresh, RT, nratio, counts, touched, changed, saved):
    """Plain greedy (random ties) from the current state to the end; returns the final cost.
    Used as the rollout of strategy 4 (F is modified)."""
    width = F.shape[1]
    while nvar + nfresh < width:
        ncol = nvar + nfresh
        nt = _count(F, ncol, RT, nratio, counts, touched)
        best, chosen, ties = 1, -1, 0
        for z in range(nt):
            key = touched[z]
            c = counts[key]
            counts[key] = 0
            if c > best:
                best, chosen, ties = c, key, 1
            elif c == best and c >= 2:
                ties += 1
                if np.random.randint(ties) == 0:
                    chosen = key
        if chosen < 0:
            break
        r = chosen % nratio
        _substitute(F, (chosen // nratio) // width, (chosen // nratio) % width, r, ncol, RT,
                    changed, saved)
        nfresh += 1
    return nfresh + _form_cost(F)


@njit(cache=True)
def _form_cost(F):
    cost = 0
    for f in range(F.shape[0]):
        nz = 0
        for c in range(F.shape[1]):
            if F[f, c] != 0:
                nz += 1
        if nz > 1:
            cost += nz - 1
    return cost


@njit(cache=True)
def _conflicts(F, ncol, i, j, rid, RT, nratio, counts):
    """Occurrences of other repeated pairs that substituting (i, j, rid) would destroy."""
    width = F.shape[1]
    out = 0
    for f in range(F.shape[0]):
        a, b = F[f, i], F[f, j]
        if a == 0 or b == 0 or RT[a, b] != rid:
            continue
        for l in range(ncol):
            if l == i or l == j or F[f, l] == 0:
                continue
            for x in (i, j):
                lo, hi = (x, l) if x < l else (l, x)
                key = (lo * width + hi) * nratio + RT[F[f, lo], F[f, hi]]
                if counts[key] >= 2:
                    out += 1
    return out


@njit(cache=True)
def cse_run(F0, nvar, RT, nratio, strategy, eps, seed):
    """One randomized CSE run. Returns (cost, nfresh, defs, F): ``defs[t] = (i, j, ratio id)``
    defines column nvar + t; ``F`` the final forms; cost = nfresh + sum of (nnz − 1)."""
    np.random.seed(seed)
    F = F0.copy()
    k, width = F.shape
    counts = np.zeros(width * width * nratio, np.int32)
    cap = 1
    for f in range(k):
        nz = 0
        for c in range(width):
            if F[f, c] != 0:
                nz += 1
        cap += nz * nz
    touched = np.empty(cap, np.int64)
    touched2 = np.empty(cap, np.int64)
    counts2 = np.zeros(width * width * nratio, np.int32)
    cand = np.empty(cap, np.int64)
    changed = np.empty(k, np.int64)
    saved = np.empty(k, np.int32)
    defs = np.zeros((width - nvar, 3), np.int64)
    nfresh = 0
    while nvar + nfresh < width:
        ncol = nvar + nfresh
        nt = _count(F, ncol, RT, nratio, counts, touched)
        best = 1
        for z in range(nt):
            if counts[touched[z]] > best:
                best = counts[touched[z]]
        if best < 2:
            for z in range(nt):
                counts[touched[z]] = 0
            break
        # candidates: repeated pairs (eps move) or the top ones
        ncand = 0
        explore = eps > 0.0 and np.random.random() < eps
        floor = 2 if explore else (best - 1 if strategy >= 2 else best)
        if strategy == 4 and not explore:
            floor = 2
        if floor < 2:
            floor = 2
        for z in range(nt):
            if counts[touched[z]] >= floor:
                cand[ncand] = touched[z]
                ncand += 1
        if explore or strategy == 0:
            chosen = cand[np.random.randint(ncand)]
        elif strategy == 1:
            chosen, low, ties = -1, 1 << 30, 0
            for z in range(ncand):
                key = cand[z]
                r = key % nratio
                i = (key // nratio) // width
                j = (key // nratio) % width
                c = _conflicts(F, ncol, i, j, r, RT, nratio, counts)
                if c < low:
                    low, chosen, ties = c, key, 1
                elif c == low:
                    ties += 1
                    if np.random.randint(ties) == 0:
                        chosen = key
        elif strategy == 4:
            # rollout: finish the most frequent candidates (random order among equals)
            # greedily, keep the best finish
            for z in range(ncand - 1, 0, -1):
                y = np.random.randint(z + 1)
                cand[z], cand[y] = cand[y], cand[z]
            for z in range(1, ncand):
                key = cand[z]
                y = z
                while y > 0 and counts[cand[y - 1]] < counts[key]:
                    cand[y] = cand[y - 1]
                    y -= 1
                cand[y] = key
            if ncand > _MAX_ROLLOUT:
                ncand = _MAX_ROLLOUT
            chosen, low, ties = -1, 1 << 30, 0
            for z in range(ncand):
                key = cand[z]
                Fc = F.copy()
                _substitute(Fc, (key // nratio) // width, (key // nratio) % width, key % nratio,
                            ncol, RT, changed, saved)
                c = _greedy_finish(Fc, nvar, nfresh + 1, RT, nratio, counts2, touched2, changed,
                                   saved)
                if c < low:
                    low, chosen, ties = c, key, 1
                elif c == low:
                    ties += 1
                    if np.random.randint(ties) == 0:
                        chosen = key
        else:
            # shuffle, keep at most _MAX_LOOKAHEAD candidates, simulate each
            for z in range(ncand - 1, 0, -1):
                y = np.random.randint(z + 1)
                cand[z], cand[y] = cand[y], cand[z]
            if ncand > _MAX_LOOKAHEAD:
                ncand = _MAX_LOOKAHEAD
            chosen, top, ties = -1, -1, 0
            t = ncol
            for z in range(ncand):
                key = cand[z]
                r = key % nratio
                i = (key // nratio) // width
                j = (key // nratio) % width
                nch = _substitute(F, i, j, r, t, RT, changed, saved)
                g1, g2 = _gains(F, ncol + 1, RT, nratio, counts2, touched2)
                score = (nch - 1) + (g1 if strategy == 2 else g2)
                _restore(F, i, j, t, changed, saved, nch)
                if score > top:
                    top, chosen, ties = score, key, 1
                elif score == top:
                    ties += 1
                    if np.random.randint(ties) == 0:
                        chosen = key
        for z in range(nt):
            counts[touched[z]] = 0
        r = chosen % nratio
        i = (chosen // nratio) // width
        j = (chosen // nratio) % width
        _substitute(F, i, j, r, ncol, RT, changed, saved)
        defs[nfresh, 0] = i
        defs[nfresh, 1] = j
        defs[nfresh, 2] = r
        nfresh += 1
    return nfresh + _form_cost(F), nfresh, defs[:nfresh].copy(), F
