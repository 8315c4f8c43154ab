"""Classic schemes written out from the mathematics (project convention, C not transposed).

* :func:`strassen`: Strassen (1969), 2x2x2 rank 7, 18 additions naive.
* :func:`winograd`: Winograd's variant of Strassen's algorithm, 2x2x2 rank 7, 15 additions with
  shared sums (the products below are its expanded form).
* :func:`laderman`: Laderman (1976), 3x3x3 rank 23.
* :func:`standard`: the naive scheme of rank n·m·p (from :mod:`flipgraph.scheme`).
"""
from __future__ import annotations

from .io.forms import scheme_from_forms
from .scheme import Scheme, standard

__all__ = ["strassen", "winograd", "laderman", "standard", "CLASSICS"]


def strassen() -> Scheme:
    products = [
        ("a11 + a22", "b11 + b22"),
        ("a21 + a22", "b11"),
        ("a11", "b12 - b22"),
        ("a22", "b21 - b11"),
        ("a11 + a12", "b22"),
        ("a21 - a11", "b11 + b12"),
        ("a12 - a22", "b21 + b22"),
    ]
    outputs = {"c11": "m1 + m4 - m5 + m7", "c12": "m3 + m5",
               "c21": "m2 + m4", "c22": "m1 - m2 + m3 + m6"}
    return scheme_from_forms((2, 2, 2), products, outputs, "zt")


def winograd() -> Scheme:
    # s1 = a21 + a22, s2 = s1 - a11, s3 = a11 - a21, s4 = a12 - s2;
    # t1 = b12 - b11, t2 = b22 - t1, t3 = b22 - b12, t4 = t2 - b21.
    products = [
        ("a11", "b11"),
        ("a12", "b21"),
        ("a11 + a12 - a21 - a22", "b22"),                 # s4 · b22
        ("a22", "b11 - b12 - b21 + b22"),                 # a22 · t4
        ("a21 + a22", "b12 - b11"),                       # s1 · t1
        ("a21 + a22 - a11", "b11 - b12 + b22"),           # s2 · t2
        ("a11 - a21", "b22 - b12"),                       # s3 · t3
    ]
    # u2 = m1 + m6, u3 = u2 + m7, u4 = u2 + m5: c12 = u4 + m3, c21 = u3 - m4, c22 = u3 + m5.
    outputs = {"c11": "m1 + m2", "c12": "m1 + m6 + m5 + m3",
               "c21": "m1 + m6 + m7 - m4", "c22": "m1 + m6 + m7 + m5"}
    return scheme_from_forms((2, 2, 2), products, outputs, "zt")


def laderman() -> Scheme:
    products = [
        ("a11 + a12 + a13 - a21 - a22 - a32 - a33", "b22"),
        ("a11 - a21", "-b12 + b22"),
        ("a22", "-b11 + b12 + b21 - b22 - b23 - b31 + b33"),
        ("-a11 + a21 + a22", "b11 - b12 + b22"),
        ("a21 + a22", "-b11 + b12"),
        ("a11", "b11"),
        ("-a11 + a31 + a32", "b11 - b13 + b23"),
        ("-a11 + a31", "b13 - b23"),
        ("a31 + a32", "-b11 + b13"),
        ("a11 + a12 + a13 - a22 - a23 - a31 - a32", "b23"),
        ("a32", "-b11 + b13 + b21 - b22 - b23 - b31 + b32"),
        ("-a13 + a32 + a33", "b22 + b31 - b32"),
        ("a13 - a33", "b22 - b32"),
        ("a13", "b31"),
        ("a32 + a33", "-b31 + b32"),
        ("-a13 + a22 + a23", "b23 + b31 - b33"),
        ("a13 - a23", "b23 - b33"),
        ("a22 + a23", "-b31 + b33"),
        ("a12", "b21"),
        ("a23", "b32"),
        ("a21", "b13"),
        ("a31", "b12"),
        ("a33", "b33"),
    ]
    outputs = {
        "c11": "m6 + m14 + m19",
        "c12": "m1 + m4 + m5 + m6 + m12 + m14 + m15",
        "c13": "m6 + m7 + m9 + m10 + m14 + m16 + m18",
        "c21": "m2 + m3 + m4 + m6 + m14 + m16 + m17",
        "c22": "m2 + m4 + m5 + m6 + m20",
        "c23": "m14 + m16 + m17 + m18 + m21",
        "c31": "m6 + m7 + m8 + m11 + m12 + m13 + m14",
        "c32": "m12 + m13 + m14 + m15 + m22",
        "c33": "m6 + m7 + m8 + m9 + m23",
    }
    return scheme_from_forms((3, 3, 3), products, outputs, "zt")


CLASSICS = {"strassen": strassen, "winograd": winograd, "laderman": laderman}
