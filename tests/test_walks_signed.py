"""The walk kernel over Z3 and ZT (two bit planes): moves keep the represented tensor (mod 3, or
exactly over Z for ZT), ZT coefficients never leave {-1, 0, 1}, and searches reach known ranks."""
import numpy as np
import pytest

from flipgraph import classics, standard, verify
from flipgraph.walks import search
from flipgraph.walks._kernel import RING_Z3, RING_ZT, add, norm, walk
from flipgraph.walks.packing import pack, unpack
from flipgraph.walks.pool import canonical_key

RINGS = {"z3": RING_Z3, "zt": RING_ZT}


def encode(values):
    words = np.zeros(1, np.uint64)
    for e, v in enumerate(values):
        if v == 1:
            words[0] |= np.uint64(1) << np.uint64(e)
        elif v == -1:
            words[0] |= np.uint64(1) << np.uint64(32 + e)
    return words[0]


def decode(word, k=6):
    return [int((word >> np.uint64(e)) & np.uint64(1)) - int((word >> np.uint64(32 + e)) & np.uint64(1))
            for e in range(k)]


@pytest.mark.parametrize("seed", range(30))
def test_plane_arithmetic_matches_integers(seed):
    rnd = np.random.default_rng(seed)
    x, y = rnd.integers(-1, 2, 6), rnd.integers(-1, 2, 6)
    z3 = decode(add(encode(x), encode(y), RING_Z3))
    assert [(a - b) % 3 for a, b in zip(z3, (x + y) % 3)] == [0] * 6
    zt = add(encode(x), encode(y), RING_ZT)
    if np.abs(x + y).max() > 1:
        assert zt == np.uint64(0xFFFFFFFFFFFFFFFF)
    else:
        assert decode(zt) == list(x + y)
    key = decode(norm(encode(x), RING_ZT))
    assert key in (list(x), list(-x)) and (not any(key) or key[np.flatnonzero(key)[0]] == 1)


def random_walk(scheme, ring, moves, seed, plus_after=200):
    F = pack(scheme, ring, scheme.rank + 6)
    out = np.zeros(5, np.int64)
    rank = walk(F, scheme.rank, RINGS[ring], 1, moves, plus_after, scheme.rank + 6,
                np.array([seed], np.uint64), out, np.zeros((3, 0), np.uint64))
    return F, int(rank), out


@pytest.mark.parametrize("ring", ["z3", "zt"])
@pytest.mark.parametrize("fmt", [(2, 2, 2), (2, 3, 4), (3, 3, 3)])
def test_walks_keep_schemes_valid(ring, fmt):
    scheme = standard(*fmt)
    for seed in range(1, 4):
        F, rank, out = random_walk(scheme, ring, 20000, seed)
        assert out[0] > 0
        found = unpack(F, rank, fmt, ring)
        assert verify(found)                         # zt: exactly over Z; z3: mod 3
        if ring == "zt":
            planes = F[:, :rank]
            assert not np.any((planes & np.uint64(0xFFFFFFFF)) & (planes >> np.uint64(32)))
            assert verify(found, "z")


@pytest.mark.parametrize("ring", ["z3", "zt"])
def test_walks_from_a_non_trivial_scheme(ring):
    F, rank, out = random_walk(classics.laderman(), ring, 50000, 5, plus_after=500)
    assert verify(unpack(F, rank, (3, 3, 3), ring)) and rank <= 23 + out[1]


def test_canonical_key_ignores_signs():
    s = classics.strassen()
    t = s.copy()
    t.U[0] *= -1
    t.W[0] *= -1
    t.V[3] *= -1
    t.W[3] *= -1
    keys = {canonical_key(pack(x, "zt", 7), 7, RING_ZT) for x in (s, t)}
    assert len(keys) == 1


@pytest.mark.parametrize("ring", ["z3", "zt"])
@pytest.mark.parametrize("fmt,target", [((2, 2, 2), 7), ((3, 3, 3), 23)])
def test_signed_search_reaches_known_ranks(ring, fmt, target):
    result = search(fmt, ring=ring, target_rank=target, time_limit=60, seed=2)
    assert result.rank == target and result.scheme.ring.name == ring
    assert verify(result.scheme)


def test_zt_search_rejects_a_start_outside_zt():
    s = classics.strassen()
    big = s.copy()
    big.U[0] *= 2
    big.W[0] = 0                                   # not ZT (and not valid): a clear error
    with pytest.raises(Exception, match="zt allows only|not valid"):
        search("2x2x2", ring="zt", start=big, time_limit=1)
