"""Exact check of the Brent equations.

For a scheme (U, V, W) of format (n, m, p) (project convention, C not transposed) and all
i, i' < n; j, j' < m; k, k' < p:

    sum_q U[q, i*m+j] · V[q, j'*p+k] · W[q, i'*p+k'] = [i == i'] · [j == j'] · [k == k']

The left side is computed for all equations at once as one matrix product
(U ⊙ V row-wise outer products)ᵀ · W: float64 BLAS when every partial sum is an integer below
2^53 (exact), int64 when no overflow is possible, Python integers (object arrays) otherwise,
Fractions over Q (scaled to integers by a common denominator), reduced mod p over GF(p).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm

import numpy as np

from .errors import SchemeError
from .rings import Ring, ring as as_ring
from .scheme import Scheme


@dataclass(frozen=True)
class Verdict:
    """Outcome of :func:`verify`; truthy iff every Brent equation holds."""

    ok: bool
    ring: Ring
    failures: int = 0
    first: str = ""

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            return f"valid over {self.ring.name}"
        return f"invalid over {self.ring.name}: {self.failures} Brent equation(s) fail; first: {self.first}"


def matmul_tensor(n: int, m: int, p: int) -> np.ndarray:
    """The target tensor T[i*m+j, j'*p+k, i'*p+k'] = [i==i'][j==j'][k==k'] as an int64 array."""
    T = np.zeros((n * m, m * p, n * p), dtype=np.int64)
    for i in range(n):
        for j in range(m):
            for k in range(p):
                T[i * m + j, j * p + k, i * p + k] = 1
    return T


def scheme_tensor(scheme: Scheme, modulus: int = 0) -> np.ndarray:
    """sum_q U[q]⊗V[q]⊗W[q] as an array of shape (nm, mp, np): exact (int64, Python int or
    Fraction objects), reduced mod ``modulus`` when it is nonzero."""
    U, V, W, scale = _exact_arrays(scheme, modulus)
    T = np.stack([(V * U[:, a, None]).T @ W for a in range(U.shape[1])])
    if T.dtype == np.float64:
        T = T.astype(np.int64)
    if scale != 1:
        T = np.vectorize(lambda x: Fraction(x) / scale, otypes=[object])(T)
    return np.mod(T, modulus) if modulus else T


def verify(scheme: Scheme, ring: str | Ring | None = None) -> Verdict:
    """Check the Brent equations exactly over ``ring`` (default: the scheme's own ring; ZT and Z
    are checked over Z). Returns a :class:`Verdict` naming the first failing equation.

    One matrix product per row a = (i, j) of the tensor, (V·diag(U[:, a]))ᵀ W, so memory stays
    at (mp × np) whatever the rank.
    """
    target = as_ring(ring) if ring is not None else scheme.ring
    n, m, p = scheme.format
    U, V, W, scale = _exact_arrays(scheme, target.modulus)
    failures, first = 0, ""
    for a in range(n * m):
        i, j = divmod(a, m)
        got = (V * U[:, a, None]).T @ W                      # got[b, c], b = (j', k), c = (i', k')
        want = np.zeros((m * p, n * p), dtype=got.dtype if scale < 2**62 else object)
        want[j * p + np.arange(p), i * p + np.arange(p)] = scale
        diff = got - want
        if target.modulus:
            diff = np.mod(diff, target.modulus)
        bad = np.argwhere(diff != 0)
        if len(bad) and not first:
            b, c = (int(x) for x in bad[0])
            j2, k = divmod(b, p)
            i2, k2 = divmod(c, p)
            value = Fraction(int(got[b, c]), scale)
            first = (f"A[{i},{j}]·B[{j2},{k}] in C[{i2},{k2}]: coefficient {value}, expected "
                     f"{int(want[b, c] != 0)} (off by {value - int(want[b, c] != 0)})")
        failures += len(bad)
    return Verdict(failures == 0, target, failures, first)


def _exact_arrays(scheme: Scheme, modulus: int):
    """(U, V, W, scale) with integer entries and U·V·W products that cannot overflow; the true
    scheme is (U, V, W) with every product divided by ``scale`` (a common denominator over Q)."""
    mats, scale = (scheme.U, scheme.V, scheme.W), 1
    if not scheme.ring.is_integral:
        if modulus:
            return (*(_fractions_mod(mat, modulus) for mat in mats), 1)
        dens = [_lcm_denominator(mat) for mat in mats]
        mats = tuple((mat * d).astype(object) for mat, d in zip(mats, dens))
        mats = tuple(np.vectorize(int, otypes=[object])(mat) if mat.size else mat.astype(np.int64)
                     for mat in mats)
        scale = dens[0] * dens[1] * dens[2]
    if modulus:
        mats = tuple(np.mod(mat, modulus).astype(np.int64) for mat in mats)
        bound = (modulus - 1) ** 3 * max(scheme.rank, 1)
        return (*(mat.astype(np.float64 if bound < 2**53 else np.int64) for mat in mats), 1)
    bound = max(scheme.rank, 1)
    for mat in mats:
        bound *= int(np.abs(mat).max()) if mat.size else 0
    if bound < 2**53 and scale < 2**53:      # every partial sum is an integer float64 holds
        return (*(mat.astype(np.float64) for mat in mats), scale)
    if bound < 2**62 and scale < 2**62:
        return (*(mat.astype(np.int64) for mat in mats), scale)
    return (*(mat.astype(object) for mat in mats), scale)


def _lcm_denominator(mat: np.ndarray) -> int:
    d = 1
    for x in mat.ravel():
        d = lcm(d, Fraction(x).denominator)
    return d


def _fractions_mod(mat: np.ndarray, p: int) -> np.ndarray:
    out = np.zeros(mat.shape, dtype=np.int64)
    for idx, x in np.ndenumerate(mat):
        x = Fraction(x)
        if x.denominator % p == 0:
            raise SchemeError(f"coefficient {x} has no value mod {p}")
        out[idx] = x.numerator * pow(x.denominator, -1, p) % p
    return out
