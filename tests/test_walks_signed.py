"""The walk kernel over Z3 and ZT (two bit planes): moves keep the represented tensor (mod 3, or
exactly over Z for ZT), ZT coefficients never leave {-1, 0, 1}, and searches reach known ranks."""
import numpy as np
import pytest

from flipgraph import classics, standard, verify
from flipgraph.errors import SchemeError
from flipgraph.scheme import Scheme
from flipgraph.walks import Walker, search
from flipgraph.walks._kernel import RING_Z3, RING_ZT, add_planes, lead, walk
from flipgraph.walks.packing import check_packable, factor_words, pack, unpack
from flipgraph.walks.pool import canonical_key

RINGS = {"z3": RING_Z3, "zt": RING_ZT}


#: Packed words per factor -> where the kernel stores the K entries of the random term lists
#: (wide: two 64-entry plane pairs, entries on both sides of the border).
POSITIONS = {2: (0, 1, 2, 3, 4, 5), 4: (0, 63, 64, 127, 5, 100)}


def encode(values, words=2):
    """Entries in {-1, 0, 1} -> the packed factor (words uint64: + plane, − plane per 64 entries)."""
    out = np.zeros(words, np.uint64)
    for e, v in zip(POSITIONS[words], values):
        if v:
            out[2 * (e // 64) + (v < 0)] |= np.uint64(1) << np.uint64(e % 64)
    return out


def decode(factor, k=6):
    outside = ~(encode([1] * 6, len(factor)) | encode([-1] * 6, len(factor)))
    assert not np.any(factor & outside)                  # nothing but the entries is set
    out = []
    for e in POSITIONS[len(factor)][:k]:
        bit = np.uint64(1) << np.uint64(e % 64)
        out.append(int(bool(factor[2 * (e // 64)] & bit)) - int(bool(factor[2 * (e // 64) + 1] & bit)))
    return out


@pytest.mark.parametrize("seed", range(30))
def test_plane_arithmetic_matches_integers(seed):
    rnd = np.random.default_rng(seed)
    x, y = rnd.integers(-1, 2, 6), rnd.integers(-1, 2, 6)
    ex, ey = encode(x), encode(y)
    p, n, over = add_planes(ex[0], ex[1], ey[0], ey[1], RING_Z3)
    z3 = decode(np.array([p, n], np.uint64))
    assert not over and [(a - b) % 3 for a, b in zip(z3, (x + y) % 3)] == [0] * 6
    p, n, over = add_planes(ex[0], ex[1], ey[0], ey[1], RING_ZT)
    assert over == (np.abs(x + y).max() > 1)
    if not over:
        assert decode(np.array([p, n], np.uint64)) == list(x + y)
    nonzero = np.flatnonzero(x)
    assert lead(ex[0], ex[1]) == (x[nonzero[0]] if len(nonzero) else 0)


def random_walk(scheme, ring, moves, seed, plus_after=200):
    F = pack(scheme, ring, scheme.rank + 6)
    walked = Walker(ring, rng_state=seed).walk(F, scheme.rank, target_rank=1, max_moves=moves,
                                               plus_after=plus_after)
    return F, walked.rank, walked


@pytest.mark.parametrize("ring", ["z3", "zt"])
@pytest.mark.parametrize("fmt", [(2, 2, 2), (2, 3, 4), (3, 3, 3), (2, 2, 17)])   # 2x2x17: wide
def test_walks_keep_schemes_valid(ring, fmt):
    scheme = standard(*fmt)
    for seed in range(1, 4):
        F, rank, walked = random_walk(scheme, ring, 20000, seed)
        assert walked.flips > 0
        found = unpack(F, rank, fmt, ring)
        assert verify(found)                         # zt: exactly over Z; z3: mod 3
        if ring == "zt":
            planes = F[:, :rank]
            assert not np.any(planes[..., 0::2] & planes[..., 1::2])     # no entry both +1 and −1
            assert verify(found, "z")


@pytest.mark.parametrize("ring", ["z3", "zt"])
def test_walks_from_a_non_trivial_scheme(ring):
    F, rank, walked = random_walk(classics.laderman(), ring, 50000, 5, plus_after=500)
    assert verify(unpack(F, rank, (3, 3, 3), ring)) and rank <= 23 + walked.plus


@pytest.mark.parametrize("fmt", [(2, 2, 2), (2, 9, 9)])        # 2x9x9: 81 entries, two words
def test_canonical_key_ignores_signs_and_order(fmt):
    s = classics.strassen()
    if fmt != (2, 2, 2):                                 # a scheme with signs all over the place
        F, rank, _ = random_walk(standard(*fmt), "zt", 20000, 3)
        s = unpack(F, rank, fmt, "zt")
    t = s.copy()
    t.U[0] *= -1
    t.W[0] *= -1
    t.V[3] *= -1
    t.W[3] *= -1
    t.U, t.V, t.W = t.U[::-1].copy(), t.V[::-1].copy(), t.W[::-1].copy()
    keys = {canonical_key(pack(x, "zt", s.rank), s.rank, RING_ZT) for x in (s, t)}
    assert len(keys) == 1
    u = s.copy()
    u.W[-1] *= -1                                        # a different scheme: a different key
    assert canonical_key(pack(u, "zt", s.rank), s.rank, RING_ZT) not in keys


@pytest.mark.parametrize("ring", ["z2", "z3", "zt"])
@pytest.mark.parametrize("fmt", [(3, 3, 3), (4, 4, 10), (2, 16, 16)])
def test_pack_round_trip(ring, fmt):
    rnd = np.random.default_rng(sum(fmt))
    n, m, p = fmt
    mats = [rnd.integers(-1, 2, (5, k)) for k in (n * m, m * p, n * p)]
    scheme = Scheme(fmt, *[x % 2 if ring == "z2" else x % 3 if ring == "z3" else x for x in mats],
                    ring)
    F = pack(scheme, ring, 7)
    assert F.shape == (3, 7, factor_words(fmt, ring)) and not F[:, 5:].any()
    back = unpack(F, 5, fmt, ring)
    modulus = {"z2": 2, "z3": 3, "zt": 4}[ring]                    # zt: exact ({-1, 0, 1})
    assert all(np.array_equal(x % modulus, y % modulus)
               for x, y in zip((back.U, back.V, back.W), mats))


def test_formats_over_the_limit_are_refused():
    with pytest.raises(SchemeError, match="257 entries; the packed kernel handles at most 256"):
        check_packable((1, 257, 1), "zt")
    check_packable((16, 16, 16), "zt")


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


@pytest.mark.parametrize("words", [2, 4])
@pytest.mark.parametrize("ring", ["z3", "zt"])
@pytest.mark.parametrize("seed", range(40))
def test_single_signed_flip_matches_reference(ring, seed, words):
    rnd = np.random.default_rng(seed)
    terms = random_signed_terms(rnd, int(rnd.integers(4, 8)))
    F = np.zeros((3, len(terms) + 2, words), np.uint64)
    for q, term in enumerate(terms):
        F[:, q] = [encode(f, words) for f in term]
    out = np.zeros(5, np.int64)
    rank = walk(F, len(terms), RINGS[ring], 0, 1, 0, len(terms), np.array([seed + 1], np.uint64),
                out, np.zeros((3, 0, words), np.uint64))
    result = [tuple(tuple(decode(F[mode, q], K)) for mode in range(3)) for q in range(rank)]
    if out[2]:                                     # ZT: both λ overflowed, nothing changed
        assert ring == "zt" and out[0] == 0 and result == terms
    else:
        assert out[0] == 1
        assert canon_signed(result) in reference_flips_signed(terms, ring)
