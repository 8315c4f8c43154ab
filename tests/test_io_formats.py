"""Readers on hand-made and corrupted files: each format's strictness, conventions and messages."""
import io as stdio
import json
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from flipgraph import FormatError, classics, io, verify
from flipgraph.io import exp
from flipgraph.io.common import to_trace

ANCHORS = Path(__file__).resolve().parents[2] / "shared" / "anchors"


def _fails(path, match: str, **kwargs) -> str:
    """load(path) must raise a one-line FormatError naming the file and matching ``match``."""
    with pytest.raises(FormatError, match=match) as info:
        io.load(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


# --------------------------------------------------------------------------- native JSON
def test_native_round_trip_keeps_meta_and_ring(tmp_path):
    path = tmp_path / "s.json"
    io.save(classics.winograd(), path, meta={"source": "Winograd 1971"})
    scheme, meta = io.load_with_meta(path)
    assert meta == {"source": "Winograd 1971"} and scheme.ring.name == "zt"
    assert np.array_equal(scheme.W, classics.winograd().W) and verify(scheme)


@pytest.mark.parametrize("edit, match", [
    (lambda d: d.update(rank=8), r"key 'U': 7 rows, but 'rank' is 8"),
    (lambda d: d.update(extra=1), r"unknown key 'extra'"),
    (lambda d: d.pop("W"), r"missing key 'W'"),
    (lambda d: d["V"][2].append(0), r"key 'V'\[2\]: expected a row of 4"),
    (lambda d: d["U"][0].__setitem__(1, 0.5), r"key 'U'\[0\]\[1\]: 0.5 is not an integer"),
    (lambda d: d["U"][0].__setitem__(1, "1/0"), r"zero denominator"),
    (lambda d: d["W"][3].__setitem__(0, 2), r"zt allows only -1, 0, 1"),
    (lambda d: d.update(ring="r"), r"key 'ring': unknown ring"),
    (lambda d: d.update(target="mm:2x2"), r"key 'target': bad format"),
    (lambda d: d.update(target={"sizes": [4, 4, 4], "entries": [[0, 0, 9, 1]]}),
     r"key 'target': tensor entry index out of range"),
    (lambda d: d.update(target={"id": "user:0", "sizes": [4, 4, 4], "entries": [[0, 0, 0, 1]]}),
     r"key 'target': target id 'user:0' does not match"),
    (lambda d: d.update(format=[2, 2, 2]), r"unknown key 'format'"),
    (lambda d: d.update(flipgraph=3), r"unsupported version"),
    (lambda d: d.update(flipgraph=[2]), r"unsupported version"),
])
def test_native_corrupted_fails_naming_the_key(tmp_path, edit, match):
    path = tmp_path / "bad.json"
    io.save(classics.strassen(), path)
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    _fails(path, match)


def test_native_version_1_still_reads(tmp_path):
    """Files written by the first release: "flipgraph": 1 and "format": [n, m, p], no target."""
    s = classics.strassen()
    v1 = {"flipgraph": 1, "format": [2, 2, 2], "ring": "zt", "rank": 7, "U": s.U.tolist(),
          "V": s.V.tolist(), "W": s.W.tolist(), "meta": {"source": "v1"}}
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(v1))
    scheme, meta = io.load_with_meta(path)
    assert scheme == s and scheme.target.id == "mm:2x2x2" and meta == {"source": "v1"}
    bad = dict(v1, format=[2, 2])
    path.write_text(json.dumps(bad))
    _fails(path, r"key 'format': expected \[n, m, p\]")
    path.write_text(json.dumps(dict(v1, target="mm:2x2x2")))      # v1 knows no target key
    _fails(path, r"unknown key 'target'")


def test_native_invalid_json_names_the_line(tmp_path):
    path = tmp_path / "bad.json"
    io.save(classics.strassen(), path)
    path.write_text(path.read_text().replace("]],", "]", 1))
    _fails(path, r"line \d+: invalid JSON")


def test_native_rationals_are_strings(tmp_path):
    half = classics.strassen().over("q")
    half.U[0] = half.U[0] / 2
    half.W[0] = half.W[0] * 2
    path = tmp_path / "q.json"
    io.save(half, path)
    assert '"1/2"' in path.read_text()
    back = io.load(path)
    assert back.ring.name == "q" and back.U[0, 0] == Fraction(1, 2) and verify(back)


# --------------------------------------------------------------------------- Perminov JSON
def _perminov_copy(tmp_path, edit) -> Path:
    source = ANCHORS / "perminov" / "2x4x5_m33_ZT.json"
    if not source.exists():
        pytest.skip("anchor data not present")
    data = json.loads(source.read_text())
    edit(data)
    path = tmp_path / "copy.json"
    path.write_text(json.dumps(data))
    return path


def test_perminov_corrupted_row_fails(tmp_path):
    path = _perminov_copy(tmp_path, lambda d: d["u"][4].pop())
    _fails(path, r"key 'u'\[4\]: expected a row of 8 coefficients, got 7")


def test_perminov_listing_that_disagrees_with_arrays_fails(tmp_path):
    def swap(d):
        d["elements"][0], d["elements"][1] = d["elements"][1], d["elements"][0].replace("c11", "c12")
        d["elements"][0] = d["elements"][0].replace("c12", "c11")
    path = _perminov_copy(tmp_path, swap)
    _fails(path, r"disagree with u/v/w")


def test_perminov_z2_flag_and_reduced_form_fields(tmp_path):
    path = _perminov_copy(tmp_path, lambda d: d.update(z2="yes"))
    _fails(path, r"key 'z2'")
    reduced = tmp_path / "r.json"
    reduced.write_text(json.dumps({"n": 2, "m": 1, "u_fresh": [[{"index": 9, "value": 1}]],
                                   "u": [[]], "v": [[]], "w": [[]] * 4}))
    _fails(reduced, r"index 9 is not an original or an earlier fresh variable")


def test_perminov_writer_keeps_their_conventions(tmp_path):
    scheme = classics.laderman()
    path = tmp_path / "l.json"
    io.save(scheme, path, fmt="perminov")
    data = json.loads(path.read_text())
    assert data["n"] == [3, 3, 3] and data["m"] == 23 and data["z2"] is False
    assert np.array_equal(np.array(data["w"]), to_trace(scheme.W, 3, 3))
    assert data["multiplications"][0].startswith("m1 = (") and " * (" in data["multiplications"][0]
    assert np.array_equal(io.load(path).U, scheme.U)


# --------------------------------------------------------------------------- listing .txt
def test_listing_reads_perminov_style_and_infers_the_format(tmp_path):
    path = tmp_path / "s.txt"
    source = ANCHORS / "perminov" / "2x2x2_m7_ZT.json"
    if not source.exists():
        pytest.skip("anchor data not present")
    data = json.loads(source.read_text())
    path.write_text("\n".join(data["multiplications"] + data["elements"]) + "\n")
    scheme = io.load(path)
    assert scheme.format == (2, 2, 2) and scheme.ring.name == "zt" and verify(scheme)


def test_listing_header_gives_format_and_ring(tmp_path):
    path = tmp_path / "s.txt"
    io.save(classics.strassen().mod(2), path)
    assert "# ring: z2" in path.read_text()
    assert io.load(path).ring.name == "z2"


@pytest.mark.parametrize("line, bad, match", [
    (6, "m3 = (a11 + )(b12)", r"line 6: cannot read"),
    (6, "m3 = (a11)", r"line 6: expected m3 = \(a-form\)\(b-form\)"),
    (6, "m9 = (a11)(b11)", r"m3 is missing"),
    (6, "hello", r"line 6: expected 'm<q> = "),
    (11, "c11 = m1 + m99", r"line 11: m99 is used but only 7"),
    (11, "c13 = m1", r"line 11: c13 outside a 2x2 matrix"),
    (11, "c12 = m1", r"line 12: output c12 defined twice"),
])
def test_listing_corrupted_names_the_line(tmp_path, line, bad, match):
    path = tmp_path / "bad.txt"
    io.save(classics.strassen(), path)
    lines = path.read_text().splitlines()
    assert lines[5].startswith("m3 =") and lines[10].startswith("c11 =")
    lines[line - 1] = bad
    path.write_text("\n".join(lines) + "\n")
    _fails(path, match)


# --------------------------------------------------------------------------- Moosbauer .exp
def test_exp_writes_c_transposed(tmp_path):
    # the standard 1x1x2 scheme: C[0, 1] = A[0, 0] B[0, 1] is written c21 in the trace convention
    from flipgraph import standard
    text = exp.write(standard(1, 1, 2))
    assert text.splitlines()[0] == "# ring: zt"
    assert text.splitlines()[2] == "(a11)*(b12)*(c21)"
    assert verify(exp.parse(text, "t", "t.exp"))


def test_exp_corrupted_fails_with_line(tmp_path):
    source = ANCHORS / "moosbauer" / "444-47-mod2.exp"
    if not source.exists():
        pytest.skip("anchor data not present")
    lines = source.read_text().splitlines()
    lines[9] = lines[9].replace(")*(", ")*", 1)
    path = tmp_path / "444-47-mod2.exp"
    path.write_text("\n".join(lines))
    _fails(path, r"line 10: unbalanced")
    lines[9] = "(a11)*(b55)*(c11)"
    path.write_text("\n".join(lines))
    _fails(path, r"line 10: b55 outside a 4x4 matrix")


# --------------------------------------------------------------------------- Maple .m
def _maple_strassen(style: str) -> str:
    triples = []
    for line in exp.write(classics.strassen()).splitlines()[1:]:      # after "# ring: zt"
        a, b, c = (f.strip("()") for f in line.split(")*("))
        triples.append(f"[{a}, {b}, {c}]")
    body = ",\n  ".join(triples)
    if style == "brackets":
        import re
        body = re.sub(r"([abc])(\d)(\d)", r"\1[\2,\3]", body)
    return f"# Strassen, trace convention\nS := [\n  {body}\n];\n"


@pytest.mark.parametrize("style", ["plain", "brackets"])
def test_maple_triples_read(tmp_path, style):
    path = tmp_path / "strassen.m"
    path.write_text(_maple_strassen(style))
    scheme = io.load(path)
    assert scheme.format == (2, 2, 2) and verify(scheme)
    assert np.array_equal(scheme.W, classics.strassen().W)


def test_maple_corrupted_triple_names_the_line(tmp_path):
    path = tmp_path / "bad.m"
    text = _maple_strassen("plain").replace("[a12-a22, b21+b22, c11]", "[a12-a22, b21+b22]")
    assert text != _maple_strassen("plain")
    path.write_text(text)
    _fails(path, r"line \d+: a triple needs 3 forms")


# --------------------------------------------------------------------------- AlphaTensor .npz
def _npz(path: Path, members: dict) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, raw in members.items():
            archive.writestr(name, raw)


def _npy(array: np.ndarray) -> bytes:
    buffer = stdio.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _factors(scheme, scale_u=1.0):
    n, _, p = scheme.format
    out = np.empty(3, dtype=object)
    out[0] = scheme.U.T.astype(float) * scale_u
    out[1] = scheme.V.T.astype(np.int64)
    out[2] = to_trace(scheme.W, n, p).T.astype(float) / scale_u
    return out


def test_alphatensor_object_arrays_and_halves_read_exactly(tmp_path):
    path = tmp_path / "factorizations_r.npz"
    _npz(path, {"2,2,2.npy": _npy(_factors(classics.strassen(), 2.0)),
                "3,3,3.npy": _npy(_factors(classics.laderman()))})
    entries = dict(io.load_all(path))
    assert entries["2,2,2"].ring.name == "q" and entries["3,3,3"].ring.name == "zt"
    assert all(verify(s) for s in entries.values())
    assert Fraction(1, 2) in set(entries["2,2,2"].W.ravel())


class _Evil:
    def __reduce__(self):
        import os
        return (os.system, ("touch evil-was-run",))


def test_alphatensor_refuses_arbitrary_pickles(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil = np.empty(3, dtype=object)
    evil[:] = [_Evil(), 1, 2]
    path = tmp_path / "factorizations_f2.npz"
    _npz(path, {"2,2,2.npy": _npy(evil)})
    _fails(path, r"key '2,2,2': refused to unpickle posix.system|refused to unpickle os.system")
    assert not (tmp_path / "evil-was-run").exists()


@pytest.mark.parametrize("value, match", [(0.1, "not a small dyadic"), (np.nan, "not finite")])
def test_alphatensor_refuses_garbage_floats(tmp_path, value, match):
    factors = _factors(classics.strassen())
    factors[0] = factors[0].copy()
    factors[0][0, 0] = value
    path = tmp_path / "f.npz"
    _npz(path, {"2,2,2.npy": _npy(factors)})
    _fails(path, match)


def test_alphatensor_truncated_or_misshapen(tmp_path):
    path = tmp_path / "f.npz"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    _fails(path, "not an .npz")
    factors = _factors(classics.strassen())
    factors[1] = factors[1][:3]
    _npz(path, {"2,2,2.npy": _npy(factors)})
    _fails(path, r"factor V has shape \(3, 7\), expected \(4, R\)")


# --------------------------------------------------------------------------- dispatch
def test_unknown_format_lists_the_known_ones(tmp_path):
    with pytest.raises(FormatError, match="native, perminov, txt, numeric, exp, maple, triads, alphatensor, flipcpd"):
        io.load(tmp_path / "x.json", fmt="csv")
    with pytest.raises(FormatError, match="cannot tell the file format"):
        io.load(tmp_path / "x.dat")
    with pytest.raises(FormatError, match="does not write them"):
        io.save(classics.strassen(), tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()
