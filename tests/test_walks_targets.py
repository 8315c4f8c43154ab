"""Searches take the target as data: matmul formats and hand-built bilinear maps alike."""
import pytest

from flipgraph import FlipgraphError, classics, standard, verify
from flipgraph.tensors import from_coo, matmul
from flipgraph.walks import SearchSettings, search
from flipgraph.walks.packing import check_packable


def aat(n):
    """The n×n product A·Aᵀ with the symmetric output stored once: x = vec(A), y = vec(A) taken
    as a second independent input, z = (c_ik for i <= k); c_ik = sum_j a_ij · a_kj."""
    pairs = [(i, k) for i in range(n) for k in range(n) if i <= k]
    entries = [(i * n + j, k * n + j, pairs.index((i, k)), 1) for i, k in pairs for j in range(n)]
    return from_coo((n * n, n * n, len(pairs)), entries, name=f"aat:{n}")


def test_the_2x2_aat_of_the_issue_is_the_expected_tensor():
    t = aat(2)
    assert t.sizes == (4, 4, 3) and t.id == from_coo(
        (4, 4, 3), [(0, 0, 0, 1), (1, 1, 0, 1), (0, 2, 1, 1), (1, 3, 1, 1), (2, 2, 2, 1),
                    (3, 3, 2, 1)]).id
    result = search(t, time_limit=0.5, seed=1)          # 6 = nnz is its rank: nothing below
    assert result.scheme.target == t and result.rank <= 6 and verify(result.scheme)


@pytest.mark.parametrize("ring", ["z2", "zt"])
def test_search_reduces_a_non_matmul_target(ring):
    t = aat(3)                                          # 18 products in the standard scheme
    assert standard(t).rank == 18
    result = search(t, ring=ring, target_rank=17, time_limit=30, seed=2)
    assert result.reached_target and result.rank == 17
    assert result.scheme.target == t and not result.scheme.target.is_matmul
    assert verify(result.scheme, ring)
    if ring == "zt":
        assert verify(result.scheme, "z")               # ZT schemes are valid over Z


def test_settings_take_a_target_in_any_spelling():
    ids = {SearchSettings(spec).target.id for spec in ("3x3x3", (3, 3, 3), matmul(3, 3, 3))}
    assert ids == {"mm:3x3x3"}
    with pytest.raises(FlipgraphError, match="bad format"):
        SearchSettings("3x3")


def test_start_scheme_must_decompose_the_target():
    settings = SearchSettings(aat(2), start=classics.strassen().over("z2"))
    with pytest.raises(FlipgraphError, match="start scheme is 2x2x2, search target is aat:2"):
        settings.check()


def test_too_wide_targets_are_refused_by_name():
    wide = from_coo((300, 2, 2), [(299, 1, 1, 1)], name="wide")
    check_packable(from_coo((256, 2, 2), [(255, 1, 1, 1)]), "zt")   # 256 entries: four words
    with pytest.raises(FlipgraphError, match="wide has a factor with 300 entries"):
        check_packable(wide, "zt")
    with pytest.raises(FlipgraphError, match="17x17x17 has a factor with 289 entries"):
        check_packable((17, 17, 17), "z2")
