"""Exact products of generated routines (int64 bit for bit with numpy, Python ints, GF(p) of any
prime) at the edges of their float bounds; the matmul API (1-D, stacked, out=, bad dtypes); the
emitter's workaround for numpy's in-place negative; mod-p schemes kept out of codegen."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

import flipgraph
from flipgraph import classics
from flipgraph.cli import main
from flipgraph.codegen import module_source, multiply, routine, routine_for, runtime
from flipgraph.rings import Z
from flipgraph.slp import SLP


pytestmark = pytest.mark.usefixtures("private_cache")


def wrapped(A, B):
    """A·B mod 2^64 as signed int64, from exact Python ints (no numpy int loop involved)."""
    C = A.astype(object).dot(B.astype(object))
    return np.array((C + 2 ** 63) % 2 ** 64 - 2 ** 63, dtype=object).astype(np.int64)


def negated_output_slp():
    """1x1x4, rank 5: c0_0 = −z0 with z0 = m0 − 2·m1 = −a·b0 (an output the emitter negates in
    place; with p = 4 blocks, a (16, 4) C hands it a one-column view)."""
    return SLP(1, 1, 4, Z,
               left=[(f"l{q}", ((1, "a0_0"),)) for q in range(5)],
               right=[("r0", ((1, "b0_0"),)), ("r1", ((1, "b0_0"),))]
               + [(f"r{q}", ((1, f"b0_{q - 1}"),)) for q in range(2, 5)],
               c_side=[("z0", ((1, "m0"), (-2, "m1")))],
               outputs=[("c0_0", ((-1, "z0"),))] + [(f"c0_{k}", ((1, f"m{k + 1}"),))
                                                    for k in range(1, 4)])


def test_negation_avoids_numpys_in_place_defect():
    """numpy 2.4's np.negative(x, out=x) on a one-column view of a float32/int32 array is wrong;
    the emitted step never calls it, and its products are right in float32 and int32."""
    slp = negated_output_slp()
    assert slp.check()
    X = np.arange(1, 65, dtype=np.float32).reshape(16, 4)
    view = X[:, 1:2]
    np.negative(view, out=view)
    numpy_defect = not np.array_equal(X[:, 1], -np.arange(2, 65, 4, dtype=np.float32))
    mod = routine_for(slp, "negated")
    assert "np.negative" not in module_source(slp, "negated")
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((16, 1)), rng.standard_normal((1, 4))
    for dtype in (np.float32, np.float64):
        C = mod.matmul(A.astype(dtype), B.astype(dtype), levels=1)
        assert np.allclose(C, A.astype(dtype) @ B.astype(dtype), rtol=1e-6), (dtype, numpy_defect)
    Ai, Bi = rng.integers(-99, 100, (16, 1)), rng.integers(-99, 100, (1, 4))
    plan = [mod.STEP]
    for dtype in (np.int32, np.int64, np.float32):        # the step itself on the dtype
        C = runtime._execute(Ai.astype(dtype), Bi.astype(dtype), plan, np.dtype(dtype))
        assert np.array_equal(C, Ai @ Bi), (dtype, numpy_defect)
    assert np.array_equal(mod.matmul(Ai.astype(np.int32), Bi.astype(np.int32), levels=1), Ai @ Bi)


def kron_json(path, s, t, ring):
    """A native JSON file of the Kronecker product of schemes s and t, read in ``ring``."""
    def part(X, Y, rows1, cols1, rows2, cols2):
        Z = np.einsum("qab,scd->qsacbd", X.reshape(-1, rows1, cols1), Y.reshape(-1, rows2, cols2))
        return Z.reshape(X.shape[0] * Y.shape[0], -1)
    (n1, m1, p1), (n2, m2, p2) = s.format, t.format
    U = part(s.U.astype(int), t.U.astype(int), n1, m1, n2, m2)
    V = part(s.V.astype(int), t.V.astype(int), m1, p1, m2, p2)
    W = part(s.W.astype(int), t.W.astype(int), n1, p1, n2, p2)
    path.write_text(json.dumps({"flipgraph": 1, "format": [n1 * n2, m1 * m2, p1 * p2],
                                "ring": ring, "rank": len(U), "U": U.tolist(), "V": V.tolist(),
                                "W": W.tolist()}))
    return path


def test_mod_p_schemes_stay_out_of_codegen(tmp_path, monkeypatch):
    """A user database whose best 2x2x6 scheme is mod 2 (rank 21) beside a Z one (rank 24):
    `codegen 2x2x6` and multiply(scheme="2x2x6") take the Z one; the mod-2 file is refused."""
    from flipgraph.db import default_database

    monkeypatch.setenv("FLIPGRAPH_DB", str(tmp_path / "user.h5"))
    z2 = flipgraph.load(kron_json(tmp_path / "z2.json", classics.strassen(),
                                  flipgraph.scheme.standard(1, 1, 3), "z2"))
    assert z2.ring.name == "z2" and z2.rank == 21
    db = default_database()
    db.add(z2)
    db.add(flipgraph.scheme.standard(2, 2, 6))
    assert db.best(2, 2, 6, "z2")[0].ring.name == "z2"       # the trap is there, mod 2
    result = CliRunner().invoke(main, ["codegen", "2x2x6", "-o", str(tmp_path / "m.py")])
    assert result.exit_code == 0, result.output
    assert "rank 24" in result.output and (tmp_path / "m.py").exists()
    rng = np.random.default_rng(1)
    A, B = rng.integers(-9, 10, (4, 4)), rng.integers(-9, 10, (4, 12))
    assert np.array_equal(multiply(A, B, scheme="2x2x6", levels=1), A @ B)
    result = CliRunner().invoke(main, ["codegen", str(tmp_path / "z2.json"), "-o",
                                       str(tmp_path / "bad.py")])
    assert result.exit_code == 2 and "only valid mod 2" in result.output
    assert len(result.output.strip().splitlines()) <= 2 and "Traceback" not in result.output
    assert not (tmp_path / "bad.py").exists()
    with pytest.raises(flipgraph.SchemeError, match="only valid mod 2"):
        routine_for(z2, "z2scheme")


@pytest.mark.parametrize("levels", [0, 1, 2])
def test_int64_bit_identical_at_the_bounds(levels):
    """Sizes and magnitudes on both sides of the one-product bound N2·α·β·growth ≤ 2^53 and of
    every digit split, extreme entries included (−2^63 has no positive twin); bit for bit with
    numpy's wrap-around, which is computed here from exact Python ints."""
    growth = routine("winograd").STEP.growth ** levels
    rng = np.random.default_rng(levels)
    for n2 in (4, 9, 64):
        edge = int((2 ** 53 / (n2 * growth)) ** 0.5)            # α = β = edge: just fits
        for alpha in (edge - 1, edge, edge + 1, 2 ** 31, 2 ** 62, 2 ** 63):
            A = rng.integers(-alpha, alpha, (2 * n2 + 1, n2), endpoint=alpha < 2 ** 63)
            B = rng.integers(-alpha, alpha, (n2, n2 + 3), endpoint=alpha < 2 ** 63)
            A[0], B[:, 0] = -alpha if alpha < 2 ** 63 else -2 ** 63, alpha - (alpha == 2 ** 63)
            C = multiply(A, B, scheme="winograd", levels=levels)
            assert C.dtype == np.int64 and np.array_equal(C, wrapped(A, B)), (n2, alpha)
    small = rng.integers(-2 ** 20, 2 ** 20, (64, 64))
    with np.errstate(over="ignore"):
        assert np.array_equal(multiply(small, small, levels=levels), small @ small)


def test_other_integer_dtypes_wrap_like_numpy():
    rng = np.random.default_rng(3)
    for dtype in (np.int8, np.uint8, np.int16, np.int32, np.uint32, np.uint64):
        info = np.iinfo(dtype)
        A = rng.integers(info.min, info.max, (21, 30), dtype, endpoint=True)
        B = rng.integers(info.min, info.max, (30, 17), dtype, endpoint=True)
        with np.errstate(over="ignore"):
            want = A @ B
        C = multiply(A, B, scheme="winograd", levels=2)
        assert C.dtype == want.dtype and np.array_equal(C, want), dtype


def test_digit_choice_keeps_every_product_exact():
    """Whatever the engine picks, digit bound × digit bound × N2 × growth stays below the leaf
    dtype's exact range, and the full-range int64 split at n = 2048 needs 6 digit products."""
    step = routine("winograd").STEP
    rng = np.random.default_rng(4)
    for _ in range(200):
        n2 = int(rng.integers(1, 10 ** 5))
        alpha, beta = (int(x) for x in 2 ** rng.uniform(0, 70, 2))
        depth = int(rng.integers(0, 4))
        plans = {dtype: [step] * depth for dtype in runtime._EXACT}
        for mode in ("wrap", "exact", 65537):
            _, dtype, plan, kx, ky = runtime._choose(n2, alpha, beta, plans, mode)
            dx, dy = min(alpha, 2 ** (kx - 1)), min(beta, 2 ** (ky - 1))
            assert dx * dy * n2 * step.growth ** len(plan) <= runtime._EXACT[dtype][0]
    _, dtype, plan, kx, ky = runtime._choose(2048, 2 ** 63, 2 ** 63, {np.dtype(np.float64): []},
                                             "wrap")
    assert runtime._pairs(runtime._count(2 ** 63, kx), kx, runtime._count(2 ** 63, ky), ky,
                          "wrap") == 6


def test_levels_dropped_when_they_would_need_more_digits():
    """With a cutoff that allows two levels, entries 2^22 at N2 = 256 fit one float product only
    without recursion (256·2^44·9 > 2^53): the engine runs no level rather than split."""
    step = routine("winograd").STEP
    calls = []
    spy = step._replace(fn=lambda *a: (calls.append(1), step.fn(*a)))
    A = np.full((256, 256), 2 ** 22)
    assert np.array_equal(runtime.run(A, -A, [spy], cutoff=64), A @ -A)       # < 2^63
    assert calls == []
    assert np.array_equal(runtime.run(A >> 12, A >> 12, [spy], cutoff=64), (A >> 12) @ (A >> 12))
    assert calls                                           # small entries: the levels are kept


@pytest.mark.parametrize("levels", [0, 1, 2])
def test_python_ints_exact(levels):
    rng = np.random.default_rng(levels)
    for bits in (10, 60, 300):
        A = np.array([[int(x) << bits | 12345 for x in row]
                      for row in rng.integers(-9, 10, (13, 18))], dtype=object)
        B = np.array([[-int(x) << (bits // 2) for x in row]
                      for row in rng.integers(-9, 10, (18, 7))], dtype=object)
        C = multiply(A, B, scheme="winograd", levels=levels)
        assert C.dtype == object and (C == A.dot(B)).all()
        assert all(type(x) is int for x in C.flat)


@pytest.mark.parametrize("p", [2, 2 ** 26 - 5, 2 ** 31 - 1, 2 ** 61 - 1, 2 ** 89 - 1])
def test_galois_large_primes_exact(p):
    """Limbs past 2^26, Horner's rule mod p past 2^63 for the sum, Python ints past 2^63 (galois
    object arrays), on random and extreme entries (all p − 1, all (p + 1)/2, the most negative
    centred representative); against Python ints."""
    galois = pytest.importorskip("galois")
    field = galois.GF(p)
    B = field.Random((40, 17), seed=2)
    for A in (field.Random((23, 40), seed=1), field(np.full((23, 40), p - 1)),
              field(np.full((23, 40), (p + 1) // 2))):
        X, Y = A.view(np.ndarray).astype(object), B.view(np.ndarray).astype(object)
        want = X.dot(Y) % p
        for levels in (0, 1, 2):
            C = multiply(A, B, scheme="winograd", levels=levels)
            assert type(C) is field and (C.view(np.ndarray).astype(object) == want).all(), levels


def test_matmul_api_like_numpy():
    rng = np.random.default_rng(5)
    A, B = rng.standard_normal((3, 1, 20, 30)), rng.standard_normal((4, 30, 10))
    assert np.allclose(multiply(A, B, levels=1), A @ B)
    S, v = rng.integers(-99, 99, (2, 20, 30)), rng.integers(-9, 9, 30)
    assert np.array_equal(multiply(S, v, levels=1), S @ v)
    assert np.array_equal(multiply(v[:20], S, levels=1), v[:20] @ S)
    assert multiply(v, v) == v @ v and np.ndim(multiply(v, v)) == 0
    X, Y = rng.standard_normal((20, 30)), rng.standard_normal((30, 10))
    out = np.empty((20, 10))
    assert multiply(X, Y, levels=1, out=out) is out and np.allclose(out, X @ Y)
    out = np.empty((2, 20), np.int64)
    assert multiply(S, v, out=out) is out and np.array_equal(out, S @ v)
    galois = pytest.importorskip("galois")
    F = galois.GF(31)
    G, H = F.Random((3, 8, 9), seed=1), F.Random((9, 4), seed=2)
    assert type(multiply(G, H, levels=1)) is F and np.array_equal(multiply(G, H, levels=1), G @ H)


@pytest.mark.parametrize("args, message", [
    ((np.ones((3, 3), bool), np.ones((3, 3), bool)), "unsupported dtype bool"),
    ((np.array([["a"]]), np.array([["b"]])), "unsupported dtype <U1"),
    ((np.ones((3, 4)), np.ones((5, 3))), "do not multiply"),
    ((np.ones((2, 3, 4)), np.ones((3, 4, 5))), "do not broadcast"),
    ((np.ones(3), 2.0), "not scalars")])
def test_bad_operands_are_operand_errors(args, message):
    with pytest.raises(flipgraph.OperandError, match=message) as info:
        multiply(*args)
    assert "\n" not in str(info.value)
    with pytest.raises(flipgraph.OperandError, match="out must be"):
        multiply(np.ones((3, 3)), np.ones((3, 3)), out=np.empty((2, 2)))
