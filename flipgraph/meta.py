"""Meta moves: schemes of one matrix-multiplication format made from schemes of others (DESIGN §3).

All moves work on matmul schemes in the project convention (C not transposed); every result is
verified before it is returned (a failure would be a bug: ``RuntimeError``). Ranks:

    product(S1, S2)             (n1·n2, m1·m2, p1·p2)   r1·r2    Kronecker product of the schemes
    extend(S, dim)              one more row of A (dim 0), column of A / row of B (1), column of
                                B (2)                  r + m·p, n·p, n·m   (the naive new products)
    project(S, dim, index)      drop that row/column, then remove zero terms and merge terms
                                sharing two factors    ≤ r
    project_lowest(S, dim, tries=N)  the lowest projection over every index and N random changes
                                of basis along dim (every=True: over all of them, GF(p))  ≤ r
    merge(S1, S2, dim)          direct sum along dim: (n1+n2, m, p), (n, m1+m2, p), (n, m, p1+p2)
                                                       r1 + r2
    sandwich(S, X, Y, Z)        A·B = X⁻¹ (X A Y⁻¹)(Y B Z⁻¹) Z for invertible X (n×n), Y (m×m),
                                Z (p×p)                r (a move at fixed rank)
    S.transpose(), S.cyclic()   (p, m, n), (m, p, n)   r

The ring of a result is the ring of its inputs (merge/product: the smaller common ring: a ZT and a
Z scheme give Z); a sandwich over ZT, or a projection whose merged terms add up to ±2, may leave
{-1, 0, 1} and is then returned over Z.

Example::

    >>> from flipgraph import classics, meta
    >>> meta.product(classics.strassen(), classics.strassen()).rank     # 4x4x4
    49
    >>> meta.project(classics.laderman(), 0, 2).format                  # 2x3x3 from 3x3x3
    (2, 3, 3)
"""
from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from .errors import SchemeError
from .rings import Q, ring as as_ring, smallest_ring
from .scheme import Scheme
from .tensors import matmul
from .verify import verify

__all__ = ["checked", "product", "extend", "project", "project_lowest", "hyperplane_turns",
           "hyperplane_count", "merge", "sandwich", "random_unimodular", "reduce_terms"]


def checked(scheme: Scheme, what: str) -> Scheme:
    """``scheme`` after :func:`flipgraph.verify` (an invalid one is a bug: RuntimeError)."""
    verdict = verify(scheme)
    if not verdict:
        raise RuntimeError(f"internal error: {what} gave an invalid scheme ({verdict})")
    return scheme


def _mats(scheme: Scheme):
    """U, V, W as (r, rows, cols) arrays: U[q] is n×m over A, V[q] m×p over B, W[q] n×p over C."""
    n, m, p = scheme.format
    r = scheme.rank
    return (scheme.U.reshape(r, n, m), scheme.V.reshape(r, m, p), scheme.W.reshape(r, n, p))

#: Characteristic-zero rings, smallest first (each holds the one before).
_CHAR0 = ("zt", "z", "q")


def _common_ring(a: Scheme, b: Scheme):
    if a.ring == b.ring:
        return a.ring
    if a.ring.modulus or b.ring.modulus:
        if a.ring.modulus and b.ring.modulus:
            raise SchemeError(f"cannot combine a {a.ring} scheme with a {b.ring} scheme")
        mod = a.ring if a.ring.modulus else b.ring        # an integer scheme reduces mod p
        return mod
    return as_ring(_CHAR0[max(_CHAR0.index(a.ring.name), _CHAR0.index(b.ring.name))])


def _in_ring(mats, ring, fmt) -> Scheme:
    """A scheme of ``fmt`` from (U, V, W) arrays (any exact values) in ``ring``, or for
    characteristic 0 the smallest ring holding them when ``ring`` is too small."""
    flat = [np.asarray(m).reshape(len(m), -1) if len(m) else np.zeros((0, k), dtype=np.int64)
            for m, k in zip(mats, matmul(*fmt).sizes)]
    return Scheme(fmt, *flat, _widened(ring, flat))


def _widened(ring, mats):
    """``ring``, or for characteristic 0 the smallest ring holding the values of ``mats`` when
    ``ring`` is too small (a merge can make a ZT coefficient 2)."""
    if ring.modulus:
        return ring
    values = np.concatenate([np.asarray(f, dtype=object).ravel() for f in mats]) \
        if any(np.size(f) for f in mats) else np.zeros(0, dtype=object)
    smallest = smallest_ring(values)
    return smallest if _CHAR0.index(smallest.name) > _CHAR0.index(ring.name) else ring


# --------------------------------------------------------------------------- product
def product(first: Scheme, second: Scheme) -> Scheme:
    """Kronecker product: A = A1 ⊗ A2 blocks, index i = i1·n2 + i2 (likewise j, k); rank r1·r2."""
    (n1, m1, p1), (n2, m2, p2) = first.format, second.format
    ring = _common_ring(first, second)
    a, b = first.over(ring), second.over(ring)
    mats = []
    for X, Y, (r1, c1), (r2, c2) in zip(_mats(a), _mats(b), ((n1, m1), (m1, p1), (n1, p1)),
                                        ((n2, m2), (m2, p2), (n2, p2))):
        K = np.einsum("qab,scd->qsacbd", X.astype(object), Y.astype(object))
        mats.append(K.reshape(len(X) * len(Y), r1 * r2 * c1 * c2))
    fmt = (n1 * n2, m1 * m2, p1 * p2)
    result = _in_ring([_reduce_mod(x, ring) for x in mats], ring, fmt)
    return checked(result, "product")


def _reduce_mod(mat, ring):
    return np.mod(mat, ring.modulus) if ring.modulus else mat


# --------------------------------------------------------------------------- extend
def extend(scheme: Scheme, dim: int) -> Scheme:
    """(n, m, p) grown by one along ``dim`` (0: a row of A and C; 1: a column of A and row of B;
    2: a column of B and C); the new entries of C get their naive products."""
    n, m, p = scheme.format
    grow = [n, m, p]
    grow[_dim(dim)] += 1
    N, M, P = grow
    U, V, W = _mats(scheme)
    r = scheme.rank
    dtype = object if not scheme.ring.is_integral else np.int64
    U2, V2, W2 = (np.zeros((r, a, b), dtype=dtype) for a, b in ((N, M), (M, P), (N, P)))
    U2[:, :n, :m], V2[:, :m, :p], W2[:, :n, :p] = U, V, W
    new = [(i, j, k) for i in range(N) for j in range(M) for k in range(P)
           if (dim == 0 and i == n) or (dim == 1 and j == m) or (dim == 2 and k == p)]
    extra = [np.zeros((len(new), a, b), dtype=dtype) for a, b in ((N, M), (M, P), (N, P))]
    for q, (i, j, k) in enumerate(new):
        extra[0][q, i, j] = extra[1][q, j, k] = extra[2][q, i, k] = 1
    mats = [np.concatenate([X, E]) for X, E in zip((U2, V2, W2), extra)]
    return checked(_in_ring(mats, scheme.ring, (N, M, P)), "extend")


def _dim(dim) -> int:
    if dim not in (0, 1, 2):
        raise SchemeError(f"dimension must be 0 (n), 1 (m) or 2 (p), not {dim!r}")
    return dim


# --------------------------------------------------------------------------- project
def project(scheme: Scheme, dim: int, index: int) -> Scheme:
    """Drop row/column ``index`` along ``dim`` (0: row of A and C; 1: column of A and row of B;
    2: column of B and C), then remove zero terms and merge terms sharing two factors."""
    n, m, p = scheme.format
    size = (n, m, p)[_dim(dim)]
    if size < 2:
        raise SchemeError(f"cannot project {scheme.format_str} along a dimension of size 1")
    if not 0 <= index < size:
        raise SchemeError(f"index {index} outside 0..{size - 1}")
    U, V, W = _mats(scheme)
    keep = lambda k: [x for x in range(k) if x != index]       # noqa: E731
    if dim == 0:
        U, W = U[:, keep(n), :], W[:, keep(n), :]
    elif dim == 1:
        U, V = U[:, :, keep(m)], V[:, keep(m), :]
    else:
        V, W = V[:, :, keep(p)], W[:, :, keep(p)]
    fmt = (U.shape[1], U.shape[2], V.shape[2])
    projected = Scheme(fmt, *(x.reshape(len(x), -1) for x in (U, V, W)), scheme.ring)
    return checked(reduce_terms(projected), "project")


def project_lowest(scheme: Scheme, dim: int, *, tries: int = 0, seed: int = 0,
                   every: bool = False) -> Scheme:
    """The lowest-rank projection along ``dim``, over every index, of ``scheme`` and of ``tries``
    random changes of basis of it along ``dim`` alone (a :func:`sandwich` whose other two matrices
    are the identity: unimodular with entries in {-1, 0, 1} over Z, ZT and Q, from
    :func:`random_unimodular`; any invertible matrix over GF(p)). Dropping a row after a change of
    basis restricts the map to another hyperplane, whose projection can lose more terms (5x5x5:93
    onto 4x5x5: 84 plain, 82 turned). ``every`` (Z2 and Z3 only, instead of ``tries``): all the
    projections along ``dim``, one per hyperplane and complement (:func:`hyperplane_turns`), so the
    result is the lowest there is. Ties go to the fewest nonzero coefficients, then the first met.
    Over Z and ZT a turned projection can have coefficients outside {-1, 0, 1} (it is then over Z).
    """
    size = scheme.format[_dim(dim)]
    mod = scheme.ring.modulus
    if every and tries:
        raise SchemeError("every projection, or a number of random turns: not both")
    if every and not mod:
        raise SchemeError(f"every projection: over Z2 or Z3 only (finitely many), not over "
                          f"{scheme.ring.name}; give a number of random turns instead")
    rng = np.random.default_rng(seed)

    def turned():
        if every:
            yield from ((X, (size - 1,)) for X in hyperplane_turns(size, mod))
            return
        yield None, range(size)
        for _ in range(tries):
            yield (_random_invertible(size, scheme.ring, rng) if mod else
                   random_unimodular(size, rng, steps=int(rng.integers(1, 6)))), range(size)

    best = None
    for X, indices in turned():
        moved = scheme
        if X is not None:
            mats = [np.eye(k, dtype=np.int64) for k in scheme.format]
            mats[dim] = X
            moved = sandwich(scheme, *mats)
        for index in indices:
            candidate = project(moved, dim, index)
            key = (candidate.rank, sum(int(np.count_nonzero(x))
                                       for x in (candidate.U, candidate.V, candidate.W)))
            if best is None or key < best[0]:
                best = key, candidate
    return best[1]


def hyperplane_count(k: int, p: int) -> int:
    """How many matrices :func:`hyperplane_turns` gives: (p^k − 1)/(p − 1) hyperplanes times
    p^(k−1) complement lines each."""
    return (p**k - 1) // (p - 1) * p ** (k - 1)


def hyperplane_turns(k: int, p: int):
    """The changes of basis along a dimension of size ``k`` over GF(``p``) that give every
    projection once: for each hyperplane H (the kernel of a functional f whose first nonzero entry
    is 1) and each complement line spanned by l with f(l) = 1, the X whose columns are a basis of
    H, then l. A :func:`sandwich` by X along the dimension, then dropping index k − 1, restricts
    the map to H and reads the result modulo l; any other X with the same H and l gives the same
    projection up to a change of basis of the result. :func:`hyperplane_count` matrices: 496 for
    k = 5 over Z2."""
    for f in itertools.product(range(p), repeat=k):
        lead_at = next((i for i, x in enumerate(f) if x), None)
        if lead_at is None or f[lead_at] != 1:
            continue
        basis = []
        for t in range(k):
            if t != lead_at:
                v = [0] * k
                v[t], v[lead_at] = 1, -f[t] % p
                basis.append(v)
        for line in itertools.product(range(p), repeat=k):
            if sum(a * b for a, b in zip(f, line)) % p == 1:
                yield np.array(basis + [list(line)], dtype=np.int64).T


def _random_invertible(k: int, ring, rng) -> np.ndarray:
    """A uniformly random invertible k×k matrix over GF(p), ``ring`` Z2 or Z3 (by rejection)."""
    while True:
        M = rng.integers(0, ring.modulus, (k, k))
        try:
            _inverse(M, ring)
            return M
        except SchemeError:
            continue


def reduce_terms(scheme: Scheme) -> Scheme:
    """Remove terms with a zero factor and merge terms sharing two factors up to scaling
    (a⊗b⊗c + λa⊗μb⊗c' = a⊗b⊗(c + λμc')), until none is left. Same target; same ring, or Z when
    a merge makes a ZT coefficient ±2."""
    ring = scheme.ring
    terms = [[_vec(x, ring) for x in t] for t in scheme.terms()]
    changed = True
    while changed:
        terms = [t for t in terms if all(any(x) for x in t)]
        changed = False
        for keep_modes, free in (((0, 1), 2), ((0, 2), 1), ((1, 2), 0)):
            seen: dict[tuple, int] = {}
            merged = []
            for t in terms:
                scales = [_normalise(t[k], ring) for k in keep_modes]
                key = tuple(tuple(vec) for vec, _ in scales)
                factor = _mul(scales[0][1], scales[1][1], ring)
                rest = [_mul(factor, x, ring) for x in t[free]]
                if key in seen:
                    other = merged[seen[key]]
                    other[free] = [_add(x, y, ring) for x, y in zip(other[free], rest)]
                    changed = True
                else:
                    seen[key] = len(merged)
                    new = [None, None, None]
                    new[keep_modes[0]], new[keep_modes[1]] = scales[0][0], scales[1][0]
                    new[free] = rest
                    merged.append(new)
            terms = [t for t in merged if all(any(x) for x in t)]
    mats = [[t[k] for t in terms] for k in range(3)]
    sizes = scheme.target.sizes
    arrays = [np.array(m, dtype=object).reshape(len(terms), size) for m, size in zip(mats, sizes)]
    return Scheme(scheme.target, *arrays, _widened(ring, arrays))


def _vec(x, ring):
    return [Fraction(v) for v in x] if ring is Q else [int(v) for v in x]


def _normalise(vec, ring):
    """(primitive vec, scale) with vec = scale · primitive; GF(p): leading entry 1."""
    lead = next(x for x in vec if x)
    if ring.modulus:
        inv = pow(int(lead), -1, ring.modulus)
        return [x * inv % ring.modulus for x in vec], lead
    if ring is Q:
        return [x / lead for x in vec], lead
    g = 0
    for x in vec:
        g = np.gcd(g, x)
    g = int(g) if lead > 0 else -int(g)
    return [x // g for x in vec], g


def _mul(a, b, ring):
    return a * b % ring.modulus if ring.modulus else a * b


def _add(a, b, ring):
    return (a + b) % ring.modulus if ring.modulus else a + b


# --------------------------------------------------------------------------- merge
def merge(first: Scheme, second: Scheme, dim: int) -> Scheme:
    """Direct sum along ``dim``: 0 stacks A's rows ([A1; A2]·B, same m and p), 1 splits the inner
    dimension (A1·B1 + A2·B2, same n and p), 2 stacks B's columns (A·[B1 B2], same n and m)."""
    (n1, m1, p1), (n2, m2, p2) = first.format, second.format
    _dim(dim)
    same = [(m1, p1) == (m2, p2), (n1, p1) == (n2, p2), (n1, m1) == (n2, m2)][dim]
    if not same:
        raise SchemeError(f"cannot merge {first.format_str} and {second.format_str} along "
                          f"dimension {dim}: the other two dimensions differ")
    ring = _common_ring(first, second)
    a, b = first.over(ring), second.over(ring)
    N, M, P = (n1 + n2 if dim == 0 else n1, m1 + m2 if dim == 1 else m1, p1 + p2 if dim == 2 else p1)
    offsets = ((0, 0, 0), (n1 if dim == 0 else 0, m1 if dim == 1 else 0, p1 if dim == 2 else 0))
    mats = [[], [], []]
    for scheme, (di, dj, dk) in zip((a, b), offsets):
        U, V, W = _mats(scheme)
        n, m, p = scheme.format
        r = scheme.rank
        for out, X, (ro, co), (rows, cols) in zip(mats, (U, V, W), ((di, dj), (dj, dk), (di, dk)),
                                                 ((N, M), (M, P), (N, P))):
            big = np.zeros((r, rows, cols), dtype=X.dtype)
            big[:, ro:ro + X.shape[1], co:co + X.shape[2]] = X
            out.append(big)
    stacked = [np.concatenate(x) for x in mats]
    return checked(_in_ring(stacked, ring, (N, M, P)), "merge")


# --------------------------------------------------------------------------- sandwich
def sandwich(scheme: Scheme, X, Y, Z) -> Scheme:
    """The scheme computing A·B = X⁻¹ (X A Y⁻¹)(Y B Z⁻¹) Z from ``scheme``: U_q → Xᵀ U_q Y⁻ᵀ,
    V_q → Yᵀ V_q Z⁻ᵀ, W_q → X⁻¹ W_q Z (n×n, m×m, p×p invertible in the scheme's ring: over Z and
    ZT they must be unimodular, det ±1)."""
    n, m, p = scheme.format
    ring = scheme.ring
    X, Y, Z = (np.asarray(x, dtype=object) for x in (X, Y, Z))
    if X.shape != (n, n) or Y.shape != (m, m) or Z.shape != (p, p):
        raise SchemeError(f"sandwich of {scheme.format_str} needs X {n}x{n}, Y {m}x{m}, Z {p}x{p}")
    Xi, Yi, Zi = (_inverse(x, ring) for x in (X, Y, Z))
    if ring.modulus:                      # entries below p: machine integers are exact
        X, Y, Z, Xi, Yi, Zi = (np.mod(np.asarray(x, dtype=np.int64), ring.modulus)
                               for x in (X, Y, Z, Xi, Yi, Zi))
    U, V, W = (x.astype(X.dtype) for x in _mats(scheme))
    U2 = np.einsum("ai,qab,jb->qij", X, U, Yi)           # Xᵀ U Y⁻ᵀ
    V2 = np.einsum("ai,qab,jb->qij", Y, V, Zi)
    W2 = np.einsum("ia,qab,bj->qij", Xi, W, Z)
    mats = [_reduce_mod(x, ring) for x in (U2, V2, W2)]
    return checked(_in_ring(mats, ring, (n, m, p)), "sandwich")


def _inverse(M, ring):
    """Exact inverse over the ring: GF(p) by Gauss–Jordan mod p; Z/ZT only if unimodular; Q."""
    k = M.shape[0]
    mod = ring.modulus
    A = [[Fraction(int(x)) if mod else Fraction(x) for x in row] + [Fraction(int(i == j)) for j in range(k)]
         for i, row in enumerate(M)]
    for col in range(k):
        pivot = next((r for r in range(col, k) if (A[r][col] % mod if mod else A[r][col])), None)
        if pivot is None:
            raise SchemeError("sandwich matrix is not invertible")
        A[col], A[pivot] = A[pivot], A[col]
        inv = Fraction(pow(int(A[col][col]) % mod, -1, mod)) if mod else 1 / A[col][col]
        A[col] = [x * inv % mod if mod else x * inv for x in A[col]]
        for r in range(k):
            if r != col and A[r][col]:
                f = A[r][col]
                A[r] = [(x - f * y) % mod if mod else x - f * y for x, y in zip(A[r], A[col])]
    inv = np.array([[x for x in row[k:]] for row in A], dtype=object)
    if ring is Q or mod:
        return np.vectorize(int if mod else Fraction, otypes=[object])(inv)
    if any(x.denominator != 1 for x in inv.ravel()):
        raise SchemeError(f"sandwich matrices over {ring} must be unimodular (det ±1)")
    return np.vectorize(int, otypes=[object])(inv)


def random_unimodular(k: int, rng, steps: int = 3) -> np.ndarray:
    """A random k×k integer matrix of determinant ±1 with entries in {-1, 0, 1}: a product of a
    few elementary moves (row additions, sign changes, swaps) that stays ternary."""
    M = np.eye(k, dtype=np.int64)
    for _ in range(steps * k):
        i, j = rng.choice(k, size=2, replace=False) if k > 1 else (0, 0)
        move = rng.integers(3)
        if move == 0 and k > 1:
            candidate = M.copy()
            candidate[i] += int(rng.choice([-1, 1])) * M[j]
            if np.abs(candidate).max() <= 1:
                M = candidate
        elif move == 1:
            M[i] = -M[i]
        elif k > 1:
            M[[i, j]] = M[[j, i]]
    return M
