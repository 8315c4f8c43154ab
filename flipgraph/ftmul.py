"""Fault-tolerant C = A·B from a configuration of several schemes (DESIGN §6).

Tables from :mod:`flipgraph.ft` (exact over Q: check relations and decodings for the erasures
that happened), products by :func:`flipgraph.multiply` (generated routines, BLAS leaves; numpy for blocks
smaller than :data:`SMALL`), the
procedure (tasks, erasures, syndrome, location, recomputation, float threshold) in
:mod:`flipgraph.codegen.ft_runtime`.

    >>> import numpy as np; from flipgraph import ft_matmul
    >>> A = np.arange(16).reshape(4, 4); B = np.eye(4, dtype=int)
    >>> C, report = ft_matmul(A, B, fault={"drop": [3], "corrupt": [9]})
    >>> bool((C == A @ B).all()), report.lost, report.located
    (True, [3], [9])
"""
from __future__ import annotations

import operator

from . import ft
from .codegen import ft_runtime
from .codegen.ft_runtime import FaultToleranceError, FTReport
from .errors import FlipgraphError, SchemeError

__all__ = ["ft_matmul", "FTReport", "FaultToleranceError"]

_CONFIGS: dict = {}

#: blocks with a side below this are multiplied by numpy directly (a generated routine would
#: only add its call overhead there: its cutoffs are far larger)
SMALL = 64


def _config(schemes, parity) -> ft.Config:
    if isinstance(schemes, ft.Config):
        return ft.with_parity(schemes, parity) if parity and not isinstance(parity, int) \
            else schemes
    key = (tuple(s if isinstance(s, str) else s.canonical_hash() for s in schemes),
           parity if isinstance(parity, int) else repr(parity))
    if key not in _CONFIGS:
        _CONFIGS[key] = ft.configuration(schemes, parity)
    return _CONFIGS[key]


def ft_matmul(A, B, schemes=("strassen", "winograd"), parity=0, executor=None, fault=None,
              timeout=None):
    """Fault-tolerant C = A·B (nothing transposed); returns ``(C, report)`` (:class:`FTReport`).

    ``schemes``: classic names or Schemes of one format, or a :class:`flipgraph.ft.Config`;
    ``parity``: K parity products (searched once per configuration, then cached) or a list of
    (u, v). ``executor``: any ``concurrent.futures`` executor, one task per product (a task that
    raises or exceeds ``timeout`` seconds is an erasure); default inline. ``fault`` (tests):
    ``{"drop": [q, ...], "corrupt": [q, ...], "error": e, "seed": s}``. Exact for int (mod 2^64),
    object and GF(p) arrays; floats use the threshold τ_j of :mod:`flipgraph.codegen.ft_runtime`.
    Raises FaultToleranceError when the survivors cannot rebuild C.
    """
    from .codegen import multiply

    config = _config(schemes, parity)
    n, m, p = config.format
    small = min(A.shape[0] // n, A.shape[1] // m, B.shape[1] // p) < SMALL
    inner = operator.matmul if small else multiply
    if any(x.denominator != 1 for row in config.U + config.V for x in row) \
            and getattr(A, "dtype", None) is not None and A.dtype.kind in "iu":
        raise SchemeError("ft_matmul: fractional coefficients need a float, object or GF(p) array")
    try:
        return ft_runtime.run(A, B, config.format, config.U, config.V, config.relations,
                              config.decoder, inner, executor, fault, timeout, config.name)
    except ValueError as exc:
        raise FlipgraphError(f"ft_matmul: {exc}") from None
