"""Straight-line programs (SLP): a scheme written out as the ordered additions it performs.

This is the object :mod:`flipgraph.additions` produces and codegen consumes. For A (n×m), B (m×p)
and rank r it computes C = A·B (C NOT transposed) in six ordered lists of assignments
``(target, terms)``, with ``terms`` a tuple of ``(coef, source)`` pairs meaning
``target = sum coef·source``:

=========  ============  ======================================================================
list       targets       sources
=========  ============  ======================================================================
a_side     ``x0, x1..``  A entries ``a{i}_{j}`` and earlier ``x`` (fresh A-side sums)
left       ``l0..l{r-1}``  A entries and ``x``: the left operand of product q
b_side     ``y0, y1..``  B entries ``b{j}_{k}`` and earlier ``y``
right      ``r0..r{r-1}``  B entries and ``y``: the right operand of product q
(products) ``m0..m{r-1}``  implicit: ``m{q} = l{q} * r{q}``
c_side     ``z0, z1..``  products ``m{q}`` and earlier ``z`` (fresh sums of products)
outputs    ``c{i}_{k}``  products and ``z``, one per entry of C in row-major order
=========  ============  ======================================================================

Indices are 0-based. Coefficients are Python ints, or ``fractions.Fraction`` over Q; over GF(p)
(``ring.modulus`` = p) they are integer representatives and the program is valid mod p only.
Additions: each assignment with t terms costs t − 1 (scaling is free); ``additions`` reports them
per part (U: a_side + left, V: b_side + right, W: c_side + outputs).

Example::

    >>> from flipgraph import classics
    >>> from flipgraph.additions import reduce_additions
    >>> slp = reduce_additions(classics.winograd(), restarts=20).slp
    >>> slp.additions.total, slp.check()
    (15, True)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from .rings import Ring
from .scheme import Scheme


class AdditionCount(NamedTuple):
    """Additions per part: U (forms in A's entries), V (in B's), W (outputs in the products)."""

    U: int
    V: int
    W: int

    @property
    def total(self) -> int:
        return self.U + self.V + self.W


@dataclass
class SLP:
    """A straight-line program computing C = A·B (see the module docstring for the layout)."""

    n: int
    m: int
    p: int
    ring: Ring
    a_side: list = field(default_factory=list)
    left: list = field(default_factory=list)
    b_side: list = field(default_factory=list)
    right: list = field(default_factory=list)
    c_side: list = field(default_factory=list)
    outputs: list = field(default_factory=list)

    @property
    def format(self) -> tuple[int, int, int]:
        return (self.n, self.m, self.p)

    @property
    def rank(self) -> int:
        return len(self.left)

    @property
    def additions(self):
        """The additions performed, as an :class:`AdditionCount`."""
        def cost(*lists) -> int:
            return sum(max(len(terms) - 1, 0) for lst in lists for _, terms in lst)

        return AdditionCount(cost(self.a_side, self.left), cost(self.b_side, self.right),
                             cost(self.c_side, self.outputs))

    # ----------------------------------------------------------------- running it
    def evaluate(self, A, B) -> np.ndarray:
        """C = A·B computed by the program, entry by entry. ``A`` (n×m) and ``B`` (m×p) may have
        any numpy dtype; use object arrays (ints / Fractions) for exact results. Over GF(p) the
        result is exact only mod p."""
        A, B = np.asarray(A), np.asarray(B)
        if A.shape != (self.n, self.m) or B.shape != (self.m, self.p):
            raise ValueError(f"evaluate: A {A.shape}, B {B.shape} do not fit format "
                             f"{self.n}x{self.m}x{self.p}")
        env = {f"a{i}_{j}": A[i, j] for i in range(self.n) for j in range(self.m)}
        env.update({f"b{j}_{k}": B[j, k] for j in range(self.m) for k in range(self.p)})
        for assign in self.a_side + self.left + self.b_side + self.right:
            _run(assign, env)
        for q in range(self.rank):
            env[f"m{q}"] = env[f"l{q}"] * env[f"r{q}"]
        for assign in self.c_side + self.outputs:
            _run(assign, env)
        values = [env[f"c{i}_{k}"] for i in range(self.n) for k in range(self.p)]
        exact = A.dtype == object or any(isinstance(c, Fraction) for c, _ in _all_terms(self))
        out = np.empty(self.n * self.p, dtype=object if exact else np.result_type(A, B))
        out[:] = values
        return out.reshape(self.n, self.p)

    def check(self, trials: int = 3, seed: int = 0) -> bool:
        """Exact check: evaluate on random integer matrices (Python ints, entries in −9..9) and
        compare with A·B (mod p over GF(p))."""
        rng = np.random.default_rng(seed)
        mod = self.ring.modulus
        for _ in range(trials):
            A = rng.integers(-9, 10, (self.n, self.m)).astype(object)
            B = rng.integers(-9, 10, (self.m, self.p)).astype(object)
            diff = self.evaluate(A, B) - A.dot(B)
            if any((d % mod if mod else d) != 0 for d in diff.ravel()):
                return False
        return True

    def to_scheme(self) -> Scheme:
        """Expand the program back into a scheme (U, V, W over the original entries)."""
        n, m, p, r = self.n, self.m, self.p, self.rank
        U = _expand(self.a_side + self.left, {f"a{i}_{j}": i * m + j for i in range(n) for j in range(m)})
        V = _expand(self.b_side + self.right, {f"b{j}_{k}": j * p + k for j in range(m) for k in range(p)})
        Wt = _expand(self.c_side + self.outputs, {f"m{q}": q for q in range(r)})
        outs = [Wt[f"c{i}_{k}"] for i in range(n) for k in range(p)]
        W = [[outs[c][q] for c in range(n * p)] for q in range(r)]
        return Scheme((n, m, p), [U[f"l{q}"] for q in range(r)], [V[f"r{q}"] for q in range(r)],
                      W, self.ring)

    # ----------------------------------------------------------------- reading it
    def listing(self) -> str:
        """A readable listing, one assignment per line, in execution order, with 1-based names as
        in every listing of flipgraph: ``a12`` is A[0, 1] (``a1_12`` once a dimension reaches 10),
        ``m1`` the first product, ``l1``/``r1`` its operands, ``x1``.. and ``y1``.. the shared
        sums of A's and B's entries, ``z1``.. those of the products."""
        wide = max(self.n, self.m, self.p) >= 10
        lines = [f"# {self.n}x{self.m}x{self.p}, rank {self.rank}, ring {self.ring.name}, "
                 f"additions {self.additions.total} (U {self.additions.U}, V {self.additions.V}, "
                 f"W {self.additions.W})"]
        shown = [a for a in self.a_side + self.left + self.b_side + self.right]
        shown += [(f"m{q}", [(1, f"l{q}"), (1, f"r{q}")]) for q in range(self.rank)]
        shown += self.c_side + self.outputs
        for target, terms in shown:
            if target.startswith("m"):
                lines.append(f"{_one_based(target, wide)} = {_one_based(terms[0][1], wide)} * "
                             f"{_one_based(terms[1][1], wide)}")
            else:
                lines.append(_show((_one_based(target, wide),
                                    [(c, _one_based(src, wide)) for c, src in terms])))
        return "\n".join(lines)


def _all_terms(slp: SLP):
    for lst in (slp.a_side, slp.left, slp.b_side, slp.right, slp.c_side, slp.outputs):
        for _, terms in lst:
            yield from terms


def _run(assign, env) -> None:
    target, terms = assign
    total = 0
    for coef, src in terms:
        value = env[src]
        total = total + (value if coef == 1 else -value if coef == -1 else coef * value)
    env[target] = total


def _expand(assigns, basis: dict) -> dict:
    """Coefficient vectors (lists over the basis) of every target, by linear substitution."""
    size = len(basis)
    vec = {}
    for name, idx in basis.items():
        v = [0] * size
        v[idx] = 1
        vec[name] = v
    for target, terms in assigns:
        out = [0] * size
        for coef, src in terms:
            for e, x in enumerate(vec[src]):
                if x:
                    out[e] += coef * x
        vec[target] = out
    return vec


def _one_based(name: str, wide: bool) -> str:
    """Internal 0-based names (a0_1, m0, x0) as the 1-based names of listings (a12, m1, t1)."""
    letter, rest = name[0], name[1:]
    if "_" in rest:
        i, j = (int(x) + 1 for x in rest.split("_"))
        return f"{letter}{i}_{j}" if wide else f"{letter}{i}{j}"
    return f"{letter}{int(rest) + 1}"


def _show(assign) -> str:
    target, terms = assign
    text = ""
    for coef, src in terms:
        sign = "-" if coef < 0 else "+"
        mag = abs(coef)
        body = src if mag == 1 else f"{mag}*{src}"
        text += (f" {sign} " if text else ("-" if sign == "-" else "")) + body
    return f"{target} = {text or '0'}"
