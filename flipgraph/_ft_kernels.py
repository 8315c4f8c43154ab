"""numba kernel of :mod:`flipgraph.ft`: decodability of many erasure sets at once, mod a prime.

Input: ``H`` (k × N) and ``Y`` (t × N), integer matrices reduced mod ``p`` (entries in [0, p)), and
``subsets`` (S × f) of product indices, each row one erasure set E. Output: ``out[s]`` is True when
rank([H_E; Y_E]) == rank(H_E) mod p (columns E of both): H_E is brought to echelon form, then
every row of Y_E must reduce to zero. The caller chooses p above the Hadamard
bound of every minor involved, so the ranks mod p are the ranks over Q.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _inverse(a, p):
    """a⁻¹ mod p (extended Euclid), 0 < a < p."""
    t, new_t, r, new_r = 0, 1, p, a
    while new_r != 0:
        q = r // new_r
        t, new_t = new_t, t - q * new_t
        r, new_r = new_r, r - q * new_r
    return t % p


@njit(cache=True)
def _rank(M, rows, cols, p):
    """Rank mod p of M[:rows, :cols], destroying it."""
    r = 0
    for c in range(cols):
        piv = -1
        for i in range(r, rows):
            if M[i, c] != 0:
                piv = i
                break
        if piv < 0:
            continue
        if piv != r:
            for j in range(c, cols):
                M[r, j], M[piv, j] = M[piv, j], M[r, j]
        inv = _inverse(M[r, c], p)
        for i in range(r + 1, rows):
            if M[i, c] != 0:
                f = M[i, c] * inv % p
                for j in range(c, cols):
                    M[i, j] = (M[i, j] - f * M[r, j]) % p
        r += 1
        if r == rows:
            break
    return r


@njit(cache=True)
def decodable_sets(H, Y, subsets, p):
    k, t = H.shape[0], Y.shape[0]
    S, f = subsets.shape
    out = np.zeros(S, dtype=np.bool_)
    M = np.empty((k + t, max(f, 1)), dtype=np.int64)
    for s in range(S):
        for i in range(k):
            for j in range(f):
                M[i, j] = H[i, subsets[s, j]]
        for i in range(t):
            for j in range(f):
                M[k + i, j] = Y[i, subsets[s, j]]
        r = _rank(M, k, f, p)              # rows 0..r-1: echelon form of H_E
        ok = True
        for i in range(k, k + t):          # reduce each Y row by the echelon rows: must vanish
            c = 0
            for e in range(r):
                while M[e, c] == 0:
                    c += 1
                if M[i, c] != 0:
                    g = M[i, c] * _inverse(M[e, c], p) % p
                    for j in range(c, f):
                        M[i, j] = (M[i, j] - g * M[e, j]) % p
                c += 1
            for j in range(f):
                if M[i, j] != 0:
                    ok = False
                    break
            if not ok:
                break
        out[s] = ok
    return out
