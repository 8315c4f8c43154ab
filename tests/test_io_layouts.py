"""The field's published layouts (issue 13): each read to the same scheme, in the right ring."""
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import io_samples as samples
from flipgraph import classics, io, standard, verify
from flipgraph.cli import main
from flipgraph.errors import FormatError
from flipgraph.io import numeric

ROOT = Path(__file__).resolve().parents[1]


def _same(a, b) -> bool:
    return (a.format == b.format and a.ring == b.ring
            and all(np.array_equal(x, y) for x, y in ((a.U, b.U), (a.V, b.V), (a.W, b.W))))


def _rational_strassen():
    """Strassen with product 1 scaled: U row ×3, W row ×1/3 (a valid scheme over Q only)."""
    s = classics.strassen().over("q")
    U, W = s.U.copy(), s.W.copy()
    U[0] = U[0] * 3
    W[0] = W[0] * Fraction(1, 3)
    return type(s)((2, 2, 2), U, s.V, W, "q")


def _mod2_only():
    """Strassen with 2 added to one coefficient: valid mod 2, invalid over Z and mod 3."""
    s = classics.strassen()
    U = s.U.copy()
    U[0, 0] += 2
    return type(s)((2, 2, 2), U, s.V, s.W, "z")


def _mod3_only():
    s = classics.strassen()
    U = s.U.copy()
    U[0, 0] += 3
    return type(s)((2, 2, 2), U, s.V, s.W, "z")


@pytest.mark.parametrize("scheme", [classics.laderman(), _rational_strassen(), standard(2, 3, 4)],
                         ids=["laderman", "rational", "standard234"])
def test_maple_coefficient_matrices(tmp_path, scheme):
    path = samples.write(tmp_path, "k0123.m", samples.maple_matrices(scheme))
    assert _same(io.load(path), scheme)


def test_maple_matrices_with_assignment_brackets_and_comment(tmp_path):
    text = "# Laderman\nS := " + samples.maple_matrices(classics.laderman()).replace("{", "[").replace("}", "]")
    path = samples.write(tmp_path, "x.m", text.rstrip() + ";\n")
    assert _same(io.load(path), classics.laderman())


def test_maple_matrices_of_inconsistent_shape_name_the_product(tmp_path):
    lines = samples.maple_matrices(classics.strassen()).splitlines()
    lines[1] = lines[1].replace("}, {", ", 0}, {", 1)          # product 2: a's first row gets 3 entries
    path = samples.write(tmp_path, "x.m", "\n".join(lines))
    with pytest.raises(FormatError, match=r"x\.m: product 2: matrix a is not 2x2"):
        io.load(path)


def test_maple_triadset_with_unevaluated_entries(tmp_path):
    for scheme in (classics.laderman(), _rational_strassen()):
        path = samples.write(tmp_path, "x_tensor.mpl", samples.triads_mpl(scheme, "-(0*1-1*0-1)"))
        assert "-(0*1-1*0-1)" in path.read_text()
        assert _same(io.load(path), scheme)
    path = samples.write(tmp_path, "y.mpl", samples.triads_mpl(classics.strassen(), "2*(1"))
    with pytest.raises(FormatError, match=r"y\.mpl: cannot evaluate '2\*\(1'"):
        io.load(path)


@pytest.mark.parametrize("scheme", [classics.laderman(), standard(2, 3, 4)], ids=["laderman", "234"])
def test_numeric_txt_integers(tmp_path, scheme):
    path = samples.write(tmp_path, "s_ZT.txt", samples.numeric_txt(scheme))
    assert _same(io.load(path), scheme)


def test_numeric_txt_pairs_over_q(tmp_path):
    scheme = _rational_strassen()
    path = samples.write(tmp_path, "s_Q.txt", samples.numeric_txt(scheme, pairs=True))
    assert _same(io.load(path), scheme)


def test_numeric_txt_many_schemes_and_key(tmp_path):
    text = samples.numeric_txt(classics.strassen()) + samples.numeric_txt(classics.laderman())
    path = samples.write(tmp_path, "two.txt", text)
    entries = io.load_all(path)
    assert [key for key, _ in entries] == ["1", "2"]
    assert _same(entries[1][1], classics.laderman())
    assert _same(io.load(path, key="1"), classics.strassen())
    with pytest.raises(FormatError, match="holds 2 schemes"):
        io.load(path)


def test_numeric_written_and_read_back(tmp_path):
    for scheme in (classics.laderman(), _rational_strassen()):
        path = tmp_path / "out.txt"
        io.save(scheme, path, "numeric")
        assert numeric.looks_numeric(path.read_text())
        assert _same(io.load(path), scheme)


def test_numeric_truncated_run_names_the_line(tmp_path):
    lines = samples.numeric_txt(classics.strassen()).splitlines()
    lines[2] = " ".join(lines[2].split()[:-1])
    path = samples.write(tmp_path, "s.txt", "\n".join(lines))
    with pytest.raises(FormatError, match=r"s\.txt: line 3: run v: 27 numbers, expected 28"):
        io.load(path)


def test_txt_layouts_told_apart_by_content(tmp_path):
    s = classics.strassen()
    listing = samples.write(tmp_path, "a.txt", io.listing.write(s))
    numbers = samples.write(tmp_path, "b.txt", samples.numeric_txt(s))
    products = samples.write(tmp_path, "c.txt", samples.exp_lines(s, "spaces"))
    for path in (listing, numbers, products):
        assert _same(io.load(path), s), path.name


@pytest.mark.parametrize("style", ["plain", "spaces", "nostar"])
def test_exp_separators(tmp_path, style):
    path = samples.write(tmp_path, "x.exp", samples.exp_lines(classics.laderman(), style))
    assert _same(io.load(path), classics.laderman())


def test_exp_whole_factor_denominators_signs_and_scaled_factors(tmp_path):
    # Strassen's first product (a11+a22)(b11+b22)(c11+c22) written three other ways
    plain = samples.exp_lines(classics.strassen()).splitlines()
    assert plain[0] == "(a11+a22)*(b11+b22)*(c11+c22)"
    for variant in ("(a11+a22)*(b11+b22)*(3*c11+3*c22)/3", "-(a11+a22)*(b11+b22)*(-c11-c22)",
                    "(2*(a11+a22))*(b11+b22)*(c11+c22)/2", "-((a11+a22) (b11+b22) (-c11-c22))"):
        path = samples.write(tmp_path, "x.exp", "\n".join([variant] + plain[1:]))
        scheme = io.load(path)
        assert _same(scheme, classics.strassen()), variant
    path = samples.write(tmp_path, "x.exp", "\n".join(["1/2*(a11+a22)*(2*b11+2*b22)*(c11+c22)"] + plain[1:]))
    scheme = io.load(path)                   # the scale stays on the C factor: a valid Q scheme
    assert scheme.ring.name == "q" and verify(scheme) and scheme.W[0, 0] == Fraction(1, 2)


def test_exp_rational_product(tmp_path):
    path = samples.write(tmp_path, "x.exp", samples.exp_lines(_rational_strassen()))
    assert "1/3*" in path.read_text()
    assert _same(io.load(path), _rational_strassen())


def _perminov_with_lines(scheme, products, outputs):
    data = json.loads(samples.perminov_json(scheme))
    data["multiplications"], data["elements"] = products, outputs
    return json.dumps(data)


def _concatenated(scheme):
    """Perminov's listing lines for dimensions of 10 or more: indices written without separators."""
    n, m, p = scheme.format
    U, V, W = scheme.U, scheme.V, scheme.W
    name = lambda letter, i, j: f"{letter}{i + 1}{j + 1}"
    form = lambda row, letter, cols: " + ".join(name(letter, *divmod(k, cols)) for k in np.nonzero(row)[0])
    products = [f"m{q + 1} = ({form(U[q], 'a', m)}) * ({form(V[q], 'b', p)})" for q in range(scheme.rank)]
    outputs = [f"{name('c', *divmod(c, p))} = " + (" + ".join(f"m{q + 1}" for q in np.nonzero(W[:, c])[0]) or "0")
               for c in range(n * p)]
    return products, outputs


def test_perminov_dimensions_of_10_or_more(tmp_path):
    for fmt in ((2, 11, 2), (11, 11, 1)):                    # a111 splits one way in 2x11, two in 11x11
        scheme = standard(*fmt)
        path = samples.write(tmp_path, "big.json", _perminov_with_lines(scheme, *_concatenated(scheme)))
        assert _same(io.load(path), scheme), fmt


def test_perminov_listing_keys_holding_arrays_leave_the_arrays_authoritative(tmp_path):
    scheme = classics.strassen()
    path = samples.write(tmp_path, "s.json", _perminov_with_lines(scheme, [[1, 0], [0, 1]], [[1]]))
    assert _same(io.load(path), scheme)


def test_perminov_unambiguous_lines_are_still_checked(tmp_path):
    scheme = standard(2, 11, 2)
    products, outputs = _concatenated(scheme)
    products[0] = products[0].replace("(a11)", "(a111)")       # a1,11 instead of a1,1
    path = samples.write(tmp_path, "big.json", _perminov_with_lines(scheme, products, outputs))
    with pytest.raises(FormatError, match="disagree with u/v/w"):
        io.load(path)


def test_flipcpd_npy_and_flat_txt(tmp_path):
    s = classics.laderman()
    for suffix, data in ((".npy", samples.flipcpd_npy(s)), (".txt", samples.flipcpd_txt(s))):
        path = samples.write(tmp_path, f"gg-333-rank23-rec-0-0-0-z{suffix}", data)
        assert _same(io.load(path), s), suffix


def test_flipcpd_meta_json_names_the_target(tmp_path):
    s = standard(2, 3, 4)
    path = samples.write(tmp_path, "scheme.npy", samples.flipcpd_npy(s))
    (tmp_path / "scheme.meta.json").write_text(json.dumps({"op": "gg", "n1": 2, "n2": 3, "n3": 4}))
    assert _same(io.load(path), s)


def test_flipcpd_targets_other_than_the_file_name_says_are_refused_clearly(tmp_path):
    # a 3x3x3 scheme in a file named for ss:3 (sizes 6, 6, 9) does not fit that target
    path = samples.write(tmp_path, "ss-333-rank20-rec-0-0-0-z.npy", samples.flipcpd_npy(classics.laderman()))
    with pytest.raises(FormatError, match=r"is not 2·r·21 for a ss:3 scheme"):
        io.load(path)
    path = samples.write(tmp_path, "gt-334-rank20-rec-0-0-0-z.txt", samples.flipcpd_txt(classics.laderman()))
    with pytest.raises(FormatError, match="gt-334 is not one flipgraph models"):
        io.load(path)


# --------------------------------------------------------------------------- rings
@pytest.mark.parametrize("make, ring", [(_mod2_only, "z2"), (_mod3_only, "z3"),
                                        (classics.strassen, "zt"), (_rational_strassen, "q")])
def test_a_file_naming_no_ring_is_read_in_the_strongest_valid_ring(tmp_path, make, ring):
    for name, text in (("x.exp", samples.exp_lines(make())), ("x.m", samples.maple_matrices(make())),
                       ("x.txt", samples.numeric_txt(make(), pairs=ring == "q"))):
        scheme = io.load(samples.write(tmp_path, name, text))
        assert scheme.ring.name == ring and verify(scheme), name


def test_a_named_ring_is_never_replaced(tmp_path):
    text = "# ring: z\n" + samples.exp_lines(_mod2_only())
    scheme = io.load(samples.write(tmp_path, "x.exp", text))
    assert scheme.ring.name == "z" and not verify(scheme)
    scheme = io.load(samples.write(tmp_path, "x-mod0.exp", samples.exp_lines(_mod2_only())))
    assert scheme.ring.name == "z" and not verify(scheme)


@pytest.mark.parametrize("fmt", ["exp", "txt"])
@pytest.mark.parametrize("ring", ["z2", "z3", "zt", "z"])
def test_export_and_read_back_keeps_the_ring(tmp_path, fmt, ring):
    scheme = classics.strassen().over(ring)
    path = tmp_path / f"s.{fmt}"
    io.save(scheme, path)
    assert f"# ring: {ring}" in path.read_text()
    assert _same(io.load(path), scheme)


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_verify_reports_the_strongest_ring_and_lift_reads_like_verify(tmp_path):
    path = samples.write(tmp_path, "found.exp", samples.exp_lines(_mod2_only()))
    run = _cli("verify", path)
    assert run.exit_code == 0 and "valid over z2" in run.output, run.output
    run = _cli("lift", path, "--ring", "z3")              # read mod 3, where it is not valid
    assert "over z3" in run.output and run.exit_code != 0, run.output
    entries = tmp_path / "two.txt"
    entries.write_text(samples.numeric_txt(classics.strassen()) + samples.numeric_txt(classics.laderman()))
    run = _cli("lift", entries, "--key", "2", "--from", "numeric")
    assert run.exit_code == 0 and "two.txt[2]: 3x3x3 rank 23 over zt" in run.output, run.output


ANCHORS = ROOT.parent / "shared" / "anchors" / "structured"


@pytest.mark.skipif(not ANCHORS.is_dir(), reason="anchor data not present")
def test_flipcpd_anchor_files():
    for suffix in (".npy", ".txt"):
        scheme = io.load(ANCHORS / f"gg-333-rank23-rec-0-0-0-z{suffix}")
        assert scheme.format == (3, 3, 3) and scheme.rank == 23 and verify(scheme)
    for path in sorted(ANCHORS.glob("*.npy")) + sorted(ANCHORS.glob("*.txt")):
        scheme = io.load(path)                   # structured targets too (gt, kg, ss)
        assert scheme.target.id.startswith(path.name[:2]) or path.name.startswith("gg-")
        assert verify(scheme)
