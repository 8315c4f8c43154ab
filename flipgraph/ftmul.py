"""Fault-tolerant C = A·B from a configuration of several schemes (DESIGN §6, :mod:`flipgraph.ft`).

Every product M_q = X_q·Y_q of the configuration (X_q = Σ U[q,a]·A-block a, Y_q likewise from B)
is one task of a ``concurrent.futures`` executor (default: computed inline), multiplied by
:func:`flipgraph.multiply` (generated recursive routines, BLAS leaves). Then:

* *erasures*: a task that raised or timed out is lost; C is rebuilt from the survivors when their
  forms span C's (:meth:`flipgraph.ft.Config.decoding`), else :class:`FaultToleranceError`;
* *silent errors*: the syndrome s_j = Σ_q H[j,q]·M_q over the check relations that survive the
  erasures is zero for exact kinds (int, object, GF(p)) and below the threshold

      τ_j = 4·(k + N + w)·u·Σ_q |H[j,q]|·α_q,   α_q = (Σ_a |U[q,a]|·‖A_a‖_F)·(Σ_b |V[q,b]|·‖B_b‖_F)

  for floats (u = unit roundoff, k = inner block size, N = products, w = most nonzeros of a
  factor): a bound on the rounding of operands, products and syndrome (γ_k-style, the Frobenius
  norms bound each entry). An error e in one product moves s_j by H[j,q]·e, so every error with
  max|e| > 2·max_j τ_j is detected. A product whose column of H fits the syndrome, alone, is
  located and corrected (M_q −= e); several fitting products (parallel columns) or none (more
  than one error) are *suspects*: recomputed, never guessed.

    >>> import numpy as np; from flipgraph import ft_matmul
    >>> A = np.arange(16).reshape(4, 4); B = np.eye(4, dtype=int)
    >>> C, report = ft_matmul(A, B, fault={"drop": [3], "corrupt": [9]})
    >>> bool((C == A @ B).all()), report.lost, report.located
    (True, [3], [9])
"""
from __future__ import annotations

import math
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

import numpy as np

from . import ft
from .errors import FlipgraphError, SchemeError

__all__ = ["ft_matmul", "FTReport", "FaultToleranceError"]


class FaultToleranceError(RuntimeError):
    """The surviving products cannot rebuild C, or the syndrome stays inconsistent after the
    suspects were recomputed."""


@dataclass
class FTReport:
    """What happened in one :func:`ft_matmul` call (indices into the configuration's products)."""
    configuration: str
    products: int
    lost: list = field(default_factory=list)          # erased: failed, timed out or dropped
    checks: int = 0                                   # relations left after the erasures
    detected: bool = False                            # a syndrome above zero / the threshold
    located: list = field(default_factory=list)       # located and corrected from the syndrome
    suspects: list = field(default_factory=list)      # could not be told apart: recomputed
    recomputed: list = field(default_factory=list)
    thresholds: list = field(default_factory=list)    # τ_j per relation (floats; else empty)


# ------------------------------------------------------------------ element kinds
def _field(A, B):
    for x in (A, B):
        cls = type(x)
        if hasattr(cls, "characteristic") and hasattr(cls, "degree"):
            if int(cls.degree) != 1:
                raise FlipgraphError("ft_matmul: only prime fields GF(p)")
            return cls
    return None


def _kind(A, B):
    gf = _field(A, B)
    if gf is not None:
        return "gf", gf
    dtype = np.result_type(np.asarray(A).dtype, np.asarray(B).dtype)
    if np.issubdtype(dtype, np.inexact):
        return "float", dtype
    if np.issubdtype(dtype, np.integer):
        return "int", dtype
    if dtype == object:
        return "object", dtype
    raise FlipgraphError(f"ft_matmul: unsupported dtype {dtype}")


def _scalar(c: Fraction, kind: str, elem):
    """The coefficient c as an element of the kind (GF: c mod p; int: must be an integer)."""
    if kind == "float":
        return elem.type(float(c)) if hasattr(elem, "type") else float(c)
    if kind == "gf":
        p = int(elem.characteristic)
        return elem(c.numerator % p) / elem(c.denominator % p)
    if c.denominator != 1:
        if kind == "int":
            raise SchemeError("ft_matmul: fractional coefficients need a float, object or GF(p) array")
        return c
    return int(c)


def _combine(terms):
    """Σ c·X over (c, X) terms, into a fresh array."""
    c0, X0 = terms[0]
    acc = X0 * c0 if c0 != 1 else X0.copy()
    for c, X in terms[1:]:
        if c == 1:
            acc += X
        elif c == -1:
            acc -= X
        else:
            acc += X * c
    return acc


def _product(a_terms, b_terms):
    """One task: M = X·Y with the generated routines, X, Y combined from blocks."""
    from .codegen import multiply

    return multiply(_combine(a_terms), _combine(b_terms))


# ------------------------------------------------------------------ configurations and decoding
_CONFIGS: dict = {}


def _config(schemes, parity) -> ft.Config:
    if isinstance(schemes, ft.Config):
        return ft.with_parity(schemes, parity) if isinstance(parity, list) else schemes
    key = (tuple(s if isinstance(s, str) else s.canonical_hash() for s in schemes),
           parity if isinstance(parity, int) else repr(parity))
    if key not in _CONFIGS:
        _CONFIGS[key] = ft.configuration(schemes, parity)
    return _CONFIGS[key]


@lru_cache(maxsize=256)
def _relations(config: ft.Config, erased: tuple) -> np.ndarray:
    """Integer basis of the relations that vanish on the erased products (rows of rowspan H)."""
    H = [[int(x) for x in row] for row in config.H]
    if not erased:
        return np.array(H, dtype=object).reshape(len(H), config.size)
    cols = [[row[q] for row in H] for q in erased]                  # (|E| × k)
    combos = ft._null_space(cols, len(H))                          # c with Σ_j c_j H[j, E] = 0
    rows = [ft._primitive([sum(c[j] * H[j][q] for j in range(len(H)))
                           for q in range(config.size)]) for c in combos]
    return np.array(rows, dtype=object).reshape(len(rows), config.size)


@lru_cache(maxsize=256)
def _decoder(config: ft.Config, erased: tuple):
    """(integer Y, denominator d) with C = (Y·M)/d using survivors only, or None."""
    Y = config.decoding(erased)
    if Y is None:
        return None
    d = math.lcm(*(x.denominator for row in Y for x in row))
    return [[int(x * d) for x in row] for row in Y], d


def _linear(coefs, M: dict, kind, elem):
    """Σ_q coefs[q]·M[q] over the nonzero coefficients (M holds the surviving products)."""
    terms = [(_scalar(Fraction(int(c)), kind, elem), M[q]) for q, c in enumerate(coefs) if c]
    if not terms:
        return None
    return _combine(terms)


# ------------------------------------------------------------------ the multiply
def ft_matmul(A, B, schemes=("strassen", "winograd"), parity=0, executor=None, fault=None,
              timeout=None):
    """Fault-tolerant C = A·B (nothing transposed); returns ``(C, report)`` (:class:`FTReport`).

    ``schemes``: classic names or Schemes of one format (or a :class:`flipgraph.ft.Config`);
    ``parity``: K parity products (searched once per configuration and cached) or a list of
    (u, v). ``executor``: any ``concurrent.futures`` executor (one task per product; a task that
    raises or exceeds ``timeout`` seconds is an erasure); default inline. ``fault`` (tests):
    ``{"drop": [q, ...], "corrupt": [q, ...], "error": e, "seed": s}`` drops products or adds
    the error e (default: random, nonzero) at one random entry of their first result.
    Exact for int, object and GF(p) arrays (int64 wraps mod 2^64 consistently); floats use the
    threshold of the module docstring.
    """
    config = _config(schemes, parity)
    n, m, p = config.format
    kind, elem = _kind(A, B)
    if kind != "gf":
        A, B = np.asarray(A, dtype=elem), np.asarray(B, dtype=elem)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
        raise FlipgraphError(f"ft_matmul: shapes {A.shape} and {B.shape} do not multiply")
    fault = dict(fault or {})
    unknown = set(fault) - {"drop", "corrupt", "error", "seed"}
    if unknown:
        raise FlipgraphError(f"ft_matmul: unknown fault keys {sorted(unknown)}")
    for q in list(fault.get("drop", [])) + list(fault.get("corrupt", [])):
        if not 0 <= q < config.size:
            raise FlipgraphError(f"ft_matmul: product {q} out of range 0..{config.size - 1}")

    N1, N2, N3 = A.shape[0], A.shape[1], B.shape[1]
    b1, b2, b3 = -(-N1 // n), -(-N2 // m), -(-N3 // p)
    A, B = _padded(A, n * b1, m * b2), _padded(B, m * b2, p * b3)
    Ab = [A[i * b1:(i + 1) * b1, j * b2:(j + 1) * b2] for i in range(n) for j in range(m)]
    Bb = [B[j * b2:(j + 1) * b2, k * b3:(k + 1) * b3] for j in range(m) for k in range(p)]

    def task(q):
        a = [(_scalar(c, kind, elem), Ab[i]) for i, c in enumerate(config.U[q]) if c]
        b = [(_scalar(c, kind, elem), Bb[i]) for i, c in enumerate(config.V[q]) if c]
        return a, b

    report = FTReport(config.name, config.size)
    dropped = set(fault.get("drop", []))
    M = {}
    if executor is None:
        for q in range(config.size):
            if q not in dropped:
                try:
                    M[q] = _product(*task(q))
                except Exception:                          # a failed product is an erasure
                    pass
    else:
        futures = {q: executor.submit(_product, *task(q)) for q in range(config.size)
                   if q not in dropped}
        for q, fut in futures.items():
            try:
                M[q] = fut.result(timeout=timeout)
            except (Exception, FutureTimeout):
                fut.cancel()
    rng = np.random.default_rng(fault.get("seed", 0))
    for q in fault.get("corrupt", []):
        if q in M:
            M[q] = _corrupt(M[q], kind, elem, fault.get("error"), rng)

    erased = tuple(q for q in range(config.size) if q not in M)
    report.lost = list(erased)
    decoder = _decoder(config, erased)
    if decoder is None:
        raise FaultToleranceError(f"products {list(erased)} lost: the survivors cannot rebuild C")
    H = _relations(config, erased)
    report.checks = H.shape[0]
    if kind == "float":
        report.thresholds = _thresholds(config, H, Ab, Bb, b2, elem)

    for round_ in range(3):
        S = _syndrome(H, M, kind, elem)
        bad = [j for j, s in enumerate(S) if s is not None
               and not _small(s, kind, report.thresholds[j] if report.thresholds else 0)]
        if not bad:
            break
        report.detected = True
        if round_ == 2:
            raise FaultToleranceError("the syndrome stays nonzero after recomputing the suspects")
        fits = [(q, e) for q in M if H[:, q].any()
                for e in [_fit(H[:, q], S, kind, elem, report.thresholds)] if e is not None]
        if len(fits) == 1:
            q, e = fits[0]
            M[q] = M[q] - e
            report.located.append(q)
            continue
        suspects = [q for q, _ in fits] or sorted({q for j in bad for q in M if H[j, q]})
        report.suspects += suspects
        for q in suspects:
            M[q] = _product(*task(q))
        report.recomputed += suspects

    Y, d = decoder
    blocks = []
    for t in range(n * p):
        Ct = _linear(Y[t], M, kind, elem)
        if Ct is None:
            Ct = elem.Zeros((b1, b3)) if kind == "gf" else np.zeros((b1, b3), dtype=elem)
        if d != 1:
            Ct = _divide(Ct, d, kind, elem)
        blocks.append(Ct)
    C = _assemble(blocks, n, p)
    return C[:N1, :N3], report


def _padded(X, rows, cols):
    if X.shape == (rows, cols):
        return X
    out = np.zeros((rows, cols), dtype=X.dtype) if not hasattr(type(X), "characteristic") \
        else type(X).Zeros((rows, cols))
    out[:X.shape[0], :X.shape[1]] = X
    return out


def _assemble(blocks, n, p):
    rows = [np.hstack([np.asarray(b) if not hasattr(type(b), "characteristic") else b
                       for b in blocks[i * p:(i + 1) * p]]) for i in range(n)]
    return np.vstack(rows) if not hasattr(type(blocks[0]), "characteristic") else \
        type(blocks[0])(np.vstack([r.view(np.ndarray) for r in rows]))


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
    X[idx] = X[idx] + (elem(error) if kind == "gf" else error)
    return X


def _thresholds(config, H, Ab, Bb, k, elem):
    """τ_j of the module docstring, one per relation."""
    u = float(np.finfo(elem).eps) / 2
    na = [float(np.linalg.norm(X)) for X in Ab]
    nb = [float(np.linalg.norm(Y)) for Y in Bb]
    alpha = [sum(abs(float(c)) * x for c, x in zip(config.U[q], na))
             * sum(abs(float(c)) * y for c, y in zip(config.V[q], nb)) for q in range(config.size)]
    w = max(sum(1 for c in row if c) for row in config.U + config.V)
    scale = 4 * (k + config.size + w) * u
    return [scale * sum(abs(int(h)) * a for h, a in zip(row, alpha)) for row in H]


def _syndrome(H, M, kind, elem):
    return [_linear([h if q in M else 0 for q, h in enumerate(row)], M, kind, elem) for row in H]


def _small(s, kind, tau):
    if kind == "float":
        return float(np.abs(s).max(initial=0.0)) <= tau
    return not np.asarray(s != 0).any()


def _fit(col, S, kind, elem, taus):
    """The error e with S_j = col_j·e for every relation j (within the float tolerance), or None."""
    col = [int(h) for h in col]
    if kind == "float":
        hh = sum(h * h for h in col)
        e = sum(h * s for h, s in zip(col, S) if h and s is not None) / hh
        slack = sum(abs(h) * t for h, t in zip(col, taus)) / hh
        for h, s, t in zip(col, S, taus):
            resid = (s if s is not None else 0) - h * e
            if float(np.abs(resid).max(initial=0.0)) > 2 * t + abs(h) * slack:
                return None
        return e
    j0 = min((j for j, h in enumerate(col) if h and S[j] is not None), key=lambda j: abs(col[j]),
             default=None)
    if j0 is None:
        return None
    e = _divide(S[j0], col[j0], kind, elem, exact=False)
    if e is None:
        return None
    for h, s in zip(col, S):
        if h == 0:
            if s is not None and np.asarray(s != 0).any():
                return None
            continue
        expect = e * _scalar(Fraction(h), kind, elem)
        if np.asarray(expect != (0 if s is None else s)).any():
            return None
    return e


def _divide(X, d, kind, elem, exact=True):
    """X / d exactly (float: X·(1/d)); None (or FaultToleranceError when ``exact``) when an
    integer X is not divisible."""
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
