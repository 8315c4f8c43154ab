"""Lifting schemes found mod p (Z2, Z3) to the integers or the rationals.

Unknowns are the coefficients F = (U, V, W) of the scheme, flattened in that order (row-major, product
by product; project convention, C not transposed). The Brent equations E(F) = T are indexed by
(a, b, c) of the target tensor T[a, b, c] (for matmul (i*m+j, j'*p+k, i'*p+k')), as in
:mod:`flipgraph.verify`.

Hensel lifting (linear, one p-adic digit per step). F0 is the scheme mod p read as integers. The
Jacobian J of E at F0 is reduced mod p once (:class:`flipgraph._gfp.GFpSolver`). Step e → e+1:
b = ((T − E(F)) / p^e) mod p, solve J·x = b mod p, F += p^e·x. The free coordinates of the solve are
never changed, so they keep the values they start with: their representatives in {-1, 0, 1}
("targets"); that is how the lift is steered towards small coefficients. Each coefficient is then
read back as a rational by rational reconstruction (extended Euclid, |num|, den ≤ sqrt(M/2) for
M = p^steps), the scheme is checked exactly over Q, rescaled term by term to clear denominators
(:meth:`Scheme.canonical`) and stored over the smallest ring that holds it: ZT, then Z, then Q.

If the first step's system is inconsistent, no lift to the p-adic integers exists: so none to Z, nor to
Q with denominators prime to p. That answer is certain and fast.

When Hensel gives no ternary scheme for a Z2 input, a sign search keeps the Z2 support and looks for
signs ±1 that make the scheme valid over Z (:func:`_sign_search`: the parity of the number of minus
signs in each Brent equation is linear over GF(2); the affine space of solutions of those linear
equations is searched exhaustively when small, by random sampling otherwise). Asked for ZT, a lift
that has coefficients beyond ±1 is moved to a ternary form when one is near: sandwiches and flips
over Z (:mod:`flipgraph.ternary`).

Example::

    >>> from flipgraph import classics, lift
    >>> result = lift(classics.laderman().mod(2))
    >>> result.ok, result.ring
    (True, 'zt')
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ._gfp import GFpSolver
from .errors import SchemeError
from .rings import smallest_ring
from .scheme import Scheme
from .ternary import ternary_form
from .verify import verify

__all__ = ["LiftResult", "lift", "rational_reconstruction"]

_RING_ORDER = {"zt": 0, "z": 1, "q": 2}
_CHECKPOINT_BITS = (20, 40, 60)       # try reconstruction at these p-adic precisions (in bits)
_REPAIRS = 64                         # random kernel moves to get past an inconsistent later step


@dataclass
class LiftResult:
    """Outcome of :func:`lift`; truthy iff ``ok``.

    ok        the scheme lifted to the requested ring (``to="zt"``: ZT; ``"z"``: ZT or Z; ``"q"``: any)
    scheme    the best verified lift found (ring zt, z or q), also when it misses the target; else None
    ring      the ring of ``scheme``: "zt", "z" or "q" (None without a scheme)
    reason    why not ok (or a note on how it was reached)
    proven    when no lift was found: True iff it is certain that none exists (first step inconsistent)
    method    "hensel" or "sign search", then " + ternary form" when that made it ternary ("none"
              or "ternary form" for an input already over Z)
    steps     p-adic precision of the Hensel lift (mod p^steps)
    seconds   wall time of the whole call
    """

    ok: bool
    source: Scheme
    scheme: Scheme | None = None
    ring: str | None = None
    reason: str = ""
    proven: bool = False
    method: str = ""
    steps: int = 0
    seconds: float = 0.0

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        head = f"{self.source.format_str} rank {self.source.rank} over {self.source.ring.name}"
        if self.method == "none":
            return f"{head}: nothing to lift, already over {self.ring}"
        if self.scheme is not None:
            msg = f"{head}: lifts to {self.ring} ({self.method}, {self.seconds:.2f} s)"
            return msg if self.ok else f"{msg}; {self.reason}"
        return f"{head}: does not lift: {self.reason} ({self.seconds:.2f} s)"


def lift(scheme: Scheme, to: str = "z", steps: int | None = None, tries: int = 8,
         seed: int = 0, ternary_seconds: float | None = None) -> LiftResult:
    """Lift a Z2 or Z3 scheme to Z (``to="z"``, the default), Q (``to="q"``) or ZT (``to="zt"``:
    only coefficients -1, 0, 1 count; the sign search decides when Hensel finds none, and a lift
    over Z is moved to a ternary form by sandwiches and flips over Z when one is near,
    :mod:`flipgraph.ternary`; a Z scheme given as input goes there directly).

    ``steps`` fixes the p-adic precision (lift mod p^steps; default: try 20, 40, 60 bits in turn).
    ``tries`` bounds the number of choices of free coordinates: the first pivots the nonzero
    coordinates first (so the free ones are mostly zeros, kept at 0); later ones shuffle the pivot
    order within nonzeros and zeros (and, over Z2, draw random signs for free ±1 coordinates).
    ``ternary_seconds`` bounds the search for a ternary form (default: its 4 rounds, unbounded).
    Returns a :class:`LiftResult`; every scheme in it is verified exactly.
    Raises SchemeError if the input is not a valid scheme over its own ring.
    """
    start = time.perf_counter()
    if to not in _RING_ORDER:
        raise SchemeError(f"lift target {to!r}: choose zt, z or q")
    if steps is not None and steps < 2:
        raise SchemeError(f"--steps {steps}: need at least 2")
    verdict = verify(scheme)
    if not verdict:
        raise SchemeError(f"{scheme.format_str} rank {scheme.rank} is not a valid scheme: {verdict}")

    def done(**kw) -> LiftResult:
        return LiftResult(source=scheme, seconds=time.perf_counter() - start, **kw)

    p = scheme.ring.modulus
    if p == 0:
        ring = smallest_ring(np.concatenate([scheme.U.ravel(), scheme.V.ravel(), scheme.W.ravel()]))
        out, method = scheme.over(ring), "none"
        if to == "zt" and ring.name == "z":
            out, method = _ternary(out, seed, ternary_seconds)
        ok = _RING_ORDER[out.ring.name] <= _RING_ORDER[to]
        return done(ok=ok, scheme=out, ring=out.ring.name, method=method,
                    reason="already over characteristic 0" if ok else _MISSED[out.ring.name])

    lifter = _Hensel(scheme)
    if not lifter.first_step_consistent():
        return done(ok=False, proven=True, method="hensel",
                    reason=f"no lift to Z, nor to Q with denominators prime to {p}: the first Hensel "
                           f"step J·x = b (mod {p}) is inconsistent (J: {lifter.solver.shape[0]} "
                           f"equations × {lifter.solver.shape[1]} unknowns, rank {lifter.solver.rank})")

    rng = np.random.default_rng(seed)
    best, best_steps, failures = None, 0, []
    for attempt in range(max(tries, 1)):
        found, used, why = lifter.run(steps, rng if attempt else None)
        if found is None:
            failures.append(why)
        elif best is None or _RING_ORDER[found.ring.name] < _RING_ORDER[best.ring.name]:
            best, best_steps = found, used
        if best is not None and best.ring.name == "zt":
            break
    method = "hensel"
    if (best is None or best.ring.name != "zt") and p == 2:
        signed = _sign_search(scheme, rng)
        if signed is not None:
            best, best_steps, method = signed, 0, "sign search"
    if best is None:
        return done(ok=False, method="hensel",
                    reason=f"no lift found in {tries} tries ({failures[-1]}); not proven impossible")
    if to == "zt" and best.ring.name == "z":
        best, also = _ternary(best, seed, ternary_seconds)
        method = f"{method} + {also}" if also != "none" else method
    ok = _RING_ORDER[best.ring.name] <= _RING_ORDER[to]
    return done(ok=ok, scheme=best, ring=best.ring.name, method=method, steps=best_steps,
                reason="" if ok else _MISSED[best.ring.name])


_MISSED = {"q": "found only a lift over Q (denominators), none over Z",
           "z": "found only a lift over Z (coefficients beyond ±1), no ternary one"}


def _ternary(scheme: Scheme, seed: int, seconds: float | None) -> tuple[Scheme, str]:
    """(the ternary form of the Z ``scheme``, "ternary form") when one is found within
    ``seconds`` (:func:`flipgraph.ternary.ternary_form`), else (``scheme``, "none")."""
    found = ternary_form(scheme, seed=seed, time_limit=seconds)
    return (found, "ternary form") if found is not None else (scheme, "none")


class _Hensel:
    """The Hensel lift of one mod-p scheme; the Jacobian is reduced once per pivot order."""

    def __init__(self, scheme: Scheme):
        self.scheme = scheme
        self.p = scheme.ring.modulus
        self.dims = (scheme.rank, *scheme.target.sizes)
        # representatives in {-1, 0, 1} (Z3: 2 -> -1; Z2: 0, 1)
        ints = scheme.over("z")
        self.F0 = np.concatenate([ints.U.ravel(), ints.V.ravel(), ints.W.ravel()]).astype(np.int64)
        self.T = scheme.target.dense().ravel()
        self.J = _jacobian(self.F0, self.dims, self.p)
        self.order = np.argsort(self.F0 == 0, kind="stable")   # nonzero coordinates pivot first
        self.solver = GFpSolver(self.J, self.p, self.order)

    def first_step_consistent(self) -> bool:
        b = _defect(self.F0, self.dims, self.T, self.p ** 2) // self.p
        return self.solver.solve(b) is not None

    def run(self, steps, rng):
        """One lift; ``rng`` None keeps the representatives, else a random choice of free
        coordinates. Returns (verified scheme or None, steps used, reason for failure)."""
        p, F = self.p, self.F0.copy()
        solver = self.solver
        if rng is not None:
            order = self.order.copy()
            nonzero = int((F != 0).sum())
            rng.shuffle(order[:nonzero])
            rng.shuffle(order[nonzero:])
            solver = GFpSolver(self.J, p, order)
            if p == 2:
                free = np.setdiff1d(np.arange(F.size), solver.pivots)
                ones = free[F[free] == 1]
                F[ones] = rng.choice(np.array([-1, 1]), size=ones.size)
        if steps is None:
            checkpoints = [math.ceil(bits / math.log2(p)) for bits in _CHECKPOINT_BITS]
        else:
            checkpoints = [steps]
        e, why, repairs, previous = 1, "", 0, None
        kernel = None
        rng = rng if rng is not None else np.random.default_rng(0)
        for K in checkpoints:
            while e < K:
                b = _defect(F, self.dims, self.T, p ** (e + 1)) // p ** e
                x = solver.solve(b)
                if x is None and previous is not None and repairs < _REPAIRS:
                    # a singular point: redo the previous step with a random kernel vector added
                    kernel = solver.kernel() if kernel is None else kernel
                    F_prev, x_prev = previous
                    z = rng.integers(0, p, kernel.shape[0])
                    F = F_prev + p ** (e - 1) * ((x_prev + z @ kernel) % p)
                    repairs += 1
                    continue
                if x is None:
                    return None, e, f"Hensel step {e} inconsistent for this choice of free coordinates"
                previous = (F, x)
                F = F + p ** e * x
                e += 1
            found = self._reconstruct(F, p ** K)
            if found is not None:
                return found, K, ""
            why = f"no rational reconstruction verified up to mod {p}^{K}"
        return None, e, why

    def _reconstruct(self, F, M) -> Scheme | None:
        values = [rational_reconstruction(int(v), M) for v in F]
        if any(v is None for v in values):
            return None
        r, na, nb, nc = self.dims
        flat = np.array(values, dtype=object)
        U = flat[:r * na].reshape(r, na)
        V = flat[r * na:r * (na + nb)].reshape(r, nb)
        W = flat[r * (na + nb):].reshape(r, nc)
        candidate = Scheme(self.scheme.target, U, V, W, "q")
        if not verify(candidate):
            return None
        canon = candidate.canonical()
        ring = smallest_ring(np.concatenate([canon.U.ravel(), canon.V.ravel(), canon.W.ravel()]))
        out = canon.over(ring)
        return out if verify(out) else None


def rational_reconstruction(v: int, M: int) -> Fraction | None:
    """The fraction a/b with a ≡ b·v (mod M), |a| ≤ sqrt(M/2), 0 < b ≤ sqrt(M/2), if it exists
    (extended Euclid, stopped half way); None otherwise."""
    bound = math.isqrt(M // 2)
    r0, r1, s0, s1 = M, v % M, 0, 1
    while r1 > bound:
        q = r0 // r1
        r0, r1 = r1, r0 - q * r1
        s0, s1 = s1, s0 - q * s1
    if s1 == 0 or abs(s1) > bound or math.gcd(r1, abs(s1)) != 1:
        return None
    return Fraction(r1, s1)


def _split(F, dims):
    r, na, nb, nc = dims
    return (F[:r * na].reshape(r, na), F[r * na:r * (na + nb)].reshape(r, nb),
            F[r * (na + nb):].reshape(r, nc))


def _jacobian(F, dims, p) -> np.ndarray:
    """∂E/∂F mod p as uint8, rows = equations (a, b, c), columns = coordinates of F."""
    r, na, nb, nc = dims
    U, V, W = (np.mod(x, p) for x in _split(F, dims))
    J = np.zeros((na, nb, nc, r * (na + nb + nc)), dtype=np.uint8)
    q = np.arange(r)
    VW = (V[:, :, None] * W[:, None, :] % p).transpose(1, 2, 0)     # b, c, q
    UW = (U[:, :, None] * W[:, None, :] % p).transpose(1, 2, 0)     # a, c, q
    UV = (U[:, :, None] * V[:, None, :] % p).transpose(1, 2, 0)     # a, b, q
    for a in range(na):
        J[a][:, :, q * na + a] = VW
    for b in range(nb):
        J[:, b][:, :, r * na + q * nb + b] = UW
    for c in range(nc):
        J[:, :, c][:, :, r * (na + nb) + q * nc + c] = UV
    return J.reshape(na * nb * nc, -1)


def _defect(F, dims, T, M) -> np.ndarray:
    """(T − E(F)) mod M, flattened over the equations (a, b, c). int64 while that is exact."""
    r = dims[0]
    U, V, W = (np.mod(x, M) for x in _split(F, dims))
    if M * M * max(r, 1) >= 2**62:
        U, V, W = (x.astype(object) for x in (U, V, W))
    UV = U[:, :, None] * V[:, None, :] % M
    E = np.tensordot(UV, W, axes=(0, 0)).ravel()
    return np.mod(T - E, M).astype(np.int64)


def _sign_search(scheme: Scheme, rng, exhaustive_bits: int = 16, samples: int = 1 << 14):
    """A ZT scheme with the support of the Z2 ``scheme`` (signs ±1 on its nonzeros), or None.

    Unknowns σ ∈ GF(2) per nonzero coefficient (sign (-1)^σ). A monomial U[q,a]V[q,b]W[q,c] of a Brent
    equation gets sign (-1)^(σ_u+σ_v+σ_w); an equation with k monomials and target t needs exactly
    (k − t)/2 minus signs, so the parity of the number of minus signs is a linear equation over GF(2).
    Per-term gauge (a,b,c) → (−a,−b,c), (−a,b,−c) is fixed by a + sign on the first nonzero of a and
    of b. The affine solution space is enumerated when its dimension ≤ ``exhaustive_bits``, else
    ``samples`` random points are tried; each candidate is checked exactly on the nonlinear equations
    and the winner by :func:`verify`.
    """
    r, na, nb, nc = scheme.rank, scheme.U.shape[1], scheme.V.shape[1], scheme.W.shape[1]
    F = np.concatenate([scheme.U.ravel(), scheme.V.ravel(), scheme.W.ravel()])
    coords = np.flatnonzero(F)
    var = -np.ones(F.size, dtype=np.int64)
    var[coords] = np.arange(coords.size)
    U, V, W = _split(F, (r, na, nb, nc))
    mono = np.argwhere(U[:, :, None, None] * V[:, None, :, None] * W[:, None, None, :])   # q, a, b, c
    eq = (mono[:, 1] * nb + mono[:, 2]) * nc + mono[:, 3]
    trio = np.stack([var[mono[:, 0] * na + mono[:, 1]],
                     var[r * na + mono[:, 0] * nb + mono[:, 2]],
                     var[r * (na + nb) + mono[:, 0] * nc + mono[:, 3]]], axis=1)
    order = np.argsort(eq, kind="stable")
    eq, trio = eq[order], trio[order]
    eqs, starts, counts = np.unique(eq, return_index=True, return_counts=True)
    target = scheme.target.dense().ravel()[eqs]
    minus = (counts - target) // 2                         # required number of minus signs
    rows = np.zeros((eqs.size, coords.size), dtype=np.uint8)
    for slot in range(3):
        np.add.at(rows, (np.repeat(np.arange(eqs.size), counts), trio[:, slot]), 1)
    gauge = []
    for q in range(r):
        for lo, width in ((q * na, na), (r * na + q * nb, nb)):
            nz = np.flatnonzero(F[lo:lo + width])
            if nz.size:
                row = np.zeros(coords.size, dtype=np.uint8)
                row[var[lo + nz[0]]] = 1
                gauge.append(row)
    A = np.vstack([rows % 2] + gauge)
    rhs = np.concatenate([minus % 2, np.zeros(len(gauge), dtype=np.int64)])
    solver = GFpSolver(A, 2)
    base = solver.solve(rhs)
    if base is None:
        return None                                        # no signs exist on this support
    kernel = solver.kernel()
    d = kernel.shape[0]
    nonlinear = counts >= 3
    if d <= exhaustive_bits:
        combos = ((np.arange(1 << d)[:, None] >> np.arange(d)) & 1).astype(np.uint8)
    else:
        combos = rng.integers(0, 2, size=(samples, d), dtype=np.uint8)
    size = max(1, (1 << 22) // max(len(trio), 1))
    for chunk in range(0, combos.shape[0], size):
        sigma = (base[None, :] + combos[chunk:chunk + size].astype(np.int64) @ kernel) % 2
        parity = sigma[:, trio].sum(axis=2) % 2             # per candidate and monomial
        negatives = np.add.reduceat(parity, starts, axis=1)
        good = np.flatnonzero((negatives[:, nonlinear] == minus[nonlinear]).all(axis=1))
        for g in good:
            signed = F.astype(np.int64).copy()
            signed[coords] = 1 - 2 * sigma[g]
            Us, Vs, Ws = _split(signed, (r, na, nb, nc))
            candidate = Scheme(scheme.target, Us, Vs, Ws, "zt")
            if verify(candidate):
                return candidate.canonical()
    return None
