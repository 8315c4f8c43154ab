"""C3-symmetric schemes and walks: the layout's symmetry σ(u, v, w) = (v, wᵀ, uᵀ), the standard
start, and the orbit kernel against a pure-Python reference (one move at a time: its flip must be
one of the reference's orbit flips followed by its reductions, its plus transition one of the
reference's), every expanded result verified; the search behind ``search --symmetry c3``."""
import itertools

import numpy as np
import pytest
from click.testing import CliRunner

from flipgraph import io, standard, verify
from flipgraph.cli import main
from flipgraph.errors import FlipgraphError
from flipgraph.scheme import Scheme
from flipgraph.walks import SearchSettings
from flipgraph.walks import _symmetric
from flipgraph.walks.symmetric import (RINGS, SymmetricScheme, SymmetricStrategy, default_cubes,
                                       expand, from_scheme, pack, standard_c3, symmetric_search,
                                       unpack)


def sigma_invariant(scheme: Scheme) -> bool:
    """The multiset of the terms' rank-one tensors is mapped onto itself by (u,v,w) -> (v,wᵀ,uᵀ)."""
    n = scheme.format[0]

    def tensor(u, v, w):
        return np.einsum("a,b,c->abc", u.reshape(-1), v.reshape(-1), w.reshape(-1)).tobytes()

    mod = scheme.ring.modulus or None
    terms, images = [], []
    for u, v, w in zip(*(m.reshape(-1, n, n) for m in (scheme.U, scheme.V, scheme.W))):
        t, s = tensor(u, v, w), tensor(v, w.T, u.T)
        if mod:
            t = (np.frombuffer(t, np.int64) % mod).tobytes()
            s = (np.frombuffer(s, np.int64) % mod).tobytes()
        terms.append(t)
        images.append(s)
    return sorted(terms) == sorted(images)


# ------------------------------------------------------------ symmetric schemes and the start
@pytest.mark.parametrize("ring", ["z2", "zt", "z3"])
@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_standard_start_is_valid_symmetric_and_reads_back(n, ring):
    sym = standard_c3(n, default_cubes(n), ring)
    scheme = expand(sym)
    assert verify(scheme)
    assert sigma_invariant(scheme)
    back = from_scheme(scheme)
    assert (len(back.orbits), len(back.cubes)) == (len(sym.orbits), len(sym.cubes))
    assert verify(expand(back))


def test_plain_standard_algorithm_is_symmetric_with_diagonal_cubes():
    sym = from_scheme(standard(3, 3, 3, ring="zt"))
    assert (len(sym.orbits), len(sym.cubes)) == (8, 3)
    assert sorted(np.flatnonzero(c)[0] for c in sym.cubes) == [0, 4, 8]


def test_cube_groups_match_target_residue():
    assert default_cubes(5) == [[0, 4], [1, 3], [2]]            # Moosbauer–Poole's 93 = 3·30 + 3
    for n in range(2, 8):
        for target in (3 * n * n, 3 * n * n + 1, 3 * n * n + 2):
            groups = default_cubes(n, target)
            assert sorted(i for g in groups for i in g) == list(range(n))
            if any(k % 3 == target % 3 for k in range(1, n + 1)):
                assert (target - len(groups)) % 3 == 0


def test_non_symmetric_scheme_is_refused():
    s = standard(2, 2, 2, ring="zt")
    U, V, W = s.U.copy(), s.V.copy(), s.W.copy()
    # terms 0 = A00·B00 -> C00 and 1 = A00·B01 -> C01 share a: flip them (still valid, not symmetric)
    V[0] += V[1]
    W[1] -= W[0]
    flipped = Scheme(s.target, U, V, W, "zt")
    assert verify(flipped)
    with pytest.raises(FlipgraphError, match="not C3-symmetric"):
        from_scheme(flipped)
    with pytest.raises(FlipgraphError, match="square"):
        from_scheme(standard(2, 2, 3))


# ------------------------------------------------------------------------- reference moves
def _neg(x, ring):
    return x if ring == "z2" else tuple(-e for e in x)


def _add(x, y, ring, sign=1):
    """x + sign·y, or None when a ZT entry leaves {-1, 0, 1}."""
    if ring == "z2":
        return tuple((a + b) % 2 for a, b in zip(x, y))
    z = tuple(a + sign * b for a, b in zip(x, y))
    return None if any(abs(e) > 1 for e in z) else z


def _sign(x, y, ring):
    """σ with x = σ·y, else 0."""
    if x == y:
        return 1
    if ring != "z2" and x == _neg(y, ring):
        return -1
    return 0


def _zero(x):
    return not any(x)


def canon_orbit(o, ring):
    forms = []
    signs = [(1, 1, 1)] if ring == "z2" else [(1, 1, 1), (-1, -1, 1), (-1, 1, -1), (1, -1, -1)]
    for r in range(3):
        rot = o[r:] + o[:r]
        for s in signs:
            forms.append(tuple(x if k == 1 else _neg(x, ring) for x, k in zip(rot, s)))
    return min(forms)


def canon(state, ring):
    return tuple(sorted(canon_orbit(o, ring) for o in state))


def reduce_all(state, ring):
    """Every fixpoint of: drop an orbit with a zero slot; merge terms of two different orbits
    sharing two factors up to sign (when the sum stays in the ring)."""
    for i, o in enumerate(state):
        if any(_zero(x) for x in o):
            return reduce_all(state[:i] + state[i + 1:], ring)
    results = set()
    for i, j in itertools.permutations(range(len(state)), 2):
        for r, t in itertools.product(range(3), range(3)):
            a = state[i][r:] + state[i][:r]          # term starting at slot r of orbit i
            b = state[j][t:] + state[j][:t]
            s0 = _sign(b[0], a[0], ring)
            if not s0:
                continue
            for shared, other in ((1, 2), (2, 1)):
                s1 = _sign(b[shared], a[shared], ring)
                if not s1:
                    continue
                new = _add(b[other], a[other], ring, s0 * s1)
                if new is None:
                    continue
                merged = list(b)
                merged[other] = new
                rest = [o for k, o in enumerate(state) if k not in (i, j)]
                results |= reduce_all(rest + [tuple(merged)], ring)
    return results or {canon(state, ring)}


def flip_successors(state, ring):
    """Canonical states after one orbit flip (then reductions)."""
    out = set()
    slots = [(o, j) for o in range(len(state)) for j in range(3)]
    lams = (1,) if ring == "z2" else (1, -1)
    for (op, jp), (oq, jq) in itertools.permutations(slots, 2):
        if op == oq:
            continue
        P, Q = state[op], state[oq]
        sigma = _sign(Q[jq], P[jp], ring)
        if not sigma:
            continue
        fp, ep = P[(jp + 1) % 3], P[(jp + 2) % 3]
        fq, eq = Q[(jq + 1) % 3], Q[(jq + 2) % 3]
        for lam in lams:
            e_new = _add(ep, eq, ring, lam)
            f_new = _add(fq, fp, ring, -lam * sigma)
            if e_new is None or f_new is None:
                continue
            P2, Q2 = list(P), list(Q)
            P2[(jp + 2) % 3] = e_new
            Q2[(jq + 1) % 3] = f_new
            new = [o for k, o in enumerate(state) if k not in (op, oq)] + [tuple(P2), tuple(Q2)]
            out |= reduce_all(new, ring)
    return out


def plus_successors(state, ring):
    out = set()
    for i, j in itertools.permutations(range(len(state)), 2):
        for r, t in itertools.product(range(3), range(3)):
            a = state[i][r:] + state[i][:r]
            b = state[j][t:] + state[j][:t]
            if any(_sign(a[k], b[k], ring) for k in range(3)):
                continue
            d = _add(a[0], b[0], ring, -1)
            if d is None:
                continue
            rest = [o for k, o in enumerate(state) if k not in (i, j)]
            out.add(canon(rest + [(d, a[1], a[2]), b, (b[0], a[1], a[2])], ring))
    return out


def to_state(orbits, ring):
    return [tuple(tuple(int(v) for v in m.reshape(-1)) for m in o) for o in orbits]


def kernel_walk(orbits, ring, *, max_moves, plus_after=0, seed=1, extra=3):
    n = orbits.shape[-1]
    cap = len(orbits) + extra
    P, N = pack(orbits, ring, cap)
    out = np.zeros(4, np.int64)
    final = _symmetric.walk(P, N, len(orbits), RINGS[ring], 0, max_moves, plus_after, cap,
                            np.array([seed], np.uint64), out, np.zeros_like(P), np.zeros_like(N))
    return unpack(P, N, final, n, ring), out


def reduced_start(n, ring, moves, seed):
    """A reduced symmetric scheme some moves away from the standard start."""
    sym = standard_c3(n, default_cubes(n), ring)
    orbits, _ = kernel_walk(sym.orbits, ring, max_moves=moves, seed=seed)
    orbits, out = kernel_walk(orbits, ring, max_moves=0)
    return SymmetricScheme(orbits, sym.cubes, ring)


@pytest.mark.parametrize("ring", ["z2", "zt"])
def test_kernel_flip_is_a_reference_flip(ring):
    checked = 0
    for seed in range(1, 25):
        sym = reduced_start(3, ring, moves=seed * 7, seed=seed)
        state = to_state(sym.orbits, ring)
        again, _ = kernel_walk(sym.orbits, ring, max_moves=0)
        assert canon(to_state(again, ring), ring) == canon(state, ring)   # reduced: a fixpoint
        after, out = kernel_walk(sym.orbits, ring, max_moves=1, seed=seed + 100)
        got = canon(to_state(after, ring), ring)
        if out[0] == 0:                                   # a rejected draw changes nothing
            assert got == canon(state, ring)
            continue
        assert got in flip_successors(state, ring)
        assert verify(expand(SymmetricScheme(after, sym.cubes, ring)))
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("ring", ["z2", "zt"])
def test_kernel_plus_transition_is_a_reference_plus(ring):
    rng = np.random.default_rng(5)
    done = 0
    for seed in range(1, 41):
        # four orbits of random distinct slots: no flip exists, so the first move is a plus
        values = set()
        while len(values) < 12:
            x = tuple(int(v) for v in rng.integers(-1 if ring == "zt" else 0, 2, 4))
            if any(x) and x not in values and _neg(x, ring) not in values:
                values.add(x)
        vals = sorted(values)
        orbits = np.array(vals, np.int64).reshape(4, 3, 2, 2)
        after, out = kernel_walk(orbits, ring, max_moves=1, plus_after=1, seed=seed)
        if out[1] == 0:
            continue
        assert len(after) == 5
        assert canon(to_state(after, ring), ring) in plus_successors(to_state(orbits, ring), ring)
        assert _tensor(after, ring) == _tensor(orbits, ring)
        done += 1
    assert done >= 5


def _tensor(orbits, ring):
    """Σ over orbits of the trace-form terms x⊗y⊗z + y⊗z⊗x + z⊗x⊗y (mod 2 over z2)."""
    t = 0
    for x, y, z in orbits:
        for a, b, c in ((x, y, z), (y, z, x), (z, x, y)):
            t = t + np.einsum("a,b,c->abc", a.reshape(-1), b.reshape(-1), c.reshape(-1))
    return ((t % 2) if ring == "z2" else np.asarray(t)).tobytes()


@pytest.mark.parametrize("ring", ["z2", "zt"])
def test_kernel_reductions_merge_and_drop(ring):
    sym = reduced_start(3, ring, moves=50, seed=3)
    rng = np.random.default_rng(7)
    x, y, z = (rng.integers(0, 2, (3, 3)) | np.eye(3, dtype=np.int64)[i] for i in range(3))
    z2 = 1 - z                                     # z + z2 stays in {-1, 0, 1}
    minus = 1 if ring == "z2" else -1
    cases = [
        # (x,y,z) + (x,y,z') sharing two factors merge into (x, y, z + z'): one orbit fewer
        ([(x, y, z), (x, y, z2)], 1),
        # (x,y,z) + (y,z,−x) is the same orbit negated (rotated): both vanish
        ([(x, y, z), (y, z, minus * x)], 2),
        # a zero slot drops its orbit
        ([(x, 0 * y, z)], 1),
    ]
    for extra, fewer in cases:
        orbits = np.concatenate([sym.orbits, np.array(extra, np.int64)])
        after, _ = kernel_walk(orbits, ring, max_moves=0)
        assert len(after) == len(orbits) - fewer
        assert canon(to_state(after, ring), ring) in reduce_all(to_state(orbits, ring), ring)
        assert _tensor(after, ring) == _tensor(orbits, ring)
    assert verify(expand(sym))


@pytest.mark.parametrize("ring", ["z2", "zt", "z3"])
def test_long_walks_keep_the_scheme_valid(ring):
    sym = standard_c3(4, default_cubes(4), ring)
    orbits = sym.orbits
    for seed in range(1, 6):
        orbits, out = kernel_walk(orbits, ring, max_moves=20_000, plus_after=300, seed=seed)
        scheme = expand(SymmetricScheme(orbits, sym.cubes, ring))
        assert out[0] > 0
        assert verify(scheme) and sigma_invariant(scheme)


# --------------------------------------------------------------------------------- search
@pytest.mark.parametrize("ring", ["z2", "zt"])
def test_strategy_reaches_23_on_3x3x3(ring):
    sym = standard_c3(3, default_cubes(3, 23), ring)
    strategy = SymmetricStrategy(sym, (23 - len(sym.cubes)) // 3, pool_size=2,
                                 path_limit=1_000_000, plus_after=300, seed=1)
    for _ in range(500):
        strategy.step()
        if 3 * strategy.best[2] + len(sym.cubes) <= 23:
            break
    P, N, count = strategy.best
    scheme = expand(SymmetricScheme(unpack(P, N, count, 3, ring), sym.cubes, ring))
    assert scheme.rank == 23 and verify(scheme) and sigma_invariant(scheme)


def test_symmetric_search_from_a_start_scheme():
    start = standard(3, 3, 3, ring="z2")          # symmetric, three diagonal cubes: rank ≡ 0 mod 3
    settings = SearchSettings(target="3x3x3", ring="z2", target_rank=24, time_limit=20, seed=2,
                              start=start)
    result = symmetric_search(settings)
    assert result.reached_target and result.rank == 24
    assert verify(result.scheme) and sigma_invariant(result.scheme)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_search_symmetry_c3(tmp_path):
    result = invoke("search", "3x3x3", "--symmetry", "c3", "--ring", "zt", "--target-rank", 23,
                    "--time-limit", 20, "--out", tmp_path / "run", "--no-save")
    assert result.exit_code == 0, result.output
    scheme = io.load(tmp_path / "run" / "best.json")
    assert scheme.rank == 23 and verify(scheme) and sigma_invariant(scheme)


def test_cli_symmetry_needs_a_square_format(tmp_path):
    result = invoke("search", "3x4x4", "--symmetry", "c3", "--out", tmp_path, "--no-save")
    assert result.exit_code == 2
    assert "square" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_cli_symmetry_refuses_a_non_symmetric_start(tmp_path):
    s = standard(2, 2, 2, ring="z2")
    V, W = s.V.copy(), s.W.copy()
    V[0] ^= V[1]
    W[1] ^= W[0]
    path = tmp_path / "flipped.json"
    io.save(Scheme(s.target, s.U, V, W, "z2"), path)
    result = invoke("search", "2x2x2", "--symmetry", "c3", "--from", path,
                    "--out", tmp_path / "run", "--no-save")
    assert result.exit_code == 2
    assert "C3-symmetric" in result.output
