"""Targets as data: the tensor model, and schemes of targets that are not matrix multiplication."""
import json

import numpy as np
import pytest

from flipgraph import classics, io, verify
from flipgraph.errors import FormatError, SchemeError
from flipgraph.scheme import Scheme, standard
from flipgraph.tensors import from_coo, from_dense, from_json, matmul, parse_target


def aat2():
    """C = A·Aᵀ for a 2x2 A, with the symmetric output stored once: z = (c11, c12, c22);
    x and y both index vec(A) = (a11, a12, a21, a22)."""
    return from_coo((4, 4, 3), [(0, 0, 0, 1), (1, 1, 0, 1), (0, 2, 1, 1), (1, 3, 1, 1),
                                (2, 2, 2, 1), (3, 3, 2, 1)], name="aat:2")


def brute_matmul_tensor(n, m, p):
    T = np.zeros((n * m, m * p, n * p), dtype=np.int64)
    for i in range(n):
        for j in range(m):
            for k in range(p):
                T[i * m + j, j * p + k, i * p + k] = 1
    return T


@pytest.mark.parametrize("fmt", [(1, 1, 1), (2, 3, 4), (3, 2, 5), (4, 4, 4)])
def test_matmul_tensor_is_the_brent_tensor(fmt):
    target = matmul(*fmt)
    assert np.array_equal(target.dense(), brute_matmul_tensor(*fmt))
    assert target.id == "mm:{}x{}x{}".format(*fmt) and target.format == fmt
    assert target.symmetries == ("transpose", "cyclic")
    assert parse_target("{}x{}x{}".format(*fmt)) == target == parse_target(fmt)


def test_user_tensor_id_depends_on_content_only():
    a = aat2()
    same = from_coo((4, 4, 3), [(3, 3, 2, 1), (2, 2, 2, 1), (1, 3, 1, 1), (0, 2, 1, 1),
                                (1, 1, 0, 1), (0, 0, 0, 1)])                       # other order
    summed = from_coo((4, 4, 3), list(a.entries.tolist()) + [(0, 0, 0, 1), (0, 0, 0, -1)])
    other = from_coo((4, 4, 3), [(0, 0, 0, 1)])
    assert a.id == same.id == summed.id != other.id and a.id.startswith("user:")
    assert a == same and a.name == "aat:2" and same.name == same.id
    assert from_dense(a.dense()) == a
    assert a.symmetries == () and a.format is None and not a.is_matmul
    assert from_json(json.loads(json.dumps(a.to_json()))) == a


@pytest.mark.parametrize("sizes,entries,message", [
    ((4, 4), [], "bad tensor sizes"),
    ((4, 4, 0), [], "bad tensor sizes"),
    ((2, 2, 2), [(0, 0, 2, 1)], "out of range in mode 2"),
    ((2, 2, 2), [(0, 0, 0, 0.5)], "integer"),
])
def test_bad_user_tensors_are_scheme_errors(sizes, entries, message):
    with pytest.raises(SchemeError, match=message):
        from_coo(sizes, entries)


def test_standard_scheme_of_any_target_verifies_and_a_wrong_one_names_the_equation():
    target = aat2()
    s = standard(target)
    assert s.rank == target.nnz and verify(s) and s.target == target
    W = s.W.copy()
    W[0, 0] = 0                                           # drop a11·a11 from c1
    verdict = verify(Scheme(target, s.U, s.V, W, "zt"))
    assert not verdict and verdict.failures == 1
    assert "a1·b1 in c1" in verdict.first


def test_matmul_only_facts_refuse_other_targets():
    s = standard(aat2())
    with pytest.raises(SchemeError, match="not a matrix multiplication"):
        s.format
    with pytest.raises(SchemeError, match="not a matrix multiplication"):
        s.transpose()
    assert s.format_str == "aat:2" and "aat:2" in repr(s)


def test_canonical_hash_separates_targets_with_the_same_shapes():
    """The same coefficients decomposing two different tensors are different schemes."""
    s = standard(aat2())
    twin_target = from_coo((4, 4, 3), [tuple(row) for row in s.target.entries.tolist()], name="twin")
    twin = Scheme(twin_target, s.U, s.V, s.W, "zt")
    assert twin.target == s.target and twin == s                 # same tensor: same scheme
    other = from_coo((4, 4, 3), s.target.entries.tolist() + [[0, 1, 2, 1]])
    assert Scheme(other, s.U, s.V, s.W, "zt").canonical_hash() != s.canonical_hash()


def test_matmul_hash_is_unchanged_from_version_1():
    """Database keys of version 1 stay valid: the matmul hash text starts with NxMxP."""
    import hashlib

    s = classics.strassen()
    canon = s.canonical()
    text = ";".join(["2x2x2", "char0"] + [",".join(str(x) for x in np.concatenate(t))
                                          for t in canon.terms()])
    assert s.canonical_hash() == hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("suffix", ["json", "txt"])
def test_user_target_file_round_trip(tmp_path, suffix):
    s = standard(aat2()).over("z2")
    path = tmp_path / f"aat.{suffix}"
    io.save(s, path)
    back = io.load(path)
    assert back.target == s.target and back.target.name == "aat:2"
    assert back.ring.name == "z2" and back == s and verify(back)


def test_user_target_refused_by_matmul_only_formats(tmp_path):
    with pytest.raises(FormatError, match="matrix-multiplication schemes only"):
        io.save(standard(aat2()), tmp_path / "aat.exp")
    assert not (tmp_path / "aat.exp").exists()


def test_listing_of_a_user_target_rejects_unknown_variables(tmp_path):
    path = tmp_path / "aat.txt"
    io.save(standard(aat2()), path)
    path.write_text(path.read_text().replace("m1 = (a1)(b1)", "m1 = (a9)(b1)"))
    with pytest.raises(FormatError, match="a9 is not a variable of aat:2"):
        io.load(path)


# --------------------------------------------------------------------------- structured products
from flipgraph.tensors import STRUCTURES, parameters, recursive_products, structured  # noqa: E402


def structured_matrix(structure, n, x):
    """X from its free parameters, written out case by case (independent of tensors.parameters)."""
    X = np.zeros((n, n), dtype=np.int64)
    it = iter(x)
    for i in range(n):
        for j in range(n):
            if structure == "g" or (structure in "usw" and j >= i) or (structure == "k" and j > i):
                X[i, j] = next(it)
            elif structure == "l" and j >= i:          # flip-cpd: L[j, i] in the upper order
                X[j, i] = next(it)
    if structure == "s":
        X = np.triu(X) + np.triu(X, 1).T
    if structure in "kw":
        X = X - np.triu(X, 1).T
    return X


def bilinear(target, x, y):
    i, j, k, c = target.entries.T
    z = np.zeros(target.sizes[2], dtype=np.int64)
    np.add.at(z, k, c * x[i] * y[j])
    return z


@pytest.mark.parametrize("op", ["ug", "lg", "ul", "uu", "sg", "kg", "ss", "sk", "kk", "wg", "gs",
                                "gt", "st", "kt", "ut", "wt"])
@pytest.mark.parametrize("n", [2, 3, 4])
def test_structured_target_is_the_structured_product(op, n):
    target = structured(op, n)
    rng = np.random.default_rng(n)
    for _ in range(3):
        x = rng.integers(-9, 10, target.sizes[0])
        y = rng.integers(-9, 10, target.sizes[1])
        X = structured_matrix(op[0], n, x)
        if op[1] == "t" or op == "uu":
            other = structured_matrix(op[0], n, y).T if op[1] == "t" else structured_matrix("u", n, y)
            full = X @ other
            want = np.array([full[i, k] for i in range(n) for k in range(i, n)])
        else:
            want = (X @ structured_matrix(op[1], n, y)).ravel()
        assert np.array_equal(bilinear(target, x, y), want)
    assert target.id == f"{op}:{n}" and parse_target(f"{op.upper()}:{n}") == target
    assert from_json(target.to_json()) == target and target.to_json() == f"{op}:{n}"


def test_general_general_is_matrix_multiplication():
    assert structured("gg", 3) == matmul(3, 3, 3)


def test_recursive_variants_drop_the_first_and_last_outputs():
    full, a, b, c = (structured("gt", 3, s) for s in ("", "a", "b", "c"))
    assert a.id == "gt:3a" and parse_target("gt:3c") == c and c.sizes == full.sizes
    last = full.sizes[2] - 1
    assert set(map(tuple, a.entries.tolist())) == {e for e in map(tuple, full.entries.tolist()) if e[2] != 0}
    assert set(map(tuple, b.entries.tolist())) == {e for e in map(tuple, full.entries.tolist()) if e[2] != last}
    assert c.nnz == full.nnz - sum(1 for e in full.entries.tolist() if e[2] in (0, last))


@pytest.mark.parametrize("spec", ["gx:3", "tg:3", "gt:0", "gt:65", "kt:1", "gt:3d"])
def test_bad_structured_specs_are_one_line_errors(spec):
    with pytest.raises(SchemeError):
        parse_target(spec)


def test_parameter_counts():
    counts = {"g": 16, "u": 10, "l": 10, "s": 10, "k": 6, "w": 10}
    assert {s: parameters(s, 4).shape[2] for s in STRUCTURES} == counts


def test_recursive_products_of_a_t_scheme():
    """G·Gᵀ by the standard scheme of gt:2: products x_a·y_a (a ∝ b) are G·Gᵀ sub-problems."""
    s = standard(structured("gt", 2))
    same = sum(1 for u, v in zip(s.U, s.V) if np.array_equal(u, v))
    assert recursive_products(s) == same == 4      # c11 and c22 use a_ij·b_ij, c12 does not


ANCHORS = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "anchors" / "structured"


@pytest.mark.skipif(not ANCHORS.exists(), reason="public anchors absent")
@pytest.mark.parametrize("name,ring,k", [("gt-444-rank34-rec-4-0-0-z", "z", 4),
                                         ("kg-333-rank14-rec-0-0-0-q", "q", 0),
                                         ("ss-222-rank5-rec-0-2-0-q", "q", 0),
                                         ("gg-333-rank23-rec-0-0-0-z", "z", 23)])
def test_flip_cpd_anchors_verify_against_our_targets(name, ring, k):
    from fractions import Fraction

    op, nnn, rank = name.split("-")[:3]
    target, r = structured(op, int(nnn[0])), int(rank[4:])
    flat = np.load(ANCHORS / f"{name}.npy").ravel()
    values = [Fraction(int(a), int(b)) for a, b in zip(flat[0::2], flat[1::2])]
    mats, pos = [], 0
    for size in target.sizes:
        mats.append(np.array(values[pos:pos + r * size], dtype=object).reshape(r, size))
        pos += r * size
    scheme = Scheme(target, *mats, "q")
    assert pos == len(values) and verify(scheme) and recursive_products(scheme) == k


# --------------------------------------------------------------------------- end to end
def test_a_user_target_goes_through_search_verify_lift_database_and_files(tmp_path):
    """The 3x3 product A·Aᵀ with its symmetric output stored once, built by hand as COO data:
    a Z2 search below the standard rank, exact verification, a lift to Z, the database and a
    native file round trip — nothing on the way assumes matrix multiplication."""
    import flipgraph
    from flipgraph.db import Database
    from flipgraph.lift import lift

    upper = [(i, k) for i in range(3) for k in range(i, 3)]
    target = from_coo((9, 9, 6), [(3 * i + j, 3 * k + j, z, 1) for z, (i, k) in enumerate(upper)
                                  for j in range(3)], name="aat:3")
    assert target.nnz == 18
    result = flipgraph.search(target, ring="z2", target_rank=17, time_limit=60, seed=2)
    found = result.scheme
    assert found.target == target and found.rank <= 17
    assert verify(found) and found.ring.name == "z2"
    lifted = lift(found)
    assert lifted.ok and lifted.scheme.target == target and verify(lifted.scheme, "z")
    db = Database(tmp_path / "db.h5")
    key, added = db.add(lifted.scheme, {"source": "test"})
    assert added and not db.add(lifted.scheme)[1]
    best, entry = db.best_for(target)
    assert best == lifted.scheme and best.target.name == "aat:3" and entry.rank == lifted.scheme.rank
    assert Database(tmp_path / "db.h5").best_for(target.id)[0] == best       # reopened, by id
    path = tmp_path / "aat.json"
    io.save(best, path)
    assert io.load(path) == best and json.loads(path.read_text())["target"]["id"] == target.id


def test_structured_target_round_trips_through_the_database(tmp_path):
    from flipgraph.db import Database

    s = standard(structured("kg", 3))
    db = Database(tmp_path / "db.h5")
    db.add(s, {"source": "test"})
    back, entry = Database(tmp_path / "db.h5").best_for("kg:3")
    assert back == s and back.target == structured("kg", 3) and entry.rank == s.rank
    assert Database(tmp_path / "db.h5").check() == []


@pytest.mark.skipif(not ANCHORS.exists(), reason="public anchors absent")
@pytest.mark.parametrize("name", ["gt-444-rank34-rec-4-0-0-z", "kg-333-rank14-rec-0-0-0-q",
                                  "ss-222-rank5-rec-0-2-0-q"])
def test_flip_cpd_files_import_as_schemes_of_their_structured_target(name):
    op, nnn = name.split("-")[:2]
    for suffix in (".npy", ".txt"):
        scheme = io.load(ANCHORS / f"{name}{suffix}")
        assert scheme.target == structured(op, int(nnn[0])) and verify(scheme)


@pytest.mark.parametrize("op,n", [("gt", 2), ("kg", 3), ("ss", 2), ("gg", 2)])
def test_our_structured_schemes_convert_to_flip_cpd_and_back(tmp_path, op, n):
    import io as _io
    from fractions import Fraction

    target = structured(op, n)
    s = standard(target)
    stem = f"{op}-{str(n) * 3}"
    path = tmp_path / f"{stem}-rank{s.rank}.npy"
    io.save(s, path)
    back = io.load(path)
    assert back == s and back.target == target
    row = np.load(_io.BytesIO(path.read_bytes()))          # the layout, read independently
    pairs = row.reshape(-1, 2)
    values = [Fraction(int(a), int(b)) for a, b in pairs]
    assert row.shape[0] == 1 and len(values) == s.rank * sum(target.sizes)
    assert values[: target.sizes[0]] == [Fraction(int(x)) for x in s.U[0]]
    with pytest.raises(FormatError, match="must be named"):
        io.save(s, tmp_path / "wrong-name.npy")
