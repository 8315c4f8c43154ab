"""Conversion between Scheme objects and the kernel's packed factor arrays (see _kernel.py).

``F[mode, t]`` is one uint64 per factor of term t: mode 0 the U row (over x, entry e < nU), mode 1
the V row (over y), mode 2 the W row (over z) of the target (for matmul, e = i*m+j over A[i,j],
j*p+k over B[j,k], i*p+k over C[i,k] — project convention, C not transposed):

* z2: bit e is the coefficient of entry e (at most 64 entries);
* z3, zt: bit e marks entry e equal to +1, bit 32 + e marks it equal to −1 (2 in GF(3));
  at most 32 entries.
"""
from __future__ import annotations

import numpy as np

from ..errors import SchemeError
from ..scheme import Scheme
from ..tensors import parse_target
from ._kernel import RING_Z2, RING_Z3, RING_ZT

RING_CODES = {"z2": RING_Z2, "z3": RING_Z3, "zt": RING_ZT}
MAX_ENTRIES = {"z2": 64, "z3": 32, "zt": 32}


def check_packable(target, ring: str = "z2") -> None:
    """SchemeError unless the walk kernel holds every factor of ``target`` (a Target or a
    format) over ``ring`` in one word."""
    target = parse_target(target)
    widest = max(target.sizes)
    if ring not in RING_CODES:
        raise SchemeError(f"no packed kernel for ring {ring!r}; choose one of {', '.join(RING_CODES)}")
    if widest > MAX_ENTRIES[ring]:
        sizes = "nm, mp, np" if target.is_matmul else "nU, nV, nW"
        raise SchemeError(f"{target.label} has a factor with {widest} entries; the packed "
                          f"{ring} kernel handles at most {MAX_ENTRIES[ring]} ({sizes})")


def pack_bits(rows: np.ndarray) -> np.ndarray:
    """0/1 matrix (r × k, k <= 64) -> uint64 vector, bit e = column e."""
    weights = np.left_shift(np.uint64(1), np.arange(rows.shape[1], dtype=np.uint64))
    return (rows.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)


def unpack_bits(words: np.ndarray, k: int) -> np.ndarray:
    """uint64 vector -> 0/1 int64 matrix (len × k)."""
    shifts = np.arange(k, dtype=np.uint64)
    return ((words[:, None] >> shifts[None, :]) & np.uint64(1)).astype(np.int64)


def pack(scheme: Scheme, ring: str, capacity: int) -> np.ndarray:
    """Packed factors uint64[3, capacity] of ``scheme`` read in ``ring`` (terms 0..rank-1).
    Raises SchemeError when a coefficient does not belong (e.g. 2 in zt)."""
    check_packable(scheme.target, ring)
    if capacity < scheme.rank:
        raise ValueError("capacity below the rank")
    s = scheme if scheme.ring.name == ring else scheme.over(ring)
    F = np.zeros((3, capacity), dtype=np.uint64)
    for mode, mat in enumerate((s.U, s.V, s.W)):
        if ring == "z2":
            F[mode, :s.rank] = pack_bits(mat)
        else:
            signed = np.where(mat == 2, -1, mat) if ring == "z3" else mat
            F[mode, :s.rank] = pack_bits(signed == 1) | (pack_bits(signed == -1) << np.uint64(32))
    return F


def unpack(F: np.ndarray, rank: int, target, ring: str) -> Scheme:
    """The scheme of ``target`` (a Target or a format) held in the first ``rank`` packed terms."""
    target = parse_target(target)
    mats = []
    for mode, k in enumerate(target.sizes):
        words = F[mode, :rank]
        if ring == "z2":
            mats.append(unpack_bits(words, k))
        else:
            mats.append(unpack_bits(words, k) - unpack_bits(words >> np.uint64(32), k))
    return Scheme(target, *mats, ring)


def pack_z2(scheme: Scheme, capacity: int) -> np.ndarray:
    return pack(scheme, "z2", capacity)


def unpack_z2(F: np.ndarray, rank: int, fmt: tuple[int, int, int]) -> Scheme:
    return unpack(F, rank, fmt, "z2")
