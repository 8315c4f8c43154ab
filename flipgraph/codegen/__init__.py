"""Generated Strassen-like multiply routines (DESIGN §6).

    >>> import numpy as np, flipgraph
    >>> A = np.random.rand(300, 200); B = np.random.rand(200, 100)
    >>> C = flipgraph.multiply(A, B, scheme="winograd", levels=2)     # A·B, C not transposed
    >>> from flipgraph.codegen import module_source                   # standalone module text
    >>> text = module_source(flipgraph.classics.winograd(), "winograd")

Modules: :mod:`.emit` (one recursion step from an SLP), :mod:`.runtime` (driver, leaves, workspace;
copied into every generated module), :mod:`.source` (the standalone module), :mod:`.library`
(disk cache, names, :func:`multiply`), :mod:`.tune` (this machine's cutoffs), :mod:`.aat` and
:mod:`.aat_runtime` (A·Aᵀ by a structured gt:N scheme: ``flipgraph.gram(A)``).
"""
from .cutoffs import cache_dir, tuned_cutoffs
from .aat import gram
from .library import multiply, routine, routine_for
from .runtime import release
from .source import load_source, module_source, slp_of
from .tune import tune

__all__ = ["multiply", "gram", "routine", "routine_for", "module_source", "load_source", "slp_of",
           "tune", "tuned_cutoffs", "cache_dir", "release"]
