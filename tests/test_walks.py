"""The Z2 walk kernel against a slow pure-Python reference, and the search built on it.

Reference moves act on lists of terms (a, b, c) of Python ints (bit masks, GF(2) vectors):
the kernel's single flip must be one of the reference's flips (followed by its reductions), its
plus transition one of the reference's plus transitions, and any sequence of moves must keep the
represented tensor sum_q a_q ⊗ b_q ⊗ c_q (mod 2) — so a valid scheme stays valid.
"""
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import flipgraph
from flipgraph import classics, standard, verify
from flipgraph.walks import InlineExecutor, PoolStrategy, SearchSettings, Walker, run_search, search
from flipgraph.walks._kernel import RING_Z2, walk
from flipgraph.walks.packing import pack_z2, unpack_z2
from flipgraph.walks.pool import canonical_key

BITS = 4   # factor width of the random term lists (2x2 matrices)
#: Packed words per factor -> where the kernel stores the BITS entries (wide: across word borders).
POSITIONS = {1: (0, 1, 2, 3), 2: (0, 63, 64, 127), 4: (1, 64, 191, 255)}


# ----------------------------------------------------------------- pure-Python reference
def canon(terms):
    return tuple(sorted(terms))


def reduce_all(terms):
    """Every result of applying reductions (zero factor -> drop; two shared factors -> merge)
    in any order until none applies."""
    terms = [t for t in terms if all(t)]
    for i, j in itertools.combinations(range(len(terms)), 2):
        ti, tj = terms[i], terms[j]
        shared = [k for k in range(3) if ti[k] == tj[k]]
        if len(shared) >= 2:
            results = set()
            for z in range(3):
                if all(ti[k] == tj[k] for k in range(3) if k != z):
                    merged = list(ti)
                    merged[z] = ti[z] ^ tj[z]
                    rest = [t for k, t in enumerate(terms) if k not in (i, j)]
                    results |= reduce_all(rest + [tuple(merged)])
            return results
    return {canon(terms)}


def reference_flips(terms):
    """All schemes one flip (plus its reductions) away: t1 = a⊗b⊗c, t2 = a⊗b'⊗c' sharing the
    factor in mode s -> t1 gets b+b' in mode m1, t2 gets c'+c in mode m2 (m1, m2 the other two)."""
    out = set()
    for i, j in itertools.permutations(range(len(terms)), 2):
        for s in range(3):
            if terms[i][s] != terms[j][s]:
                continue
            for m1, m2 in (((s + 1) % 3, (s + 2) % 3), ((s + 2) % 3, (s + 1) % 3)):
                t1, t2 = list(terms[i]), list(terms[j])
                t1[m1] ^= terms[j][m1]
                t2[m2] ^= terms[i][m2]
                rest = [t for k, t in enumerate(terms) if k not in (i, j)]
                out |= reduce_all(rest + [tuple(t1), tuple(t2)])
    return out


def reference_plus(terms):
    """All plus transitions: a⊗b⊗c + a'⊗b'⊗c' -> (a+a')⊗b⊗c + a'⊗b⊗c + a'⊗b'⊗c'."""
    out = set()
    for i, j in itertools.permutations(range(len(terms)), 2):
        for x in range(3):
            y, z = (x + 1) % 3, (x + 2) % 3
            if any(terms[i][k] == terms[j][k] for k in range(3)):
                continue
            t1 = list(terms[i])
            t1[x] ^= terms[j][x]
            t3 = [0, 0, 0]
            t3[x], t3[y], t3[z] = terms[j][x], terms[i][y], terms[i][z]
            rest = [t for k, t in enumerate(terms) if k != i]
            out.add(canon(rest + [tuple(t1), tuple(t3)]))
    return out


def tensor(terms):
    T = np.zeros((BITS, BITS, BITS), dtype=np.int64)
    for a, b, c in terms:
        va, vb, vc = ([(x >> e) & 1 for e in range(BITS)] for x in (a, b, c))
        T += np.einsum("i,j,k->ijk", va, vb, vc)
    return T % 2


# ----------------------------------------------------------------- helpers
def random_terms(rnd, rank, *, collisions):
    """Random terms without zero factors and without pairs sharing two factors; with
    ``collisions`` some factors are shared (so flips exist), else all factors are distinct."""
    while True:
        pool = [rnd.randrange(1, 2 ** BITS) for _ in range(3)]
        terms = []
        for _ in range(rank):
            term = tuple(rnd.choice(pool) if collisions and rnd.random() < 0.4
                         else rnd.randrange(1, 2 ** BITS) for _ in range(3))
            terms.append(term)
        pairs = list(itertools.combinations(terms, 2))
        two_shared = any(sum(x == y for x, y in zip(s, t)) >= 2 for s, t in pairs)
        one_shared = any(sum(x == y for x, y in zip(s, t)) >= 1 for s, t in pairs)
        if not two_shared and one_shared == collisions:
            return terms


def pack(terms, capacity, words=1):
    """Terms of BITS-bit ints -> uint64[3, capacity, words], bit i at POSITIONS[words][i]."""
    F = np.zeros((3, capacity, words), dtype=np.uint64)
    for q, term in enumerate(terms):
        for mode, x in enumerate(term):
            wide = sum(1 << e for i, e in enumerate(POSITIONS[words]) if x >> i & 1)
            F[mode, q] = [(wide >> (64 * w)) & (2 ** 64 - 1) for w in range(words)]
    return F


def unpack(F, rank):
    positions = POSITIONS[F.shape[2]]
    terms = []
    for q in range(rank):
        wide = [sum(int(v) << (64 * w) for w, v in enumerate(F[mode, q])) for mode in range(3)]
        assert all(x & ~sum(1 << e for e in positions) == 0 for x in wide)   # only the entries
        terms.append(tuple(sum((x >> e & 1) << i for i, e in enumerate(positions)) for x in wide))
    return terms


def run(F, rank, *, moves, plus_after=0, max_rank=None, seed=1, target=0):
    out = np.zeros(5, dtype=np.int64)
    rng = np.array([seed], dtype=np.uint64)
    new_rank = walk(F, rank, RING_Z2, target, moves, plus_after, max_rank or rank, rng, out,
                    np.zeros((3, 0, F.shape[2]), np.uint64))
    return int(new_rank), int(out[0]), int(out[1])


# ----------------------------------------------------------------- kernel moves vs reference
@pytest.mark.parametrize("words", [1, 2, 4])
@pytest.mark.parametrize("seed", range(40))
def test_single_flip_matches_reference(seed, words):
    rnd = random.Random(seed)
    terms = random_terms(rnd, rnd.randrange(4, 9), collisions=True)
    F = pack(terms, len(terms) + 2, words)
    rank, flips, plus = run(F, len(terms), moves=1, seed=seed + 1)
    assert (flips, plus) == (1, 0)
    assert canon(unpack(F, rank)) in reference_flips(terms)
    assert np.array_equal(tensor(unpack(F, rank)), tensor(terms))


@pytest.mark.parametrize("words", [1, 2, 4])
@pytest.mark.parametrize("seed", range(20))
def test_plus_transition_matches_reference(seed, words):
    rnd = random.Random(1000 + seed)
    terms = random_terms(rnd, rnd.randrange(3, 7), collisions=False)
    F = pack(terms, len(terms) + 2, words)
    rank, flips, plus = run(F, len(terms), moves=1, plus_after=1, max_rank=len(terms) + 1,
                            seed=seed + 1)
    assert (rank, flips, plus) == (len(terms) + 1, 0, 1)
    assert canon(unpack(F, rank)) in reference_plus(terms)


@pytest.mark.parametrize("words", [1, 2, 4])
@pytest.mark.parametrize("seed", range(10))
def test_reductions_merge_and_drop(seed, words):
    """Terms sharing two factors merge at the start of a walk; equal terms cancel (mod 2)."""
    rnd = random.Random(2000 + seed)
    terms = random_terms(rnd, 5, collisions=True)
    a, b, c = terms[0]
    c2 = c ^ 1 if c ^ 1 else 2
    doubled = terms + [(a, b, c2), terms[1]]            # merges into (a, b, c^c2); t1 cancels
    F = pack(doubled, len(doubled), words)
    rank, flips, _ = run(F, len(doubled), moves=0)
    assert flips == 0
    assert np.array_equal(tensor(unpack(F, rank)), tensor(doubled))
    assert canon(unpack(F, rank)) in reduce_all(doubled)


@pytest.mark.parametrize("words", [1, 2, 4])
@pytest.mark.parametrize("seed", range(8))
def test_long_walks_keep_the_tensor(seed, words):
    rnd = random.Random(3000 + seed)
    terms = random_terms(rnd, 10, collisions=True)
    F = pack(terms, 16, words)
    rank, flips, plus = run(F, 10, moves=5000, plus_after=20, max_rank=14, seed=seed + 7)
    assert flips + plus > 0
    assert np.array_equal(tensor(unpack(F, rank)), tensor(terms))
    assert rank <= 10 + plus


@pytest.mark.parametrize("fmt", [(2, 2, 2), (2, 3, 4), (3, 3, 3), (4, 4, 4),
                                 (2, 2, 33), (1, 16, 16)])          # wide: 2 and 4 words
def test_walks_from_real_schemes_stay_valid(fmt):
    s = standard(*fmt)
    F = pack_z2(s, s.rank + 4)
    rank = s.rank
    walker = Walker("z2", rng_state=1)
    for _ in range(3):                           # three walks in a row on the same scheme
        walked = walker.walk(F, rank, target_rank=1, max_moves=20000, plus_after=500)
        assert walked.flips > 0 and walked.best is None
        rank = walked.rank
        assert verify(unpack_z2(F, rank, fmt), "z2")


def test_walker_results_and_generator_state():
    """Same generator state, same moves; the kept best is the lowest rank met, valid."""
    s = standard(3, 3, 3)
    runs = []
    for _ in range(2):
        F = pack_z2(s, 31)
        walker = Walker("z2", rng_state=12345)
        walked = walker.walk(F, 27, target_rank=0, max_moves=30000, plus_after=300,
                             keep_best=True)
        runs.append((walked, F, walker.rng_state))
    (a, Fa, state_a), (b, Fb, state_b) = runs
    assert (a.rank, a.flips, a.plus, a.best_rank, a.best_nonzeros) == \
        (b.rank, b.flips, b.plus, b.best_rank, b.best_nonzeros)
    assert np.array_equal(Fa[:, :a.rank], Fb[:, :b.rank]) and state_a == state_b != 12345
    assert a.flips + a.plus + a.rejected == 30000 and a.plus > 0   # rejected: failed plus draws
    assert a.best.shape[:2] == (3, a.best_rank) and a.best_rank <= a.rank
    assert verify(unpack_z2(a.best, a.best_rank, (3, 3, 3)), "z2")
    with pytest.raises(ValueError):
        Walker("z2", rng_state=0)


# ----------------------------------------------------------------- search
def pool_strategy(fmt, capacity, target, **settings):
    s = standard(*fmt)
    return PoolStrategy(pack_z2(s, capacity), s.rank, target, **settings)


def test_pool_search_is_reproducible():
    keys = []
    for _ in range(2):
        strategy = pool_strategy((3, 3, 3), 32, 23, pool_size=4, path_limit=100_000,
                                 plus_after=2000, seed=11)
        strategy.run(time_limit=30)
        keys.append((strategy.best_rank, canonical_key(strategy.best, strategy.best_rank),
                     strategy.flips))
    assert keys[0][0] == 23 and keys[0] == keys[1]


def same_state(a, b):
    """Equal strategy states (arrays compared by value; the clock is not part of it)."""
    assert a.keys() == b.keys()
    for key in a:
        if key != "elapsed":
            assert np.array_equal(a[key], b[key]) if isinstance(a[key], np.ndarray) \
                else a[key] == b[key], key
    return True


@pytest.mark.parametrize("ring,reset", [("z2", 0), ("z2", 20_000), ("zt", 0)])
def test_saved_strategy_continues_like_the_uninterrupted_one(ring, reset):
    from flipgraph.walks.packing import pack
    s = standard(3, 3, 4)
    settings = dict(pool_size=3, path_limit=10_000, plus_after=500, seed=7, ring=ring,
                    reset_flips=reset)
    whole = PoolStrategy(pack(s, ring, 42), 36, 0, **settings)
    halves = PoolStrategy(pack(s, ring, 42), 36, 0, **settings)
    for _ in range(40):
        whole.step()
        halves.step()
    saved = halves.state()
    del halves
    as_json = json.loads(json.dumps(saved, default=lambda array: array.tolist()))
    restored = PoolStrategy.from_state(as_json)      # plain data survives a JSON round trip
    assert same_state(restored.state(), saved)
    assert saved["walks"] == 40 and len(saved["pool"]) >= 1 and saved["flips"] > 0
    trail_whole, trail_restored = [], []
    for _ in range(120):
        trail_whole.append(whole.step() is not None)
        trail_restored.append(restored.step() is not None)
        assert (whole.level, whole.flips, len(whole.next_pool)) == \
            (restored.level, restored.flips, len(restored.next_pool))
    assert same_state(whole.state(), restored.state())
    assert trail_whole == trail_restored and whole.best_rank < 36
    if reset:
        assert whole.restarts > 0


@pytest.mark.parametrize("fmt,target", [((2, 2, 2), 7), ((2, 3, 3), 15), ((3, 3, 3), 23),
                                        ((3, 3, 4), 29)])
def test_search_reaches_known_ranks(fmt, target):
    result = search(fmt, target_rank=target, time_limit=60, seed=3)
    assert result.rank == target and result.reached_target
    assert result.scheme.format == fmt and verify(result.scheme, "z2")


def test_search_from_a_scheme_file_start():
    result = search("3x3x3", target_rank=23, start=classics.laderman(), time_limit=10, seed=1)
    assert result.rank <= 23 and verify(result.scheme, "z2")


def test_parallel_workers_report_and_return_a_verified_best():
    result = search("3x3x4", target_rank=29, workers=2, time_limit=60, seed=3)
    assert result.reached_target and verify(result.scheme, "z2")
    assert len(result.workers) == 2 and all(w["flips"] > 0 for w in result.workers)
    assert result.flips == sum(w["flips"] for w in result.workers)


def test_progress_and_log(tmp_path):
    seen = []
    log = tmp_path / "log.jsonl"
    result = search("3x3x3", target_rank=23, seed=1, on_progress=seen.append, log_path=log)
    assert seen and seen[-1]["final"] and seen[-1]["best_rank"] == result.rank == 23
    header, *records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records == seen
    assert header["header"]["format"] == "3x3x3" and header["header"]["target_rank"] == 23
    assert header["header"]["backend"] == {"kind": "inline"}


def test_reset_starts_over_and_keeps_the_best():
    strategy = pool_strategy((3, 3, 4), 44, 0, pool_size=2, path_limit=200_000,
                             plus_after=2000, seed=5, reset_flips=2_000_000)
    strategy.run(time_limit=3)
    assert strategy.restarts > 0                    # target 0 is never reached: it keeps resetting
    rank = strategy.best_rank
    assert rank <= 30 and verify(unpack_z2(strategy.best, rank, (3, 3, 4)), "z2")


def test_inline_executor_takes_turns_between_workers():
    settings = SearchSettings("3x3x3", target_rank=23, workers=2, time_limit=60, seed=3)
    result = run_search(settings, executor=InlineExecutor(turn=0.001))
    assert result.reached_target and verify(result.scheme, "z2")
    assert len(result.workers) == 2 and all(w["walks"] > 0 for w in result.workers)


def _children(pid):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _running(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"                              # a zombie has exited


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_search_leaves_no_worker_running():
    script = ("import flipgraph\n"
              "flipgraph.search('4x4x4', workers=2, time_limit=60,\n"
              "                 on_progress=lambda record: print('running', flush=True))\n")
    root = str(Path(flipgraph.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              env=env)
    try:
        assert parent.stdout.readline().strip() == "running"     # the workers have reported
        workers = _children(parent.pid)
        assert len(workers) >= 2 and all(_running(w) for w in workers)
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 10
    while any(_running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = [w for w in workers if _running(w)]
    for w in survivors:                              # leave nothing behind when the test fails
        os.kill(w, signal.SIGKILL)
    assert not survivors
