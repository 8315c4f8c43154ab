"""Fault tolerance from several schemes of one format (DESIGN §6), analysed exactly over Q.

A *configuration* is the products of one or more schemes of one format (n, m, p), plus optional
*parity products* u⊗v. Product q is the bilinear form F_q = vec(u_q v_qᵀ) (index (i·m+j)·mp +
(j'·p+k), u over A's entries, v over B's, the project's convention). Then:

* check relations: H, a basis of the left null space of the stacked forms F (integer rows,
  primitive): sum_q H[j, q]·M_q = 0 for all inputs;
* the products that survive, S, rebuild C iff rank([F_S; T]) = rank(F_S) (T = the forms of C).
  With Y0 one decoding (Y0·F = T, from the first scheme's W), the erased set E is recoverable iff
  rank([H_E; Y0_E]) = rank(H_E) (columns E): every decoding is Y0 + Z·H;
* one silently wrong product q is detected iff column H[:, q] ≠ 0, located iff no other column is
  parallel to it.

Bulk decodability runs mod the prime 2³¹ − 1 in a numba kernel. That equals the rank over Q: every
minor of an integer matrix is at most the product of its column norms (Hadamard), so when the
product of the largest min(rows, f) column norms of [H; Y0] is below p, every nonzero minor stays
nonzero mod p. :func:`decodable` checks this bound and otherwise ranks exactly with Fractions.

    >>> from flipgraph import ft
    >>> c = ft.configuration(["strassen", "winograd"])
    >>> c.size, c.checks, round(ft.p_decodable(c, [2])[2][0], 3)
    (14, 4, 0.978)
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property, lru_cache, reduce

import numpy as np

from . import _ft_kernels
from .errors import FlipgraphError, SchemeError
from .scheme import Scheme

__all__ = ["Config", "configuration", "decodable", "p_decodable", "p_independent",
           "parity_candidates", "with_parity", "best_parity", "OBJECTIVES", "distinct_schemes",
           "pair_search", "score", "analyze",
           "PRIME", "FAILURES", "NODE_P"]

PRIME = 2 ** 31 - 1
FAILURES = tuple(range(1, 7))          # f of the P(decodable | f failures) table
NODE_P = (0.01, 0.05, 0.1)             # independent failure probabilities of the node view


# ------------------------------------------------------------------ exact linear algebra over Q
def _rref(rows) -> tuple[list[list[Fraction]], list[int]]:
    """Reduced row echelon form (Fractions) and pivot columns."""
    M = [[Fraction(x) for x in row] for row in rows]
    pivots, r = [], 0
    cols = len(M[0]) if M else 0
    for c in range(cols):
        piv = next((i for i in range(r, len(M)) if M[i][c] != 0), None)
        if piv is None:
            continue
        M[r], M[piv] = M[piv], M[r]
        inv = 1 / M[r][c]
        M[r] = [x * inv for x in M[r]]
        for i in range(len(M)):
            if i != r and M[i][c] != 0:
                f = M[i][c]
                M[i] = [a - f * b for a, b in zip(M[i], M[r])]
        pivots.append(c)
        r += 1
        if r == len(M):
            break
    return M[:r], pivots


def _null_space(rows, cols: int) -> list[list[Fraction]]:
    """Basis of {x : rows·x = 0} (right null space), one vector per free column."""
    R, pivots = _rref(rows) if len(rows) else ([], [])
    basis = []
    for free in (c for c in range(cols) if c not in pivots):
        x = [Fraction(0)] * cols
        x[free] = Fraction(1)
        for row, pc in zip(R, pivots):
            x[pc] = -row[free]
        basis.append(x)
    return basis


def _primitive(vec) -> list[int]:
    """The integer multiple of a rational vector with coprime entries, first nonzero positive."""
    vec = [Fraction(x) for x in vec]
    den = reduce(math.lcm, (x.denominator for x in vec), 1)
    ints = [int(x * den) for x in vec]
    g = reduce(math.gcd, ints, 0) or 1
    lead = next((x for x in ints if x), 1)
    return [x // g * (1 if lead > 0 else -1) for x in ints]


def _int_array(rows, width: int) -> np.ndarray:
    big = any(abs(x) >= 2 ** 62 for row in rows for x in row)
    return np.array(rows, dtype=object if big else np.int64).reshape(len(rows), width)


# ------------------------------------------------------------------ configurations
def _resolve(spec) -> tuple[Scheme, str]:
    from .classics import CLASSICS

    if isinstance(spec, Scheme):
        return spec, f"{spec.format_str}r{spec.rank}"
    if isinstance(spec, str) and spec in CLASSICS:
        return CLASSICS[spec](), spec
    raise FlipgraphError(f"{spec!r}: not a Scheme nor a classic ({', '.join(sorted(CLASSICS))})")


@dataclass(eq=False)
class Config:
    """The products of ``schemes`` (all of one format) followed by ``parity`` products (u, v).

    Rows of :attr:`U`, :attr:`V` are the products' factors (Fractions): the first scheme's
    products first, parity products last. The schemes are verified (Brent equations)."""
    schemes: list
    names: list
    parity: list = field(default_factory=list)

    def __post_init__(self):
        from .verify import verify

        if not self.schemes:
            raise FlipgraphError("a configuration needs at least one scheme")
        fmts = {s.format for s in self.schemes}
        if len(fmts) != 1:
            raise FlipgraphError(f"schemes of different formats: "
                                 f"{', '.join(sorted(s.format_str for s in self.schemes))}")
        for s, name in zip(self.schemes, self.names):
            verdict = verify(s)
            if not verdict:
                raise SchemeError(f"{name}: not a valid {s.format_str} scheme ({verdict})")

    @property
    def format(self) -> tuple[int, int, int]:
        return self.schemes[0].format

    @property
    def name(self) -> str:
        return " + ".join(self.names) + (f" + {len(self.parity)} parity" if self.parity else "")

    @cached_property
    def U(self) -> list[tuple[Fraction, ...]]:
        return [tuple(Fraction(x) for x in row) for s in self.schemes for row in s.U] + \
               [tuple(Fraction(x) for x in u) for u, _ in self.parity]

    @cached_property
    def V(self) -> list[tuple[Fraction, ...]]:
        return [tuple(Fraction(x) for x in row) for s in self.schemes for row in s.V] + \
               [tuple(Fraction(x) for x in v) for _, v in self.parity]

    @property
    def size(self) -> int:
        return len(self.U)

    @cached_property
    def forms(self) -> list[list[Fraction]]:
        """F_q = vec(u_q v_qᵀ), one row per product."""
        return [[a * b for a in u for b in v] for u, v in zip(self.U, self.V)]

    @cached_property
    def targets(self) -> list[list[int]]:
        """The forms of C[i, k] = sum_j A[i, j] B[j, k], row i·p + k."""
        n, m, p = self.format
        rows = []
        for i, k in itertools.product(range(n), range(p)):
            row = [0] * (n * m * m * p)
            for j in range(m):
                row[(i * m + j) * m * p + j * p + k] = 1
            rows.append(row)
        return rows

    @cached_property
    def H(self) -> np.ndarray:
        """Check relations (k × N), integer rows: a basis of the left null space of the schemes'
        forms, then one row p_k − Σ λ_q M_q per parity product (λ: its coordinates)."""
        base = tuple(tuple(f) for f in self.forms[:self.size - len(self.parity)])
        rows = [list(h) + [0] * len(self.parity) for h in _left_null(base)]
        for k, (u, v) in enumerate(self.parity):
            lam = _coordinates(base, tuple(Fraction(a) * Fraction(b) for a in u for b in v))
            if lam is None:
                raise FlipgraphError(f"parity product {k + 1} is not in the span of the products")
            rows.append(_primitive([-x for x in lam] + [int(i == k) for i in range(len(self.parity))]))
        return _int_array(rows, self.size)

    @property
    def checks(self) -> int:
        return self.H.shape[0]

    @cached_property
    def Y0(self) -> np.ndarray:
        """A decoding (np × N): the first scheme's W, zero on the other products, integer rows."""
        W = self.schemes[0].W
        rows = [[Fraction(W[q, t]) if q < W.shape[0] else Fraction(0) for q in range(self.size)]
                for t in range(W.shape[1])]
        return _int_array([_primitive(r) if any(r) else [0] * self.size for r in rows], self.size)

    def decoding(self, erased=()) -> list[list[Fraction]] | None:
        """Y (np × N) with Y·F = T and Y zero on ``erased``; None when C cannot be rebuilt.
        A whole surviving scheme decodes with its own W; else Y = Y0 + Z·H with Z·H_E = −Y0_E."""
        erased = sorted(set(erased))
        start = 0
        for s in self.schemes:
            if not set(range(start, start + s.rank)) & set(erased):
                return [[Fraction(s.W[q - start, t]) if start <= q < start + s.rank else
                         Fraction(0) for q in range(self.size)] for t in range(s.W.shape[1])]
            start += s.rank
        W = self.schemes[0].W
        Y0 = [[Fraction(W[q, t]) if q < W.shape[0] else Fraction(0) for q in range(self.size)]
              for t in range(W.shape[1])]
        H = [[int(x) for x in row] for row in self.H]
        k = len(H)
        R, pivots = _rref([[H[j][q] for j in range(k)] + [-y[q] for y in Y0] for q in erased])
        if any(pc >= k for pc in pivots):
            return None
        Z = [[Fraction(0)] * k for _ in Y0]
        for row, pc in zip(R, pivots):
            for t in range(len(Y0)):
                Z[t][pc] = row[k + t]
        return [[y[q] + sum(z[j] * H[j][q] for j in range(k) if z[j]) for q in range(self.size)]
                for y, z in zip(Y0, Z)]

    def relations(self, erased=()) -> list[list[int]]:
        """Integer basis of the check relations that vanish on the ``erased`` products."""
        key = ("relations", tuple(sorted(erased)))
        if key not in self._memo:
            H = [[int(x) for x in row] for row in self.H]
            rows = H
            if key[1]:
                combos = [_primitive(c) for c in _null_space([[row[q] for row in H]
                                                              for q in key[1]], len(H))]
                rows = [_primitive([sum(c[j] * H[j][q] for j in range(len(H)) if c[j])
                                    for q in range(self.size)]) for c in combos]
            self._memo[key] = rows
        return self._memo[key]

    def decoder(self, erased=()) -> tuple[list[list[int]], int] | None:
        """(integer Y, d) with C = Y·M / d from the survivors of ``erased``, or None."""
        key = ("decoder", tuple(sorted(erased)))
        if key not in self._memo:
            Y = self.decoding(key[1])
            d = math.lcm(*(x.denominator for row in Y for x in row)) if Y else 1
            self._memo[key] = None if Y is None else ([[int(x * d) for x in row] for row in Y], d)
        return self._memo[key]

    @cached_property
    def _memo(self) -> dict:
        return {}

    @cached_property
    def column_classes(self) -> list[list[int]]:
        """Products grouped by the direction of their column of H (zero columns excluded)."""
        classes: dict[tuple, list[int]] = {}
        for q in range(self.size):
            col = [int(x) for x in self.H[:, q]]
            if any(col):
                classes.setdefault(tuple(_primitive(col)), []).append(q)
        return list(classes.values())

    @property
    def undetectable(self) -> list[int]:
        """Products whose silent error no check sees (zero column of H)."""
        return [q for q in range(self.size) if not self.H[:, q].any()]

    @property
    def locatable(self) -> list[int]:
        """Products whose single silent error the syndrome locates (a column parallel to none)."""
        return sorted(c[0] for c in self.column_classes if len(c) == 1)


def configuration(schemes=("strassen", "winograd"), parity=0, copies: int = 1) -> Config:
    """A :class:`Config` from Schemes or classic names; ``copies`` repeats the list (plain
    copies); ``parity``: a number K (searched by :func:`best_parity`) or a list of (u, v)."""
    found = [_resolve(s) for s in schemes] * copies
    config = Config([s for s, _ in found], [n for _, n in found])
    if isinstance(parity, int):
        return best_parity(config, parity) if parity else config
    return with_parity(config, parity)


def with_parity(config: Config, products) -> Config:
    """``config`` with parity products (u, v) appended (each must lie in the span of the forms)."""
    out = Config(config.schemes, config.names, list(config.parity) + [tuple(p) for p in products])
    out.H                                    # raises when a product is outside the span
    return out


@lru_cache(maxsize=64)
def _left_null(forms: tuple) -> list[list[int]]:
    return [_primitive(h) for h in _null_space([list(c) for c in zip(*forms)], len(forms))]


@lru_cache(maxsize=4096)
def _coordinates(forms: tuple, form: tuple) -> list[Fraction] | None:
    """Some λ with Σ λ_q forms[q] = form, or None when form is outside their span."""
    R, pivots = _rref([list(c) + [x] for c, x in zip(zip(*forms), form)])
    if len(forms) in pivots:
        return None
    lam = [Fraction(0)] * len(forms)
    for row, pc in zip(R, pivots):
        lam[pc] = row[-1]
    return lam


# ------------------------------------------------------------------ decodability
def _exact_ok(config: Config, f: int) -> bool:
    """Hadamard: the largest minor of [H; Y0] restricted to f columns is below PRIME."""
    M = np.vstack([config.H, config.Y0]).astype(float)
    norms = np.sort(np.sqrt((M ** 2).sum(axis=0)))[::-1]
    size = min(M.shape[0], f)
    return float(np.log(np.maximum(norms[:size], 1.0)).sum()) < math.log(PRIME) - 1e-9


def decodable(config: Config, erasure_sets) -> np.ndarray:
    """For each erasure set (rows of an S × f index array), can the survivors rebuild C?"""
    sets = np.asarray(erasure_sets, dtype=np.int64)
    if sets.ndim != 2:
        sets = sets.reshape(len(sets), -1)
    if _exact_ok(config, sets.shape[1]):
        H = (np.asarray(config.H, dtype=object) % PRIME).astype(np.int64)
        Y = (np.asarray(config.Y0, dtype=object) % PRIME).astype(np.int64)
        return _ft_kernels.decodable_sets(H, Y, sets, PRIME)
    return np.array([config.decoding(row) is not None for row in sets.tolist()], dtype=bool)


@lru_cache(maxsize=32)
def _all_sets(N: int, f: int) -> np.ndarray:
    total = math.comb(N, f)
    flat = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(N), f)),
                       dtype=np.int64, count=total * f)
    flat.flags.writeable = False
    return flat.reshape(total, f)


def _erasure_sets(N: int, f: int, exact_limit: int, samples: int, rng):
    if math.comb(N, f) <= exact_limit:
        return _all_sets(N, f), True
    return np.argsort(rng.random((samples, N)), axis=1)[:, :f].astype(np.int64), False


def p_decodable(config: Config, fs=FAILURES, exact_limit: int = 1_000_000,
                samples: int = 100_000, seed: int = 0) -> dict[int, tuple[float, bool]]:
    """{f: (P(C rebuilt | f products fail, uniformly at random), exact?)}. Exact by enumerating
    all C(N, f) sets when at most ``exact_limit``, else an estimate from ``samples`` random sets
    (fixed ``seed``)."""
    rng = np.random.default_rng(seed)
    out, zero = {}, False
    for f in sorted(fs):
        if f > config.size or zero:           # fewer survivors never decode more: monotone in f
            out[f] = (0.0, True)
            continue
        sets, exact = _erasure_sets(config.size, f, exact_limit, samples, rng)
        out[f] = (float(decodable(config, sets).mean()), exact)
        zero = exact and out[f][0] == 0
    return out


def p_independent(config: Config, ps=NODE_P, exact_limit: int = 1_000_000,
                  samples: int = 20_000, seed: int = 0) -> tuple[dict[float, float], bool]:
    """P(C rebuilt) when every product fails independently with probability p, for each p:
    sum_f C(N,f) p^f (1-p)^(N-f) P(decodable | f), f up to where the binomial tail is < 1e-10.
    Returns ({p: probability}, exact?)."""
    N = config.size
    fmax = 0
    for p in ps:
        tail, f = 1.0, 0
        while f <= N and tail > 1e-10:
            tail -= math.comb(N, f) * p ** f * (1 - p) ** (N - f)
            f += 1
        fmax = max(fmax, f)
    table = p_decodable(config, range(0, min(fmax, N) + 1), exact_limit, samples, seed)
    exact = all(e for _, e in table.values())
    return {p: sum(math.comb(N, f) * p ** f * (1 - p) ** (N - f) * prob
                   for f, (prob, _) in table.items()) for p in ps}, exact


# ------------------------------------------------------------------ parity products
def _vectors(size: int, coef: int) -> np.ndarray:
    """All primitive integer vectors with entries in [-coef, coef], first nonzero entry positive."""
    allv = np.array(list(itertools.product(range(-coef, coef + 1), repeat=size)), dtype=np.int64)
    nz = allv != 0
    first = allv[np.arange(len(allv)), nz.argmax(axis=1)]
    primitive = np.gcd.reduce(np.abs(allv), axis=1) == 1
    return allv[primitive & (first > 0)]


def parity_candidates(config: Config, coef: int = 1) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Rank-one products u⊗v (entries in [-coef, coef], up to sign) whose form lies in the span of
    the configuration's forms. Cost ~ (2·coef+1)^(nm+mp): fine for 2x2x2, minutes for 3x3x3."""
    n, m, p = config.format
    Z = _null_space(config.forms, n * m * m * p)                     # span = Z^⊥
    if not Z:
        Zm = np.zeros((n * m * m * p, 0))
    else:
        Zm = np.array([_primitive(z) for z in Z], dtype=float).T      # (nm·mp) × dz
    Us, Vs = _vectors(n * m, coef), _vectors(m * p, coef)
    G = Zm.reshape(n * m, m * p, -1)
    out = []
    chunk = max(1, 2 ** 22 // max(1, len(Vs) * G.shape[2]))
    Vf = Vs.astype(float)
    for start in range(0, len(Us), chunk):
        Uc = Us[start:start + chunk].astype(float)
        Gu = np.einsum("ua,abz->ubz", Uc, G)                           # per u: (mp × dz)
        hit = np.abs(np.einsum("vb,ubz->uvz", Vf, Gu)).max(axis=2, initial=0.0) < 0.5
        for a, b in zip(*np.nonzero(hit)):
            out.append((tuple(int(x) for x in Us[start + a]), tuple(int(x) for x in Vs[b])))
    return out


OBJECTIVES = ("lex", "sum")


def _select(configs: list, objective: str, fs=FAILURES) -> Config:
    """The best configuration: "lex" maximises P(decodable | f) for the smallest f first (ties go
    to the next f; the order that also maximises P(decodable) under rare independent failures),
    "sum" maximises sum_f P(decodable | f); then the most locatable single errors."""
    if objective not in OBJECTIVES:
        raise FlipgraphError(f"unknown objective {objective!r} (choose from {', '.join(OBJECTIVES)})")
    if objective == "sum":
        return max(configs, key=lambda c: score(c, fs, "sum"))
    alive = list(configs)
    for f in fs:
        if len(alive) == 1:
            break
        values = [p_decodable(c, [f])[f][0] for c in alive]
        top = max(values)
        alive = [c for c, v in zip(alive, values) if v >= top - 1e-12]
    return max(alive, key=lambda c: len(c.locatable))


def score(config: Config, fs=FAILURES, objective: str = "lex") -> tuple:
    """A sortable score: the P(decodable | f) values (lex) or their sum, then locatable count."""
    values = [p for p, _ in p_decodable(config, fs).values()]
    head = tuple(round(v, 12) for v in values) if objective == "lex" else (round(sum(values), 12),)
    return head + (len(config.locatable),)


def best_parity(config: Config, K: int, coef: int = 2, fs=FAILURES, objective: str = "sum",
                exhaustive_limit: int = 300) -> Config:
    """``config`` with the K parity products that are best for ``objective`` (see
    :func:`_select`). Ternary candidates first; entries up to 2, ..., ``coef`` are searched next
    and kept only when they score strictly better (so a coefficient 2 is used only where it pays).
    Per level: all K-sets of candidates when there are at most ``exhaustive_limit``, else greedily
    one at a time."""
    best, best_score = None, None
    for c in range(1, coef + 1):
        candidates = parity_candidates(config, c)
        if len(candidates) < K:
            continue
        if math.comb(len(candidates), K) <= exhaustive_limit:
            found = _select([with_parity(config, list(s))
                             for s in itertools.combinations(candidates, K)], objective, fs)
        else:
            found = config
            for _ in range(K):
                found = _select([with_parity(found, [x]) for x in candidates
                                 if x not in found.parity], objective, fs)
        value = score(found, fs, objective)
        if best is None or value > best_score:
            best, best_score = found, value
    if best is None:
        raise FlipgraphError(f"only {len(candidates)} rank-one products with entries up to "
                             f"{coef} lie in the span; asked for {K}")
    return best


# ------------------------------------------------------------------ pair search
def distinct_schemes(fmt: str, rank: int, seeds, ring: str = "zt", extra=()) -> list:
    """Distinct schemes (up to term order and scaling) of ``fmt`` and ``rank``: ``extra`` plus
    one flip-graph search per seed (``flipgraph.search``; ZT results hold over every ring)."""
    from .walks import search

    found = {s.canonical_hash(): s for s in extra}
    for seed in seeds:
        result = search(fmt, ring=ring, target_rank=rank, seed=seed)
        if result.rank == rank:
            found.setdefault(result.scheme.canonical_hash(), result.scheme)
    return list(found.values())


def pair_search(schemes, parity: int = 0, top: int = 5, fs=FAILURES, objective: str = "lex"):
    """Rank all pairs of schemes (one format) by ``objective`` (see :func:`_select`); the ``top``
    best pairs get ``parity`` products (:func:`best_parity`). Returns [(score, i, j, Config)],
    best first; pair (i, j) names its schemes s<i>, s<j>."""
    ranked = []
    for i, j in itertools.combinations(range(len(schemes)), 2):
        config = Config([schemes[i], schemes[j]], [f"s{i}", f"s{j}"])
        ranked.append((score(config, fs, objective), i, j, config))
    ranked.sort(key=lambda r: r[0], reverse=True)
    out = []
    for value, i, j, config in ranked[:top]:
        if parity:
            config = best_parity(config, parity, fs=fs, objective=objective)
            value = score(config, fs, objective)
        out.append((value, i, j, config))
    out.sort(key=lambda r: r[0], reverse=True)
    return out


# ------------------------------------------------------------------ report
def analyze(config: Config, fs=FAILURES, ps=NODE_P, exact_limit: int = 1_000_000,
            samples: int = 100_000, seed: int = 0) -> dict:
    """One row of ``flipgraph ft analyze``: P(decodable | f), the independent-failure view, the
    check-relation count and the single-error verdicts."""
    table = p_decodable(config, fs, exact_limit, samples, seed)
    node, node_exact = p_independent(config, ps, exact_limit, samples // 5, seed)
    return {
        "name": config.name,
        "products": config.size,
        "p_decodable": {str(f): p for f, (p, _) in table.items()},
        "exact": all(e for _, e in table.values()) and node_exact,
        "p_independent": {str(p): v for p, v in node.items()},
        "check_relations": config.checks,
        "undetectable_single_errors": len(config.undetectable),
        "locatable_single_errors": len(config.locatable),
        "parity": [[list(u), list(v)] for u, v in config.parity],
    }
