"""Coefficient rings of schemes.

Five rings, by name:

* ``z2``, ``z3``: the prime fields GF(2), GF(3); coefficients stored as int64 in 0..p-1.
* ``zt``: the ternary integers {-1, 0, 1} inside Z (a ZT scheme is valid over every ring).
* ``z``: the integers, stored as int64.
* ``q``: the rationals, stored as numpy object arrays of ``fractions.Fraction``.

A Ring knows what a coefficient may be (:meth:`Ring.coerce`), and its characteristic
(``modulus``: 2, 3, or 0 for the characteristic-zero rings).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .errors import SchemeError


@dataclass(frozen=True)
class Ring:
    """A coefficient ring. ``modulus`` is p for GF(p), 0 for ZT, Z and Q."""

    name: str
    modulus: int

    @property
    def is_field_mod_p(self) -> bool:
        return self.modulus > 0

    @property
    def is_integral(self) -> bool:
        """Coefficients are stored as int64 (every ring but Q)."""
        return self.name != "q"

    def coerce(self, values, what: str = "coefficients") -> np.ndarray:
        """Return ``values`` as this ring's array type, or raise SchemeError naming ``what``.

        GF(p): integers (or rationals with denominators prime to p) reduced into 0..p-1.
        ZT: integers in {-1,0,1}.  Z: integers.  Q: Fractions (object array).
        """
        arr = np.asarray(values, dtype=object if _has_non_int(values) else None)
        if self.name == "q":
            return _to_fractions(arr, what)
        ints = _to_int64(arr, what, self.modulus)
        if self.modulus:
            return np.mod(ints, self.modulus)
        if self.name == "zt" and ints.size and np.abs(ints).max() > 1:
            raise SchemeError(f"{what}: ring zt allows only -1, 0, 1, found {int(ints[np.abs(ints) > 1][0])}")
        return ints

    def __str__(self) -> str:
        return self.name


Z2 = Ring("z2", 2)
Z3 = Ring("z3", 3)
ZT = Ring("zt", 0)
Z = Ring("z", 0)
Q = Ring("q", 0)
RINGS = {r.name: r for r in (Z2, Z3, ZT, Z, Q)}


def ring(name: str | Ring) -> Ring:
    """Look a ring up by name (case-insensitive): z2, z3, zt, z, q."""
    if isinstance(name, Ring):
        return name
    key = str(name).strip().lower()
    if key not in RINGS:
        raise SchemeError(f"unknown ring {name!r}: choose one of {', '.join(RINGS)}")
    return RINGS[key]


def smallest_ring(values) -> Ring:
    """The smallest characteristic-zero ring holding ``values``: ZT, then Z, then Q."""
    arr = np.asarray(values, dtype=object)
    if any(isinstance(x, Fraction) and x.denominator != 1 for x in arr.ravel()):
        return Q
    if any(isinstance(x, float) and not float(x).is_integer() for x in arr.ravel()):
        return Q
    ints = np.array([int(x) for x in arr.ravel()], dtype=object)
    return ZT if all(abs(x) <= 1 for x in ints) else Z


def _has_non_int(values) -> bool:
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return False
    arr = np.asarray(values, dtype=object)
    return any(not isinstance(x, (int, np.integer)) for x in arr.ravel())


def _to_fractions(arr: np.ndarray, what: str) -> np.ndarray:
    out = np.empty(arr.shape, dtype=object)
    flat_in, flat_out = arr.ravel(), out.ravel()
    for i, x in enumerate(flat_in):
        try:
            flat_out[i] = Fraction(x) if not isinstance(x, (np.integer,)) else Fraction(int(x))
        except (TypeError, ValueError, ZeroDivisionError):
            raise SchemeError(f"{what}: {x!r} is not a rational number") from None
    return out


def _to_int64(arr: np.ndarray, what: str, modulus: int) -> np.ndarray:
    if arr.dtype != object and np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64)
    flat_in = arr.ravel()
    if all(isinstance(x, (int, np.integer)) for x in flat_in):    # exact integers: no Fractions
        try:
            out = flat_in.astype(np.int64).reshape(arr.shape)
            if not ((out >= 2**62) | (out <= -2**62)).any():
                return out
        except OverflowError:
            pass                                                   # the loop below says which
    out = np.empty(arr.shape, dtype=np.int64)
    flat_out = out.ravel()
    for i, x in enumerate(flat_in):
        try:
            f = Fraction(x) if not isinstance(x, np.integer) else Fraction(int(x))
        except (TypeError, ValueError, ZeroDivisionError):
            raise SchemeError(f"{what}: {x!r} is not a number") from None
        if f.denominator != 1:
            if modulus and f.denominator % modulus:
                f = Fraction(f.numerator * pow(f.denominator, -1, modulus) % modulus)
            else:
                ring_name = f"GF({modulus})" if modulus else "the integers"
                raise SchemeError(f"{what}: {x} is not in {ring_name}")
        if abs(f.numerator) >= 2**62:
            raise SchemeError(f"{what}: {f.numerator} is too large for int64 storage")
        flat_out[i] = f.numerator
    return out
