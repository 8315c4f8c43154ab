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

Kinds of element: "float" (float16/32/64, complex: the steps run on the dtype, BLAS leaves);
"int" (numpy integers: exact, bit-identical to numpy's matmul, which wraps modulo 2^bits),
"object" (Python ints: exact; Fractions and other objects: the steps run on the objects) and
"gf" (galois GF(p) arrays, any prime p). The three exact kinds share one engine, :func:`_exact`:
integer operands are cut into balanced base-2^k digits (limbs) so small that every digit product,
*including every intermediate value of the recursion*, is an integer of magnitude ≤ 2^53
(float64) or ≤ 2^24 (float32) — so BLAS computes it exactly, whatever its order of summation —
and the digit products are shifted and summed in int64 (mod 2^64), in Python ints, or mod p. The bound on the intermediates is
``N2 · max|digit of A| · max|digit of B| · Π growth`` (``Step.growth``, proven from the program's
coefficients; N2 = A's columns). When A and B are small enough there is one digit each: one float
product, rounded once. The engine picks, per call, the leaf dtype, the digit sizes and the number
of levels (at most what the cutoffs allow) that need the fewest leaf flops.

Operands follow ``np.matmul``: 1-D operands, stacked (batched) operands broadcast over their
leading axes, ``out=``. Bad operands raise :class:`MatmulError` (a ValueError).
"""
import math
from collections import namedtuple
from fractions import Fraction

import numpy as np

#: one level of a scheme: ``fn(A, B, C, ws, inner, k)`` computes C = A·B for block-divisible
#: A, B using ``inner(X, Y, Z)`` for the block products, workspace ``ws = (wa, wb, wc)`` and
#: coefficient constants ``k`` (the non-±1 coefficients, converted to the element kind).
#: ``growth``: one level keeps every value on its C side within growth · N2 · max|A| · max|B|
#: (N2 = A's columns) when its block products obey the classical bound.
Step = namedtuple("Step", "name format rank buffers coefs growth fn")

#: blocks smaller than this (in any dimension) go to the leaf product, per leaf: "float" (float64
#: BLAS: float64 operands and exact integer products in float64), "gf" (exact integer products
#: in float32 BLAS, e.g. GF(31)), "object" (Python objects)
DEFAULT_CUTOFFS = {"float": 2048, "object": 32, "gf": 4096}

#: leaf dtype of exact products -> (magnitude bound of every intermediate, cutoff key, relative
#: cost of its BLAS product)
_EXACT = {np.dtype(np.float32): (2 ** 24, "gf", 0.6), np.dtype(np.float64): (2 ** 53, "float", 1.0)}

_ROWS = 256  # row chunk of the accumulated thin products (bounds their temporary)

#: most bytes of workspace kept between calls (numeric dtypes only); 0 disables the pool
POOL_BYTES = 2 ** 31
_POOL = {}   # (shape, dtype) -> idle workspace blocks


class MatmulError(ValueError):
    """Operands that cannot be multiplied: shapes, dtypes, ``out``, or a scheme unfit for them."""


def run(A, B, steps, levels=None, cutoff=None, out=None):
    """C = A·B by the steps (one per level; the last one repeats), recursing ``levels`` times or,
    when ``levels`` is None, while every block dimension stays ≥ ``cutoff`` (an int, or a dict
    leaf -> int, see :data:`DEFAULT_CUTOFFS`). Shapes, broadcasting and ``out`` as np.matmul."""
    field, p = _prime_field(A, B), None
    if field is not None:
        kind, p = "gf", int(field.characteristic)
        A, B = A.view(np.ndarray), B.view(np.ndarray)
        dtype = np.promote_types(A.dtype, B.dtype)
    else:
        A, B = np.asarray(A), np.asarray(B)
        dtype = np.result_type(A.dtype, B.dtype)
        kind = _kind(dtype)
        A, B = A.astype(dtype, copy=False), B.astype(dtype, copy=False)
    if A.ndim == 0 or B.ndim == 0:
        raise MatmulError("matmul: operands must be arrays of at least one dimension, not scalars")
    vector_a, vector_b = A.ndim == 1, B.ndim == 1
    A = A[None, :] if vector_a else A
    B = B[:, None] if vector_b else B
    if A.shape[-1] != B.shape[-2]:
        raise MatmulError(f"matmul: shapes {A.shape} and {B.shape} do not multiply (A's "
                          f"columns must equal B's rows)")
    try:
        batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    except ValueError:
        raise MatmulError(f"matmul: stacked shapes {A.shape} and {B.shape} do not broadcast")
    cut = {**DEFAULT_CUTOFFS, **(cutoff if isinstance(cutoff, dict) else {})}
    if cutoff is not None and not isinstance(cutoff, dict):
        cut = dict.fromkeys(cut, max(int(cutoff), 1))
    shape = batch + (A.shape[-2], B.shape[-1])
    final = shape[:-2] + shape[-2:][vector_a:2 - vector_b]
    if out is not None:
        if not isinstance(out, np.ndarray) or out.shape != final:
            raise MatmulError(f"matmul: out must be an array of shape {final}")
        if kind != "gf" and not np.can_cast(dtype, out.dtype, "same_kind"):
            raise MatmulError(f"matmul: cannot write a {dtype} product into out of {out.dtype}")
    direct = (out is not None and kind == "float" and out.dtype == dtype and not batch
              and out.flags.writeable
              and not vector_a and not vector_b and not np.may_share_memory(out, A)
              and not np.may_share_memory(out, B))
    A = np.broadcast_to(A, batch + A.shape[-2:])
    B = np.broadcast_to(B, batch + B.shape[-2:])
    if batch or kind == "float":
        C = out if direct else np.empty(shape, object if kind == "object" else dtype)
        for index in np.ndindex(*batch):
            R = _run2d(A[index], B[index], steps, levels, cut, kind, dtype,
                       C[index] if kind == "float" else None, p)
            if kind != "float":
                C[index] = R
    else:
        C = _run2d(A, B, steps, levels, cut, kind, dtype, None, p)
    C = C[..., 0, :] if vector_a else C
    C = C[..., 0] if vector_b else C
    if kind == "gf":
        C = C.view(field)
    if out is None:
        return C[()] if C.ndim == 0 else C        # a scalar for two vectors, as np.matmul
    if direct:
        return out
    out[...] = C
    return out


def _run2d(A, B, steps, levels, cut, kind, dtype, C, p):
    dims = A.shape + B.shape[1:]
    if kind == "float":
        return _execute(A, B, _plan(dims, steps, levels, cut["float"]), dtype, C)
    if kind == "object" and not _all_ints(A, B):
        return _execute(A, B, _plan(dims, steps, levels, cut["object"]), dtype, C)
    plans = {leaf: _plan(dims, steps, levels, cut[key]) for leaf, (_, key, _) in _EXACT.items()}
    for step in max(plans.values(), key=len):
        if any(isinstance(c, Fraction) and c.denominator != 1 for c in step.coefs):
            if kind == "object":                  # Python ints through Fractions: exact
                return _execute(A, B, _plan(dims, steps, levels, cut["object"]), dtype, C)
            raise MatmulError(f"matmul: scheme {step.name} has fractional coefficients; use a "
                              f"float or object dtype")
    if kind == "object":
        return _exact(A, B, _magnitude(A), _magnitude(B), plans, "exact", levels is None)
    if kind == "int":
        X = A.view(np.int64) if A.dtype == np.uint64 else A       # the same bits mod 2^64
        Y = B.view(np.int64) if B.dtype == np.uint64 else B
        C = _exact(X, Y, _magnitude(X), _magnitude(Y), plans, "wrap", levels is None)
        return C.view(np.uint64) if dtype == np.uint64 else C.astype(dtype, copy=False)
    h, shallower = p // 2, levels is None
    X, Y, alpha = A, B, p - 1                     # representatives 0..p−1, or centred ones
    if _choose(A.shape[1], h, h, plans, p, shallower)[0] < _choose(A.shape[1], alpha, alpha,
                                                                   plans, p, shallower)[0]:
        X, Y, alpha = _centred(A, p), _centred(B, p), h
    return _exact(X, Y, alpha, alpha, plans, p, shallower).astype(dtype, copy=False)


def _centred(X, p):
    """GF(p) elements 0..p−1 as the integers of least magnitude (−p/2 .. p/2)."""
    if p <= 2 ** 16 and X.dtype != object:        # a table lookup: one pass
        table = np.arange(p, dtype=np.int32)
        table[p // 2 + 1:] -= p
        return table[X]
    Y = X.astype(object if X.dtype == object else np.int64)
    np.subtract(Y, p, out=Y, where=X > p // 2)
    return Y


def _all_ints(A, B):
    return all(isinstance(x, (int, np.integer)) for X in (A, B) for x in X.flat)


def _magnitude(X):
    """max |x| as a Python int (int64 or object arrays of integers)."""
    if X.size == 0:
        return 0
    if X.dtype == object:
        return int(max(abs(x) for x in X.flat))
    return max(int(X.max()), -int(X.min()))


def _execute(A, B, plan, dtype, C=None):
    """C = A·B by the plan, with the steps on ``dtype`` arrays (BLAS leaves for numeric ones)."""
    if C is None:
        C = np.empty((A.shape[0], B.shape[1]), dtype)
    kind = "object" if dtype == object else "float"
    ws = _workspace(A.shape + B.shape[1:], plan, dtype)
    konst = [tuple(_coef(c, kind, dtype) for c in step.coefs) for step in plan]
    try:
        _multiply(A, B, C, plan, ws, konst, 0, _leaf(kind))
    finally:
        _recycle(ws)
    return C


def _exact(X, Y, alpha, beta, plans, mode, shallower=True):
    """X·Y exactly, for integer arrays X, Y (any integer dtype, or Python ints) with |X| ≤ alpha,
    |Y| ≤ beta.

    ``mode``: "wrap" (the product mod 2^64 as int64, as numpy's int64 matmul), "exact" (object
    array of Python ints) or a prime p (integer array of residues 0..p−1; object for p ≥ 2^62).
    ``plans``: leaf dtype -> the deepest plan allowed (``shallower``: or any prefix of it).
    X = Σ_i X_i·2^(kx·i) in balanced digits, likewise Y, and every digit product X_i·Y_j (of
    the pairs that matter: all of them, or those below 2^64 when wrapping) is one float product
    whose intermediates stay within the dtype's exact range (module docstring). The float
    results go to the workspace pool: fresh memory costs page faults."""
    rows, cols = X.shape[0], Y.shape[1]
    if X.shape[1] == 0 or alpha == 0 or beta == 0:
        return np.zeros((rows, cols), object if mode == "exact" else np.int64)
    _, dtype, plan, kx, ky = _choose(X.shape[1], alpha, beta, plans, mode, shallower)
    FX = [d.astype(dtype) for d in _digits(X, kx, _count(alpha, kx))]
    FY = [d.astype(dtype) for d in _digits(Y, ky, _count(beta, ky))]
    P = _take((rows, cols), dtype)
    if len(FX) == len(FY) == 1:                   # one float product, rounded once
        _execute(FX[0], FY[0], plan, dtype, P)
        C = P.astype(np.int32 if dtype == np.float32 else np.int64)
        _recycle([[[P]]])
        if isinstance(mode, int):
            return np.remainder(C, mode, out=C)
        C = C.astype(np.int64, copy=False)
        return C if mode == "wrap" else C.astype(object)
    shifts, digit = {}, np.empty((rows, cols), np.int64)   # shift -> Σ digit products (< 2^58)
    for i, fx in enumerate(FX):
        for j, fy in enumerate(FY):
            s = kx * i + ky * j
            if mode == "wrap" and s >= 64:
                continue
            np.copyto(digit, _execute(fx, fy, plan, dtype, P), casting="unsafe")
            if s in shifts:
                shifts[s] += digit
            else:
                shifts[s] = digit.copy()
    _recycle([[[P]]])
    if mode == "wrap" or X.shape[1] * alpha * beta < 2 ** 63:
        C = np.zeros((rows, cols), np.uint64)    # mod 2^64, exact when the product fits
        for s, S in shifts.items():
            np.left_shift(S.view(np.uint64), np.uint64(s), out=S.view(np.uint64))
            C += S.view(np.uint64)
        C = C.view(np.int64)
        return C if mode == "wrap" else C.astype(object) if mode == "exact" else \
            np.remainder(C, mode, out=C)
    if mode == "exact":
        C = np.zeros((rows, cols), object)
        for s, S in shifts.items():
            C += S.astype(object) << s
        return C
    return _horner(shifts, mode)


def _horner(shifts, p):
    """Σ_s S_s·2^s mod p for int64 arrays S_s: by Horner's rule in steps of t bits with
    p·2^t < 2^63 (Python ints when p ≥ 2^62)."""
    t = 63 - p.bit_length()
    order = sorted(shifts, reverse=True)
    if t < 1:
        return np.remainder(sum(shifts[s].astype(object) << s for s in order), p)
    C = np.remainder(shifts[order[0]], p)
    for s, below in zip(order, order[1:] + [0]):
        gap = s - below
        while gap:
            step = min(gap, t)
            C <<= step
            np.remainder(C, p, out=C)
            gap -= step
        if below in shifts and below != s:
            C += np.remainder(shifts[below], p)
            np.remainder(C, p, out=C)
    return C


def _count(bound, k):
    """Balanced base-2^k digits needed for integers of magnitude ≤ bound (see :func:`_digits`)."""
    count = 1
    while bound > 1 << (k - 1):
        bound = (bound + (1 << (k - 1))) >> k
        count += 1
    return count


def _digits(X, k, count):
    """X = Σ_i D_i·2^(k·i) exactly, every |D_i| ≤ 2^(k−1) (the last one holds the rest, whose
    bound :func:`_count` tracks); int64 digits."""
    if count == 1:
        return [X]
    X = X if X.dtype == object else X.astype(np.int64, copy=False)
    half, mask = 1 << (k - 1), (1 << k) - 1
    digits = []
    for _ in range(count - 1):
        low = X & mask
        digits.append(((low ^ half) - half).astype(np.int64))
        X = (X >> k) + (low >= half)
    digits.append(X.astype(np.int64))
    return digits


def _choose(N2, alpha, beta, plans, mode, shallower=True):
    """(cost, leaf dtype, plan, digit bits of X, of Y) with the fewest leaf flops (cost = digit
    pairs × Π rank/(n·m·p) over the levels × the dtype's cost), every pair exact (module
    docstring)."""
    best = None
    for dtype, plan in plans.items():
        limit, _, cost = _EXACT[dtype]
        for depth in range(len(plan), -1 if shallower else len(plan) - 1, -1):
            # the float growth, rounded up (it may be a rounded rational such as 35/3)
            growth = Fraction(math.prod(max(1.0, step.growth) for step in plan[:depth]))
            growth *= 1 + Fraction(int(depth > 0), 2 ** 40)
            flops = cost * math.prod(step.rank / math.prod(step.format) for step in plan[:depth])
            for kx in range(1, 64):
                dx = min(alpha, 1 << (kx - 1))
                room = limit / (N2 * growth * dx)          # digits of Y may reach it
                if room < 1:
                    break
                if beta <= room:
                    ky = 64
                else:
                    ky = math.floor(room).bit_length()     # 2^(ky−1) ≤ room < 2^ky
                pairs = _pairs(_count(alpha, kx), kx, _count(beta, ky), ky, mode)
                key = (pairs * flops, depth)
                if best is None or key < best[0]:
                    best = (key, (pairs * flops, dtype, plan[:depth], kx, ky))
                if dx == alpha:
                    break
    return best[1]


def _pairs(cx, kx, cy, ky, mode):
    if mode != "wrap":
        return cx * cy
    return sum(kx * i + ky * j < 64 for i in range(cx) for j in range(cy))


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
    raise MatmulError(f"matmul: unsupported dtype {dtype} (float, complex, int, object or galois "
                      f"GF(p))")


def _prime_field(A, B):
    """The galois field class of A or B when it is a prime field GF(p) (duck-typed: no galois
    import needed); a non-prime field is refused."""
    for X in (A, B):
        field = type(X)
        if hasattr(field, "characteristic") and hasattr(field, "degree"):
            if field.degree != 1:
                raise MatmulError(f"matmul: only prime fields GF(p) are supported, not "
                                  f"{field.name}")
            if type(A) is not type(B):
                raise MatmulError("matmul: A and B must be arrays of the same field")
            return field
    return None


def _coef(c, kind, dtype):
    if kind == "float":
        return dtype.type(float(c)) if not np.issubdtype(dtype, np.complexfloating) else complex(c)
    return c if isinstance(c, Fraction) and c.denominator != 1 else int(c)


def _leaf(kind):
    """The product at the bottom of the recursion: ``leaf(X, Y, Z)`` writes X·Y into Z (object
    operands made contiguous: numpy's non-BLAS loops are slow on strided views)."""
    if kind == "float":
        return lambda X, Y, Z: np.matmul(X, Y, out=Z)
    return lambda X, Y, Z: np.matmul(np.ascontiguousarray(X), np.ascontiguousarray(Y), out=Z)
