"""Addition counts of schemes, their reduction by common-subexpression elimination (CSE), and the
Bini–Lotti stability factor.

Three independent problems (DESIGN §5): the r linear forms U[q] in A's entries, the r forms V[q]
in B's entries, and the n·p forms W[:, c] in the products. A form with t nonzero coefficients costs
t − 1 additions when evaluated naively (multiplication by a constant is not counted).

CSE (:func:`cse`, :func:`reduce_additions`): repeatedly take a pair (x_i, ρ·x_j) that occurs in at
least two forms up to a common factor (a sign over ZT; any ratio ρ of coefficients over Z, Q, GF(p)),
make a fresh variable for it and substitute. The count is fresh variables + sum of (length − 1).
Pair choice: greedy with random ties, a randomized greedy, "intersections" (destroy the fewest other
repeated pairs), two look-ahead scores ("lookahead": plus the next step's gain; "potential":
plus all gains left) and "rollout" (finish each top candidate greedily, take the best finish: the
strongest, ~20x slower); many seeded restarts, the best kept per part. The result is a
:class:`flipgraph.slp.SLP`, checked exactly before it is returned.

Objectives for walks over schemes: :func:`naive_total` and the quick greedy estimate
:func:`reduced_total`; :func:`minimize_reduced` drives the walk engine's fixed-rank walk with the
latter.

Example::

    >>> from flipgraph import classics
    >>> red = reduce_additions(classics.winograd(), restarts=20)
    >>> red.naive.total, red.reduced.total, red.stability
    (24, 15, 18)
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, NamedTuple

import numpy as np

from .errors import SchemeError
from .rings import Ring
from .scheme import Scheme
from .slp import SLP, AdditionCount

#: strategy name -> (kernel strategy code, probability of a random repeated pair per step)
STRATEGIES = {
    "greedy": (0, 0.0),
    "random": (0, 0.15),
    "intersections": (1, 0.0),
    "lookahead": (2, 0.0),
    "potential": (3, 0.0),
    "rollout": (4, 0.0),
}


def naive_additions(scheme: Scheme) -> AdditionCount:
    """Additions of the naive evaluation: sum over forms of (nonzeros − 1), per part."""
    return AdditionCount(_naive(scheme.U), _naive(scheme.V), _naive(scheme.W.T))


def naive_total(scheme: Scheme) -> int:
    """Total naive additions: the objective of a fixed-rank walk that looks for cheap schemes."""
    return naive_additions(scheme).total


def reduced_total(scheme: Scheme, restarts: int = 8, seed: int = 0) -> int:
    """A quick estimate of the reduced count: greedy CSE, ``restarts`` runs per part (no SLP is
    built). Cheap enough (~0.1–1 ms on 3x3x3) to be the objective of a walk over schemes."""
    return sum(int(_best_run(forms, scheme.ring, restarts, "greedy", seed)[0][0])
               for forms in (scheme.U, scheme.V, scheme.W.T) if forms.size)


def minimize_reduced(scheme: Scheme, *, rounds: int = 300, moves: int = 20_000,
                     plus_after: int = 1000, seed: int = 0,
                     progress: Callable[[int, int], None] | None = None) -> tuple[Scheme, int]:
    """A fixed-rank walk that keeps the scheme with the fewest *reduced* additions.

    Each round walks from the best scheme so far (the walk engine's fixed-rank walk,
    :func:`flipgraph.walks.naive.minimize_naive`: flips over zt/z2/z3, plus transitions after
    ``plus_after`` quiet flips, ``moves`` moves) and takes the scheme it returns when its
    :func:`reduced_total` is no worse (same rank only). Naive and reduced counts correlate
    poorly (the 58-addition 3x3x3 record has 119 naive additions), so this filter matters.
    Returns (scheme, reduced_total); ``progress(round, best)`` is called after every round."""
    from .walks.naive import minimize_naive
    from .verify import verify

    best, cost = scheme, reduced_total(scheme)
    for r in range(rounds):
        walked = minimize_naive(best, rounds=1, moves=moves, plus_after=plus_after,
                                seed=seed * 1000003 + r).scheme
        if walked.rank == scheme.rank:
            c = reduced_total(walked)
            if c <= cost:
                best, cost = walked, c
        if progress:
            progress(r, cost)
    if not verify(best):
        raise AssertionError("internal error: the walk produced an invalid scheme")
    return best, cost


def stability_factor(scheme: Scheme) -> int:
    """Bini–Lotti stability factor E = max over entries c of C of the sum, over the products q
    with W[q, c] ≠ 0, of nnz(U[q])·nnz(V[q])."""
    weight = (scheme.U != 0).sum(axis=1) * (scheme.V != 0).sum(axis=1)
    return int(((scheme.W != 0) * weight[:, None]).sum(axis=0).max(initial=0))


def _naive(forms: np.ndarray) -> int:
    nnz = (forms != 0).sum(axis=1)
    return int(np.maximum(nnz - 1, 0).sum())


# --------------------------------------------------------------------- CSE of one problem
class PartReduction(NamedTuple):
    """CSE of one problem over ``nvar`` variables. Variable nvar + t is the fresh variable
    ``fresh[t]``; every entry of ``fresh`` and ``forms`` is a list of (coef, variable index)."""

    cost: int
    fresh: list
    forms: list


def cse(forms: np.ndarray, ring: Ring, restarts: int = 100, strategy: str = "all",
        seed: int = 0) -> PartReduction:
    """Reduce the additions of the forms (rows of ``forms``, k × nvar, coefficients of ``ring``).

    ``strategy`` is a name of :data:`STRATEGIES` or ``"all"`` (restarts spread round-robin over
    them). Restart s uses seed ``seed·1000003 + s``: results are reproducible."""
    forms = np.asarray(forms)
    if not forms.size:
        return PartReduction(0, [], [[] for _ in range(forms.shape[0])])
    (cost, _, defs, Fout), values, ratios = _best_run(forms, ring, restarts, strategy, seed)
    return _decode(cost, defs, Fout, values, ratios, forms.shape[1], ring)


def _best_run(forms: np.ndarray, ring: Ring, restarts: int, strategy: str, seed: int):
    """The best kernel run over the restarts, with the coefficient and ratio tables."""
    from ._cse_kernels import cse_run

    names = list(STRATEGIES) if strategy == "all" else [strategy]
    for name in names:
        if name not in STRATEGIES:
            raise SchemeError(f"unknown CSE strategy {name!r}: choose all, {', '.join(STRATEGIES)}")
    k, nvar = forms.shape
    F, values, RT, ratios = _intern(forms, ring)
    Fw = np.zeros((k, nvar + _naive(forms) + 1), np.int32)   # each fresh variable saves ≥ 1
    Fw[:, :nvar] = F
    best = None
    for s in range(max(restarts, 1)):
        code, eps = STRATEGIES[names[s % len(names)]]
        run = cse_run(Fw, nvar, RT, len(ratios), code, eps, seed * 1000003 + s)
        if best is None or run[0] < best[0]:
            best = run
    return best, values, ratios


def _intern(forms: np.ndarray, ring: Ring):
    """Coefficient ids (0 = zero), their values, and the ratio table RT[a, b] = id of b / a."""
    mod = ring.modulus
    if forms.dtype != object:
        distinct = np.unique(forms[forms != 0])
        nonzero = [int(x) for x in distinct]
        F = np.where(forms != 0, np.searchsorted(distinct, forms) + 1, 0).astype(np.int32)
    else:
        nonzero = sorted({_exact(x) for x in forms.ravel() if x != 0})
        ids = {v: e + 1 for e, v in enumerate(nonzero)}
        F = np.zeros(forms.shape, np.int32)
        for (f, c), x in np.ndenumerate(forms):
            if x != 0:
                F[f, c] = ids[_exact(x)]
    ratios, rid = [], {}
    RT = np.zeros((len(nonzero) + 1, len(nonzero) + 1), np.int64)
    for a, va in enumerate(nonzero, 1):
        for b, vb in enumerate(nonzero, 1):
            rho = vb * pow(va, -1, mod) % mod if mod else Fraction(vb) / Fraction(va)
            if rho not in rid:
                rid[rho] = len(ratios)
                ratios.append(rho)
            RT[a, b] = rid[rho]
    return F, [None] + nonzero, RT, ratios


def _exact(x):
    return Fraction(x) if isinstance(x, Fraction) else int(x)


def _decode(cost, defs, Fout, values, ratios, nvar, ring) -> PartReduction:
    """Turn kernel output into exact coefficients. Over characteristic 0 a fresh variable is kept
    primitive (t = q·x_i + p·x_j for the ratio p/q), so column t carries a scale σ_t that the
    kernel does not see: true coefficient = value(id)·σ_column."""
    mod = ring.modulus
    sigma = [Fraction(1)] * nvar
    fresh = []
    for i, j, r in defs:
        if mod:
            fresh.append([(1, int(i)), (_rep(ratios[r], mod), int(j))])
            sigma.append(Fraction(1))
        else:
            rho = ratios[r] * sigma[j] / sigma[i]
            fresh.append([(rho.denominator, int(i)), (_num(rho.numerator), int(j))])
            sigma.append(sigma[i] / rho.denominator)
    forms = []
    for row in Fout:
        terms = []
        for c in np.flatnonzero(row):
            coef = values[row[c]]
            terms.append((_rep(coef, mod) if mod else _num(Fraction(coef) * sigma[c]), int(c)))
        forms.append(terms)
    return PartReduction(int(cost), fresh, forms)


def _rep(x: int, mod: int) -> int:
    """Symmetric representative of x mod p (2 -> -1 mod 3)."""
    x %= mod
    return x - mod if x > mod // 2 else x


def _num(x):
    """A Fraction as an int when it is one."""
    x = Fraction(x)
    return int(x) if x.denominator == 1 else x


# --------------------------------------------------------------------- whole schemes
@dataclass
class Reduction:
    """The result of :func:`reduce_additions`: counts before/after, stability factor, the SLP."""

    naive: AdditionCount
    reduced: AdditionCount
    stability: int
    slp: SLP


def reduce_additions(scheme: Scheme, restarts: int = 200, strategy: str = "all", seed: int = 0,
                     progress: Callable[[str], None] | None = None) -> Reduction:
    """CSE on the U, V and W problems of a valid scheme; returns the checked SLP and the counts.

    Raises SchemeError if the scheme is not valid (DESIGN: nothing unverified goes out)."""
    from .verify import verify

    verdict = verify(scheme)
    if not verdict:
        raise SchemeError(f"scheme is not valid: {verdict.first}")
    n, m, p = scheme.format
    parts = {}
    for key, forms in (("U", scheme.U), ("V", scheme.V), ("W", scheme.W.T)):
        parts[key] = cse(forms, scheme.ring, restarts, strategy, seed)
        if progress:
            progress(f"{key}: {_naive(forms)} -> {parts[key].cost}")
    a_names = [f"a{i}_{j}" for i in range(n) for j in range(m)]
    b_names = [f"b{j}_{k}" for j in range(m) for k in range(p)]
    m_names = [f"m{q}" for q in range(scheme.rank)]
    slp = SLP(n, m, p, scheme.ring)
    slp.a_side, slp.left = _assigns(parts["U"], a_names, "x", "l")
    slp.b_side, slp.right = _assigns(parts["V"], b_names, "y", "r")
    slp.c_side, outs = _assigns(parts["W"], m_names, "z", None)
    slp.outputs = [(f"c{c // p}_{c % p}", terms) for c, (_, terms) in enumerate(outs)]
    if not slp.check() or slp.to_scheme() != scheme:
        raise AssertionError("internal error: the CSE program does not compute the scheme")
    return Reduction(naive_additions(scheme), slp.additions, stability_factor(scheme), slp)


def _assigns(part: PartReduction, base: list, fresh_letter: str, form_letter: str | None):
    names = base + [f"{fresh_letter}{t}" for t in range(len(part.fresh))]
    fresh = [(names[len(base) + t], tuple((c, names[v]) for c, v in terms))
             for t, terms in enumerate(part.fresh)]
    forms = [(f"{form_letter}{q}" if form_letter else None, tuple((c, names[v]) for c, v in terms))
             for q, terms in enumerate(part.forms)]
    return fresh, forms
