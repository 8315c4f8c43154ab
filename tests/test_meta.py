"""Meta moves: ranks add up as the math says and every output verifies (over its ring)."""
import numpy as np
import pytest
from click.testing import CliRunner

from flipgraph import classics, io, meta, verify
from flipgraph.cli import main
from flipgraph.errors import SchemeError
from flipgraph.scheme import Scheme, standard

S, W, L = classics.strassen(), classics.winograd(), classics.laderman()


def multiplies(scheme, seed=0):
    """The scheme's bilinear algorithm applied to random integer matrices equals A·B."""
    n, m, p = scheme.format
    rng = np.random.default_rng(seed)
    A, B = rng.integers(-5, 6, (n, m)), rng.integers(-5, 6, (m, p))
    M = (scheme.U.astype(object) @ A.ravel().astype(object)) * (scheme.V.astype(object) @ B.ravel().astype(object))
    C = (scheme.W.T.astype(object) @ M).reshape(n, p)
    if scheme.ring.modulus:
        return np.array_equal(np.mod(C, scheme.ring.modulus).astype(np.int64), np.mod(A @ B, scheme.ring.modulus))
    return np.array_equal(C, A @ B)


@pytest.mark.parametrize("a,b", [(S, W), (S, L), (L, S), (standard(1, 2, 3), standard(2, 1, 1))])
def test_product_rank_and_format_multiply(a, b):
    P = meta.product(a, b)
    assert P.rank == a.rank * b.rank
    assert P.format == tuple(x * y for x, y in zip(a.format, b.format))
    assert verify(P) and multiplies(P)


def test_product_of_mod2_and_integer_scheme_is_mod2():
    P = meta.product(S.mod(2), W)
    assert P.ring.name == "z2" and verify(P) and multiplies(P)


@pytest.mark.parametrize("dim,extra", [(0, 9), (1, 9), (2, 9)])
def test_extend_adds_the_naive_products(dim, extra):
    E = meta.extend(L, dim)
    grown = list(L.format)
    grown[dim] += 1
    assert E.format == tuple(grown) and E.rank == L.rank + extra and verify(E) and multiplies(E)


def test_extend_of_a_rectangular_scheme_adds_the_missing_products():
    s = standard(2, 3, 4)
    assert [meta.extend(s, d).rank for d in range(3)] == [24 + 12, 24 + 8, 24 + 6]


@pytest.mark.parametrize("dim", [0, 1, 2])
@pytest.mark.parametrize("index", [0, 2])
def test_project_drops_a_line_and_never_grows(dim, index):
    P = meta.project(L, dim, index)
    shrunk = list(L.format)
    shrunk[dim] -= 1
    assert P.format == tuple(shrunk) and P.rank <= L.rank and verify(P) and multiplies(P)
    # every term is alive and no two terms share two factors
    for mats in ((P.U, P.V), (P.U, P.W), (P.V, P.W)):
        keys = {tuple(np.concatenate(t)) for t in zip(*mats)}
        assert all(x.any() for x in mats[0]) and len(keys) == P.rank


def test_project_of_the_standard_scheme_is_the_standard_scheme():
    P = meta.project(standard(3, 3, 3), 1, 1)
    assert P.format == (3, 2, 3) and P.rank == 18 and P == standard(3, 2, 3)


def _catalogue_scheme(fmt, ring, rank):
    from flipgraph.db import Database, shipped_path
    db = Database(shipped_path(), readonly=True)
    entries = [e for e in db.query(fmt, ring=ring) if e.ring == ring and e.rank == rank]
    assert entries, f"the catalogue keeps a {fmt}:{rank} over {ring}"
    return db.get(entries[0])


def test_project_lowest_without_turns_is_the_best_index():
    P = meta.project_lowest(L, 1)
    assert P.rank == min(meta.project(L, 1, i).rank for i in range(3)) and verify(P)


@pytest.mark.parametrize("ring", ["zt", "z2"])
def test_a_turned_projection_can_lose_more_terms(ring):
    """The catalogue's ternary 3x3x4:29 projects to 3x3x3 with 25 products at best along p; a
    change of basis along p first gives 24 (over ZT the result needs a 2: over Z)."""
    s = _catalogue_scheme("3x3x4", "zt", 29)
    s = s if ring == "zt" else s.mod(2)
    plain = meta.project_lowest(s, 2)
    turned = meta.project_lowest(s, 2, tries=30, seed=0)
    assert plain.rank == 25 and turned.rank == 24
    assert turned.format == (3, 3, 3) and verify(turned) and multiplies(turned)
    assert turned.ring.name == ("z" if ring == "zt" else "z2")


@pytest.mark.parametrize("k,p", [(3, 2), (2, 3), (4, 2)])
def test_hyperplane_turns_give_each_hyperplane_and_complement_once(k, p):
    """(p^k − 1)/(p − 1)·p^(k−1) invertible matrices, no two with the same hyperplane (span of
    the first k − 1 columns) and complement line (spanned by the last column)."""
    seen = set()
    turns = list(meta.hyperplane_turns(k, p))
    assert len(turns) == (p**k - 1) // (p - 1) * p ** (k - 1)
    for X in turns:
        assert round(np.linalg.det(X)) % p != 0                # invertible over GF(p)
        span = {tuple(np.mod(X[:, :-1] @ np.array(c), p)) for c in np.ndindex(*(p,) * (k - 1))}
        line = tuple(np.mod(X[:, -1], p))
        multiples = frozenset(tuple(np.mod(c * X[:, -1], p)) for c in range(1, p))
        seen.add((frozenset(span), multiples))
        assert len(span) == p ** (k - 1) and line not in span
    assert len(seen) == len(turns)


def test_every_projection_finds_the_scheme_a_larger_one_was_grown_from():
    """Laderman extended to 3x3x4 (32 products) and turned along p hides its 23: the standard
    projections give 28 at best, the lowest over every hyperplane gives 23 back."""
    grown = meta.extend(L.mod(2), 2)
    Z = np.array([[0, 1, 0, 1], [0, 0, 1, 1], [1, 1, 0, 0], [1, 1, 1, 0]])
    hidden = meta.sandwich(grown, np.eye(3, dtype=int), np.eye(3, dtype=int), Z)
    assert meta.project_lowest(hidden, 2).rank > 23
    found = meta.project_lowest(hidden, 2, every=True)
    assert found.rank == 23 and found.format == (3, 3, 3) and verify(found) and multiplies(found)
    with pytest.raises(SchemeError, match="Z2 or Z3"):
        meta.project_lowest(L, 0, every=True)


def test_cli_project_tries(tmp_path):
    s = tmp_path / "334.json"
    io.save(_catalogue_scheme("3x3x4", "zt", 29), s)
    out = tmp_path / "333.json"
    runner = CliRunner()
    result = runner.invoke(main, ["meta", "project", str(s), "--dim", "2", "--tries", "30",
                                  "-o", str(out)])
    assert result.exit_code == 0 and "3x3x3 rank 24" in result.output and verify(io.load(out))
    both = runner.invoke(main, ["meta", "project", str(s), "--dim", "2", "--tries", "3",
                                "--index", "1", "-o", str(tmp_path / "no.json")])
    assert both.exit_code == 2 and "not --index and --tries" in both.output
    every = runner.invoke(main, ["meta", "project", str(s), "--dim", "2", "--every",
                                 "-o", str(tmp_path / "no.json")])
    assert every.exit_code == 2 and "--ring z2" in every.output
    assert not (tmp_path / "no.json").exists()
    result = runner.invoke(main, ["meta", "project", str(s), "--ring", "z2", "--dim", "2",
                                  "--every", "-o", str(out)])
    assert result.exit_code == 0 and "3x3x3 rank 24 over z2" in result.output


def test_reduce_terms_merges_terms_sharing_two_factors():
    U = np.array([[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    V = np.array([[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]])
    W = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0]])
    s = meta.reduce_terms(Scheme((2, 2, 2), U, V, W, "z"))
    assert s.rank == 2 and sorted(map(tuple, s.W.tolist())) == [(1, 0, 0, 0), (1, 1, 0, 0)]


def test_reduce_terms_widens_zt_to_z_when_a_merge_makes_a_two():
    one = np.array([[1], [1]])
    s = meta.reduce_terms(Scheme((1, 1, 2), one, np.array([[1, 0], [1, 0]]),
                                 np.array([[1, 0], [1, 0]]), "zt"))
    assert s.rank == 1 and s.ring.name == "z"
    assert sorted(np.abs(np.concatenate([s.U.ravel(), s.V.ravel(), s.W.ravel()])).tolist())[-1] == 2


def test_a_format_from_the_database_keeps_its_ternary_ring(tmp_path, monkeypatch):
    """`meta project 3x3x3` on a database whose best 3x3x3 is ternary (Laderman) writes a ZT
    projection, not the same values labelled Z."""
    monkeypatch.setenv("FLIPGRAPH_DB", str(tmp_path / "user.h5"))
    from flipgraph.db import default_database
    from flipgraph.pipeline import resolve
    default_database(catalogue=False).add(L.over("zt"))
    db = default_database(catalogue=False)
    assert resolve("3x3x3", db=db).scheme.ring.name == "zt"
    assert resolve("3x3x3", ring="z", db=db).scheme.ring.name == "z"
    out = tmp_path / "p.json"
    result = CliRunner().invoke(main, ["meta", "project", "3x3x3", "--dim", "0", "--index", "0",
                                       "-o", str(out)])
    assert result.exit_code == 0 and "over zt" in result.output
    assert io.load(out).ring.name == "zt" and verify(io.load(out))


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_merge_adds_ranks(dim):
    M = meta.merge(S, W, dim)
    grown = list(S.format)
    grown[dim] *= 2
    assert M.rank == 14 and M.format == tuple(grown) and verify(M) and multiplies(M)


def test_merge_needs_matching_dimensions():
    with pytest.raises(SchemeError, match="other two dimensions differ"):
        meta.merge(S, L, 0)


@pytest.mark.parametrize("base", [S, L, S.mod(2), L.mod(2), standard(2, 3, 4)])
@pytest.mark.parametrize("seed", [0, 1])
def test_sandwich_keeps_the_rank_and_gives_another_valid_scheme(base, seed):
    rng = np.random.default_rng(seed)
    n, m, p = base.format
    X, Y, Z = (meta.random_unimodular(k, rng) for k in (n, m, p))
    assert all(abs(round(np.linalg.det(x))) == 1 and np.abs(x).max() <= 1 for x in (X, Y, Z))
    s = meta.sandwich(base, X, Y, Z)
    assert s.rank == base.rank and verify(s) and multiplies(s)
    assert s.ring.modulus == base.ring.modulus


def test_sandwich_refuses_a_singular_or_non_unimodular_matrix():
    with pytest.raises(SchemeError, match="not invertible"):
        meta.sandwich(S, [[1, 1], [1, 1]], np.eye(2, dtype=int), np.eye(2, dtype=int))
    with pytest.raises(SchemeError, match="unimodular"):
        meta.sandwich(S, [[2, 0], [0, 1]], np.eye(2, dtype=int), np.eye(2, dtype=int))


def test_cli_meta_writes_verified_schemes(tmp_path):
    runner = CliRunner()
    out = tmp_path / "444.json"
    result = runner.invoke(main, ["meta", "product", "strassen", "winograd", "-o", str(out)])
    assert result.exit_code == 0, result.output
    s = io.load(out)
    assert s.format == (4, 4, 4) and s.rank == 49 and verify(s)
    result = runner.invoke(main, ["meta", "project", str(out), "--dim", "2", "--index", "3",
                                  "-o", str(tmp_path / "443.exp")])
    assert result.exit_code == 0 and io.load(tmp_path / "443.exp").format == (4, 4, 3)
    bad = runner.invoke(main, ["meta", "merge", "strassen", "laderman", "--dim", "1", "-o",
                               str(tmp_path / "x.json")])
    assert bad.exit_code == 2 and "dimensions differ" in bad.output
    assert not (tmp_path / "x.json").exists()


def test_cli_meta_creates_the_output_folder_or_says_why_not(tmp_path):
    """-o runs/x.json in a fresh folder works (the recipes in search_configs/ write there);
    a parent that is a file is a one-line error, nothing written."""
    runner = CliRunner()
    out = tmp_path / "runs" / "deeper" / "444.json"
    result = runner.invoke(main, ["meta", "product", "strassen", "winograd", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert io.load(out).rank == 49
    (tmp_path / "plain").write_text("not a folder")
    bad = runner.invoke(main, ["meta", "product", "strassen", "winograd", "-o",
                               str(tmp_path / "plain" / "444.json")])
    assert bad.exit_code != 0 and "not written" in bad.output
    assert isinstance(bad.exception, SystemExit)          # a clean exit, not an OSError
