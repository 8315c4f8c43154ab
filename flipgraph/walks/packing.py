"""Conversion between Scheme objects and the kernel's packed factor arrays (see _kernel.py).

``F[mode, t, :]`` is the factor of term t in mode 0, 1, 2 (a row of U, V, W over the target's
nU, nV, nW entries; for matmul U over A[i,j] at e = i*m+j, V over B[j,k] at j*p+k, W over C[i,k]
at i*p+k — project convention, C not transposed), in K uint64 words, the same K in every mode:

* z2: K = ⌈entries/64⌉ words; bit e of word w is the coefficient of entry 64·w + e;
* z3, zt: K = 2·⌈entries/64⌉; word 2i marks entries 64·i + e equal to +1, word 2i + 1 those equal
  to −1 (2 in GF(3)).

At most 256 entries per factor (``MAX_ENTRIES``) in every ring.
"""
from __future__ import annotations

import numpy as np

from ..errors import SchemeError
from ..scheme import Scheme
from ..tensors import parse_target
from ._kernel import RING_Z2, RING_Z3, RING_ZT

RING_CODES = {"z2": RING_Z2, "z3": RING_Z3, "zt": RING_ZT}
MAX_ENTRIES = 256


def check_packable(target, ring: str = "z2") -> None:
    """SchemeError unless the kernel walks ``target`` (a Target or a format) over ``ring``."""
    target = parse_target(target)
    widest = max(target.sizes)
    if ring not in RING_CODES:
        raise SchemeError(f"no packed kernel for ring {ring!r}; choose one of {', '.join(RING_CODES)}")
    if widest > MAX_ENTRIES:
        raise SchemeError(f"{target.label} has a factor with {widest} entries; the packed kernel "
                          f"handles at most {MAX_ENTRIES}")


def factor_words(target, ring: str) -> int:
    """K, the uint64 words per packed factor of ``target`` over ``ring``."""
    words = -(-max(parse_target(target).sizes) // 64)
    return words if ring == "z2" else 2 * words


def pack_bits(rows: np.ndarray, words: int) -> np.ndarray:
    """0/1 matrix (r × k, k <= 64·words) -> uint64 (r × words), bit e of word w = column 64·w + e."""
    r, k = rows.shape
    padded = np.zeros((r, 64 * words), dtype=np.uint64)
    padded[:, :k] = rows
    weights = np.left_shift(np.uint64(1), np.arange(64, dtype=np.uint64))
    return (padded.reshape(r, words, 64) * weights).sum(axis=2, dtype=np.uint64)


def unpack_bits(words: np.ndarray, k: int) -> np.ndarray:
    """uint64 (r × words) -> 0/1 int64 matrix (r × k)."""
    shifts = np.arange(64, dtype=np.uint64)
    bits = (words[:, :, None] >> shifts) & np.uint64(1)
    return bits.reshape(len(words), -1)[:, :k].astype(np.int64)


def pack(scheme: Scheme, ring: str, capacity: int) -> np.ndarray:
    """Packed factors uint64[3, capacity, K] of ``scheme`` read in ``ring`` (terms 0..rank-1).
    Raises SchemeError when a coefficient does not belong (e.g. 2 in zt)."""
    check_packable(scheme.target, ring)
    if capacity < scheme.rank:
        raise ValueError("capacity below the rank")
    s = scheme if scheme.ring.name == ring else scheme.over(ring)
    K = factor_words(scheme.target, ring)
    F = np.zeros((3, capacity, K), dtype=np.uint64)
    for mode, mat in enumerate((s.U, s.V, s.W)):
        if ring == "z2":
            F[mode, :s.rank] = pack_bits(mat, K)
        else:
            signed = np.where(mat == 2, -1, mat) if ring == "z3" else mat
            F[mode, :s.rank, 0::2] = pack_bits(signed == 1, K // 2)
            F[mode, :s.rank, 1::2] = pack_bits(signed == -1, K // 2)
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
            mats.append(unpack_bits(words[:, 0::2], k) - unpack_bits(words[:, 1::2], k))
    return Scheme(target, *mats, ring)


def pack_z2(scheme: Scheme, capacity: int) -> np.ndarray:
    return pack(scheme, "z2", capacity)


def unpack_z2(F: np.ndarray, rank: int, fmt: tuple[int, int, int]) -> Scheme:
    return unpack(F, rank, fmt, "z2")
