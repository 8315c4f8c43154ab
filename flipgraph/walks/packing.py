"""Conversion between Scheme objects and the kernels' packed factor arrays.

Z2: ``F[mode, t]`` is a uint64 whose bit e is the coefficient of flat entry e of term t's factor
(mode 0: U row over A[i,j] at e = i*m+j; mode 1: V row over B[j,k] at j*p+k; mode 2: W row over
C[i,k] at i*p+k — project convention, C not transposed).
"""
from __future__ import annotations

import numpy as np

from ..errors import SchemeError
from ..scheme import Scheme

MAX_ENTRIES = 64


def check_packable(fmt: tuple[int, int, int]) -> None:
    n, m, p = fmt
    if max(n * m, m * p, n * p) > MAX_ENTRIES:
        raise SchemeError(f"format {n}x{m}x{p} has a factor with {max(n * m, m * p, n * p)} entries; "
                          f"the packed kernels handle at most {MAX_ENTRIES} (nm, mp, np <= 64)")


def pack_bits(rows: np.ndarray) -> np.ndarray:
    """0/1 matrix (r × k, k <= 64) -> uint64 vector, bit e = column e."""
    weights = np.left_shift(np.uint64(1), np.arange(rows.shape[1], dtype=np.uint64))
    return (rows.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)


def unpack_bits(words: np.ndarray, k: int) -> np.ndarray:
    """uint64 vector -> 0/1 int64 matrix (len × k)."""
    shifts = np.arange(k, dtype=np.uint64)
    return ((words[:, None] >> shifts[None, :]) & np.uint64(1)).astype(np.int64)


def pack_z2(scheme: Scheme, capacity: int) -> np.ndarray:
    """Packed factors uint64[3, capacity] of ``scheme`` read mod 2 (terms 0..rank-1)."""
    check_packable(scheme.format)
    if capacity < scheme.rank:
        raise ValueError("capacity below the rank")
    s2 = scheme if scheme.ring.modulus == 2 else scheme.over("z2")
    F = np.zeros((3, capacity), dtype=np.uint64)
    for mode, mat in enumerate((s2.U, s2.V, s2.W)):
        F[mode, :scheme.rank] = pack_bits(mat)
    return F


def unpack_z2(F: np.ndarray, rank: int, fmt: tuple[int, int, int]) -> Scheme:
    n, m, p = fmt
    mats = [unpack_bits(F[mode, :rank], k) for mode, k in enumerate((n * m, m * p, n * p))]
    return Scheme(n, m, p, *mats, "z2")
