"""Runtime of generated A·Aᵀ (Gram) routines: recursion with a structured scheme for X·Xᵀ.

Needs only numpy and :mod:`flipgraph.codegen.runtime`: a generated ``gt`` module is the runtime's
source, then this file's source below its import line, then the data of the steps.

Conventions: A is N×K and C = A·Aᵀ is N×N, symmetric. A *Gram step* applies a scheme for the
target ``gt:n`` (:func:`flipgraph.tensors.structured`) to blocks: A is cut into n×m blocks
A_a (a = i·m + j, each (N/n)×(K/m); m = n, or m = 1 for a scheme merged across block columns)
and every product q of the scheme is

    recursive   P_q = L_q·L_qᵀ, L_q = Σ_a U[q,a]·A_a  (the scheme's V row ∝ its U row):
                the same problem on a block, done by the next Gram step or, at the bottom, by
                ``X @ X.T`` (numpy calls BLAS syrk: half the flops of a general product)
    general     P_q = L_q·R_qᵀ, R_q = Σ_a V[q,a]·A_a: the general routine's plan (Strassen-like
                steps of :mod:`.runtime`, B-side workspace laid out transposed so that the
                additions of Rᵀ's blocks run in memory order), or BLAS gemm

and the upper output blocks are C_ik = Σ_q W[q, (i,k)]·P_q (i ≤ k); the lower ones are their
transposes, copied tile by tile. Sizes that do not divide are peeled (thin products for the
leftover rows and columns). A step is data (:class:`GramStep`), read at block granularity.

Exact integers: when K·max|A|²·:func:`gram_growth` < 2^24 (resp. 2^53), every value the recursion
forms is an integer below 2^24 (2^53), so it runs in float32 (float64) BLAS and is rounded once (the bound is proven from the
coefficients: per step, every output block's partial sums are bounded by
Σ_q |W_q|·|U_q|₁·|V_q|₁/m times the bound of its products). Otherwise the general exact engine
(:func:`run` on A and Aᵀ: digits, wrap-around as numpy's int64) computes it.
"""
from flipgraph.codegen.runtime import (DEFAULT_CUTOFFS, Fraction, MatmulError, _coef,   # noqa
                                       _magnitude, _multiply, _plan, _recycle, _take, math,
                                       namedtuple, np, run)
# ---- standalone modules copy what follows (the runtime above already defines those names)

#: one level of a structured X·Xᵀ scheme on n×m blocks (m = n for a gt:n scheme; m = 1 when its
#: products were merged across block columns). ``products``: tuples (left, right, out)
#: with left/right tuples of (coefficient, block index i·m + j) (right None: recursive product
#: L·Lᵀ) and out tuples of (coefficient, (i, k)), i ≤ k. Coefficients are ints or Fractions.
GramStep = namedtuple("GramStep", "name n m rank products")

_TILE = 256          # tile of the transposed copies (fits in cache)


def gram_run(A, gsteps, msteps, levels=None, cutoff=None):
    """C = A·Aᵀ for a 2-D array A by the Gram steps ``gsteps`` (one per level, the last repeats;
    ``levels`` of them, or while row and column blocks stay ≥ ``cutoff["gram"]``) with general
    products by the matmul steps ``msteps`` (while their blocks stay ≥ ``cutoff["float"]``); an
    int cutoff is both. Same dtype and values as numpy's ``A @ A.T`` (int: exact, wrap-around
    included; float: rounding aside)."""
    A = np.asarray(A) if not hasattr(A, "characteristic") else A
    if A.ndim != 2:
        raise MatmulError(f"gram: A must be a 2-D matrix, not an array of shape {A.shape}")
    cut = {**DEFAULT_CUTOFFS, "gram": DEFAULT_CUTOFFS["float"],
           **(cutoff if isinstance(cutoff, dict) else {})}
    if cutoff is not None and not isinstance(cutoff, dict):
        cut = dict.fromkeys(cut, max(int(cutoff), 1))
    kind = A.dtype.kind if type(A) is np.ndarray else "other"
    if kind in "fc":
        plan = _gram_plan(A.shape, gsteps, msteps, levels, cut)
        return _gram_execute(A, plan, A.dtype)
    if kind in "iu":
        plan = _gram_plan(A.shape, gsteps, msteps, levels, cut)
        alpha = _magnitude(A.view(np.int64) if A.dtype == np.uint64 else A)
        exact = all(isinstance(c, int) or c.denominator == 1 for step, _ in plan
                    for q in step.products for part in q if part for c, _ in part)
        bound = A.shape[1] * alpha * alpha * gram_growth(plan) if exact else math.inf
        if bound < 2 ** 24:                               # float32 BLAS: exact, twice as fast
            F = _take(A.shape, np.dtype(np.float32))
            np.copyto(F, A, casting="unsafe")
            C = _gram_execute(F, plan, F.dtype)
            _recycle([[[F]]])
            return C.astype(np.int64).astype(A.dtype, copy=False)
        if bound < 2 ** 53:
            F = _take(A.shape, np.dtype(np.float64))     # pooled: fresh memory costs page faults
            np.copyto(F, A, casting="unsafe")
            C = _gram_execute(F, plan, F.dtype)
            _recycle([[[F]]])
            I, rows = C.view(np.int64), np.empty((16, C.shape[1]), np.int64)
            for i in range(0, C.shape[0], 16):            # rounded in place, 16 rows at a time
                n = min(16, C.shape[0] - i)
                np.copyto(rows[:n], C[i:i + n], casting="unsafe")
                I[i:i + n] = rows[:n]
            return I.astype(A.dtype, copy=False)
    return run(A, A.T, msteps, None, cut)


def gram_growth(plan):
    """A bound G with |every value the plan forms| ≤ K·max|A|²·G (module docstring)."""
    bound = 1.0
    for step, mplan in reversed(plan):
        general = math.prod(max(1.0, s.growth) for s in mplan) * (1 + 2 ** -40)
        worst = {}
        for left, right, out in step.products:
            size = sum(abs(c) for c, _ in left) * sum(abs(c) for c, _ in right or left)
            value = size * (bound if right is None else general) / step.m
            for c, block in out:
                worst[block] = worst.get(block, 0) + abs(c) * value
        bound = max([1.0, bound] + list(worst.values()))
    return float(bound) * (1 + 2 ** -40)


def _gram_plan(shape, gsteps, msteps, levels, cutoff):
    """[(Gram step, plan of its general products)] per level."""
    plan, (N, K) = [], shape
    while True:
        step = gsteps[min(len(plan), len(gsteps) - 1)]
        h, w = N // step.n, K // step.m
        if levels is not None:
            if len(plan) >= levels or min(h, w) == 0:
                return plan
        elif min(h, w) < cutoff["gram"]:
            return plan
        plan.append((step, _plan((h, w, h), msteps, None, cutoff["float"])))
        N, K = h, w


def _gram_execute(A, plan, dtype):
    """A·Aᵀ in ``dtype`` (float or complex) by the plan, with pooled workspace."""
    N, K = A.shape
    C = np.empty((N, N), dtype)
    ws, dims = [], (N, K)
    for step, mplan in plan:
        h, w = dims[0] // step.n, dims[1] // step.m
        konst = [tuple(_coef(c, "float", dtype) for c in s.coefs) for s in mplan]
        ws.append((_Buffers(((h, w), (h, w), (h, h)), dtype),
                   _transposed_workspace((h, w, h), mplan, dtype), konst))
        dims = (h, w)
    try:
        _gram(A, C, plan, ws, 0)
    finally:
        for level in ws:
            _recycle([[list(level[0].taken.values())]])
            _recycle([[[b.T if i == 1 else b for b in blocks] for i, blocks in enumerate(lv)]
                      for lv in level[1]])
    return C


class _Buffers:
    """A level's operand and product buffers (L, R, P), taken from the pool on first use: a
    merged step's products are views of A written straight into C and need none."""

    def __init__(self, shapes, dtype):
        self.shapes, self.dtype, self.taken = shapes, dtype, {}

    def __getitem__(self, i):
        if i not in self.taken:
            self.taken[i] = _take(self.shapes[i], self.dtype)
        return self.taken[i]


def _transposed_workspace(dims, mplan, dtype):
    """runtime's workspace with B-side blocks allocated transposed (B = Rᵀ is a transposed view)."""
    ws, (N1, N2, N3) = [], dims
    for step in mplan:
        n, m, p = step.format
        N1, N2, N3 = N1 // n, N2 // m, N3 // p
        ca, cb, cc = step.buffers
        ws.append(([_take((N1, N2), dtype) for _ in range(ca)],
                   [_take((N3, N2), dtype).T for _ in range(cb)],
                   [_take((N1, N3), dtype) for _ in range(cc)]))
    return ws


def _gram(X, C, plan, ws, d):
    """C = X·Xᵀ (both triangles) by plan[d:]."""
    if d == len(plan):
        np.matmul(X, X.T, out=C)                  # numpy calls syrk for X @ X.T
        return
    (step, mplan), (buf, mws, konst) = plan[d], ws[d]
    n, m, (N, K) = step.n, step.m, X.shape
    h, w = N // n, K // m
    e1, e2 = h * n, w * m
    blocks = [X[i * h:(i + 1) * h, j * w:(j + 1) * w] for i in range(n) for j in range(m)]
    out = {(i, k): C[i * h:(i + 1) * h, k * h:(k + 1) * h] for i in range(n) for k in range(i, n)}
    written = set()
    for left, right, targets in step.products:
        L, sl = _combine(left, blocks, buf, 0)
        R, sr = (L, sl) if right is None else _combine(right, blocks, buf, 1)
        scale = sl * sr
        direct = len(targets) == 1 and targets[0][1] not in written
        P = out[targets[0][1]] if direct else buf[2]
        if right is None:
            _gram(L, P, plan, ws, d + 1)
        else:
            _multiply(L, R.T, P, mplan, mws, konst, 0, _matmul)
        for c, block in targets:
            c = c * scale
            if direct:
                if c != 1:
                    np.multiply(P, _scalar(c, P.dtype), out=P)
            elif block not in written:
                np.multiply(P, _scalar(c, P.dtype), out=out[block])
            elif c == 1 or c == -1:
                (np.add if c == 1 else np.subtract)(out[block], P, out=out[block])
            else:
                out[block] += _scalar(c, P.dtype) * P
            written.add(block)
    for block, view in out.items():
        if block not in written:
            view[...] = 0
    if e2 < K:                                    # peeled columns: a thin update of the blocks
        Y = X[:e1, e2:]
        for i in range(0, e1, _TILE):
            C[i:min(i + _TILE, e1), :e1] += Y[i:i + _TILE] @ Y.T
    if e1 < N:                                    # peeled rows: their products with every row
        np.matmul(X[e1:], X.T, out=C[e1:])
    _symmetrize(C, h, n, e1)


def _combine(terms, blocks, buffers, i):
    """(Σ c·block, factor): a view and its coefficient for one term, else the sum in
    ``buffers[i]``."""
    if len(terms) == 1:
        return blocks[terms[0][1]], terms[0][0]
    (c, a), rest, buf = terms[0], terms[1:], buffers[i]
    np.multiply(blocks[a], _scalar(c, buf.dtype), out=buf)
    for c, a in rest:
        if c == 1 or c == -1:
            (np.add if c == 1 else np.subtract)(buf, blocks[a], out=buf)
        else:
            buf += _scalar(c, buf.dtype) * blocks[a]
    return buf, 1


def _scalar(c, dtype):
    return dtype.type(float(c)) if dtype.kind == "f" else complex(c)


def _matmul(X, Y, Z):
    np.matmul(X, Y, out=Z)


def _symmetrize(C, h, n, e1):
    """Copy the upper off-diagonal blocks (i < k) and the peeled rows' products onto their
    mirror images, tile by tile (a whole strided transpose runs at a fraction of memory speed)."""
    N = C.shape[0]
    for i in range(n):
        for k in range(i + 1, n):
            _transpose_into(C[k * h:(k + 1) * h, i * h:(i + 1) * h],
                            C[i * h:(i + 1) * h, k * h:(k + 1) * h])
    if e1 < N:
        _transpose_into(C[:e1, e1:], C[e1:, :e1])


def _transpose_into(dst, src):
    rows, cols = dst.shape
    for r in range(0, rows, _TILE):
        for c in range(0, cols, _TILE):
            np.copyto(dst[r:r + _TILE, c:c + _TILE], src[c:c + _TILE, r:r + _TILE].T)
