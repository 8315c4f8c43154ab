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

Working state: besides F, ``Z[f, :nz[f]]`` lists the nonzero columns of form f (so a step costs
the sum over forms of nnz², not k·width), and pair counts live in an open-addressing hash table
(``hk`` keys, −1 = empty; ``hc`` counts) sized by the number of pair occurrences, so memory stays
linear in the input even for large formats. Pair key = (i·width + j)·nratio + ratio, i < j.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_MAX_LOOKAHEAD = 12   # candidates simulated per step by the look-ahead strategies
_MAX_ROLLOUT = 24     # candidates finished greedily per step by the rollout strategy
_MIX = np.int64(-7046029254386353131)   # odd 64-bit multiplier of the pair hash


@njit(cache=True)
def _slot(hk, key):
    """The slot holding ``key``, or the empty slot where it would go (linear probing)."""
    mask = hk.shape[0] - 1
    h = key * _MIX
    s = (h ^ (h >> 31)) & mask
    while hk[s] != -1 and hk[s] != key:
        s = (s + 1) & mask
    return s


@njit(cache=True)
def _pair_key(F, width, nratio, RT, f, x, y):
    lo, hi = (x, y) if x < y else (y, x)
    return (lo * width + hi) * nratio + RT[F[f, lo], F[f, hi]]


@njit(cache=True)
def _count(F, Z, nz, RT, nratio, hk, hc, touched):
    """Count every (i, j, ratio) pair over the forms; returns the number of slots used (listed in
    ``touched``; :func:`_clear` empties them)."""
    width = F.shape[1]
    nt = 0
    for f in range(F.shape[0]):
        for a in range(nz[f]):
            for b in range(a + 1, nz[f]):
                key = _pair_key(F, width, nratio, RT, f, Z[f, a], Z[f, b])
                s = _slot(hk, key)
                if hk[s] == -1:
                    hk[s] = key
                    touched[nt] = s
                    nt += 1
                hc[s] += 1
    return nt


@njit(cache=True)
def _clear(hk, hc, touched, nt):
    for z in range(nt):
        hk[touched[z]] = -1
        hc[touched[z]] = 0


@njit(cache=True)
def _drop(Z, nz, f, c):
    """Remove column c from the nonzero list of form f."""
    for a in range(nz[f]):
        if Z[f, a] == c:
            nz[f] -= 1
            Z[f, a] = Z[f, nz[f]]
            return


@njit(cache=True)
def _substitute(F, Z, nz, key, nratio, t, RT, changed, saved):
    """Replace the pair ``key`` (x_i + ratio·x_j) by x_t in every matching form, remembering the
    old coefficient of x_j in ``saved``; returns the number of forms changed (in ``changed``)."""
    width = F.shape[1]
    rid = key % nratio
    i = (key // nratio) // width
    j = (key // nratio) % width
    nch = 0
    for f in range(F.shape[0]):
        a, b = F[f, i], F[f, j]
        if a != 0 and b != 0 and RT[a, b] == rid:
            F[f, t] = a
            F[f, i] = 0
            F[f, j] = 0
            _drop(Z, nz, f, i)
            _drop(Z, nz, f, j)
            Z[f, nz[f]] = t
            nz[f] += 1
            changed[nch] = f
            saved[nch] = b
            nch += 1
    return nch


@njit(cache=True)
def _restore(F, Z, nz, key, nratio, t, changed, saved, nch):
    """Undo :func:`_substitute`."""
    width = F.shape[1]
    i = (key // nratio) // width
    j = (key // nratio) % width
    for z in range(nch):
        f = changed[z]
        F[f, i] = F[f, t]
        F[f, j] = saved[z]
        F[f, t] = 0
        _drop(Z, nz, f, t)
        Z[f, nz[f]] = i
        Z[f, nz[f] + 1] = j
        nz[f] += 2


@njit(cache=True)
def _form_cost(nz):
    cost = 0
    for f in range(nz.shape[0]):
        if nz[f] > 1:
            cost += nz[f] - 1
    return cost


@njit(cache=True)
def _gains(F, Z, nz, RT, nratio, hk, hc, touched):
    """(best count − 1, sum of (count − 1)) over the repeated pairs; leaves the table empty."""
    nt = _count(F, Z, nz, RT, nratio, hk, hc, touched)
    best, total = 0, 0
    for z in range(nt):
        c = hc[touched[z]]
        if c >= 2:
            total += c - 1
            if c - 1 > best:
                best = c - 1
    _clear(hk, hc, touched, nt)
    return best, total


@njit(cache=True)
def _greedy_finish(F, Z, nz, nvar, nfresh, RT, nratio, hk, hc, touched, changed, saved):
    """Plain greedy (random ties) from the current state to the end; returns the final cost.
    The rollout of strategy 4 (F, Z, nz are modified)."""
    width = F.shape[1]
    while nvar + nfresh < width:
        nt = _count(F, Z, nz, RT, nratio, hk, hc, touched)
        best, chosen, ties = 1, -1, 0
        for z in range(nt):
            c = hc[touched[z]]
            if c > best:
                best, chosen, ties = c, hk[touched[z]], 1
            elif c == best and c >= 2:
                ties += 1
                if np.random.randint(ties) == 0:
                    chosen = hk[touched[z]]
        _clear(hk, hc, touched, nt)
        if chosen < 0:
            break
        _substitute(F, Z, nz, chosen, nratio, nvar + nfresh, RT, changed, saved)
        nfresh += 1
    return nfresh + _form_cost(nz)


@njit(cache=True)
def _conflicts(F, Z, nz, key, RT, nratio, hk, hc):
    """Occurrences of other repeated pairs that substituting ``key`` would destroy."""
    width = F.shape[1]
    rid = key % nratio
    i = (key // nratio) // width
    j = (key // nratio) % width
    out = 0
    for f in range(F.shape[0]):
        a, b = F[f, i], F[f, j]
        if a == 0 or b == 0 or RT[a, b] != rid:
            continue
        for e in range(nz[f]):
            col = Z[f, e]
            if col == i or col == j:
                continue
            for x in (i, j):
                s = _slot(hk, _pair_key(F, width, nratio, RT, f, x, col))
                if hk[s] != -1 and hc[s] >= 2:
                    out += 1
    return out


@njit(cache=True)
def _pick(scores, keys, n, low_is_good):
    """The key of the best score among the first n, random among ties."""
    chosen, best, ties = -1, 0, 0
    for z in range(n):
        sc = -scores[z] if low_is_good else scores[z]
        if ties == 0 or sc > best:
            best, chosen, ties = sc, keys[z], 1
        elif sc == best:
            ties += 1
            if np.random.randint(ties) == 0:
                chosen = keys[z]
    return chosen


@njit(cache=True)
def cse_run(F0, nvar, RT, nratio, strategy, eps, seed):
    """One randomized CSE run. Returns (cost, nfresh, defs, F): ``defs[t] = (i, j, ratio id)``
    defines column nvar + t; ``F`` the final forms; cost = nfresh + sum of (nnz − 1)."""
    np.random.seed(seed)
    F = F0.copy()
    k, width = F.shape
    nz = np.zeros(k, np.int64)
    for f in range(k):
        for c in range(width):
            if F[f, c] != 0:
                nz[f] += 1
    Z = np.zeros((k, max(nz.max(), 2) + 1), np.int64)
    pairs = 1
    for f in range(k):
        e = 0
        for c in range(width):
            if F[f, c] != 0:
                Z[f, e] = c
                e += 1
        pairs += nz[f] * (nz[f] - 1) // 2
    hcap = 16
    while hcap < 2 * pairs:
        hcap *= 2
    hk = np.full(hcap, -1, np.int64)
    hc = np.zeros(hcap, np.int32)
    touched = np.empty(pairs, np.int64)
    side = hcap if strategy >= 2 else 1       # second table for the simulations of 2, 3, 4
    hk2 = np.full(side, -1, np.int64)
    hc2 = np.zeros(side, np.int32)
    touched2 = np.empty(pairs, np.int64)
    cand = np.empty(pairs, np.int64)
    score = np.empty(pairs, np.int64)
    changed = np.empty(k, np.int64)
    saved = np.empty(k, np.int32)
    defs = np.zeros((width - nvar, 3), np.int64)
    nfresh = 0
    while nvar + nfresh < width:
        t = nvar + nfresh
        nt = _count(F, Z, nz, RT, nratio, hk, hc, touched)
        best = 1
        for z in range(nt):
            if hc[touched[z]] > best:
                best = hc[touched[z]]
        if best < 2:
            _clear(hk, hc, touched, nt)
            break
        explore = eps > 0.0 and np.random.random() < eps
        floor = best
        if explore or strategy == 4:
            floor = 2
        elif strategy >= 2:
            floor = max(best - 1, 2)
        ncand = 0
        for z in range(nt):
            if hc[touched[z]] >= floor:
                cand[ncand] = touched[z]          # slots for now
                ncand += 1
        # random order, then (rollout) most frequent first; keep the cap
        for z in range(ncand - 1, 0, -1):
            y = np.random.randint(z + 1)
            cand[z], cand[y] = cand[y], cand[z]
        if strategy == 4 and not explore:
            for z in range(1, ncand):
                s = cand[z]
                y = z
                while y > 0 and hc[cand[y - 1]] < hc[s]:
                    cand[y] = cand[y - 1]
                    y -= 1
                cand[y] = s
        cap = ncand
        if not explore and strategy >= 2:
            cap = min(ncand, _MAX_ROLLOUT if strategy == 4 else _MAX_LOOKAHEAD)
        for z in range(cap):
            score[z] = 0
            cand[z] = hk[cand[z]]                 # slots -> keys
        if explore or strategy == 0:
            chosen = cand[np.random.randint(cap)]
        elif strategy == 1:
            for z in range(cap):
                score[z] = _conflicts(F, Z, nz, cand[z], RT, nratio, hk, hc)
            chosen = _pick(score, cand, cap, True)
        elif strategy == 4:
            for z in range(cap):
                Fc, Zc, nzc = F.copy(), Z.copy(), nz.copy()
                _substitute(Fc, Zc, nzc, cand[z], nratio, t, RT, changed, saved)
                score[z] = _greedy_finish(Fc, Zc, nzc, nvar, nfresh + 1, RT, nratio, hk2, hc2,
                                          touched2, changed, saved)
            chosen = _pick(score, cand, cap, True)
        else:
            for z in range(cap):
                nch = _substitute(F, Z, nz, cand[z], nratio, t, RT, changed, saved)
                g1, g2 = _gains(F, Z, nz, RT, nratio, hk2, hc2, touched2)
                score[z] = (nch - 1) + (g1 if strategy == 2 else g2)
                _restore(F, Z, nz, cand[z], nratio, t, changed, saved, nch)
            chosen = _pick(score, cand, cap, False)
        _clear(hk, hc, touched, nt)
        _substitute(F, Z, nz, chosen, nratio, t, RT, changed, saved)
        defs[nfresh, 0] = (chosen // nratio) // width
        defs[nfresh, 1] = (chosen // nratio) % width
        defs[nfresh, 2] = chosen % nratio
        nfresh += 1
    return nfresh + _form_cost(nz), nfresh, defs[:nfresh].copy(), F
