"""Runtime of generated multiply routines: the recursive driver, the leaf products and the
workspace. Needs only numpy (and the standard library): its source is copied verbatim into every
module that ``flipgraph codegen`` writes, and the library's routines use it from here.

Conventions: C = A·B with A (N1×N2), B (N2×N3), C (N1×N3), nothing transposed. A *step* applies
one scheme of format (n, m, p) to the blocks: A is cut into n×m blocks, B into m×p, C into n×p;
dimensions that do not divide are *peeled* (the leftover rows/columns are done by thin products).
Each level owns a preallocated workspace (``Step.buffers`` blocks of the A, B and C block shapes),
shared by all calls at that depth: no array is allocated per addition. Workspace blocks are kept
in a pool between calls (up to :data:`POOL_BYTES`; :func:`release` empties it): memory that is
fresh to the process costs a page fault per page on first touch, which on a virtual machine can
exceed the time of the additions (measured here: ~0.5 s per 128 MB block).

Kinds of element: "float" (float16/32/64, complex: BLAS leaves), "int" (int64 etc.: exact, and
bit-exact even on overflow, since the schemes hold over Z and so over Z/2^64), "object" (Python
ints / Fractions: exact), "gf" (galois GF(p) arrays: computed on exact integer representatives in float32/float64 — the
whole recursion unreduced while a bound on the entries allows, else with leaves reduced mod p;
Python ints for large p).
"""
from collections import namedtuple
from fractions import Fraction

import numpy as np

#: one level of a scheme: ``fn(A, B, C, ws, inner, k)`` computes C = A·B for block-divisible
#: A, B using ``inner(X, Y, Z)`` for the block products, workspace ``ws = (wa, wb, wc)`` and
#: coefficient constants ``k`` (the non-±1 coefficients, converted to the element kind).
#: ``growth``: one level keeps |C| ≤ growth · N2 · max|A| · max|B| (N2 = A's columns) when its
#: block products obey the classical bound; from the program's absolute coefficients.
Step = namedtuple("Step", "name format rank buffers coefs growth fn")

#: blocks smaller than this (in any dimension) go to the leaf product, per kind of element
DEFAULT_CUTOFFS = {"float": 4096, "int": 128, "object": 32, "gf": 1024}

_ROWS = 256  # row chunk of the accumulated thin products (bounds their temporary)

#: most bytes of workspace kept between calls (numeric dtypes only); 0 disables the pool
POOL_BYTES = 2 ** 31
_POOL = {}   # (shape, dtype) -> idle workspace blocks


def run(A, B, steps, levels=None, cutoff=None):
    """C = A·B by the steps (one per level; the last one repeats), recursing ``levels`` times or,
    when ``levels`` is None, while every block dimension stays ≥ ``cutoff`` (an int, or a dict
    kind -> int; default :data:`DEFAULT_CUTOFFS`)."""
    field = _prime_field(A, B)
    if field is not None:
        kind, dtype = "gf", None
        A, B = A.view(np.ndarray), B.view(np.ndarray)
    else:
        A, B = np.asarray(A), np.asarray(B)
        dtype = np.result_type(A.dtype, B.dtype)
        kind = _kind(dtype)
        A, B = A.astype(dtype, copy=False), B.astype(dtype, copy=False)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
        raise ValueError(f"matmul: shapes {A.shape} and {B.shape} do not multiply (2-D, "
                         f"A columns = B rows)")
    if isinstance(cutoff, dict) or cutoff is None:
        cutoff = {**DEFAULT_CUTOFFS, **(cutoff or {})}[kind]
    plan = _plan(A.shape + B.shape[1:], steps, levels, max(int(cutoff), 1))
    for step in plan:
        if kind in ("int", "gf") and any(isinstance(c, Fraction) and c.denominator != 1
                                         for c in step.coefs):
            raise ValueError(f"matmul: scheme {step.name} has fractional coefficients; "
                             f"use a float or object dtype")
    if kind == "gf":
        return _run_gf(A, B, field, plan)
    return _execute(A, B, plan, kind, None, dtype)


def _execute(A, B, plan, kind, p, dtype):
    leaf = _leaf(kind, p, A.shape[1], dtype)
    ws = _workspace(A.shape + B.shape[1:], plan, dtype)
    konst = [tuple(_coef(c, kind, dtype) for c in step.coefs) for step in plan]
    C = np.empty((A.shape[0], B.shape[1]), dtype)
    try:
        _multiply(A, B, C, plan, ws, konst, 0, leaf)
    finally:
        _recycle(ws)
    return C


def _run_gf(A, B, field, plan):
    """GF(p) on integer representatives. When every intermediate value provably stays below
    2^23 (float32) or 2^52 (float64) in magnitude — ``N2 · h² · Π growth`` with h the largest
    representative (p−1, or p//2 for centred ones) — the whole recursion runs as an ordinary
    float product (BLAS leaves, no reduction) and only C is reduced mod p. Otherwise float64
    (or Python int) representatives with every leaf reduced mod p."""
    p = int(field.characteristic)
    out = np.promote_types(A.dtype, B.dtype)
    growth = 1.0
    for step in plan:
        growth *= max(1.0, step.growth)
    for dtype, limit in ((np.float32, 2 ** 23), (np.float64, 2 ** 52)):
        for h in (p - 1, p // 2):
            if A.shape[1] * h * h * growth < limit:
                X, Y = _representatives(A, dtype, p, h), _representatives(B, dtype, p, h)
                return _reduce(_execute(X, Y, plan, "float", None, np.dtype(dtype)), p).astype(
                    out).view(field)
    dtype = np.dtype(np.float64 if A.shape[1] * (p - 1) ** 2 < 2 ** 50 else object)
    C = _execute(A.astype(dtype), B.astype(dtype), plan, "gf", p, dtype)
    np.remainder(C, p, out=C)
    return (C.astype(np.int64) if dtype != object else C).astype(out).view(field)   # values < p


def _representatives(X, dtype, p, h):
    """X (entries 0..p−1) as floats; centred (−p/2..p/2) when h < p − 1."""
    Y = X.astype(dtype)
    if h < p - 1:
        np.subtract(Y, p, out=Y, where=X > h)
    return Y


def _reduce(C, p):
    """C mod p in place for a float array of exact integers (|C| < 2^23 for float32, 2^52 for
    float64): C − p·floor(C/p), the quotient corrected by at most one."""
    q = np.multiply(C, C.dtype.type(1 / p))
    np.floor(q, out=q)
    q *= -p
    C += q
    C[C < 0] += p
    C[C >= p] -= p
    return C


def _multiply(A, B, C, plan, ws, konst, d, leaf):
    if d == len(plan):
        leaf(A, B, C)
        return
    n, m, p = plan[d].format
    N1, N2 = A.shape
    N3 = B.shape[1]
    e1, e2, e3 = N1 - N1 % n, N2 - N2 % m, N3 - N3 % p

    def inner(X, Y, Z):
        _multiply(X, Y, Z, plan, ws, konst, d + 1, leaf)

    plan[d].fn(A[:e1, :e2], B[:e2, :e3], C[:e1, :e3], ws[d], inner, konst[d])
    if e2 < N2:                                   # peeled inner dimension: rank-(N2-e2) update
        tmp = np.empty((min(_ROWS, e1), e3), C.dtype)
        for i in range(0, e1, _ROWS):
            j = min(i + _ROWS, e1)
            leaf(A[i:j, e2:], B[e2:, :e3], tmp[:j - i])
            C[i:j, :e3] += tmp[:j - i]
    if e3 < N3:                                   # peeled columns of C
        leaf(A[:e1], B[:, e3:], C[:e1, e3:])
    if e1 < N1:                                   # peeled rows of C
        leaf(A[e1:], B, C[e1:])


def _plan(dims, steps, levels, cutoff):
    plan = []
    N1, N2, N3 = dims
    while True:
        step = steps[min(len(plan), len(steps) - 1)]
        n, m, p = step.format
        h1, h2, h3 = N1 // n, N2 // m, N3 // p
        if levels is not None:
            if len(plan) >= levels or min(h1, h2, h3) == 0:
                return plan
        elif min(h1, h2, h3) < cutoff:
            return plan
        plan.append(step)
        N1, N2, N3 = h1, h2, h3


def _workspace(dims, plan, dtype):
    """Per level, the (A, B, C)-shaped block lists, taken from the pool when it has them."""
    ws = []
    N1, N2, N3 = dims
    for step in plan:
        n, m, p = step.format
        N1, N2, N3 = N1 // n, N2 // m, N3 // p
        ws.append(tuple([_take(shape, dtype) for _ in range(count)]
                        for shape, count in zip(((N1, N2), (N2, N3), (N1, N3)), step.buffers)))
    return ws


def _take(shape, dtype):
    idle = _POOL.get((shape, dtype))
    return idle.pop() if idle else np.empty(shape, dtype)


def _recycle(ws):
    """Return a call's workspace to the pool, within POOL_BYTES (object arrays are not kept)."""
    held = sum(b.nbytes for idle in _POOL.values() for b in idle)
    for level in ws:
        for blocks in level:
            for b in blocks:
                if b.dtype != object and held + b.nbytes <= POOL_BYTES:
                    _POOL.setdefault((b.shape, b.dtype), []).append(b)
                    held += b.nbytes


def release():
    """Free the workspace blocks kept between calls."""
    _POOL.clear()


def _kind(dtype):
    if dtype == object:
        return "object"
    if np.issubdtype(dtype, np.inexact):
        return "float"
    if np.issubdtype(dtype, np.integer):
        return "int"
    raise ValueError(f"matmul: unsupported dtype {dtype} (float, int, object or galois GF(p))")


def _prime_field(A, B):
    """The galois field class of A or B when it is a prime field GF(p) (duck-typed: no galois
    import needed); a non-prime field is refused."""
    for X in (A, B):
        field = type(X)
        if hasattr(field, "characteristic") and hasattr(field, "degree"):
            if field.degree != 1:
                raise ValueError(f"matmul: only prime fields GF(p) are supported, not {field.name}")
            if type(A) is not type(B):
                raise ValueError("matmul: A and B must be arrays of the same field")
            return field
    return None


def _coef(c, kind, dtype):
    if kind == "float":
        return dtype.type(float(c)) if not np.issubdtype(dtype, np.complexfloating) else complex(c)
    if kind == "object":
        return c if isinstance(c, Fraction) and c.denominator != 1 else int(c)
    return int(c)


def _leaf(kind, p, k, dtype):
    """The product at the bottom of the recursion: ``leaf(X, Y, Z)`` writes X·Y into Z. Exact
    kinds get contiguous operands (numpy's non-BLAS loops are slow on strided views); GF(p) leaves
    reduce their operands mod p first and use float32 BLAS while k·(p−1)² < 2^24 (exact)."""
    if kind == "float":
        return lambda X, Y, Z: np.matmul(X, Y, out=Z)
    if kind != "gf":
        return lambda X, Y, Z: np.matmul(np.ascontiguousarray(X), np.ascontiguousarray(Y), out=Z)
    if dtype == object:
        def leaf(X, Y, Z):
            Z[...] = np.remainder(np.remainder(X, p) @ np.remainder(Y, p), p)
        return leaf

    def leaf(X, Y, Z):
        small = np.float32 if X.shape[1] * (p - 1) ** 2 < 2 ** 24 else np.float64
        x = np.remainder(X, p).astype(small, copy=False)
        y = np.remainder(Y, p).astype(small, copy=False)
        if small is np.float64:
            np.matmul(x, y, out=Z)
        else:
            Z[...] = x @ y
        np.remainder(Z, p, out=Z)
    return leaf
