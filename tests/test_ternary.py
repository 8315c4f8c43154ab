"""Ternary forms of integer schemes (flipgraph.ternary): sandwiches and flips over Z that bring
every coefficient into {-1, 0, 1}; and `flipgraph lift --to zt` on a Z scheme."""
import importlib

import numpy as np
import pytest
from click.testing import CliRunner

from flipgraph import Scheme, classics, io, meta, standard, verify
from flipgraph.cli import main
from flipgraph.db.store import Database, shipped_path
from flipgraph.errors import FlipgraphError, SchemeError
from flipgraph.pipeline import start_scheme
from flipgraph.tensors import from_dense
from flipgraph.ternary import _flips, _terms, outside, ternary_form


def doubled(scheme, seed):
    """``scheme`` sandwiched by random unimodular matrices: the same tensor, coefficients ±2."""
    rng = np.random.default_rng(seed)
    for _ in range(100):
        X, Y, Z = (meta.random_unimodular(k, rng, steps=4) for k in scheme.format)
        moved = meta.sandwich(scheme, X, Y, Z)
        if outside(moved) > 0:
            return moved
    raise AssertionError("no sandwich with a coefficient beyond ±1")


@pytest.mark.parametrize("name, seed", [("strassen", 0), ("laderman", 1), ("laderman", 2)])
def test_a_sandwiched_classic_comes_back_to_ternary_coefficients(name, seed):
    start = doubled(getattr(classics, name)(), seed)
    assert start.ring.name == "z" and verify(start)
    found = ternary_form(start, seed=seed)
    assert found is not None and found.ring.name == "zt" and outside(found) == 0
    assert found.target == start.target and found.rank == start.rank and verify(found)


def signed_standard(n, m, p):
    """The standard algorithm with the A and B factors of every other term negated: factors
    shared up to sign (Strassen and Laderman share none)."""
    s = standard(n, m, p).over("z")
    U, V = s.U.copy(), s.V.copy()
    U[::2], V[::2] = -U[::2], -V[::2]
    return Scheme(s.target, U, V, s.W, "z")


I2 = [[1, 0], [0, 1]]


@pytest.mark.parametrize("start", [signed_standard(2, 3, 3),
                                   meta.sandwich(standard(2, 2, 2), [[2, 1], [1, 1]], I2, I2)])
def test_every_flip_over_z_keeps_the_scheme_valid(start):
    count = 0
    for terms in _flips(_terms(start)):
        U, V, W = (np.array([t[i] for t in terms], dtype=np.int64) for i in range(3))
        assert verify(Scheme(start.target, U, V, W, "z"))
        count += 1
    assert count > 0


def test_no_ternary_form_is_none_and_mod_p_input_is_refused():
    double = Scheme(from_dense(np.full((1, 1, 1), 2)), np.array([[2]]), np.array([[1]]),
                    np.array([[1]]), "z")                     # 2·(e⊗e⊗e): no ternary scheme
    assert verify(double) and ternary_form(double, attempts=2, steps=50) is None
    with pytest.raises(SchemeError, match="over Z"):
        ternary_form(classics.strassen().mod(2))


def test_the_catalogues_3x4x5_rank_47_over_z_has_a_ternary_form():
    """The shipped 3x4x5:47 over Z has 59 coefficients ±2; its ternary form is the ZT record."""
    db = Database(shipped_path(), readonly=True)
    entries = [e for e in db.query("3x4x5", ring="z") if e.ring == "z" and e.rank == 47]
    assert entries, "the catalogue keeps the Z 47 that the ZT 47's recipe starts from"
    scheme = db.get(entries[0])
    assert outside(scheme) > 0
    ternary = ternary_form(scheme, seed=0)
    assert ternary is not None and ternary.rank == 47 and ternary.ring.name == "zt"
    assert verify(ternary)


def test_cli_lift_to_zt_writes_the_ternary_form_of_a_z_scheme(tmp_path):
    start = doubled(classics.strassen(), 0)
    path = tmp_path / "two.json"
    io.save(start, path)
    result = CliRunner().invoke(main, ["lift", str(path), "--to", "zt", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    written = list((tmp_path / "out").glob("*.json"))
    assert len(written) == 1
    lifted = io.load(written[0])
    assert lifted.ring.name == "zt" and verify(lifted) and lifted.rank == 7


def test_a_zt_search_from_a_z_scheme_starts_from_its_ternary_form(tmp_path):
    start = doubled(classics.strassen(), 0)
    path = tmp_path / "two.json"
    io.save(start, path)
    result = CliRunner().invoke(main, ["search", "2x2x2", "--ring", "zt", "--from", str(path),
                                       "--target-rank", "7", "--no-save", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    best = io.load(tmp_path / "run" / "best.json")
    assert best.ring.name == "zt" and best.rank == 7 and verify(best)


def test_a_zt_walk_from_a_z_scheme_without_ternary_form_is_a_one_line_error(tmp_path):
    double = Scheme(from_dense(np.full((1, 1, 1), 2)), np.array([[2]]), np.array([[1]]),
                    np.array([[1]]), "z")
    path = tmp_path / "double.json"
    io.save(double, path)
    with pytest.raises(FlipgraphError, match="no ternary form"):
        start_scheme(path, double.target, "zt")


def test_lift_bounds_the_ternary_form_when_asked(monkeypatch):
    lift_module = importlib.import_module("flipgraph.lift")     # the package exports lift()

    limits = []
    real = lift_module.ternary_form
    monkeypatch.setattr(lift_module, "ternary_form",
                        lambda s, **kw: limits.append(kw.get("time_limit")) or real(s, **kw))
    start = doubled(classics.strassen(), 0)
    assert lift_module.lift(start, to="zt", ternary_seconds=7.5).ok
    assert lift_module.lift(start, to="zt").ok
    assert limits == [7.5, None]
