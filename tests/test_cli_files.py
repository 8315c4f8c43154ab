"""The file verbs of the CLI: verify, show, convert — output, exit codes (0 valid, 1 invalid,
2 bad input) and one-line errors without tracebacks."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from flipgraph import classics, io, verify
from flipgraph.cli import main

ROOT = Path(__file__).resolve().parents[1]
ANCHORS = ROOT.parent / "shared" / "anchors"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _broken_strassen(tmp_path) -> Path:
    scheme = classics.strassen()
    scheme.W[0, 0] = 0
    path = tmp_path / "broken.json"
    io.save(scheme, path)
    return path


def _corrupted_copies(tmp_path) -> list[Path]:
    """One corrupted file per readable format."""
    s = classics.strassen()
    files = []
    for name, fmt in (("a.json", "native"), ("b.json", "perminov"), ("c.txt", "txt"), ("d.exp", "exp")):
        path = tmp_path / name
        io.save(s, path, fmt=fmt)
        text = path.read_text()
        path.write_text(text.replace("a11", "a1x1", 1) if fmt in ("txt", "exp")
                        else text.replace("[", "{", 2))
        files.append(path)
    (tmp_path / "e.m").write_text("[[a11, b11, c11], [a12, b21]]")
    (tmp_path / "f.npz").write_bytes(b"not a zip archive")
    return files + [tmp_path / "e.m", tmp_path / "f.npz"]


def test_verify_classic_and_files(tmp_path):
    result = run("verify", "--classic", "laderman")
    assert result.exit_code == 0
    assert result.output == "classic laderman: 3x3x3 rank 23 zt: valid over zt\n"
    path = tmp_path / "w.exp"
    io.save(classics.winograd(), path)
    result = run("verify", path, "--ring", "z3")
    assert result.exit_code == 0 and result.output == f"{path}: 2x2x2 rank 7 z3: valid over z3\n"


def test_verify_invalid_exits_1_and_names_the_equation(tmp_path):
    result = run("verify", _broken_strassen(tmp_path), "--classic", "strassen")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].endswith("valid over zt") and "invalid over zt" in lines[1]
    assert "Brent equation(s) fail; first: a" in lines[1]


def test_verify_many_scheme_npz_prints_one_line_each():
    path = ANCHORS / "alphatensor" / "factorizations_f2.npz"
    if not path.exists():
        pytest.skip("anchor data not present")
    result = run("verify", path)
    assert result.exit_code == 0
    assert len(result.output.splitlines()) == 20 and f"{path}[4,4,4]: 4x4x4 rank 47 z2" in result.output


def test_corrupted_files_exit_2_with_one_line_and_no_traceback(tmp_path):
    for path in _corrupted_copies(tmp_path):
        for verb in ("verify", "show"):
            result = run(verb, path)
            assert result.exit_code == 2, (verb, path, result.output)
            assert "Traceback" not in result.output
            errors = [line for line in result.output.splitlines() if "error" in line]
            assert len(errors) == 1 and str(path) in errors[0], result.output
        assert run("convert", path, tmp_path / "out.json").exit_code == 2
        assert not (tmp_path / "out.json").exists()


def test_bad_input_wins_over_invalid_and_valid_files_still_report(tmp_path):
    good = tmp_path / "good.txt"
    io.save(classics.strassen(), good)
    result = run("verify", good, _broken_strassen(tmp_path), tmp_path / "missing.json")
    assert result.exit_code == 2
    assert "good.txt: 2x2x2 rank 7 zt: valid over zt" in result.output
    assert "missing.json: No such file or directory" in result.output


def test_verify_needs_something_to_check():
    result = run("verify")
    assert result.exit_code == 2 and "--classic" in result.output


def test_show_lists_facts_additions_and_products(tmp_path):
    path = tmp_path / "s.json"
    io.save(classics.strassen(), path, meta={"source": "Strassen 1969"})
    result = run("show", path)
    assert result.exit_code == 0
    out = result.output
    for expected in ("target:     2x2x2 (A is 2x2, B is 2x2)", "ring:       zt", "rank:       7", "valid over zt",
                     "additions:  18 naive (U 5, V 5, W 8)", "source = Strassen 1969",
                     "m1 = (a11 + a22)(b11 + b22)", "c11 = m1 + m4 - m5 + m7"):
        assert expected in out, expected
    assert run("show", _broken_strassen(tmp_path)).exit_code == 1


def test_convert_verifies_and_writes_every_format(tmp_path):
    source = tmp_path / "l.json"
    io.save(classics.laderman(), source, meta={"source": "Laderman 1976"})
    for out, fmt in (("l.exp", None), ("l.txt", None), ("lp.json", "perminov"), ("copy.json", None)):
        args = ["convert", source, tmp_path / out] + (["--to", fmt] if fmt else [])
        result = run(*args)
        assert result.exit_code == 0 and "valid over zt" in result.output, result.output
        back = io.load(tmp_path / out)
        assert back == classics.laderman() and verify(back)
    assert io.load_with_meta(tmp_path / "copy.json")[1] == {"source": "Laderman 1976"}


def test_convert_refuses_invalid_and_keeps_existing_output(tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("precious\n")
    result = run("convert", _broken_strassen(tmp_path), out)
    assert result.exit_code == 1 and "not written" in result.output
    assert out.read_text() == "precious\n"
    assert run("convert", _broken_strassen(tmp_path), out, "--allow-invalid").exit_code == 0
    assert "m1 = " in out.read_text()
    assert run("convert", out, tmp_path / "x.npz").exit_code == 2   # read-only format
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.json", "out.txt"]


def test_cli_shim_subprocess_on_corrupted_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"flipgraph": 1, "format": [2, 2, 2], "ring": "zt", "rank": 1,
                               "U": [[1, 0, 0, 0]], "V": [[1, 0, 0]], "W": [[1, 0, 0, 0]]}))
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "verify", str(bad)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.strip().splitlines() == [
        f"flipgraph: error: {bad}: key 'V'[0]: expected a row of 4 coefficients, got 3"]
