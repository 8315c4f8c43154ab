"""The library's generated routines: cached on disk, resolved by name, and ``multiply``.

A routine is the module :func:`flipgraph.codegen.source.module_source` writes, cached as
``<cache>/generated/<name>_<scheme hash>_v<VERSION>_c<hash of cutoffs and runtime>.py`` (cache:
``$FLIPGRAPH_CACHE``, else ``$XDG_CACHE_HOME/flipgraph``, else ``~/.cache/flipgraph``). Names:
the classics (``strassen``, ``winograd``, ``laderman``) and ``mm<n><m><p>`` for the database's
best scheme of a format valid over Z (``mm333``; digits only, so formats up to 9). A new scheme or a new generator version makes a new file; nothing is committed by hand.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..atomic import write_text
from ..classics import CLASSICS
from ..errors import FlipgraphError, OperandError
from ..scheme import Scheme, parse_format
from ..slp import SLP
import flipgraph.codegen.runtime as runtime
from .cutoffs import cache_dir, tuned_cutoffs
from .source import VERSION, load_source, module_source

_LOADED: dict = {}
_NAME = re.compile(r"mm([1-9])([1-9])([1-9])$")


def names() -> list[str]:
    """Names that :func:`routine` (and ``flipgraph.generated``) accept besides ``mm<n><m><p>``."""
    return sorted(CLASSICS)


def scheme_named(name: str) -> Scheme:
    """The scheme behind a routine name (a classic, or ``mm<n><m><p>`` from the database)."""
    if name in CLASSICS:
        return CLASSICS[name]()
    match = _NAME.match(name)
    if not match:
        raise FlipgraphError(f"unknown routine {name!r}: use {', '.join(names())} or mm<n><m><p>")
    return _best(tuple(int(g) for g in match.groups()))


def routine(name: str):
    """The generated module for ``name`` (generated and cached on first use)."""
    if name not in _LOADED:
        _LOADED[name] = routine_for(scheme_named(name), name)
    return _LOADED[name]


def routine_for(program: Scheme | SLP, name: str):
    """The generated module of a scheme (or SLP), cached on disk by its canonical hash."""
    scheme = program.to_scheme() if isinstance(program, SLP) else program
    cutoffs = tuned_cutoffs()       # the runtime's text too: an edited runtime is regenerated
    tag = hashlib.sha256(repr(sorted(cutoffs.items())).encode()
                         + Path(runtime.__file__).read_bytes()).hexdigest()[:6]
    stem = f"{name}_{scheme.canonical_hash()[:12]}_v{VERSION}_c{tag}"
    if stem in _LOADED:
        return _LOADED[stem]
    folder = cache_dir() / "generated"
    path = folder / f"{stem}.py"
    if not path.exists():
        source = module_source(program, name, cutoffs)
        folder.mkdir(parents=True, exist_ok=True)
        write_text(path, source)                   # atomic: concurrent users see all or nothing
    _LOADED[stem] = load_source(path.read_text(), f"flipgraph.generated.{name}", str(path))
    return _LOADED[stem]


def _best(fmt):
    """The database's best scheme of ``fmt`` valid over Z (zt or z), so over Q too
    (:func:`flipgraph.pipeline.resolve`)."""
    from ..pipeline import resolve

    return resolve("x".join(map(str, fmt)), ring="z").scheme


def step_for(spec) -> runtime.Step:
    """A step from a routine name, "best", a format ("3x3x3"), a Scheme, an SLP or a module."""
    if hasattr(spec, "STEP"):
        return spec.STEP
    if isinstance(spec, (Scheme, SLP)):
        return routine_for(spec, "scheme").STEP
    if spec == "best":
        return best_routine().STEP
    if isinstance(spec, str) and "x" in spec:
        n, m, p = parse_format(spec)
        return routine(f"mm{n}{m}{p}").STEP
    if isinstance(spec, str):
        return routine(spec).STEP
    raise FlipgraphError(f"multiply: scheme must be a name, a format, a Scheme or an SLP, "
                         f"not {type(spec).__name__}")


def best_routine():
    """The 2x2x2 rank-7 routine with the fewest additions among the classics and the database's
    best (2x2 blocks waste least to peeling and have the lowest addition overhead per product)."""
    if "best" not in _LOADED:
        candidates = [routine("strassen"), routine("winograd"), routine("mm222")]
        _LOADED["best"] = min(candidates, key=lambda mod: (mod.STEP.rank, mod.ADDITIONS))
    return _LOADED["best"]


def multiply(A, B, scheme="best", levels=None, cutoff=None, out=None):
    """C = A·B by a generated Strassen-like routine (nothing transposed), like ``np.matmul``:
    1-D operands, stacked operands broadcast over their leading axes, ``out=``.

    ``scheme``: "best" (the 2x2x2 rank-7 scheme with the fewest additions), a routine name
    ("winograd", "laderman", "mm333"), a format ("3x3x3": the database's best scheme valid over
    the integers; mod-p schemes are refused), a Scheme or SLP,
    or a list of those, one per recursion level (the last repeats). ``levels``: recursion depth;
    None recurses while every block dimension stays ≥ the cutoff (tuned by ``flipgraph tune``,
    else :data:`flipgraph.codegen.runtime.DEFAULT_CUTOFFS`); for exact kinds at most that
    deep, fewer when fewer leaf flops result. Accepts float, complex, int (exact and
    bit-identical to numpy, wrap-around included), object (Python ints: exact, on float BLAS;
    Fractions) and galois GF(p) arrays of any prime p (exact, on float BLAS); integers are cut
    into digits so that every float intermediate is an exact integer (see
    :mod:`flipgraph.codegen.runtime`). Bad operands raise :class:`flipgraph.OperandError`.
    Workspace blocks are kept for the next call (up to ``runtime.POOL_BYTES``, 2 GiB);
    ``flipgraph.codegen.release()`` frees them.

    >>> import numpy as np, flipgraph
    >>> A = np.arange(12).reshape(3, 4); B = np.arange(20).reshape(4, 5)
    >>> bool((flipgraph.multiply(A, B, levels=1) == A @ B).all())
    True
    """
    specs = scheme if isinstance(scheme, (list, tuple)) else [scheme]
    steps = [step_for(s) for s in specs]
    if cutoff is None:
        cutoff = tuned_cutoffs()
    try:
        return runtime.run(A, B, steps, levels, cutoff, out)
    except runtime.MatmulError as error:
        raise OperandError(str(error)) from None
