"""flipgraph: discover, prove and ship fast matrix-multiplication schemes.

Public API::

    Scheme, standard          the scheme model (flipgraph.scheme)
    ring, Z2, Z3, ZT, Z, Q    coefficient rings (flipgraph.rings)
    verify                    exact Brent-equation check (flipgraph.verify)
    classics                  Strassen, Winograd, Laderman written out by hand
    load, save                scheme files in every supported format (flipgraph.io)
    lift, LiftResult          Hensel lifting of Z2/Z3 schemes to Z and Q (flipgraph.lift)
    ternary_form              a Z scheme's coefficients into {-1, 0, 1} (flipgraph.ternary)
    search, SearchResult      flip-graph random walks (flipgraph.walks)
    multiply                  C = A·B by generated Strassen-like routines (flipgraph.codegen)
    gram                      C = A·Aᵀ by a structured scheme for X·Xᵀ (flipgraph.codegen.aat)
    ft_matmul                 fault-tolerant C = A·B from two schemes + parity (flipgraph.ft)
"""
from . import _numba_cache

_numba_cache.configure()          # first: before any numba kernel is compiled or loaded

from . import classics
from ._version import __version__
from .errors import FlipgraphError, FormatError, OperandError, SchemeError
from .lift import LiftResult, lift
from .ternary import ternary_form
from .rings import Q, Z, Z2, Z3, ZT, ring
from .scheme import Scheme, standard
from .verify import verify
from .io import load, save
from .walks import SearchResult, search
from .codegen import gram, multiply
from .ftmul import ft_matmul


__all__ = ["Scheme", "standard", "ring", "Z2", "Z3", "ZT", "Z", "Q", "verify", "classics",
           "load", "save", "lift", "LiftResult", "ternary_form", "search", "SearchResult",
           "multiply", "gram", "ft_matmul",
           "FlipgraphError", "FormatError", "OperandError", "SchemeError",
           "__version__"]
