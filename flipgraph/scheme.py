"""The Scheme: a rank-r decomposition of a target bilinear map (:mod:`flipgraph.tensors`).

A scheme is (target, ring, U, V, W) with U r×nU, V r×nV, W r×nW and
sum_q U[q,i]·V[q,j]·W[q,k] = T[i,j,k]. For matrix multiplication of format (n, m, p) — the usual
target, ``tensors.matmul(n, m, p)`` — the convention (everywhere in flipgraph; C is NOT transposed)
for A (n×m), B (m×p), C = A·B (n×p) is:

    M_q     = (sum_{i,j} U[q, i*m + j] A[i, j]) * (sum_{j,k} V[q, j*p + k] B[j, k])
    C[i, k] = sum_q W[q, i*p + k] M_q

so U is r×(n·m), V is r×(m·p), W is r×(n·p), rows are products ("terms" a⊗b⊗c, a = U[q], b = V[q],
c = W[q]). Public data in the cyclic "trace" convention (W indexed by C transposed) is converted by
the importers in :mod:`flipgraph.io`.

Example::

    >>> from flipgraph import classics, verify
    >>> s = classics.strassen()
    >>> s.format, s.rank, s.ring.name
    ((2, 2, 2), 7, 'zt')
    >>> bool(verify(s))
    True
"""
from __future__ import annotations

import hashlib
from fractions import Fraction
from math import gcd

import numpy as np

from .errors import SchemeError
from .rings import Q, Ring, ring as as_ring
from .tensors import Target, matmul, parse_target


class Scheme:
    """r products decomposing ``target`` over a ring (see module docstring).

    ``target`` is a :class:`~flipgraph.tensors.Target`, or for matrix multiplication a format
    ``(n, m, p)`` / ``"NxMxP"``."""

    __slots__ = ("target", "ring", "U", "V", "W")

    def __init__(self, target, U, V, W, ring: str | Ring = "z"):
        self.target: Target = parse_target(target)
        self.ring = as_ring(ring)
        self.U = self.ring.coerce(U, "U")
        self.V = self.ring.coerce(V, "V")
        self.W = self.ring.coerce(W, "W")
        r = self.U.shape[0] if self.U.ndim == 2 else -1
        for name, mat, cols in zip("UVW", (self.U, self.V, self.W), self.target.sizes):
            if mat.ndim != 2 or mat.shape != (r, cols):
                raise SchemeError(f"{name} has shape {mat.shape}, expected ({max(r, 0)}, {cols}) "
                                  f"for {self.target.label}")

    # ----------------------------------------------------------------- basic facts
    @property
    def format(self) -> tuple[int, int, int]:
        """(n, m, p) of a matrix-multiplication scheme; SchemeError for other targets."""
        if self.target.format is None:
            raise SchemeError(f"{self.target.name} is not a matrix multiplication")
        return self.target.format

    @property
    def format_str(self) -> str:
        """``3x3x3`` for matrix multiplication, the target's name otherwise."""
        return self.target.label

    @property
    def rank(self) -> int:
        return int(self.U.shape[0])

    def __repr__(self) -> str:
        return f"Scheme({self.format_str}, rank={self.rank}, ring={self.ring.name})"

    def copy(self) -> Scheme:
        return Scheme(self.target, self.U.copy(), self.V.copy(), self.W.copy(), self.ring)

    def terms(self):
        """Iterate over the products as (a, b, c) row triples."""
        return zip(self.U, self.V, self.W)

    # ----------------------------------------------------------------- rings
    def over(self, ring: str | Ring) -> Scheme:
        """The same coefficients read in another ring (reduced mod p for z2/z3; raises SchemeError
        when a coefficient does not belong, e.g. 2 in zt or 1/2 in z)."""
        target = as_ring(ring)
        U, V, W = self.U, self.V, self.W
        if target.is_integral and not self.ring.is_integral:
            U, V, W = (m.astype(object) for m in (U, V, W))
        elif self.ring.modulus and not target.modulus:
            # a GF(p) scheme read in characteristic 0: use symmetric representatives (2 -> -1 mod 3)
            U, V, W = (_symmetric(m, self.ring.modulus) for m in (U, V, W))
        return Scheme(self.target, U, V, W, target)

    def mod(self, p: int) -> Scheme:
        """Reduce mod p (2 or 3)."""
        return self.over({2: "z2", 3: "z3"}.get(p, f"gf{p}"))

    # ----------------------------------------------------------------- symmetries
    def transpose(self) -> Scheme:
        """(n,m,p) -> (p,m,n) from C^T = B^T A^T: A' = B^T, B' = A^T, C' = C^T."""
        n, m, p = self.format
        r = self.rank
        U = self.V.reshape(r, m, p).transpose(0, 2, 1).reshape(r, p * m)
        V = self.U.reshape(r, n, m).transpose(0, 2, 1).reshape(r, m * n)
        W = self.W.reshape(r, n, p).transpose(0, 2, 1).reshape(r, p * n)
        return Scheme(matmul(p, m, n), U, V, W, self.ring)

    def cyclic(self) -> Scheme:
        """(n,m,p) -> (m,p,n), the cyclic symmetry of the trace form: A' = B, B' = C^T, C' = A^T."""
        n, m, p = self.format
        r = self.rank
        U = self.V.copy()
        V = self.W.reshape(r, n, p).transpose(0, 2, 1).reshape(r, p * n)
        W = self.U.reshape(r, n, m).transpose(0, 2, 1).reshape(r, m * n)
        return Scheme(matmul(m, p, n), U, V, W, self.ring)

    def to_format(self, n: int, m: int, p: int) -> Scheme:
        """This scheme moved to a permutation (n, m, p) of its format through transpose/cyclic."""
        candidate = self
        for _ in range(2):
            for _ in range(3):
                if candidate.format == (n, m, p):
                    return candidate
                candidate = candidate.cyclic()
            candidate = candidate.transpose()
        raise SchemeError(f"{n}x{m}x{p} is not a permutation of {self.format_str}")

    # ----------------------------------------------------------------- canonical form
    def canonical(self) -> Scheme:
        """Canonical representative up to term order and per-term scaling
        a⊗b⊗c = (λa)⊗(μb)⊗((λμ)^-1 c).

        GF(p): a and b scaled to leading coefficient 1. Z, ZT, Q: a and b scaled to primitive
        integer vectors with positive leading entry (c takes the factor, so Z stays in Z).
        Terms with a zero factor become all-zero. Terms are then sorted lexicographically.
        """
        na, nb, nc = self.target.sizes
        fast = _normal_terms_int(self.U, self.V, self.W, self.ring) if self.ring.is_integral else None
        if fast is not None:
            return Scheme(self.target, fast[:, :na], fast[:, na:na + nb], fast[:, na + nb:],
                          self.ring)
        rows = [_normal_term(a, b, c, self.ring) for a, b, c in self.terms()]
        rows.sort()
        if not rows:
            empty = [np.zeros((0, k), dtype=np.int64) for k in (na, nb, nc)]
            return Scheme(self.target, *empty, self.ring)
        U = [row[:na] for row in rows]
        V = [row[na:na + nb] for row in rows]
        W = [row[na + nb:] for row in rows]
        if self.ring.is_integral and any(x.denominator != 1 for row in W for x in row):
            raise SchemeError("canonical form left the ring")  # cannot happen: c absorbs integers
        return Scheme(self.target, U, V, W, self.ring)

    def canonical_hash(self) -> str:
        """A stable hex digest of the canonical form. Equal schemes (up to term order and per-term
        scaling) hash equal; the ring enters only through its characteristic, so a ZT scheme and
        the same coefficients read in Z hash equal. The target enters by its id, except that a
        matmul scheme hashes its format "NxMxP" as in version 1 (so stored keys stay valid)."""
        canon = self.canonical()
        tag = self.format_str if self.target.is_matmul else self.target.id
        text = ";".join([tag, f"char{self.ring.modulus}"]
                        + [",".join(str(x) for x in np.concatenate(t)) for t in canon.terms()])
        return hashlib.sha256(text.encode()).hexdigest()

    def __eq__(self, other) -> bool:
        if not isinstance(other, Scheme):
            return NotImplemented
        return (self.target == other.target and self.rank == other.rank
                and self.ring.modulus == other.ring.modulus
                and self.canonical_hash() == other.canonical_hash())

    __hash__ = None  # mutable arrays: use canonical_hash() for dictionaries


def standard(*spec, ring: str | Ring = "zt") -> Scheme:
    """The standard scheme: one product per nonzero entry T[i,j,k] = c of the target, x[i]·y[j]
    into c·z[k]. For matmul (``standard(n, m, p)`` or ``standard(target)``) that is the naive
    algorithm of rank n·m·p, A[i,j]·B[j,k] into C[i,k], in (i, j, k) order."""
    target = parse_target(spec[0] if len(spec) == 1 else spec)
    r = target.nnz
    mats = [np.zeros((r, size), dtype=np.int64) for size in target.sizes]
    rows = np.arange(r)
    i, j, k, c = target.entries.T
    mats[0][rows, i] = 1
    mats[1][rows, j] = 1
    mats[2][rows, k] = c
    return Scheme(target, *mats, ring)


def _symmetric(mat: np.ndarray, p: int) -> np.ndarray:
    out = np.mod(mat, p)
    return np.where(out > p // 2, out - p, out)


def _normal_terms_int(U, V, W, ring: Ring) -> np.ndarray | None:
    """Vectorised :func:`_normal_term` for int64 rings, rows sorted; None when the scaled c could
    overflow int64 (the caller then takes the exact Python path)."""
    rows = np.concatenate([U, V, W], axis=1).astype(np.int64)
    alive = U.any(axis=1) & V.any(axis=1) & W.any(axis=1)
    rows[~alive] = 0
    if alive.any():
        a, b, c = U[alive], V[alive], W[alive]
        lead_a = a[np.arange(len(a)), (a != 0).argmax(axis=1)]
        lead_b = b[np.arange(len(b)), (b != 0).argmax(axis=1)]
        if ring.modulus:
            p = ring.modulus
            inverse = np.array([0] + [pow(x, -1, p) for x in range(1, p)], dtype=np.int64)
            a, b, c = (a * inverse[lead_a][:, None] % p, b * inverse[lead_b][:, None] % p,
                       c * (lead_a * lead_b % p)[:, None] % p)
        else:
            ga = np.gcd.reduce(a, axis=1) * np.sign(lead_a)
            gb = np.gcd.reduce(b, axis=1) * np.sign(lead_b)
            scale = ga * gb
            if int(np.abs(scale).max()) * int(np.abs(c).max()) >= 2**62:
                return None
            a, b, c = a // ga[:, None], b // gb[:, None], c * scale[:, None]
        rows[alive] = np.concatenate([a, b, c], axis=1)
    order = np.lexsort(rows.T[::-1]) if len(rows) else np.zeros(0, dtype=np.int64)
    return rows[order]


def _normal_term(a, b, c, ring: Ring) -> tuple:
    """(a, b, c) scaled to canonical form, concatenated into one tuple of Fractions or ints."""
    if not (np.any(a != 0) and np.any(b != 0) and np.any(c != 0)):
        return tuple(0 for _ in range(len(a) + len(b) + len(c)))
    if ring.modulus:
        p = ring.modulus
        la, lb = int(a[np.flatnonzero(a)[0]]), int(b[np.flatnonzero(b)[0]])
        ia, ib = pow(la, -1, p), pow(lb, -1, p)
        return tuple(int(x) for x in np.concatenate([a * ia % p, b * ib % p, c * la * lb % p]))
    fa, fa_scale = _primitive(a)
    fb, fb_scale = _primitive(b)
    scale = fa_scale * fb_scale
    cc = [Fraction(x) * scale for x in c]
    if ring is not Q:
        return tuple(int(x) for x in fa + fb) + tuple(int(x) for x in cc)
    return tuple(Fraction(x) for x in fa + fb) + tuple(cc)


def _primitive(vec) -> tuple[list[int], Fraction]:
    """vec = scale · prim with prim a primitive integer vector whose first nonzero is positive."""
    fr = [Fraction(x) for x in vec]
    den = 1
    for x in fr:
        den = den * x.denominator // gcd(den, x.denominator)
    ints = [int(x * den) for x in fr]
    g = 0
    for x in ints:
        g = gcd(g, x)
    lead = next(x for x in ints if x)
    g = g if lead > 0 else -g
    return [x // g for x in ints], Fraction(g, den)


def parse_format(text: str) -> tuple[int, int, int]:
    """'3x3x4' (or '3,3,4', 'mm:3x3x4') -> (3, 3, 4); raises SchemeError for anything else."""
    return parse_target(text).format
