"""flipgraph.gram (A·Aᵀ by a structured gt:N scheme) and `flipgraph codegen gt:N`."""
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

import flipgraph
from flipgraph.cli import main
from flipgraph.codegen import aat_runtime
from flipgraph.codegen.aat import gram_scheme, gram_step
from flipgraph.errors import FlipgraphError, OperandError, SchemeError
from flipgraph.scheme import standard
from flipgraph.tensors import structured

SHAPES = [(8, 8), (13, 9), (16, 21), (33, 64), (1, 5), (5, 1), (0, 3), (3, 0)]


@pytest.mark.parametrize("scheme", [None, "gt:4", ["gt:3", None]])
@pytest.mark.parametrize("levels", [None, 1, 2])
def test_int64_is_bit_identical_to_numpy(scheme, levels):
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        A = rng.integers(-999, 1000, shape)
        C = flipgraph.gram(A, scheme=scheme, levels=levels, cutoff=2)
        assert C.dtype == np.int64 and np.array_equal(C, A @ A.T), shape


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint64, np.int8])
def test_wrap_around_like_numpy(dtype):
    """Entries too large for float64: the exact engine, wrapping exactly as numpy's matmul."""
    rng = np.random.default_rng(1)
    info = np.iinfo(dtype)
    for shape in ((16, 21), (13, 9)):
        A = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
        with np.errstate(over="ignore"):
            want = A @ A.T
        C = flipgraph.gram(A, levels=2, cutoff=2)
        assert C.dtype == want.dtype and np.array_equal(C, want)


def test_float_path_is_taken_up_to_the_bound(monkeypatch):
    """K·max|A|² < 2^53 runs in float64 (and is still exact at 2^52); beyond, the exact engine."""
    calls = []
    execute = aat_runtime._gram_execute
    monkeypatch.setattr(aat_runtime, "_gram_execute",
                        lambda *a: calls.append(a[2]) or execute(*a))
    A = np.full((6, 4), 2 ** 25, dtype=np.int64)     # above the float32 bound
    A[::2] *= -1
    A[1, 1] -= 1
    assert np.array_equal(flipgraph.gram(A, levels=0), A @ A.T)
    assert calls == [np.float64]                  # 4 · 2^50 = 2^52
    B = A * 2                                     # 4 · 2^52 = 2^54: not exact in float64
    assert np.array_equal(flipgraph.gram(B, levels=0), B @ B.T)
    assert calls == [np.float64]


def test_float32_path_is_taken_below_2_24(monkeypatch):
    """K·max|A|² < 2^24 runs in float32 (exact at 2^24 − 4: K = 4, entries ±(2^11 − 1)); at 2^24
    it moves to float64, which stays exact where float32 would round."""
    calls = []
    execute = aat_runtime._gram_execute
    monkeypatch.setattr(aat_runtime, "_gram_execute",
                        lambda *a: calls.append(a[2]) or execute(*a))
    A = np.full((6, 4), 2 ** 11 - 1, dtype=np.int64)
    A[::2] *= -1
    assert np.array_equal(flipgraph.gram(A, levels=0), A @ A.T)
    assert calls == [np.float32]
    B = np.full((6, 4), 2 ** 11, dtype=np.int64)  # 4 · 2^22 = 2^24: not below the bound
    B[1, 1] += 1                                  # an odd sum above 2^24: float32 would round it
    assert np.array_equal(flipgraph.gram(B, levels=0), B @ B.T)
    assert calls == [np.float32, np.float64]


def test_growth_bounds_the_general_products():
    plan = [(gram_step(gram_scheme()), [flipgraph.codegen.library.best_routine().STEP])]
    assert aat_runtime.gram_growth(plan) >= 9.0   # one Winograd level on the general product
    assert aat_runtime.gram_growth([]) == pytest.approx(1.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_float_close_to_numpy_and_symmetric(dtype):
    rng = np.random.default_rng(2)
    for shape in ((33, 64), (13, 9), (40, 40)):
        A = rng.standard_normal(shape).astype(dtype)
        if dtype == np.complex128:
            A = A + 1j * rng.standard_normal(shape)
        C = flipgraph.gram(A, levels=2, cutoff=2)
        want = A @ A.T
        assert C.dtype == want.dtype
        assert np.allclose(C, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
        assert np.array_equal(C, C.T)


def test_object_integers_are_exact():
    A = np.array([[2 ** 70, -3], [5, 7], [1, 2 ** 65]], dtype=object)
    assert (flipgraph.gram(A) == A.dot(A.T)).all()


@pytest.mark.parametrize("bad", [np.arange(5), np.ones((2, 3, 4)), np.float64(3.0)])
def test_not_a_matrix_is_an_operand_error(bad):
    with pytest.raises(OperandError, match="2-D matrix"):
        flipgraph.gram(bad)


@pytest.mark.parametrize("scheme", ["3x3x3", "kg:3", "gt:3a"])
def test_not_a_gram_scheme_is_refused(scheme):
    with pytest.raises(FlipgraphError):
        flipgraph.gram(np.ones((4, 4)), scheme=scheme)


def test_mod_p_scheme_is_refused():
    with pytest.raises(SchemeError, match="lift"):
        gram_step(standard(structured("gt", 2), ring="z2"))


def test_standard_schemes_merge_across_columns():
    """gt:3's standard scheme (18 products) becomes block rows times block rows: 3 recursive
    products and 3 general ones; the shipped gt:4 (no recursive product) stays on 4×4 blocks."""
    step = gram_step(standard(structured("gt", 3), ring="z"))
    assert (step.n, step.m) == (3, 1)
    assert sorted(right is None for _, right, _ in step.products) == [False] * 3 + [True] * 3
    shipped = gram_step(gram_scheme("gt:4"))
    assert (shipped.n, shipped.m, len(shipped.products)) == (4, 4, 34)


def test_codegen_writes_a_standalone_gram_module(tmp_path, private_cache):
    out = tmp_path / "mygram.py"
    result = CliRunner().invoke(main, ["codegen", "gt:2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    code = ("import sys; sys.modules['flipgraph'] = None\n"     # flipgraph must not be needed
            "import numpy as np, mygram\n"
            "A = np.random.default_rng(0).integers(-2**63, 2**63 - 1, (37, 50))\n"
            "B = np.random.default_rng(1).integers(-99, 99, (37, 50))\n"
            "ok = all(np.array_equal(mygram.gram(X, cutoff=4), X @ X.T) for X in (A, B))\n"
            "print(ok, mygram.GRAM_STEP.rank)\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True)
    assert run.stdout.split() == ["True", "6"], run.stderr


def test_codegen_of_another_structured_target_is_a_usage_error(tmp_path, private_cache):
    result = CliRunner().invoke(main, ["codegen", "kg:3", "-o", str(tmp_path / "k.py")])
    assert result.exit_code == 2 and "A·Aᵀ (gt:N) only" in result.output
    assert not (tmp_path / "k.py").exists()
