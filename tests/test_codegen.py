"""Generated multiply routines: correctness over shapes, levels, dtypes and schemes; the emitter's
in-place discipline; the standalone module; the CLI; tuning."""
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner

import flipgraph
from flipgraph import classics, verify
from flipgraph.cli import main
from flipgraph.codegen import module_source, multiply, routine, routine_for
from flipgraph.codegen.emit import step_source
from flipgraph.codegen.cutoffs import tuned_cutoffs
from flipgraph.codegen.tune import choose, tune
from flipgraph.scheme import Scheme

SHAPES = [(1, 1, 1), (2, 2, 2), (7, 5, 3), (16, 16, 16), (33, 17, 40), (45, 45, 45), (9, 64, 2)]


pytestmark = pytest.mark.usefixtures("private_cache")


def kron(s: Scheme, t: Scheme) -> Scheme:
    """The Kronecker product of two schemes: format (n1n2, m1m2, p1p2), rank r1·r2."""
    def part(X, Y, rows1, cols1, rows2, cols2):
        r1, r2 = X.shape[0], Y.shape[0]
        Z = np.einsum("qab,scd->qsacbd", X.reshape(r1, rows1, cols1), Y.reshape(r2, rows2, cols2))
        return Z.reshape(r1 * r2, rows1 * rows2 * cols1 * cols2)
    (n1, m1, p1), (n2, m2, p2) = s.format, t.format
    return Scheme((n1 * n2, m1 * m2, p1 * p2), part(s.U, t.U, n1, m1, n2, m2),
                  part(s.V, t.V, m1, p1, m2, p2), part(s.W, t.W, n1, p1, n2, p2), s.ring)


@pytest.fixture(scope="module")
def scheme_233():
    from flipgraph.db import default_database

    found = default_database().best(2, 3, 3)
    if found is not None and found[0].rank == 15:
        return found[0]
    z2 = flipgraph.search("2x3x3", target_rank=15, time_limit=30, seed=1).scheme
    lifted = flipgraph.lift(z2).scheme
    assert verify(lifted) and lifted.rank == 15
    return lifted


def rand(kind, shape, rng):
    if kind == "float64":
        return rng.standard_normal(shape)
    if kind == "float32":
        return rng.standard_normal(shape).astype(np.float32)
    if kind == "int64":
        return rng.integers(-50, 50, shape)
    return np.array([[Fraction(int(x), int(y)) for x, y in zip(r1, r2)] for r1, r2 in
                     zip(rng.integers(-9, 10, shape), rng.integers(1, 5, shape))], dtype=object)


@pytest.mark.parametrize("kind", ["float64", "float32", "int64", "object"])
@pytest.mark.parametrize("levels", [0, 1, 2, 3])
def test_winograd_shapes_levels_dtypes(kind, levels):
    mod = routine("winograd")
    rng = np.random.default_rng(levels)
    for n1, n2, n3 in SHAPES:
        A, B = rand(kind, (n1, n2), rng), rand(kind, (n2, n3), rng)
        C = mod.matmul(A, B, levels=levels)
        assert C.shape == (n1, n3) and C.dtype == (A @ B).dtype
        if kind.startswith("float"):
            tol = 1e-4 if kind == "float32" else 1e-11
            assert np.allclose(C, A @ B, rtol=tol, atol=tol * n2)
        else:
            assert (C == A.dot(B)).all()


@pytest.mark.parametrize("p", [2, 31, 65521])
def test_galois_prime_fields_exact(p):
    galois = pytest.importorskip("galois")
    field = galois.GF(p)
    for n1, n2, n3 in [(17, 33, 9), (64, 64, 64)]:
        A, B = field.Random((n1, n2), seed=1), field.Random((n2, n3), seed=2)
        for levels in (1, 2):
            C = multiply(A, B, scheme="winograd", levels=levels)
            assert type(C) is field and np.array_equal(C, A @ B)


@pytest.mark.parametrize("p, n", [(31, 920), (31, 924), (1048573, 404), (1048573, 408)])
def test_galois_exact_at_the_float_bounds(p, n):
    """Two Winograd levels (growth 81) with sizes on both sides of each exactness bound
    (n·(p//2)²·81 ≤ 2^24 for float32, ≤ 2^53 for float64, else digits), on random entries and on
    the extreme ones (all p−1, all (p+1)/2 = −p//2 centred); the reference is one float64
    product, exact for these sizes without recursion."""
    galois = pytest.importorskip("galois")
    field = galois.GF(p)
    for A in (field.Random((n, n), seed=5), field(np.full((n, n), p - 1)),
              field(np.full((n, n), (p + 1) // 2))):
        X = A.view(np.ndarray).astype(np.float64)
        assert n * (p - 1) ** 2 < 2 ** 53
        want = np.remainder(X @ X, p).astype(np.int64)
        assert np.array_equal(multiply(A, A, scheme="winograd", levels=2).view(np.ndarray), want)


def test_large_prime_uses_python_ints():
    galois = pytest.importorskip("galois")
    field = galois.GF(2 ** 61 - 1)
    A, B = field.Random((9, 8), seed=3), field.Random((8, 7), seed=4)
    assert np.array_equal(multiply(A, B, scheme="strassen", levels=2), A @ B)


def test_int64_overflow_is_bit_exact():
    rng = np.random.default_rng(5)
    A = rng.integers(-2 ** 62, 2 ** 62, (40, 40))
    B = rng.integers(-2 ** 62, 2 ** 62, (40, 40))
    with np.errstate(over="ignore"):
        assert np.array_equal(multiply(A, B, scheme="winograd", levels=3), A @ B)


def test_shipped_schemes(scheme_233):
    from flipgraph.db import Database, shipped_path

    rng = np.random.default_rng(7)
    s444 = kron(classics.strassen(), classics.strassen())
    assert verify(s444) and s444.rank == 49
    searched_444 = Database(shipped_path()).best(4, 4, 4, ring="z")   # our own search, lifted
    schemes = [classics.strassen(), classics.laderman(), scheme_233, s444]
    if searched_444 is not None:
        assert searched_444[0].rank == 49 and verify(searched_444[0])
        schemes.append(searched_444[0])
    for scheme in schemes:
        mod = routine_for(scheme, f"t{scheme.format_str.replace('x', '')}")
        assert mod.STEP.rank == scheme.rank and mod.STEP.format == scheme.format
        for levels in (1, 2):
            n, m, p = (d ** levels + 3 for d in scheme.format)
            A, B = rng.integers(-9, 10, (n, m)), rng.integers(-9, 10, (m, p))
            assert np.array_equal(mod.matmul(A, B, levels=levels), A @ B)
            X, Y = rng.standard_normal((n, m)), rng.standard_normal((m, p))
            assert np.allclose(mod.matmul(X, Y, levels=levels), X @ Y, atol=1e-10)


def test_mixed_schemes_per_level():
    rng = np.random.default_rng(8)
    A, B = rng.integers(-9, 10, (61, 50)), rng.integers(-9, 10, (50, 37))
    C = multiply(A, B, scheme=["laderman", "winograd", classics.strassen()], levels=3)
    assert np.array_equal(C, A @ B)


def test_best_and_format_names():
    A = np.arange(30.0).reshape(5, 6)
    B = np.arange(42.0).reshape(6, 7)
    assert np.allclose(flipgraph.multiply(A, B, levels=1), A @ B)
    assert np.allclose(multiply(A, B, scheme="3x3x3", levels=1), A @ B)
    from flipgraph.generated import winograd, laderman
    assert winograd.ADDITIONS == 15 and laderman.STEP.rank == 23


def test_rational_scheme_float_and_object_not_int():
    s = classics.strassen()
    half = Scheme((2, 2, 2), s.U * 2, s.V, [[Fraction(int(x), 2) for x in row] for row in s.W],
                  flipgraph.Q)
    assert verify(half)
    mod = routine_for(half, "halves")
    assert any(c == Fraction(1, 2) for c in mod.STEP.coefs)
    A = np.arange(25).reshape(5, 5)
    assert (mod.matmul(A.astype(object), A.astype(object), levels=2) == A @ A).all()
    assert np.allclose(mod.matmul(A.astype(float), A.astype(float), levels=2), A @ A)
    with pytest.raises(ValueError, match="fractional"):
        mod.matmul(A, A, levels=1)


def test_bad_shapes_are_value_errors():
    with pytest.raises(ValueError, match="do not multiply"):
        multiply(np.ones((3, 4)), np.ones((5, 3)))
    with pytest.raises(ValueError, match="unsupported dtype"):
        multiply(np.ones((3, 3), bool), np.ones((3, 3), bool))


def test_emitted_step_is_in_place():
    """Every numpy call writes into a preallocated buffer or a view of C (out=), aliases cost no
    copy, and Winograd's 15 additions are exactly the ufunc calls emitted."""
    from flipgraph.codegen.source import slp_of
    slp = slp_of(classics.winograd())
    source, buffers, consts = step_source(slp, "_s")
    calls = [line.strip() for line in source.splitlines() if line.strip().startswith("np.")]
    assert all("out=" in c for c in calls)
    assert "np.empty" not in source and "copy" not in source
    assert len(calls) == slp.additions.total == 15
    assert source.count("inner(") == 7 and consts == []
    assert sum(buffers) <= 4           # C's views hold products; the product order is searched


def test_cutoff_picks_levels():
    mod = routine("winograd")
    A = np.ones((64, 64), np.int64)
    calls = []
    step = mod.STEP._replace(fn=lambda *a: (calls.append(a[0].shape), mod.STEP.fn(*a)))
    from flipgraph.codegen.runtime import run
    assert (run(A, A, [step], cutoff=16) == A @ A).all()
    assert calls[0] == (64, 64) and set(calls[1:]) == {(32, 32)}     # 64 -> 32 -> 16 (leaf)


def test_standalone_module_needs_only_numpy(tmp_path):
    result = CliRunner().invoke(main, ["codegen", "winograd", "-o", str(tmp_path / "mymul.py")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "mymul.py").read_text()
    imports = [l for l in text.splitlines() if l.startswith(("import ", "from "))]
    assert all("flipgraph" not in l for l in imports)
    code = ("import sys; sys.modules['flipgraph'] = None\n"
            "import numpy as np; from mymul import matmul\n"
            "A = np.arange(999 * 77).reshape(999, 77) % 13; B = A.T.copy()\n"
            "assert (matmul(A, B, levels=3) == A @ B).all(); print('ok')")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_cli_bad_input_one_line_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["codegen", "no-such-thing", "-o", str(tmp_path / "x.py")])
    assert result.exit_code == 2 and "no such file" in result.output
    assert not (tmp_path / "x.py").exists()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(main, ["codegen", str(bad), "-o", str(tmp_path / "x.py")])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_invalid_scheme_is_refused():
    s = classics.strassen()
    U = s.U.copy()
    U[0, 0] += 1
    with pytest.raises(flipgraph.SchemeError):
        module_source(Scheme((2, 2, 2), U, s.V, s.W, s.ring), "broken")


def test_choose_cutoff():
    assert choose([(32, 1.0, 2.0), (64, 1.0, 0.9), (128, 1.0, 0.8)]) == 32
    assert choose([(32, 1.0, 0.5), (64, 1.0, 1.1), (128, 1.0, 0.8)]) == 64
    assert choose([(32, 1.0, 2.0), (64, 1.0, 2.0)]) == 64


def test_tune_stores_cutoffs():
    result = tune(kinds=("object",), max_sizes={"object": 16}, repeats=1)
    assert tuned_cutoffs()["object"] == result["object"] in (4, 8, 16)


def test_workspace_pool_is_reused_and_released():
    from flipgraph.codegen import release, runtime
    release()
    A = np.arange(64.0 * 64).reshape(64, 64) % 7
    multiply(A, A, scheme="winograd", levels=1)
    kept = {id(b) for idle in runtime._POOL.values() for b in idle}
    assert len(kept) == sum(routine("winograd").STEP.buffers)
    step = routine("winograd").STEP
    seen = []
    spy = step._replace(fn=lambda A, B, C, ws, *rest: (seen.extend(id(b) for c in ws for b in c),
                                                       step.fn(A, B, C, ws, *rest)))
    assert np.array_equal(runtime.run(A, A, [spy], levels=1), A @ A)
    assert set(seen) == kept
    multiply(A.astype(object), A.astype(object), scheme="winograd", levels=1)
    assert all(b.dtype != object for idle in runtime._POOL.values() for b in idle)
    release()
    assert not runtime._POOL


def test_sum_without_unit_coefficient_keeps_its_operands():
    """l1 = x0/2 − x1/2 with both x dying: the buffer of x1 must not receive x0/2 before x1 is
    read (the emitter lends a dying operand's buffer only to a statement that reads it first)."""
    from flipgraph.slp import SLP
    half = Fraction(1, 2)
    slp = SLP(1, 2, 1, flipgraph.Q,
              a_side=[("x0", ((1, "a0_0"), (1, "a0_1"))), ("x1", ((1, "a0_0"), (-1, "a0_1")))],
              left=[("l0", ((half, "x0"), (half, "x1"))), ("l1", ((half, "x0"), (-half, "x1")))],
              right=[("r0", ((1, "b0_0"),)), ("r1", ((1, "b1_0"),))],
              outputs=[("c0_0", ((1, "m0"), (1, "m1")))])
    assert slp.check()
    mod = routine_for(slp, "halfsums")
    A, B = np.arange(1.0, 13.0).reshape(3, 4), np.arange(1.0, 21.0).reshape(4, 5)
    assert np.allclose(mod.matmul(A, B, levels=1), A @ B)
