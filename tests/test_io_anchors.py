"""Every public anchor file imports and verifies in its ring (../shared/anchors, skipped if absent).

AlphaTensor's factorizations_r.npz: the large formats (n·m·p above SLOW_VOLUME, ranks 450 to 990)
take 0.5–6 s each to verify exactly, about a minute in all on this machine, and are marked slow;
the others run by default in a few seconds.
"""
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from flipgraph import io, verify
from flipgraph.io.listing import parse_lines

ANCHORS = Path(__file__).resolve().parents[2] / "shared" / "anchors"
SLOW_VOLUME = 600


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"anchor data not present: {path}")
    return path


def _npz_params(name: str):
    path = ANCHORS / "alphatensor" / name
    if not path.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{path} not present"))]
    keys = [member[:-4] for member in zipfile.ZipFile(path).namelist()]
    return [pytest.param(k, marks=[pytest.mark.slow] if np.prod([int(x) for x in k.split(",")])
                         > SLOW_VOLUME else []) for k in keys]


def test_alphatensor_f2_all_entries_verify_mod_2():
    path = _need(ANCHORS / "alphatensor" / "factorizations_f2.npz")
    entries = io.load_all(path)
    assert len(entries) == 20
    for key, scheme in entries:
        assert scheme.ring.name == "z2", key
        assert tuple(int(x) for x in key.split(",")) == scheme.format
        assert verify(scheme), f"{key}: {verify(scheme)}"
    # the 4x4x4 rank-47 scheme is valid only mod 2
    s444 = dict(entries)["4,4,4"]
    assert s444.rank == 47 and not verify(s444.over("z"))


@pytest.mark.parametrize("key", _npz_params("factorizations_r.npz"))
def test_alphatensor_r_entry_verifies_over_its_ring(key):
    scheme = io.load(ANCHORS / "alphatensor" / "factorizations_r.npz", key=key)
    assert scheme.format == tuple(int(x) for x in key.split(","))
    assert scheme.ring.name in ("zt", "z", "q")
    assert verify(scheme), f"{key}: {verify(scheme)}"


def test_alphatensor_r_has_rational_entries_read_exactly():
    path = _need(ANCHORS / "alphatensor" / "factorizations_r.npz")
    scheme = io.load(path, key="3,4,11")
    assert scheme.ring.name == "q"
    values = set(np.concatenate([scheme.U.ravel(), scheme.V.ravel(), scheme.W.ravel()]))
    assert any(x.denominator == 2 for x in values)
    assert verify(scheme)


def _perminov_files():
    folder = ANCHORS / "perminov"
    return sorted(folder.glob("*.json")) if folder.exists() else []


@pytest.mark.parametrize("path", _perminov_files(), ids=lambda p: p.name)
def test_perminov_file_imports_and_verifies_in_its_ring(path):
    scheme = io.load(path)
    data = json.loads(path.read_text())
    suffix = path.stem.replace("_reduced", "").rsplit("_", 1)[1].lower()
    assert scheme.ring.name == ("z2" if data["z2"] else suffix)
    assert scheme.rank == data["m"]
    assert verify(scheme), verify(scheme)


def test_perminov_listing_lines_use_c_not_transposed_but_w_arrays_do():
    path = _need(ANCHORS / "perminov" / "2x4x5_m33_ZT.json")
    data = json.loads(path.read_text())
    n1, n2, n3 = data["n"]
    scheme = io.load(path)
    # the arrays: w index k*n1 + i holds C[i, k] (C transposed)
    w = np.array(data["w"])
    assert np.array_equal(w.reshape(-1, n3, n1).transpose(0, 2, 1).reshape(-1, n1 * n3), scheme.W)
    # the listing: "c12 = ..." is C[0, 1]; reading it in the transposed sense gives another scheme
    items = [("line", x) for x in data["multiplications"] + data["elements"]]
    listed = parse_lines(items, "listing", (n1, n2, n3))
    assert np.array_equal(listed.W.astype(int), scheme.W)
    assert not np.array_equal(listed.W.astype(int), w)


def _moosbauer_files():
    folder = ANCHORS / "moosbauer"
    return sorted(folder.glob("*.exp")) if folder.exists() else []


@pytest.mark.parametrize("path", _moosbauer_files(), ids=lambda p: p.name)
def test_moosbauer_file_imports_and_verifies_in_its_ring(path):
    scheme = io.load(path)
    fmt, rank, modulus = path.stem.split("-")
    assert scheme.format == tuple(int(c) for c in fmt)
    assert scheme.rank == int(rank)
    assert scheme.ring.name == ("z2" if modulus == "mod2" else "z")
    assert verify(scheme), verify(scheme)


def test_moosbauer_444_47_is_valid_mod_2_only():
    scheme = io.load(_need(ANCHORS / "moosbauer" / "444-47-mod2.exp"))
    assert verify(scheme) and not verify(io.load(ANCHORS / "moosbauer" / "444-47-mod2.exp", ring="z"))
