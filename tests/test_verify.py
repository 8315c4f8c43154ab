"""Exact Brent-equation verification."""
from fractions import Fraction

import numpy as np

from flipgraph import classics, standard, verify
from flipgraph.scheme import Scheme


def test_flipped_coefficient_is_rejected_and_named():
    s = classics.strassen()
    bad = s.copy()
    bad.W[0, 0] = 0   # M1 no longer reaches C[0,0]
    verdict = verify(bad)
    assert not verdict
    assert verdict.failures > 0
    assert "in c11:" in verdict.first and "expected 1" in verdict.first


def test_each_single_coefficient_change_fails():
    s = classics.strassen()
    for mat in ("U", "V", "W"):
        for q in range(7):
            for e in range(4):
                bad = s.copy()
                getattr(bad, mat)[q, e] += 1
                assert not verify(bad), (mat, q, e)


def test_mod2_only_scheme():
    s = classics.strassen()
    odd = Scheme((2, 2, 2), s.U + 2 * (s.U != 0), s.V, s.W, "z")   # differs from Strassen by 2s
    assert not verify(odd)
    assert verify(odd, "z2")
    assert not verify(odd, "z3")


def test_rational_scheme():
    s = classics.strassen()
    U = np.array(s.U, dtype=object) * Fraction(1, 2)
    W = np.array(s.W, dtype=object) * 2
    half = Scheme((2, 2, 2), U, s.V, W, "q")
    assert verify(half)
    assert verify(half, "z3")           # 1/2 = 2 mod 3
    broken = half.copy()
    broken.U[0, 0] = Fraction(1, 3)
    verdict = verify(broken)
    assert not verdict and "off by" in verdict.first


def test_large_coefficients_do_not_overflow():
    s = classics.strassen()
    big = 2**40
    U = np.array(s.U, dtype=object) * big
    W = np.array(s.W, dtype=object)
    scaled = Scheme((2, 2, 2), U, s.V, W * big, "z")
    assert not verify(scaled)           # every product is off by a factor 2**80


def test_verify_checks_a_big_standard_scheme():
    """Timings live in benchmarks/bench_core.py; here only the answer."""
    s = standard(5, 5, 5)
    assert verify(s)
