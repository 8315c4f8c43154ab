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
