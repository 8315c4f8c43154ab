"""Scheme model: classics, symmetries, canonical form, rings."""
from fractions import Fraction

import numpy as np
import pytest

from flipgraph import SchemeError, classics, standard, verify
from flipgraph.scheme import Scheme, _normal_term, parse_format

CLASSIC_NAMES = sorted(classics.CLASSICS)


@pytest.mark.parametrize("name", CLASSIC_NAMES)
def test_classics_verify_in_every_ring(name):
    scheme = classics.CLASSICS[name]()
    for ring in ("zt", "z", "q", "z2", "z3"):
        assert verify(scheme, ring), (name, ring)


@pytest.mark.parametrize("fmt", [(1, 1, 1), (2, 3, 4), (3, 2, 5)])
def test_standard_scheme(fmt):
    scheme = standard(*fmt)
    assert scheme.rank == fmt[0] * fmt[1] * fmt[2]
    assert verify(scheme)


@pytest.mark.parametrize("fmt", [(2, 3, 4), (3, 3, 3)])
def test_symmetries_keep_schemes_valid(fmt):
    scheme = standard(*fmt) if fmt != (3, 3, 3) else classics.laderman()
    n, m, p = fmt
    t, c = scheme.transpose(), scheme.cyclic()
    assert t.format == (p, m, n) and verify(t)
    assert c.format == (m, p, n) and verify(c)
    assert scheme.cyclic().cyclic().cyclic() == scheme
    assert scheme.transpose().transpose() == scheme
    for target in [(n, m, p), (m, p, n), (p, n, m), (p, m, n), (n, p, m), (m, n, p)]:
        moved = scheme.to_format(*target)
        assert moved.format == target and verify(moved)


def test_canonical_hash_ignores_order_and_scaling():
    s = classics.strassen()
    shuffled = Scheme((2, 2, 2), s.U[::-1], s.V[::-1], s.W[::-1], "z")
    scaled = s.copy()
    scaled.U[2] *= -1
    scaled.W[2] *= -1
    as_q = Scheme((2, 2, 2), s.U * 2, s.V, np.array(s.W, dtype=object) * Fraction(1, 2), "q")
    h = s.canonical_hash()
    assert shuffled.canonical_hash() == h
    assert scaled.canonical_hash() == h
    assert as_q.canonical_hash() == h
    assert classics.winograd().canonical_hash() != h


def test_canonical_mod3_scaling():
    s = classics.strassen().mod(3)
    t = s.copy()
    t.U[0] = t.U[0] * 2 % 3
    t.V[0] = t.V[0] * 2 % 3   # (2a)⊗(2b)⊗c = 4 a⊗b⊗c = a⊗b⊗c mod 3
    assert verify(t) and t == s


def test_ring_coercion_errors():
    s = classics.strassen()
    with pytest.raises(SchemeError, match="zt allows only"):
        Scheme((2, 2, 2), s.U * 2, s.V, s.W, "zt")
    with pytest.raises(SchemeError, match="not in the integers"):
        Scheme((2, 2, 2), np.array(s.U, dtype=object) * Fraction(1, 2), s.V, s.W, "z")
    with pytest.raises(SchemeError, match="shape"):
        Scheme((2, 2, 2), s.U[:, :3], s.V, s.W, "z")
    with pytest.raises(SchemeError, match="unknown ring"):
        Scheme((2, 2, 2), s.U, s.V, s.W, "gf7")


def test_mod3_to_integers_uses_symmetric_representatives():
    s = classics.strassen()
    back = s.mod(3).over("zt")
    assert np.array_equal(back.U, s.U) and verify(back)


@pytest.mark.parametrize("text,dims", [("3x3x4", (3, 3, 4)), ("2,3,5", (2, 3, 5))])
def test_parse_format(text, dims):
    assert parse_format(text) == dims


@pytest.mark.parametrize("bad", ["3x3", "axbxc", "0x2x2", ""])
def test_parse_format_rejects(bad):
    with pytest.raises(SchemeError):
        parse_format(bad)


def test_fast_integer_canonical_form_matches_the_exact_path():
    """The vectorised canonical form of integer schemes agrees with the Fraction-based one."""
    rnd = np.random.default_rng(5)
    for ring in ("z", "zt", "z2", "z3"):
        for _ in range(20):
            low, high = {"z": (-3, 4), "zt": (-1, 2), "z2": (0, 2), "z3": (0, 3)}[ring]
            U, V, W = (rnd.integers(low, high, (6, k)) for k in (4, 6, 6))
            s = Scheme((2, 2, 3), U, V, W, ring)
            exact = sorted(_normal_term(a, b, c, s.ring) for a, b, c in s.terms())
            fast = s.canonical()
            assert [tuple(int(x) for x in np.concatenate(t)) for t in fast.terms()] == \
                   [tuple(int(x) for x in row) for row in exact]


def test_integer_coefficients_in_object_arrays_are_checked_for_size():
    """Exact Python integers take the fast path to int64; 2^62 and up, or a non-integer, is still
    refused with the entry named."""
    one = np.array([[1]], dtype=object)
    ok = Scheme((1, 1, 1), np.array([[2**61]], dtype=object), one, one, "z")
    assert ok.U.dtype == np.int64 and int(ok.U[0, 0]) == 2**61
    for bad, message in ((2**62, "too large"), (-(2**63), "too large"), (-(2**70), "too large"),
                         (np.uint64(2**64 - 1), "too large"), (Fraction(1, 2), "not in")):
        with pytest.raises(SchemeError, match=message):
            Scheme((1, 1, 1), np.array([[bad]], dtype=object), one, one, "z")
