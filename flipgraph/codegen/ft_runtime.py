"""Runtime of fault-tolerant multiplies: products as tasks, erasure decoding, syndrome checks.

Needs only numpy and the standard library: :func:`flipgraph.ft_matmul` calls it with tables
computed exactly by :mod:`flipgraph.ft`, and ``flipgraph codegen --fault-tolerant`` copies this
source verbatim into a standalone module with the tables written out.

Conventions: C = A·B, nothing transposed; a configuration of format (n, m, p) has N products
M_q = X_q·Y_q, X_q = Σ_a U[q][a]·A-block a (blocks row-major, n×m), Y_q = Σ_b V[q][b]·B-block b
(m×p). ``relations(erased)`` gives integer rows h with Σ_q h_q·M_q = 0 and h zero on the erased
products; ``decoder(erased)`` gives (Y, d), integer rows with C-block t = Σ_q Y[t][q]·M_q / d, or
None when the survivors cannot rebuild C.

Silent errors: the syndrome s_j = Σ_q H[j,q]·M_q is zero for exact kinds (int: exact mod 2^64,
object, GF(p)) and, for floats, below

    τ_j = 4·(k + N + w)·u·Σ_q |H[j,q]|·α_q,   α_q = (Σ_a |U[q,a]|·‖A_a‖_F)·(Σ_b |V[q,b]|·‖B_b‖_F)

(u = unit roundoff, k = inner block size, w = most nonzeros of a factor): a bound on the rounding
of the operands, the products and the syndrome (γ_k-style; the Frobenius norms bound every entry).
An error e in one product moves s_j by H[j,q]·e, so every error with max|e| > 2·max_j τ_j is
detected. One product whose column of H alone fits the syndrome is located and corrected
(M_q −= e); several fitting products (parallel columns) or none (more than one error) are
suspects: recomputed, never guessed.
"""
from concurrent.futures import TimeoutError as FutureTimeout
from fractions import Fraction

import numpy as np


class FaultToleranceError(RuntimeError):
    """The surviving products cannot rebuild C, or the syndrome stays inconsistent after the
    suspects were recomputed."""


class FTReport:
    """What happened in one fault-tolerant multiply (indices into the configuration's products):
    ``lost`` (erased: failed, timed out or dropped), ``checks`` (relations left after the
    erasures), ``detected`` (a syndrome above zero / the threshold), ``located`` (located and
    corrected from the syndrome), ``suspects`` (could not be told apart), ``recomputed``,
    ``thresholds`` (τ_j per relation, floats only)."""

    def __init__(self, configuration, products):
        self.configuration, self.products = configuration, products
        self.lost, self.checks, self.detected = [], 0, False
        self.located, self.suspects, self.recomputed, self.thresholds = [], [], [], []

    def __repr__(self):
        return "FTReport(" + ", ".join(f"{k}={v!r}" for k, v in vars(self).items()) + ")"


# ------------------------------------------------------------------ element kinds
def _is_gf(x):
    cls = type(x)
    return hasattr(cls, "characteristic") and hasattr(cls, "degree")


def element_kind(A, B):
    """("gf", field class) for galois GF(p) arrays, else ("float" | "int" | "object", dtype)."""
    for x in (A, B):
        if _is_gf(x):
            if int(type(x).degree) != 1:
                raise ValueError("fault-tolerant matmul: only prime fields GF(p)")
            return "gf", type(x)
    dtype = np.result_type(np.asarray(A).dtype, np.asarray(B).dtype)
    if np.issubdtype(dtype, np.inexact):
        return "float", dtype
    if np.issubdtype(dtype, np.integer):
        return "int", dtype
    if dtype == object:
        return "object", dtype
    raise ValueError(f"fault-tolerant matmul: unsupported dtype {dtype}")


def _scalar(c, kind, elem):
    """The rational coefficient c as an element of the kind (GF: c mod p; int: an integer)."""
    c = Fraction(c)
    if kind == "float":
        return elem.type(float(c))
    if kind == "gf":
        p = int(elem.characteristic)
        return elem(c.numerator % p) / elem(c.denominator % p)
    if c.denominator != 1:
        if kind == "int":
            raise ValueError("fractional coefficients need a float, object or GF(p) array")
        return c
    return int(c)


def _combine(terms):
    """Σ c·X over (c, X) terms: a fresh array, or the term itself when it is one block with
    coefficient 1 (operands are only read)."""
    c0, X0 = terms[0]
    if len(terms) == 1 and c0 == 1:
        return X0
    elif len(terms) > 1 and c0 == 1 and terms[1][0] in (1, -1):
        acc = X0 + terms[1][1] if terms[1][0] == 1 else X0 - terms[1][1]
        terms = terms[1:]
    else:
        acc = X0 * c0 if c0 != 1 else X0.copy()
    for c, X in terms[1:]:
        if c == 1:
            acc += X
        elif c == -1:
            acc -= X
        else:
            acc += X * c
    return acc


def product(inner, a_terms, b_terms):
    """One task: M = inner(X, Y) with X, Y combined from (coefficient, block) terms."""
    return inner(_combine(a_terms), _combine(b_terms))


def _linear(coefs, M, kind, elem):
    """Σ_q coefs[q]·M[q] over the nonzero integer coefficients; None when all are zero."""
    terms = [(_scalar(int(c), kind, elem), M[q]) for q, c in enumerate(coefs) if c]
    return _combine(terms) if terms else None


# ------------------------------------------------------------------ the multiply
def run(A, B, fmt, U, V, relations, decoder, inner, executor=None, fault=None, timeout=None,
        name="configuration"):
    """Fault-tolerant C = A·B; returns (C, FTReport). ``fault`` (tests): {"drop": [q, ...],
    "corrupt": [q, ...], "error": e, "seed": s} drops products or adds the error e (default
    random, nonzero) at one random entry of their first result."""
    n, m, p = fmt
    N = len(U)
    kind, elem = element_kind(A, B)
    if kind != "gf":
        A, B = np.asarray(A, dtype=elem), np.asarray(B, dtype=elem)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
        raise ValueError(f"fault-tolerant matmul: shapes {A.shape} and {B.shape} do not multiply")
    fault = dict(fault or {})
    unknown = set(fault) - {"drop", "corrupt", "error", "seed"}
    if unknown:
        raise ValueError(f"unknown fault keys {sorted(unknown)}")
    for q in list(fault.get("drop", [])) + list(fault.get("corrupt", [])):
        if not 0 <= q < N:
            raise ValueError(f"product {q} out of range 0..{N - 1}")

    N1, N2, N3 = A.shape[0], A.shape[1], B.shape[1]
    b1, b2, b3 = -(-N1 // n), -(-N2 // m), -(-N3 // p)
    A, B = _padded(A, n * b1, m * b2), _padded(B, m * b2, p * b3)
    Ab = [A[i * b1:(i + 1) * b1, j * b2:(j + 1) * b2] for i in range(n) for j in range(m)]
    Bb = [B[j * b2:(j + 1) * b2, k * b3:(k + 1) * b3] for j in range(m) for k in range(p)]

    def task(q):
        return (inner, [(_scalar(c, kind, elem), Ab[i]) for i, c in enumerate(U[q]) if c],
                [(_scalar(c, kind, elem), Bb[i]) for i, c in enumerate(V[q]) if c])

    report = FTReport(name, N)
    dropped = set(fault.get("drop", []))
    M = {}
    if executor is None:
        for q in range(N):
            if q not in dropped:
                try:
                    M[q] = product(*task(q))
                except Exception:                          # a failed product is an erasure
                    pass
    else:
        futures = {q: executor.submit(product, *task(q)) for q in range(N) if q not in dropped}
        for q, fut in futures.items():
            try:
                M[q] = fut.result(timeout=timeout)
            except (Exception, FutureTimeout):
                fut.cancel()
    rng = np.random.default_rng(fault.get("seed", 0))
    for q in fault.get("corrupt", []):
        if q in M:
            M[q] = _corrupt(M[q], kind, elem, fault.get("error"), rng)

    erased = tuple(q for q in range(N) if q not in M)
    report.lost = list(erased)
    decoding = decoder(erased)
    if decoding is None:
        raise FaultToleranceError(f"products {list(erased)} lost: the survivors cannot rebuild C")
    H = [[int(h) for h in row] for row in relations(erased)]
    report.checks = len(H)
    if kind == "float":
        report.thresholds = _thresholds(U, V, H, Ab, Bb, b2, elem)
    taus = report.thresholds or [0] * len(H)

    for round_ in range(3):
        S = [_linear(row, M, kind, elem) for row in H]
        bad = [j for j, s in enumerate(S) if s is not None and not _small(s, kind, taus[j])]
        if not bad:
            break
        report.detected = True
        if round_ == 2:
            raise FaultToleranceError("the syndrome stays nonzero after recomputing the suspects")
        fits = [(q, e) for q in M if any(row[q] for row in H)
                for e in [_fit([row[q] for row in H], S, kind, elem, taus)] if e is not None]
        if len(fits) == 1:
            q, e = fits[0]
            M[q] = M[q] - e
            report.located.append(q)
            continue
        suspects = [q for q, _ in fits] or sorted({q for j in bad for q in M if H[j][q]})
        report.suspects += suspects
        for q in suspects:
            M[q] = product(*task(q))
        report.recomputed += suspects

    Y, d = decoding
    C = elem.Zeros((n * b1, p * b3)) if kind == "gf" else np.zeros((n * b1, p * b3), dtype=elem)
    for t in range(n * p):
        i, k = divmod(t, p)
        Ct = _linear(Y[t], M, kind, elem)
        if Ct is not None:
            C[i * b1:(i + 1) * b1, k * b3:(k + 1) * b3] = _divide(Ct, d, kind, elem) if d != 1 else Ct
    return C[:N1, :N3], report


def _padded(X, rows, cols):
    if X.shape == (rows, cols):
        return X
    out = type(X).Zeros((rows, cols)) if _is_gf(X) else np.zeros((rows, cols), dtype=X.dtype)
    out[:X.shape[0], :X.shape[1]] = X
    return out


def _corrupt(X, kind, elem, error, rng):
    X = X.copy()
    idx = tuple(int(rng.integers(s)) for s in X.shape)
    if error is None:
        if kind == "gf":
            error = int(rng.integers(1, int(elem.characteristic)))
        elif kind == "float":
            error = float(rng.choice([-1, 1]) * (1 + abs(X).max()))
        else:
            error = int(rng.choice([-1, 1]) * rng.integers(1, 1000))
    X[idx] = X[idx] + (elem(error % int(elem.characteristic)) if kind == "gf" else error)
    return X


def _thresholds(U, V, H, Ab, Bb, k, elem):
    """τ_j of the module docstring, one per relation."""
    u = float(np.finfo(elem).eps) / 2
    na = [float(np.linalg.norm(X)) for X in Ab]
    nb = [float(np.linalg.norm(Y)) for Y in Bb]
    alpha = [sum(abs(float(c)) * x for c, x in zip(U[q], na))
             * sum(abs(float(c)) * y for c, y in zip(V[q], nb)) for q in range(len(U))]
    w = max(sum(1 for c in row if c) for row in list(U) + list(V))
    scale = 4 * (k + len(U) + w) * u
    return [scale * sum(abs(h) * a for h, a in zip(row, alpha)) for row in H]


def _small(s, kind, tau):
    if kind == "float":
        return float(np.abs(s).max(initial=0.0)) <= tau
    return not np.asarray(s != 0).any()


def _fit(col, S, kind, elem, taus):
    """The error e with S_j = col_j·e for every relation j (within the float tolerance), or None."""
    if kind == "float":
        hh = sum(h * h for h in col)
        e = sum(h * s for h, s in zip(col, S) if h and s is not None) / hh
        slack = sum(abs(h) * t for h, t in zip(col, taus)) / hh
        for h, s, t in zip(col, S, taus):
            resid = (s if s is not None else 0) - h * e
            if not float(np.abs(resid).max(initial=0.0)) <= 2 * t + abs(h) * slack:
                return None                            # (NaN never fits)
        return e
    p = int(elem.characteristic) if kind == "gf" else 0
    j0 = min((j for j, h in enumerate(col) if h and (not p or h % p) and S[j] is not None),
             key=lambda j: abs(col[j]), default=None)
    if j0 is None:
        return None
    e = _divide(S[j0], col[j0], kind, elem, exact=False)
    if e is None:
        return None
    for h, s in zip(col, S):
        if h == 0 or p and h % p == 0:
            if s is not None and np.asarray(s != 0).any():
                return None
            continue
        expect = e * _scalar(h, kind, elem)
        if np.asarray(expect != (0 if s is None else s)).any():
            return None
    return e


def _divide(X, d, kind, elem, exact=True):
    """X / d exactly (float: X·(1/d)); for integers None (or FaultToleranceError when ``exact``)
    when X is not divisible."""
    if kind == "float":
        return X / d
    if kind == "gf":
        return X / elem(int(d) % int(elem.characteristic))
    if d in (1, -1):
        return X * d
    if np.asarray(X % d != 0).any():
        if exact:
            raise FaultToleranceError(f"decoding needs a division by {d} that is not exact "
                                      f"(int64 overflow?): use an object or float array")
        return None
    return X // d
