"""Addition counts of schemes.

Three independent problems (DESIGN §5): the r linear forms U[q] in A's entries, the r forms V[q]
in B's entries, and the n·p forms W[:, c] in the products. A form with t nonzero coefficients costs
t − 1 additions when evaluated naively (multiplication by a constant is not counted).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .scheme import Scheme


class AdditionCount(NamedTuple):
    U: int
    V: int
    W: int

    @property
    def total(self) -> int:
        return self.U + self.V + self.W


def naive_additions(scheme: Scheme) -> AdditionCount:
    """Additions of the naive evaluation: sum over forms of (nonzeros − 1), per part."""

    def cost(forms: np.ndarray) -> int:
        nnz = (forms != 0).sum(axis=1)
        return int(np.maximum(nnz - 1, 0).sum())

    return AdditionCount(cost(scheme.U), cost(scheme.V), cost(scheme.W.T))
