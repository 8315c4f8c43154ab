"""A·Aᵀ (the Gram matrix) by a structured scheme for X·Xᵀ: :func:`gram`, and the standalone
module ``flipgraph codegen gt:N`` writes (:func:`gram_module_source`).

A scheme of the target ``gt:n`` (:func:`flipgraph.tensors.structured`: A·Aᵀ of n×n matrices, the
symmetric output stored once) becomes a :class:`~.aat_runtime.GramStep`: its products whose two
factors are proportional are *recursive* (the same problem on a block: the next step, or BLAS
syrk at the bottom), the others *general* (the best general routine's steps, or BLAS gemm).

Default scheme: the standard ``gt:2`` scheme, merged across block columns (C11 = A1·A1ᵀ and
C22 = A2·A2ᵀ recursive, C12 = A1·A2ᵀ general, A1 and A2 the block rows). numpy's ``A @ A.T``
is one syrk (half a gemm's flops), so only the general products can be made cheaper: half of the
flops here, and one Winograd level saves 1/8 of them: 30 (n/4)³-gemms instead of syrk's 32. The
shipped ``gt:4`` rank-34 scheme has no recursive product (:func:`flipgraph.tensors.
recursive_products` = 0): 34 general block products, more than syrk's 32, so it is slower; it
runs with ``scheme="gt:4"``. Figures: README, "A·Aᵀ".
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import FlipgraphError, OperandError, SchemeError
from ..scheme import Scheme, standard
from ..tensors import parse_target, recursive_products
from ..verify import verify
import flipgraph.codegen.aat_runtime as aat_runtime
import flipgraph.codegen.runtime as runtime
from .cutoffs import tuned_cutoffs
from .library import best_routine, step_for
from .source import VERSION

#: default block sizes (float64): Gram levels while row blocks stay ≥ "gram", general products
#: recursing while blocks stay ≥ "float" (this machine's tuned cutoff when ``flipgraph tune``
#: ran). At n = 8192: one Gram level and one Strassen-like level of the general product; deeper
#: (syrk on 2048 rows, gemm on 1024-blocks: up to 30 % slower per flop here) was not faster
GRAM_CUTOFFS = {"gram": 4096, "float": 2048}

_STEPS: dict = {}


def gram_scheme(spec=None) -> Scheme:
    """The ``gt:n`` scheme ``spec`` names: None (the standard gt:2 scheme), a Scheme, or
    ``"gt:N"`` (the database's best valid over Z, else the standard scheme of gt:N)."""
    from ..pipeline import resolve

    if isinstance(spec, Scheme):
        scheme = spec
    else:
        target = parse_target(spec or "gt:2")
        if not _is_gram(target):
            raise FlipgraphError(f"{spec}: A·Aᵀ needs a gt:N scheme (e.g. gt:2, gt:4)")
        try:
            scheme = resolve(target.id, ring="z").scheme if spec else None
        except FlipgraphError:
            scheme = None
        scheme = scheme or standard(target, ring="z")
    if not _is_gram(scheme.target):
        raise SchemeError(f"{scheme.format_str}: not a scheme for A·Aᵀ (gt:N)")
    return scheme


def _is_gram(target) -> bool:
    return target.kind == "gt" and target.id[3:].isdigit()      # gt:N, not a variant gt:Na


def gram_step(scheme: Scheme, name: str = "gram") -> aat_runtime.GramStep:
    """The Gram step of a verified gt:N scheme valid over Z or Q (see the module docstring)."""
    if scheme.ring.modulus:
        raise SchemeError(f"{name}: a scheme over {scheme.ring.name} is only valid mod "
                          f"{scheme.ring.modulus}; lift it first (flipgraph lift)")
    verdict = verify(scheme)
    if not verdict:
        raise SchemeError(f"{name}: the scheme does not compute A·Aᵀ ({verdict.first})")
    n = int(scheme.target.id.split(":")[1])
    upper = [(i, k) for i in range(n) for k in range(i, n)]
    products = []
    for u, v, w in zip(scheme.U, scheme.V, scheme.W):
        u, v, w = ([_number(c) for c in row] for row in (u, v, w))
        left = tuple((c, a) for a, c in enumerate(u) if c)
        right = tuple((c, a) for a, c in enumerate(v) if c)
        out = tuple((c, upper[o]) for o, c in enumerate(w) if c)
        if not (left and right and out):
            continue
        ratio = Fraction(right[0][0]) / Fraction(left[0][0])
        if [a for _, a in left] == [a for _, a in right] and \
                all(Fraction(c) * ratio == d for (c, _), (d, _) in zip(left, right)):
            if ratio.denominator != 1 and (1 / ratio).denominator == 1:
                left, ratio = right, 1 / ratio    # R = L/s: the product is s·R·Rᵀ
            if ratio.denominator == 1:
                out = tuple((_number(c * ratio), b) for c, b in out)
                right = None
        products.append((left, right, out))
    merged = _merge_columns(products, n)
    if merged is not None:
        return aat_runtime.GramStep(name, n, 1, scheme.rank, merged)
    return aat_runtime.GramStep(name, n, n, scheme.rank, tuple(products))


def _merge_columns(products, n):
    """Products A_ij·A_kjᵀ for every j into the same outputs, as one product of block rows i and
    k (same flops, fewer additions, wider and faster BLAS calls): the products of the merged
    step (blocks n×1), or None when some product does not fit that pattern."""
    groups = {}
    for left, right, out in products:
        (cl, a), (cr, b) = left[0], (right or left)[0]
        if len(left) != 1 or len(right or left) != 1 or a % n != b % n:
            return None
        key = (a // n, None if right is None else b // n, tuple((c * cl * cr, o) for c, o in out))
        groups.setdefault(key, []).append(a % n)
    if any(sorted(cols) != list(range(n)) for cols in groups.values()):
        return None
    return tuple((((1, i),), None if k is None else ((1, k),), out) for i, k, out in groups)


def _number(c):
    c = Fraction(c) if not isinstance(c, (int, np.integer)) else int(c)
    return c if isinstance(c, int) or c.denominator != 1 else int(c)


def _step(spec) -> aat_runtime.GramStep:
    key = spec if isinstance(spec, (str, type(None))) else spec.canonical_hash()
    if key not in _STEPS:
        scheme = gram_scheme(spec)
        _STEPS[key] = gram_step(scheme, scheme.target.id)
    return _STEPS[key]


def gram(A, scheme=None, general="best", levels=None, cutoff=None):
    """C = A·Aᵀ for a 2-D array A (N×K), the same dtype and values as numpy's ``A @ A.T``:
    exact for integers (bit-identical, wrap-around included), rounding aside for float/complex.

    ``scheme``: the gt:N scheme of the recursion (see :func:`gram_scheme`; default the standard
    gt:2), or a list of them, one per level. ``general``: the routine of the general products
    (as :func:`flipgraph.multiply`'s ``scheme``; "best" = the 2x2x2 rank-7 routine with the fewest
    additions). ``levels``: Gram levels (None: while row and column blocks stay ≥
    ``cutoff["gram"]``); ``cutoff``: an int (every block size) or a dict: "gram" (Gram levels),
    "float" (general products, as multiply's), default :data:`GRAM_CUTOFFS`. Integers whose
    product bound fits float64 run in float64 and are rounded once; others, object and
    galois arrays take multiply's exact engine on A and Aᵀ. Bad input raises
    :class:`flipgraph.OperandError`.

    >>> import numpy as np, flipgraph
    >>> A = np.arange(-30, 30).reshape(6, 10)
    >>> bool((flipgraph.gram(A, levels=1) == A @ A.T).all())
    True
    """
    specs = scheme if isinstance(scheme, (list, tuple)) else [scheme]
    gsteps = [_step(s) for s in specs]
    msteps = [step_for(s) for s in (general if isinstance(general, (list, tuple)) else [general])]
    if cutoff is None:
        cutoff = {**GRAM_CUTOFFS, **{k: v for k, v in tuned_cutoffs().items() if k == "float"}}
    try:
        return aat_runtime.gram_run(A, gsteps, msteps, levels, cutoff)
    except runtime.MatmulError as error:
        raise OperandError(str(error)) from None


def gram_module_source(scheme: Scheme, name: str = "gram", cutoffs: dict | None = None) -> str:
    """Source of a standalone module (needs only numpy) whose ``gram(A)`` computes A·Aᵀ with
    ``scheme`` (gt:N) recursively and the best 2x2x2 routine for its general products; tested on
    small matrices (int64 with and without wrap-around, float64, sizes that peel) before it is
    returned."""
    step = gram_step(scheme, name)
    general = best_routine()
    mstep = general.STEP
    text = Path(runtime.__file__).read_text().split('"""', 2)[2].lstrip("\n")
    gtext = Path(aat_runtime.__file__).read_text()
    gtext = gtext.split("# ---- standalone modules copy what follows", 1)[1].split("\n", 1)[1]
    source_general = _general_source(general)
    cut = {**runtime.DEFAULT_CUTOFFS, **GRAM_CUTOFFS, **(cutoffs or {})}
    usage = (f'"""C = A·Aᵀ by the {scheme.target.id} rank-{scheme.rank} scheme {name} '
             f"({recursive_products(scheme)} recursive products), applied "
             f"recursively, with the {mstep.format[0]}x{mstep.format[1]}x{mstep.format[2]} "
             f"rank-{mstep.rank} scheme {mstep.name} for its general products.\n\n"
             f"Generated by flipgraph codegen (version {VERSION}); needs only numpy::\n\n"
             "    from <this module> import gram\n"
             "    C = gram(A)              # A·Aᵀ, levels from CUTOFFS\n"
             "    C = gram(A, levels=1)    # exactly one level of the scheme\n\n"
             "A is any 2-D array (N×K; sizes that do not divide are peeled) of dtype float,\n"
             "complex or int (exact and bit-identical to numpy's A @ A.T, which wraps on\n"
             "overflow).\n"
             '"""\n')
    tail = (f"\nGRAM_STEP = GramStep({name!r}, {step.n}, {step.m}, {step.rank}, "
            f"{step.products!r})\n"
            f"{source_general}\n"
            f"CUTOFFS = {cut!r}\n\n\n"
            "def gram(A, levels=None, cutoff=None):\n"
            '    """C = A·Aᵀ: ``levels`` levels of GRAM_STEP, or (None) recurse while blocks stay\n'
            '    >= ``cutoff`` (default CUTOFFS; general products too)."""\n'
            "    return gram_run(A, [GRAM_STEP], [STEP], levels, "
            "CUTOFFS if cutoff is None else cutoff)\n")
    source = usage + text + "\n\n" + gtext + tail
    _self_test(source, name)
    return source


def _general_source(module) -> str:
    """The general routine's step function and STEP, from its generated module's source."""
    text = Path(module.__file__).read_text()
    body = text[text.index("\ndef _step("):]
    return body[:body.index("\nADDITIONS")]


def _self_test(source: str, name: str) -> None:
    namespace: dict = {}
    exec(compile(source, f"<generated {name}>", "exec"), namespace)
    rng = np.random.default_rng(0)
    for shape in ((4, 4), (13, 9), (16, 21)):
        small = rng.integers(-99, 100, shape)
        big = rng.integers(-2 ** 63, 2 ** 63, shape)
        for A in (small, big, small.astype(np.float64)):
            for levels in (1, 2):
                C = namespace["gram"](A, levels=levels, cutoff=1)
                want = A @ A.T
                good = C.dtype == want.dtype and (
                    (C == want).all() if A.dtype.kind == "i" else np.allclose(C, want))
                if not good:
                    raise SchemeError(f"{name}: internal error: the generated module computes a "
                                      f"wrong {A.dtype} A·Aᵀ on {shape}")
