"""Fault tolerance from two distinct schemes (flipgraph.ft, flipgraph.ft_matmul)."""
import json
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pytest
from click.testing import CliRunner

import flipgraph
from flipgraph import classics, ft, ft_matmul
from flipgraph.cli import main
from flipgraph.errors import FlipgraphError
from flipgraph.ftmul import FaultToleranceError

# Strassen + Winograd's two lex-best ternary parity products (ft.best_parity(c, 2, coef=1, objective="lex"))
PARITY = [((0, 1, 0, -1), (0, 0, 1, 1)), ((1, 0, 1, -1), (0, 1, 0, -1))]


@pytest.fixture(scope="module")
def sw():
    return ft.configuration(["strassen", "winograd"])


@pytest.fixture(scope="module")
def pair333():
    other = flipgraph.search("3x3x3", ring="zt", target_rank=23, seed=1).scheme
    assert other.rank == 23 and other != classics.laderman()
    return ft.Config([classics.laderman(), other], ["laderman", "zt23"])


def _products(config, A, B):
    """M_q for 1x1 blocks (scalar entries), straight from the factors."""
    a, b = A.ravel(), B.ravel()
    return np.array([sum(int(x) * int(y) for x, y in zip(u, a)) * sum(int(x) * int(y) for x, y in zip(v, b))
                     for u, v in zip(config.U, config.V)], dtype=object)


def test_issue_figures(sw):
    """The issue's independently computed rows (P(decodable | f), f = 2..6) and 4 relations."""
    table = ft.p_decodable(sw, range(2, 7))
    assert [round(table[f][0], 3) for f in range(2, 7)] == [0.978, 0.890, 0.638, 0.128, 0.016]
    assert all(exact for _, exact in table.values()) and sw.checks == 4
    two = ft.p_decodable(ft.configuration(["strassen"], copies=2), range(2, 7))
    assert [round(two[f][0], 3) for f in range(2, 7)] == [0.923, 0.769, 0.559, 0.336, 0.149]
    three = ft.p_decodable(ft.configuration(["strassen"], copies=3), range(2, 7))
    assert [round(three[f][0], 3) for f in range(2, 7)] == [1, 0.995, 0.979, 0.947, 0.895]


def test_relations_hold_and_verdicts(sw):
    rng = np.random.default_rng(0)
    for _ in range(5):
        A, B = rng.integers(-9, 10, (2, 2)), rng.integers(-9, 10, (2, 2))
        M = _products(sw, A, B)
        assert not (sw.H.astype(object) @ M).any()
    assert sw.undetectable == []
    # two plain copies: every column has its parallel twin, nothing is locatable
    assert ft.configuration(["strassen"], copies=2).locatable == []
    assert len(ft.configuration(["strassen"], copies=3).locatable) == 21


def _decodes(config, erased):
    """The definition, exactly over Q: rank([F_S; T]) == rank(F_S)."""
    FS = [config.forms[q] for q in range(config.size) if q not in set(erased)]
    return len(ft._rref(FS + config.targets)[1]) == len(ft._rref(FS)[1])


def test_kernel_matches_exact_decoding(sw, pair333):
    rng = np.random.default_rng(3)
    for config, fs, count in ((sw, (2, 4, 6), 12), (pair333, (6, 14), 5)):
        seen = set()
        for f in fs:
            sets = np.argsort(rng.random((count, config.size)), axis=1)[:, :f]
            fast = ft.decodable(config, sets)
            for row, ok in zip(sets.tolist(), fast):
                Y = config.decoding(row)
                assert (Y is not None) == ok
                if config is sw:
                    assert _decodes(config, row) == ok
                if Y is not None:                 # Y·F = T and Y vanishes on the erasures
                    assert all(Y[t][q] == 0 for t in range(len(Y)) for q in row)
                    F = np.array(config.forms, dtype=object)
                    assert (np.array(Y, dtype=object) @ F == np.array(config.targets)).all()
                seen.add(bool(ok))
        assert seen == {True, False}


def test_parity(sw):
    candidates = ft.parity_candidates(sw)
    assert set(PARITY) <= set(candidates)
    for u, v in candidates[:10]:                          # in the span: one more relation each
        assert ft.with_parity(sw, [(u, v)]).checks == sw.checks + 1
    with pytest.raises(FlipgraphError, match="not in the span"):
        ft.with_parity(sw, [((1, 0, 0, 0), (0, 0, 0, 1))])     # a11·b22 is not a product form
    best = ft.best_parity(sw, 1, exhaustive_limit=0)
    base, one = ft.p_decodable(sw), ft.p_decodable(best)
    assert all(one[f][0] >= base[f][0] for f in base) and one[2][0] > base[2][0]
    sixteen = ft.p_decodable(ft.with_parity(sw, PARITY))
    assert sixteen[2][0] == 1.0 and sixteen[3][0] > 0.966 and sixteen[5][0] > 0.773


def test_default_parity_search_meets_the_issue_row(sw):
    """`--parity 2` (sum objective, ternary first, entries up to 2 where they pay) is at least the
    issue's 16-product row (0.992, 0.966, 0.907, 0.773, 0.493 for f = 2..6) at every f; 0.992 is
    119/120 rounded, so compare rounded to 3 places."""
    best = ft.best_parity(sw, 2)
    table = ft.p_decodable(best, range(2, 7))
    assert all(round(table[f][0], 3) >= want for f, want in
               zip(range(2, 7), (0.992, 0.966, 0.907, 0.773, 0.493)))
    assert max(abs(x) for u, v in best.parity for x in u + v) == 2
    ternary = ft.best_parity(sw, 2, coef=1)
    assert max(abs(x) for u, v in ternary.parity for x in u + v) == 1
    assert ft.score(best, objective="sum") > ft.score(ternary, objective="sum")


def test_analyze_json_cli():
    result = CliRunner().invoke(main, ["ft", "analyze", "strassen", "winograd", "--json",
                                       "--no-baselines"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [c["name"] for c in data["configs"]] == ["strassen + winograd"]
    first = data["configs"][0]
    assert first["products"] == 14 and first["check_relations"] == 4
    assert round(first["p_decodable"]["4"], 3) == 0.638
    assert set(first["p_decodable"]) == {"1", "2", "3", "4", "5", "6"}


def test_analyze_cli_bad_input(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["ft", "analyze", "strassen", "laderman"])
    assert result.exit_code == 2 and "formats" in result.output
    result = runner.invoke(main, ["ft", "analyze", "nosuch"])
    assert result.exit_code == 2 and "nosuch" in result.output
    result = runner.invoke(main, ["ft", "analyze", "strassen", "--parity", "-1"])
    assert result.exit_code == 2


def _check_single_faults(config, shape, rng):
    n, m, p = config.format
    A = rng.integers(-50, 50, (n * shape[0], m * shape[1])).astype(np.int64)
    B = rng.integers(-50, 50, (m * shape[1], p * shape[2])).astype(np.int64)
    for q in range(config.size):
        C, report = ft_matmul(A, B, schemes=config, fault={"drop": [q]})
        assert (C == A @ B).all() and report.lost == [q]
        C, report = ft_matmul(A, B, schemes=config, fault={"corrupt": [q], "seed": q})
        assert (C == A @ B).all() and report.detected
        if q in config.locatable:
            assert report.located == [q] and report.recomputed == []
        else:
            assert report.located == [] and q in report.suspects and q in report.recomputed


def test_int_single_faults_sw(sw):
    _check_single_faults(sw, (3, 2, 5), np.random.default_rng(1))
    _check_single_faults(ft.with_parity(sw, PARITY), (2, 3, 1), np.random.default_rng(2))


def test_int_single_faults_333(pair333):
    _check_single_faults(pair333, (2, 1, 2), np.random.default_rng(3))


def test_odd_shapes_overflow_and_gf(sw):
    rng = np.random.default_rng(4)
    A, B = rng.integers(-9, 9, (5, 3)), rng.integers(-9, 9, (3, 7))
    C, report = ft_matmul(A, B, fault={"drop": [0, 13], "corrupt": [4]})
    assert C.shape == (5, 7) and (C == A @ B).all() and report.detected
    assert report.located == [4] or 4 in report.recomputed
    big = np.full((4, 4), 2 ** 40, dtype=np.int64)                 # wraps mod 2^64
    C, _ = ft_matmul(big, big, fault={"corrupt": [5]})
    assert (C == big @ big).all()
    import galois
    GF = galois.GF(31)
    A, B = GF.Random((4, 6), seed=1), GF.Random((6, 2), seed=2)
    C, report = ft_matmul(A, B, fault={"corrupt": [9], "drop": [1]})
    assert (C == A @ B).all() and report.located == [9]


def test_too_many_losses_and_bad_fault(sw):
    A = np.ones((2, 2), dtype=np.int64)
    with pytest.raises(FaultToleranceError, match="cannot rebuild"):
        ft_matmul(A, A, fault={"drop": list(range(8))})
    with pytest.raises(FlipgraphError):
        ft_matmul(A, A, fault={"drop": [14]})


class _FailingExecutor(ThreadPoolExecutor):
    """Fails the tasks numbered in ``fail`` (submission order)."""

    def __init__(self, fail):
        super().__init__(max_workers=2)
        self.fail, self.count = set(fail), 0

    def submit(self, fn, *args, **kwargs):
        self.count += 1
        if self.count - 1 in self.fail:
            future = Future()
            future.set_exception(RuntimeError("node down"))
            return future
        return super().submit(fn, *args, **kwargs)


def test_executor_failures_are_erasures():
    rng = np.random.default_rng(5)
    A, B = rng.integers(-9, 9, (6, 4)), rng.integers(-9, 9, (4, 6))
    with _FailingExecutor({2, 9}) as pool:
        C, report = ft_matmul(A, B, executor=pool)
    assert (C == A @ B).all() and report.lost == [2, 9]


def _float_runs(config, rng, clean_runs):
    n, m, p = config.format
    for _ in range(clean_runs):
        A = rng.standard_normal((2 * n, 3 * m)) * 10 ** rng.uniform(-3, 3)
        B = rng.standard_normal((3 * m, 2 * p))
        C, report = ft_matmul(A, B, schemes=config)
        assert not report.detected
        assert np.allclose(C, A @ B, rtol=1e-12, atol=1e-12 * abs(A).max() * abs(B).max())
    A, B = rng.standard_normal((2 * n, 3 * m)), rng.standard_normal((3 * m, 2 * p))
    _, clean = ft_matmul(A, B, schemes=config)
    error = 2.01 * max(clean.thresholds)                      # the detection guarantee's size
    for q in range(config.size):
        C, report = ft_matmul(A, B, schemes=config, fault={"corrupt": [q], "error": error})
        assert report.detected, q
        assert report.located == [q] or q in report.recomputed
        assert np.allclose(C, A @ B, rtol=1e-10, atol=1e-10)


def test_float_detection_and_no_false_alarm_sw(sw):
    _float_runs(sw, np.random.default_rng(6), 1000)


def test_float_detection_and_no_false_alarm_333(pair333):
    _float_runs(pair333, np.random.default_rng(7), 1000)


def test_codegen_fault_tolerant(tmp_path):
    out = tmp_path / "ftmul.py"
    result = CliRunner().invoke(main, ["codegen", "strassen", "--fault-tolerant", "--with",
                                       "winograd", "-o", str(out)])
    assert result.exit_code == 0, result.output
    from flipgraph.codegen.source import load_source

    module = load_source(out.read_text(), "_test_ftmul", str(out))
    rng = np.random.default_rng(8)
    A, B = rng.integers(-99, 99, (7, 6)), rng.integers(-99, 99, (6, 5))
    C, report = module.matmul(A, B, fault={"drop": [0, 7], "corrupt": [3]})
    assert (C == A @ B).all() and report.lost == [0, 7] and report.detected
    with pytest.raises(module.FaultToleranceError, match="at most 2"):
        module.matmul(A, B, fault={"drop": [0, 1, 2]})
    result = CliRunner().invoke(main, ["codegen", "strassen", "--with", "winograd", "-o",
                                       str(tmp_path / "x.py")])
    assert result.exit_code == 2 and "--fault-tolerant" in result.output
    result = CliRunner().invoke(main, ["codegen", "strassen", "--fault-tolerant", "-o",
                                       str(tmp_path / "x.py")])
    assert result.exit_code == 2 and "--with" in result.output
    assert not (tmp_path / "x.py").exists()


def test_float_nan_is_recomputed_not_located(sw):
    rng = np.random.default_rng(9)
    A, B = rng.standard_normal((4, 6)), rng.standard_normal((6, 2))
    C, report = ft_matmul(A, B, fault={"corrupt": [4], "error": float("nan")})
    assert report.detected and report.located == [] and 4 in report.recomputed
    assert np.allclose(C, A @ B)
