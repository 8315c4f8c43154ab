"""Targets: the bilinear maps that schemes decompose.

A :class:`Target` describes a bilinear map z = f(x, y), x of length nU, y of length nV, z of length
nW, by its tensor T (integer coefficients, kept sparse):

    z[k] = sum_{i, j} T[i, j, k] · x[i] · y[j]

A scheme of rank r for it is three matrices U (r × nU), V (r × nV), W (r × nW) with

    sum_q U[q, i] · V[q, j] · W[q, k] = T[i, j, k]      for all i < nU, j < nV, k < nW

(the Brent equations). Matrix multiplication of format (n, m, p) is the target ``matmul(n, m, p)``
with x = A (n×m), y = B (m×p), z = C = A·B (n×p), all flattened row-major (project convention, C
NOT transposed): T[i*m + j, j*p + k, i*p + k] = 1. Its id is ``mm:NxMxP``; it admits the transpose
and cyclic moves between formats. Structured products of n×n matrices (:func:`structured`, ids like
``gt:4``, ``kg:3``) are built in; any other tensor is built with :func:`from_coo` and has an id made
from its content (``user:<sha256 prefix>``), so equal tensors have equal ids.

Structured products (Khoruzhii, Gelß, Pokutta, "Faster Algorithms for Structured Matrix
Multiplication via Flip Graph Search", and its flip-cpd data): a structured n×n matrix X is given by
its free parameters x_1.. (1-based in listings), X[i,j] = sum_a P[i,j,a] x_a:

    g  general             n² parameters, row-major
    u  upper triangular    n(n+1)/2: the upper triangle with diagonal, row by row
    l  lower triangular    n(n+1)/2: the lower triangle with diagonal, column by column (L[j,i]
                           has the index of (i, j) in the upper order)
    s  symmetric           n(n+1)/2: the upper triangle with diagonal, row by row; X[j,i] = X[i,j]
    k  skew-symmetric      n(n−1)/2: the strict upper triangle, row by row; X[j,i] = −X[i,j]
    w  skew + free diagonal n(n+1)/2: the upper triangle with diagonal, row by row; X[j,i] = −X[i,j]
       off the diagonal

``XY:n`` (e.g. ``ug:4``, ``kg:3``, ``ss:2``) is C = X·Y with C a general n×n matrix (n² outputs,
row-major; ``gg:n`` is ``mm:nxnxn``; ``uu:n``, upper·upper, is upper triangular and stored as its
upper triangle, row by row); ``Xt:n`` (``gt``, ``st``, ``kt``, ``ut``) is C = X·Xᵀ, symmetric, stored once as its upper
triangle row by row (n(n+1)/2 outputs); as a bilinear map its second input y holds the same
parameters as x: T[a, b, (i,k)] = sum_j P[i,j,a]·P[k,j,b] for i ≤ k.

Example::

    >>> from flipgraph.tensors import matmul, from_coo
    >>> matmul(2, 2, 2).id, matmul(2, 2, 2).sizes
    ('mm:2x2x2', (4, 4, 4))
    >>> # the 2x2 product A·Aᵀ with the symmetric output stored once (c11, c12, c22)
    >>> aat = from_coo((4, 4, 3), [(0, 0, 0, 1), (1, 1, 0, 1), (0, 2, 1, 1), (1, 3, 1, 1),
    ...                             (2, 2, 2, 1), (3, 3, 2, 1)], name="aat:2")
    >>> aat.id.startswith("user:"), aat.nnz
    (True, 6)
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import numpy as np

from .errors import SchemeError

__all__ = ["Target", "describe_target", "matmul", "from_coo", "from_dense", "from_id", "parse_target",
           "structured", "parameters", "STRUCTURES", "recursive_products", "recursion_factor", "MAX_SIZE"]

#: Largest size of one factor (nU, nV or nW) any target may have; also bounds hostile input.
MAX_SIZE = 1 << 16


@dataclass(frozen=True, eq=False)
class Target:
    """An immutable bilinear map (see the module docstring). Compare targets by ``id``.

    sizes       (nU, nV, nW): lengths of x, y and z
    entries     int64 array (nnz, 4) of (i, j, k, coefficient), sorted, coefficients nonzero
    id          stable identifier: ``mm:NxMxP`` or ``user:<hash>``
    name        readable name (the id unless a user tensor was given one)
    kind        ``"mm"`` for matrix multiplication, the op (``"gt"``, ``"kg"``, ...) for a structured
                product, ``"user"`` otherwise
    format      (n, m, p) for matrix multiplication, None otherwise
    variables   names used in listings, one tuple per factor (``a11``.. for matmul, ``a1``..
                otherwise; 1-based)
    symmetries  moves between targets it admits: ("transpose", "cyclic") for matmul, () otherwise
    """

    sizes: tuple[int, int, int]
    entries: np.ndarray = field(repr=False)
    id: str
    name: str
    kind: str
    format: tuple[int, int, int] | None = None

    # ------------------------------------------------------------------ facts
    @property
    def is_matmul(self) -> bool:
        return self.kind == "mm"

    @property
    def nnz(self) -> int:
        return int(self.entries.shape[0])

    @property
    def symmetries(self) -> tuple[str, ...]:
        return ("transpose", "cyclic") if self.is_matmul else ()

    @property
    def label(self) -> str:
        """How messages name it: ``3x3x3`` for matmul, the name otherwise."""
        return "x".join(map(str, self.format)) if self.is_matmul else self.name

    @property
    def variables(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        if self.is_matmul:
            n, m, p = self.format
            return (_matrix_names("a", n, m), _matrix_names("b", m, p), _matrix_names("c", n, p))
        return tuple(tuple(f"{letter}{e + 1}" for e in range(size))
                     for letter, size in zip("abc", self.sizes))

    def __eq__(self, other) -> bool:
        return isinstance(other, Target) and self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"Target({self.name}, sizes={self.sizes}, nnz={self.nnz})"

    # ------------------------------------------------------------------ tensor views
    def dense(self) -> np.ndarray:
        """T as an int64 array of shape (nU, nV, nW)."""
        T = np.zeros(self.sizes, dtype=np.int64)
        if self.nnz:
            i, j, k, c = self.entries.T
            T[i, j, k] = c
        return T

    def slices(self):
        """Yield (i, T[i] as a sparse list of (j, k, c)) for every i < nU, in order — what verify
        compares one row of U at a time against."""
        starts = np.searchsorted(self.entries[:, 0], np.arange(self.sizes[0] + 1))
        for i in range(self.sizes[0]):
            yield i, self.entries[starts[i]:starts[i + 1], 1:]

    def describe(self, i: int, j: int, k: int) -> str:
        """Readable name of one Brent equation in the 1-based names of listings: ``a12·b21 in
        c11`` for matmul (A[0,1]·B[1,0] in C[0,0]), ``a1·b2 in c3`` otherwise."""
        a, b, c = self.variables
        return f"{a[i]}·{b[j]} in {c[k]}"

    def to_json(self) -> str | dict:
        """The id for matmul and structured products (rebuilt by :func:`from_id`), else the whole
        tensor as a JSON object."""
        if self.kind != "user":
            return self.id
        return {"id": self.id, "name": self.name, "sizes": list(self.sizes),
                "entries": self.entries.tolist()}


def describe_target(target: Target) -> str:
    """One line for people: ``3x4x5 (A is 3x4, B is 4x5)`` or ``aat:2 (sizes 4, 4, 3; 6 entries)``."""
    if target.is_matmul:
        n, m, p = target.format
        return f"{n}x{m}x{p} (A is {n}x{m}, B is {m}x{p})"
    return f"{target.name} (sizes {', '.join(map(str, target.sizes))}; {target.nnz} entries)"


def _matrix_names(letter: str, rows: int, cols: int) -> tuple[str, ...]:
    wide = rows >= 10 or cols >= 10
    return tuple(f"{letter}{i + 1}_{j + 1}" if wide else f"{letter}{i + 1}{j + 1}"
                 for i in range(rows) for j in range(cols))


def matmul(n: int, m: int, p: int) -> Target:
    """Matrix multiplication C = A·B for A n×m, B m×p (project convention, see module docstring)."""
    n, m, p = int(n), int(m), int(p)
    if min(n, m, p) < 1:
        raise SchemeError(f"format {n}x{m}x{p}: every dimension must be at least 1")
    if max(n * m, m * p, n * p) > MAX_SIZE:
        raise SchemeError(f"format {n}x{m}x{p} is too large (a factor over {MAX_SIZE} entries)")
    return _matmul_cached(n, m, p)


_MATMUL_CACHE: dict[tuple[int, int, int], Target] = {}


def _matmul_cached(n: int, m: int, p: int) -> Target:
    key = (n, m, p)
    if key not in _MATMUL_CACHE:
        i, j, k = np.meshgrid(np.arange(n), np.arange(m), np.arange(p), indexing="ij")
        i, j, k = i.ravel(), j.ravel(), k.ravel()
        entries = np.stack([i * m + j, j * p + k, i * p + k, np.ones_like(i)], axis=1).astype(np.int64)
        entries = entries[np.lexsort(entries[:, 2::-1].T)]
        entries.flags.writeable = False
        name = f"mm:{n}x{m}x{p}"
        if len(_MATMUL_CACHE) > 256:
            _MATMUL_CACHE.clear()
        _MATMUL_CACHE[key] = Target((n * m, m * p, n * p), entries, name, name, "mm", key)
    return _MATMUL_CACHE[key]


def from_coo(sizes, entries, name: str | None = None) -> Target:
    """A target from its sizes (nU, nV, nW) and COO entries (i, j, k, coefficient), integers;
    repeated (i, j, k) are summed, zero coefficients dropped. The id hashes the content, so the same
    tensor always gets the same id; ``name`` is only for display. A tensor equal to a matrix
    multiplication tensor is still a user tensor (build it with :func:`matmul` to get the matmul
    structure)."""
    sizes = _check_sizes(sizes)
    try:
        rows = [tuple(row) for row in entries]
        if any(len(row) != 4 for row in rows):
            raise ValueError
        ints = [[int(x) for x in row] for row in rows]
        if ints != [list(row) for row in rows]:          # 0.5 -> 0 must not pass silently
            raise ValueError
        arr = np.array(ints, dtype=np.int64).reshape(-1, 4)
    except (TypeError, ValueError, OverflowError):
        raise SchemeError("tensor entries must be integer (i, j, k, coefficient) rows") from None
    for axis, size in enumerate(sizes):
        if len(arr) and (arr[:, axis].min() < 0 or arr[:, axis].max() >= size):
            raise SchemeError(f"tensor entry index out of range in mode {axis} (size {size})")
    dense = {}
    for i, j, k, c in arr.tolist():
        dense[(i, j, k)] = dense.get((i, j, k), 0) + c
    rows = sorted((i, j, k, c) for (i, j, k), c in dense.items() if c)
    clean = np.array(rows, dtype=np.int64).reshape(-1, 4)
    clean.flags.writeable = False
    digest = hashlib.sha256(f"{sizes};{rows}".encode()).hexdigest()[:16]
    ident = f"user:{digest}"
    if name is not None and (not isinstance(name, str) or not re.fullmatch(r"[\w:.+\-]{1,64}", name)):
        raise SchemeError(f"bad target name {name!r}: use 1-64 letters, digits or _:.+-")
    return Target(sizes, clean, ident, name or ident, "user")


def from_dense(T, name: str | None = None) -> Target:
    """A target from a dense integer array of shape (nU, nV, nW)."""
    T = np.asarray(T)
    if T.ndim != 3:
        raise SchemeError(f"a tensor needs 3 modes, got shape {T.shape}")
    idx = np.argwhere(T != 0)
    rows = [(int(i), int(j), int(k), int(T[i, j, k])) for i, j, k in idx]
    return from_coo(T.shape, rows, name)


def _check_sizes(sizes) -> tuple[int, int, int]:
    try:
        sizes = tuple(int(x) for x in sizes)
    except (TypeError, ValueError):
        raise SchemeError(f"bad tensor sizes {sizes!r}: expected (nU, nV, nW)") from None
    if len(sizes) != 3 or min(sizes) < 1 or max(sizes) > MAX_SIZE:
        raise SchemeError(f"bad tensor sizes {sizes!r}: three integers in 1..{MAX_SIZE}")
    return sizes


_FORMAT = re.compile(r"(?:mm:)?(\d+)\s*[x,*]\s*(\d+)\s*[x,*]\s*(\d+)", re.IGNORECASE)


def parse_target(spec) -> Target:
    """A Target from what a user writes: a Target, a (n, m, p) tuple, ``"3x3x3"``, ``"3,3,4"``,
    ``"mm:3x3x3"`` or a structured product ``"gt:4"``. Raises SchemeError for anything else."""
    if isinstance(spec, Target):
        return spec
    if isinstance(spec, (tuple, list)) and len(spec) == 3:
        return matmul(*spec)
    text = str(spec).strip()
    match = _FORMAT.fullmatch(text)
    if match:
        return matmul(*(int(g) for g in match.groups()))
    match = _STRUCTURED.fullmatch(text.lower())
    if match:
        return structured(match.group(1), int(match.group(2)), match.group(3))
    raise SchemeError(f"bad format {spec!r}: write it as NxMxP (e.g. 3x3x3) or a structured "
                      f"product OP:N (e.g. gt:4, kg:3, ss:2)")


def from_id(ident: str) -> Target:
    """Rebuild a target from an id that names it completely (``mm:NxMxP``, ``gt:4``); a ``user:``
    id needs the tensor itself (see :meth:`Target.to_json`)."""
    if isinstance(ident, str) and not ident.startswith("user:"):
        return parse_target(ident)
    raise SchemeError(f"target {ident!r} cannot be rebuilt from its id alone")


def from_json(data) -> Target:
    """Inverse of :meth:`Target.to_json`; a user tensor's id must match its content."""
    if isinstance(data, str):
        return from_id(data)
    if not isinstance(data, dict) or set(data) - {"id", "name", "sizes", "entries"}:
        raise SchemeError("a target is an id string or an object with id, name, sizes, entries")
    if "sizes" not in data or "entries" not in data:
        raise SchemeError("a target object needs 'sizes' and 'entries'")
    entries = data["entries"]
    if not isinstance(entries, list) or any(not isinstance(row, list) or len(row) != 4
                                            or not all(isinstance(x, int) and not isinstance(x, bool)
                                                       for x in row) for row in entries):
        raise SchemeError("target 'entries' must be a list of [i, j, k, coefficient] integer rows")
    ident = data.get("id")
    if isinstance(ident, str) and not ident.startswith("user:"):
        built = from_id(ident)                      # a built-in target written out in full
        if built.sizes != tuple(data["sizes"]) or built.entries.tolist() != sorted(entries):
            raise SchemeError(f"target {ident!r}: the entries given are not those of {ident}")
        return built
    target = from_coo(data["sizes"], entries, data.get("name"))
    if ident is not None and ident != target.id:
        raise SchemeError(f"target id {data['id']!r} does not match its entries ({target.id})")
    return target


# --------------------------------------------------------------------------- structured products
#: Structures of a factor: letter -> description (see the module docstring).
STRUCTURES = {"g": "general", "u": "upper triangular", "l": "lower triangular", "s": "symmetric",
              "k": "skew-symmetric", "w": "skew-symmetric plus free diagonal"}
_STRUCTURED = re.compile(r"([gulskw][gulskwt]):(\d+)([abc]?)")


def parameters(structure: str, n: int) -> np.ndarray:
    """P (int64, n × n × f) with X[i,j] = sum_a P[i,j,a]·x_a for an n×n matrix of ``structure``
    (one of :data:`STRUCTURES`), parameters in the order of the module docstring."""
    if structure == "g":
        cells = [(i, j) for i in range(n) for j in range(n)]
    elif structure in ("u", "s", "w"):
        cells = [(i, j) for i in range(n) for j in range(i, n)]
    elif structure == "l":                 # L[j, i] takes the index of (i, j) in the upper order
        cells = [(j, i) for i in range(n) for j in range(i, n)]
    elif structure == "k":
        cells = [(i, j) for i in range(n) for j in range(i + 1, n)]
    else:
        raise SchemeError(f"unknown structure {structure!r}: one of {', '.join(STRUCTURES)}")
    P = np.zeros((n, n, len(cells)), dtype=np.int64)
    for a, (i, j) in enumerate(cells):
        P[i, j, a] = 1
        if i != j and structure == "s":
            P[j, i, a] = 1
        elif i != j and structure in ("k", "w"):
            P[j, i, a] = -1
    return P


def structured(op: str, n: int, suffix: str = "") -> Target:
    """The structured product ``op`` of n×n matrices (``"gt"``, ``"kg"``, ``"ss"``, ...; see the
    module docstring), id ``op:n`` (``op:n<suffix>`` for a recursive variant a, b, c)."""
    op, n, suffix = str(op).lower(), int(n), str(suffix or "").lower()
    if suffix not in ("", "a", "b", "c"):
        raise SchemeError(f"unknown suffix {suffix!r}: a, b or c")
    if len(op) != 2 or op[0] not in STRUCTURES or op[1] not in STRUCTURES and op[1] != "t":
        raise SchemeError(f"unknown structured product {op!r}: two letters from "
                          f"{''.join(STRUCTURES)} (X·Y), or X then t (X·Xᵀ)")
    if not 1 <= n <= 64:
        raise SchemeError(f"{op}:{n}: n must be between 1 and 64")
    if op == "gg" and not suffix:
        return matmul(n, n, n)                  # general·general is matrix multiplication
    PX = parameters(op[0], n)
    upper = [(i, k) for i in range(n) for k in range(i, n)]
    if op[1] == "t":
        blocks = [np.einsum("ja,jb->ab", PX[i], PX[k]) for i, k in upper]
    elif op == "uu":                            # upper·upper is upper: its upper triangle
        PY = parameters("u", n)
        blocks = [np.einsum("ja,jb->ab", PX[i], PY[:, k]) for i, k in upper]
    else:
        PY = parameters(op[1], n)
        blocks = [np.einsum("ja,jb->ab", PX[i], PY[:, k]) for i in range(n) for k in range(n)]
    T = np.stack(blocks, axis=2)
    if suffix in ("a", "c"):
        T[:, :, 0] = 0
    if suffix in ("b", "c"):
        T[:, :, -1] = 0
    if not T.any():
        raise SchemeError(f"{op}:{n} is the zero map (no free parameters at n = {n})")
    idx = np.argwhere(T != 0)
    entries = np.concatenate([idx, T[T != 0][:, None]], axis=1).astype(np.int64)
    entries.flags.writeable = False
    ident = f"{op}:{n}{suffix}"
    return Target(T.shape, entries, ident, ident, op)


def recursive_products(scheme) -> int:
    """How many products of a structured scheme are themselves the same structured problem when the
    scheme is applied to blocks: for X·Y, products whose a-form only uses parameters of blocks of
    structure X (for s, k, w, u, l: diagonal parameters; every parameter of g) and whose b-form only
    uses those of Y; for X·Xᵀ, additionally a-form ∝ b-form. Every product of a square matmul
    scheme (n×n blocks times n×n blocks); 0 for other formats and user targets."""
    target = scheme.target
    if target.is_matmul:
        return scheme.rank if len(set(target.format)) == 1 else 0
    if target.kind == "user":
        return 0
    n = int(target.id.split(":")[1])

    def same_kind(structure):
        P = parameters(structure, n)
        if structure == "g":
            return np.ones(P.shape[2], dtype=bool)
        return np.array([bool(P[:, :, a].diagonal().any()) for a in range(P.shape[2])])

    op = target.kind
    ok_u = same_kind(op[0])
    ok_v = same_kind(op[0] if op[1] == "t" else op[1])
    count = 0
    for u, v in zip(scheme.U, scheme.V):
        u, v = np.asarray(u, dtype=object), np.asarray(v, dtype=object)
        if not (u.any() and v.any()) or (u[~ok_u] != 0).any() or (v[~ok_v] != 0).any():
            continue
        if op[1] == "t":
            lead = np.flatnonzero(u != 0)[0]
            if v[lead] == 0 or (u * v[lead] != v * u[lead]).any():
                continue
        count += 1
    return count


def recursion_factor(scheme, general_products: float) -> float:
    """γ = (r − k)/(c − k): the cost factor of the structured scheme against the general product it
    replaces, k = :func:`recursive_products`, c = the general scheme's product count for n×n blocks
    (e.g. 49 for 4×4 with two levels of Strassen)."""
    k = recursive_products(scheme)
    return (scheme.rank - k) / (general_products - k)
