"""The walk kernel over Z3 and ZT (two bit planes): moves keep the represented tensor (mod 3, or
exactly over Z for ZT), ZT coefficients never leave {-1, 0, 1}, and searches reach known ranks."""
import numpy as np
import pytest

from flipgraph import classics, standard, verify
from flipgraph.walks import Walker, search
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
    walked = Walker(ring, rng_state=seed).walk(F, scheme.rank, target_rank=1, max_moves=moves,
                                               plus_after=plus_after)
    return F, walked.rank, walked


@pytest.mark.parametrize("ring", ["z3", "zt"])
@pytest.mark.parametrize("fmt", [(2, 2, 2), (2, 3, 4), (3, 3, 3)])
def test_walks_keep_schemes_valid(ring, fmt):
    scheme = standard(*fmt)
    for seed in range(1, 4):
        F, rank, walked = random_walk(scheme, ring, 20000, seed)
        assert walked.flips > 0
        found = unpack(F, rank, fmt, ring)
        assert verify(found)                         # zt: exactly over Z; z3: mod 3
        if ring == "zt":
            planes = F[:, :rank]
            assert not np.any((planes & np.uint64(0xFFFFFFFF)) & (planes >> np.uint64(32)))
            assert verify(found, "z")


@pytest.mark.parametrize("ring", ["z3", "zt"])
def test_walks_from_a_non_trivial_scheme(ring):
    F, rank, walked = random_walk(classics.laderman(), ring, 50000, 5, plus_after=500)
    assert verify(unpack(F, rank, (3, 3, 3), ring)) and rank <= 23 + walked.plus


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


# ----------------------------------------------------------------- single moves vs a reference
K = 4   # entries per factor of the random term lists


def ring_add(x, y, ring):
    """Entry-wise x + y in the ring, or None when a ZT entry leaves {-1, 0, 1}."""
    s = [a + b for a, b in zip(x, y)]
    if ring == "z3":
        return tuple(((v + 1) % 3) - 1 for v in s)
    return None if any(abs(v) > 1 for v in s) else tuple(s)


def neg_vec(x):
    return tuple(-v for v in x)


def sign_of(x, y):
    return 1 if x == y else -1 if x == neg_vec(y) else 0


def lead_sign(x):
    return next((1 if v > 0 else -1) for v in x if v)


def canon_signed(terms):
    """Terms up to order and signs: a and b with positive lowest entry, c takes the signs."""
    out = []
    for a, b, c in terms:
        sa, sb = lead_sign(a), lead_sign(b)
        a = a if sa > 0 else neg_vec(a)
        b = b if sb > 0 else neg_vec(b)
        c = c if sa * sb > 0 else neg_vec(c)
        out.append((a, b, c))
    return tuple(sorted(out))


def reduce_signed(terms, ring):
    """Every result of the reductions (zero factor: drop; two factors shared up to sign: merge)."""
    terms = [t for t in terms if all(any(f) for f in t)]
    for i in range(len(terms)):
        for j in range(i + 1, len(terms)):
            ti, tj = terms[i], terms[j]
            results = set()
            for z in range(3):
                x, y = [k for k in range(3) if k != z]
                sx, sy = sign_of(tj[x], ti[x]), sign_of(tj[y], ti[y])
                if sx and sy:
                    merged_z = ring_add(tj[z], tuple(sx * sy * v for v in ti[z]), ring)
                    if merged_z is not None:
                        merged = list(tj)
                        merged[z] = merged_z
                        rest = [t for k, t in enumerate(terms) if k not in (i, j)]
                        results |= reduce_signed(rest + [tuple(merged)], ring)
            if results:
                return results
    return {canon_signed(terms)}


def reference_flips_signed(terms, ring):
    out = set()
    for i in range(len(terms)):
        for j in range(len(terms)):
            for s in range(3):
                sigma = sign_of(terms[j][s], terms[i][s])
                if i == j or not sigma:
                    continue
                for m1, m2 in (((s + 1) % 3, (s + 2) % 3), ((s + 2) % 3, (s + 1) % 3)):
                    for lam in (1, -1):
                        nb = ring_add(terms[i][m1], tuple(lam * sigma * v for v in terms[j][m1]), ring)
                        nc = ring_add(terms[j][m2], tuple(-lam * v for v in terms[i][m2]), ring)
                        if nb is None or nc is None:
                            continue
                        t1, t2 = list(terms[i]), list(terms[j])
                        t1[m1], t2[m2] = nb, nc
                        rest = [t for k, t in enumerate(terms) if k not in (i, j)]
                        out |= reduce_signed(rest + [tuple(t1), tuple(t2)], ring)
    return out


def random_signed_terms(rnd, rank):
    """Random terms over {-1,0,1} sharing some factors up to sign, none sharing two, no zeros."""
    def factor():
        while True:
            f = tuple(int(v) for v in rnd.choice([-1, 0, 0, 0, 1], K))   # sparse: fewer ZT overflows
            if any(f):
                return f
    while True:
        pool = [factor() for _ in range(3)]
        terms = [tuple(tuple(rnd.choice([1, -1]) * v for v in pool[rnd.integers(3)])
                       if rnd.random() < 0.4 else factor() for _ in range(3)) for _ in range(rank)]
        shared = [sum(bool(sign_of(s[k], t[k])) for k in range(3))
                  for n, s in enumerate(terms) for t in terms[n + 1:]]
        if max(shared) == 1:
            return terms


@pytest.mark.parametrize("ring", ["z3", "zt"])
@pytest.mark.parametrize("seed", range(40))
def test_single_signed_flip_matches_reference(ring, seed):
    rnd = np.random.default_rng(seed)
    terms = random_signed_terms(rnd, int(rnd.integers(4, 8)))
    F = np.zeros((3, len(terms) + 2), np.uint64)
    for q, term in enumerate(terms):
        F[:, q] = [encode(f) for f in term]
    out = np.zeros(5, np.int64)
    rank = walk(F, len(terms), RINGS[ring], 0, 1, 0, len(terms), np.array([seed + 1], np.uint64),
                out, np.zeros((3, 0), np.uint64))
    result = [tuple(tuple(decode(F[mode, q], K)) for mode in range(3)) for q in range(rank)]
    if out[2]:                                     # ZT: both λ overflowed, nothing changed
        assert ring == "zt" and out[0] == 0 and result == terms
    else:
        assert out[0] == 1
        assert canon_signed(result) in reference_flips_signed(terms, ring)
