"""Straight-line programs: evaluation, exact check, listing, expansion, reduced-JSON form."""
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from flipgraph import classics
from flipgraph.additions import reduce_additions
from flipgraph.errors import FormatError
from flipgraph.io.reduced import read_reduced, reduced_dict, slp_from_reduced, write_reduced
from flipgraph.rings import ZT
from flipgraph.slp import SLP

PERMINOV = Path(__file__).resolve().parents[2] / "shared" / "anchors" / "perminov"


def winograd_by_hand() -> SLP:
    """Winograd's 15-addition program written out (0-based names)."""
    s = SLP(2, 2, 2, ZT)
    s.a_side = [("x0", ((1, "a1_0"), (1, "a1_1"))), ("x1", ((1, "x0"), (-1, "a0_0"))),
                ("x2", ((1, "a0_0"), (-1, "a1_0"))), ("x3", ((1, "a0_1"), (-1, "x1")))]
    s.left = [("l0", ((1, "a0_0"),)), ("l1", ((1, "a0_1"),)), ("l2", ((1, "x3"),)),
              ("l3", ((1, "a1_1"),)), ("l4", ((1, "x0"),)), ("l5", ((1, "x1"),)),
              ("l6", ((1, "x2"),))]
    s.b_side = [("y0", ((1, "b0_1"), (-1, "b0_0"))), ("y1", ((1, "b1_1"), (-1, "y0"))),
                ("y2", ((1, "b1_1"), (-1, "b0_1"))), ("y3", ((1, "y1"), (-1, "b1_0")))]
    s.right = [("r0", ((1, "b0_0"),)), ("r1", ((1, "b1_0"),)), ("r2", ((1, "b1_1"),)),
               ("r3", ((-1, "y3"),)), ("r4", ((1, "y0"),)), ("r5", ((1, "y1"),)),
               ("r6", ((1, "y2"),))]
    s.c_side = [("z0", ((1, "m0"), (1, "m5"))), ("z1", ((1, "z0"), (1, "m6"))),
                ("z2", ((1, "z0"), (1, "m4")))]
    s.outputs = [("c0_0", ((1, "m0"), (1, "m1"))), ("c0_1", ((1, "z2"), (1, "m2"))),
                 ("c1_0", ((1, "z1"), (1, "m3"))), ("c1_1", ((1, "z1"), (1, "m4")))]
    return s


def test_hand_written_winograd_program():
    s = winograd_by_hand()
    assert s.additions == (4, 4, 7) and s.additions.total == 15
    assert s.check()
    assert s.to_scheme() == classics.winograd()


def test_evaluate_int64_and_fractions():
    s = winograd_by_hand()
    rng = np.random.default_rng(1)
    A, B = rng.integers(-50, 50, (2, 2)), rng.integers(-50, 50, (2, 2))
    C = s.evaluate(A, B)
    assert C.dtype == np.int64 and (C == A @ B).all()
    Af = np.array([[Fraction(1, 3), 2], [Fraction(-5, 7), 1]], dtype=object)
    assert (s.evaluate(Af, Af) == Af.dot(Af)).all()
    with pytest.raises(ValueError, match="do not fit"):
        s.evaluate(np.zeros((3, 2)), np.zeros((2, 2)))


def test_check_catches_a_wrong_sign():
    s = winograd_by_hand()
    target, terms = s.c_side[0]
    s.c_side[0] = (target, ((1, "m0"), (-1, "m5")))
    assert not s.check()


def test_listing_is_ordered_and_readable():
    s = winograd_by_hand()
    lines = s.listing().splitlines()
    assert lines[0].startswith("# 2x2x2, rank 7, ring zt, additions 15")
    # 1-based names, as in every listing: internal x1 = x0 - a0_0 is shown x2 = x1 - a11
    assert "x2 = x1 - a11" in lines and "r4 = -y4" in lines and "m7 = l7 * r7" in lines
    assert lines.index("x1 = a21 + a22") < lines.index("l5 = x1") < lines.index("m1 = l1 * r1")
    assert len(lines) == 1 + 4 + 7 + 4 + 7 + 7 + 3 + 4


def test_reduced_json_round_trip(tmp_path):
    slp = reduce_additions(classics.laderman(), restarts=10).slp
    path = tmp_path / "lad.json"
    write_reduced(slp, path)
    back = read_reduced(path)
    assert back.additions == slp.additions and back.check()
    assert back.to_scheme() == classics.laderman()
    assert json.loads(path.read_text())["complexity"]["naive"] == 98


def test_reduced_json_bad_input_names_file_and_key():
    good = reduced_dict(winograd_by_hand())
    broken = dict(good, u=good["u"][:-1])
    with pytest.raises(FormatError, match=r"x\.json: key 'u' must hold 7 forms"):
        slp_from_reduced(broken, "x.json")
    broken = json.loads(json.dumps(good))
    broken["v"][0][0]["index"] = 99
    with pytest.raises(FormatError, match=r"x\.json: key 'v': index 99 out of range"):
        slp_from_reduced(broken, "x.json")
    broken = json.loads(json.dumps(good))
    broken["w"][0][0]["value"] = -broken["w"][0][0]["value"]
    with pytest.raises(FormatError, match="does not compute"):
        slp_from_reduced(broken, "x.json")


@pytest.mark.parametrize("name", ["2x2x2_m7_cr15_cn24_ZT_reduced.json",
                                  "3x3x3_m23_cr58_cn119_ZT_reduced.json",
                                  "4x4x4_m49_cr159_fv100_cn474_ZT_reduced.json"])
def test_public_reduced_files_import_with_their_stated_counts(name):
    path = PERMINOV / name
    if not path.exists():
        pytest.skip(f"anchor {name} not present (../shared/anchors)")
    stated = json.loads(path.read_text())["complexity"]
    slp = read_reduced(path)
    assert slp.check()
    assert slp.additions.total == stated["reduced"]
    assert reduced_dict(slp)["complexity"] == stated
