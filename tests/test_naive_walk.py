"""The fixed-rank walk that minimises naive additions."""
import pytest

from flipgraph import FlipgraphError, classics, standard, verify
from flipgraph.additions import naive_total
from flipgraph.walks import search
from flipgraph.walks.naive import minimize_naive


def test_walk_keeps_rank_validity_and_never_gets_worse():
    start = search("3x3x3", ring="zt", target_rank=23, seed=4).scheme
    result = minimize_naive(start, rounds=30, moves=50_000, plus_after=1000, seed=2)
    assert result.scheme.rank <= 23 and verify(result.scheme) and verify(result.scheme, "z")
    assert result.naive_before == naive_total(start)
    assert result.naive_after == naive_total(result.scheme) <= result.naive_before
    assert result.naive_after < result.naive_before            # a random rank-23 scheme improves


def test_walk_over_z2():
    start = search("2x3x3", target_rank=15, seed=1).scheme
    result = minimize_naive(start, rounds=5, moves=20_000, seed=1)
    assert result.scheme.ring.name == "z2" and verify(result.scheme)
    assert result.naive_after <= result.naive_before


def test_standard_scheme_cannot_get_cheaper_at_its_rank():
    s = standard(2, 2, 2)                                       # 8 products, 4 additions (W)
    result = minimize_naive(s, rounds=3, moves=10_000, seed=1)
    assert result.scheme.rank < 8 or result.naive_after == naive_total(s)


def test_non_ternary_integer_scheme_is_refused():
    s = classics.strassen().copy()
    s.U[0] *= 2
    with pytest.raises(FlipgraphError, match="outside"):
        minimize_naive(s)
