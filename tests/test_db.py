"""The HDF5 scheme database (flipgraph.db) and its CLI (flipgraph db ...)."""
from __future__ import annotations

import inspect
import itertools
import os
import random
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from flipgraph import Scheme, classics, standard, verify
from flipgraph.additions import naive_additions, stability_factor
from flipgraph.cli import main
from flipgraph.db import (SCHEMA_VERSION, Database, best_known, build_catalogue, default_database,
                          shipped_path, user_path)
from flipgraph.db.store import _move, _naive_by_output, _symmetry_word
from flipgraph.errors import FlipgraphError, SchemeError

REPO = Path(__file__).resolve().parents[1]
ANCHORS = Path(__file__).resolve().parents[2] / "shared" / "anchors"


def sandwich(scheme: Scheme, seed: int) -> Scheme:
    """A random GL sandwich A -> X A Y^-1, B -> Y B Z^-1 of a scheme (unimodular X, Y, Z), as a
    Z scheme: u' = Xᵀ u Y⁻ᵀ, v' = Yᵀ v Z⁻ᵀ, w' = X⁻¹ w Z per term."""
    rng = np.random.default_rng(seed)

    def unimodular(k):
        M = np.eye(k, dtype=np.int64)[rng.permutation(k)] * rng.choice([-1, 1], size=k)
        for _ in range(3 if k > 1 else 0):
            i, j = rng.choice(k, 2, replace=False)
            E = np.eye(k, dtype=np.int64)
            E[i, j] = rng.choice([-1, 1])
            M = M @ E
        return M, np.rint(np.linalg.inv(M)).astype(np.int64)

    n, m, p = scheme.format
    (X, Xi), (Y, Yi), (Z, Zi) = unimodular(n), unimodular(m), unimodular(p)
    r = scheme.rank
    U = np.stack([X.T @ a.reshape(n, m) @ Yi.T for a in scheme.U]).reshape(r, -1)
    V = np.stack([Y.T @ b.reshape(m, p) @ Zi.T for b in scheme.V]).reshape(r, -1)
    W = np.stack([Xi @ c.reshape(n, p) @ Z for c in scheme.W]).reshape(r, -1)
    return Scheme((n, m, p), U, V, W, "z")


@pytest.fixture
def db(tmp_path):
    return Database(tmp_path / "user.h5")


# --------------------------------------------------------------------------- API
def test_add_dedupes_and_reads_back(db):
    s = classics.strassen()
    key, added = db.add(s, {"source": "test"})
    assert added and key == s.canonical_hash()
    assert db.add(s.copy()) == (key, False)
    shuffled = Scheme((2, 2, 2), s.U[::-1], s.V[::-1], s.W[::-1], "zt")   # term order differs
    assert db.add(shuffled) == (key, False)
    assert len(db) == 1
    got = db.get(key[:10])
    assert got == s and got.ring.name == "zt" and verify(got)
    prov = db.provenance(db.find(key))
    assert prov["source"] == "test" and prov["engine_version"] and prov["date"]


def test_refuses_invalid_scheme_and_writes_nothing(db):
    bad = classics.strassen()
    bad.U[0, 0] = 0
    with pytest.raises(SchemeError, match="invalid"):
        db.add_many([classics.winograd(), bad])
    assert not db.path.exists() or len(db) == 0


def test_smallest_ring_is_kept(db):
    s = classics.laderman()
    as_q = s.over("q")
    key, added = db.add(as_q)                     # integral Q coefficients are stored as zt
    assert added and db.find(key).ring == "zt"
    big = sandwich(classics.strassen(), 3)        # coefficients beyond {-1,0,1}
    key2, _ = db.add(big)
    assert db.find(key2).ring in ("z", "zt")
    assert db.get(key2) == big


def test_rational_scheme_round_trip(db):
    s = classics.strassen()
    U = s.U.astype(object) * Fraction(1, 2)
    W = s.W.astype(object) * 2
    half = Scheme((2, 2, 2), U, s.V, W, "q")
    key, added = db.add(half)
    assert added and db.find(key).ring == "q"
    back = db.get(key)
    assert back.ring.name == "q" and back.U[0, 0] == Fraction(1, 2) and verify(back)
    with h5py.File(db.path) as f:
        assert f["schemes"][key]["U"].shape == (7, 4, 2)     # (numerator, denominator) pairs


def test_compact_integer_storage(db):
    key, _ = db.add(classics.laderman())
    with h5py.File(db.path) as f:
        assert f.attrs["schema_version"] == SCHEMA_VERSION
        assert f["schemes"][key]["U"].dtype == np.int8


def test_best_finds_permuted_format_through_symmetry(db):
    db.add(standard(3, 3, 4), {"source": "standard"})
    scheme, entry = db.best(4, 3, 3)
    assert scheme.format == (4, 3, 3) and verify(scheme)
    assert entry.stored_format == (3, 3, 4) and entry.symmetry
    assert "3x3x4" in entry.describe_symmetry()
    same, entry2 = db.best(3, 3, 4)
    assert entry2.symmetry == () and same.format == (3, 3, 4)
    assert db.best(3, 3, 5) is None


def test_best_prefers_rank_then_additions_then_ring(db):
    db.add_many([standard(2, 2, 2), classics.winograd(), classics.strassen()])
    scheme, entry = db.best(2, 2, 2)
    assert scheme.rank == 7
    assert entry.naive_additions == min(naive_additions(s).total
                                        for s in (classics.winograd(), classics.strassen()))
    z2 = Scheme((2, 2, 2), *(np.mod(x, 2) for x in (classics.strassen().U, classics.strassen().V,
                                                   classics.strassen().W)), "z2")
    db.add(z2)
    scheme, entry = db.best(2, 2, 2, ring="z2")
    assert scheme.ring.name == "z2" and verify(scheme)
    assert db.best(2, 2, 2, ring="z")[1].ring in ("zt", "z")       # a z2 scheme never counts for z


def test_additions_of_moved_schemes_predicted_from_index():
    for base in (sandwich(classics.laderman(), 1), standard(2, 3, 4), sandwich(standard(2, 3, 4), 2)):
        by_output = _naive_by_output(base)
        for fmt in set(itertools.permutations(base.format)):
            moved, word = _move(base, fmt)
            assert moved.format == fmt and verify(moved)
            _, role = _symmetry_word(base.format, fmt)
            assert naive_additions(moved).total == by_output["UVW".index(role)]


def test_query_filters(db):
    db.add_many([standard(2, 2, 3), classics.strassen(), standard(2, 2, 2), classics.laderman()])
    assert [e.rank for e in db.query((2, 2, 2))] == [7, 8]
    assert {e.format for e in db.query((3, 2, 2))} == {(2, 2, 3)}
    assert db.query((3, 2, 2), symmetric=False) == []
    assert db.query(format=(2, 2, 3), symmetric=False) == db.query("mm:2x2x3", symmetric=False) != []
    assert [e.rank for e in db.query(max_rank=8)] == [7, 8]
    assert [e.rank for e in db.query(rank=23)] == [23]
    assert all(e.additions <= 20 for e in db.query(max_additions=20))


def test_metrics_are_stored(db):
    key, _ = db.add(classics.winograd(), {"source": "t"}, reduced_additions=15)
    e = db.find(key)
    assert e.reduced_additions == 15 and e.additions == 15
    assert e.stability == stability_factor(classics.winograd()) > 0
    assert db.find(db.add(classics.strassen())[0]).reduced_additions is None


def test_foreign_and_newer_files_are_refused(tmp_path):
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = 1
    with pytest.raises(FlipgraphError, match="not a flipgraph scheme database"):
        Database(foreign).entries()
    with pytest.raises(FlipgraphError, match="not a flipgraph scheme database"):
        Database(foreign).add(classics.strassen())
    newer = tmp_path / "newer.h5"
    Database(newer).add(classics.strassen())
    with h5py.File(newer, "r+") as f:
        f.attrs["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(FlipgraphError, match="newer"):
        Database(newer).entries()
    text = tmp_path / "text.h5"
    text.write_text("hello")
    with pytest.raises(FlipgraphError, match="not a readable HDF5 file"):
        Database(text).entries()


def test_check_finds_corruption(db):
    key, _ = db.add(classics.laderman())
    assert db.check() == []
    with h5py.File(db.path, "r+") as f:
        f["schemes"][key]["W"][0, 0] += 1
    problems = db.check()
    assert problems and "invalid" in problems[0]


def test_layering_and_readonly(tmp_path):
    shipped = tmp_path / "catalogue.h5"
    build_catalogue(shipped)
    assert build_catalogue(shipped) and all(not added for _, added in build_catalogue(shipped))
    layered = Database(tmp_path / "user.h5", layers=[shipped])
    assert len(layered) == len(classics.CLASSICS)
    assert layered.add(classics.strassen()) == (classics.strassen().canonical_hash(), False)
    assert not layered.path.exists()                       # nothing written: already shipped
    layered.add(standard(3, 3, 4))
    assert len(Database(shipped)) == len(classics.CLASSICS)   # writes never reach the catalogue
    assert layered.best(3, 3, 3)[0].rank == 23                # Laderman, from the catalogue
    with pytest.raises(FlipgraphError, match="read-only"):
        Database(shipped, readonly=True).add(standard(2, 2, 2))


def test_shipped_catalogue_holds_the_classics():
    path = shipped_path()
    if not path.exists():
        pytest.fail(f"{path} missing: build it with `flipgraph db build-catalogue`")
    shipped = Database(path)
    assert {e.hash for e in shipped} >= {make().canonical_hash() for make in classics.CLASSICS.values()}
    assert shipped.check() == []


@pytest.mark.parametrize("fmt,over_z2,over_z", [((4, 4, 4), 47, 49), ((4, 4, 5), 60, 62),
                                               ((4, 5, 5), 73, 76)])
def test_the_catalogues_z2_records_never_answer_a_question_over_z(tmp_path, monkeypatch, fmt,
                                                                  over_z2, over_z):
    """The catalogue ships our Z2-only records (search_configs/444-rank47-z2.toml,
    445-rank60-z2.toml, 455-rank73-z2.toml); asked over Z (the default) or ZT, the database and
    `resolve` give the best scheme valid over the integers, never the mod-2 one."""
    monkeypatch.setenv("FLIPGRAPH_DB", str(tmp_path / "user.h5"))
    from flipgraph.pipeline import resolve
    shipped = Database(shipped_path(), readonly=True)
    scheme, _ = shipped.best(*fmt, ring="z2")
    assert scheme.rank == over_z2 and scheme.ring.name == "z2" and verify(scheme)
    assert shipped.best(*fmt, ring="z")[0].rank == over_z
    assert shipped.best(*fmt, ring="zt")[0].rank == over_z
    name = "x".join(map(str, fmt))
    assert resolve(name).scheme.rank == over_z and resolve(name).scheme.ring.name in ("z", "zt")
    assert resolve(name, ring="z2").scheme.rank == over_z2


def test_default_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIPGRAPH_DB", str(tmp_path / "env.h5"))
    assert user_path() == tmp_path / "env.h5"
    monkeypatch.delenv("FLIPGRAPH_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert user_path() == tmp_path / "xdg" / "flipgraph" / "schemes.h5"
    assert default_database().layers == [shipped_path()]


def test_best_known_table():
    table = best_known()
    assert any("FastMatrixMultiplication" in s for s in table.sources)
    assert table.best((2, 2, 2), "zt").rank == 7 and table.best((3, 3, 3), "q").rank == 23
    assert table.best((4, 4, 4), "z2").rank == 47 and table.best((4, 4, 4), "z").rank == 49
    assert table.best((4, 3, 3), "q") == table.best((3, 3, 4), "q")           # any permutation
    sota = ANCHORS / "fmm_sota.json"
    if not sota.exists():
        pytest.skip("../shared/anchors absent")
    full = best_known(sota)
    for record in table.records:                     # the shipped Q ranks never exceed Sedoglavic's
        if record.target.startswith("mm:") and record.ring in ("zt", "z", "q"):
            assert full.best(record.target, "q").rank <= record.rank


# --------------------------------------------------------------------------- faults
WRITER = "import numpy as np\nfrom flipgraph import Scheme\n" + inspect.getsource(sandwich) + r"""
import sys
from flipgraph import classics, standard
from flipgraph.db import Database
db, seed = Database(sys.argv[1]), int(sys.argv[2])
bases = [classics.strassen(), classics.winograd(), standard(2, 2, 3), standard(1, 2, 3)]
print("ready", flush=True)
for i in range(10**6):
    key, _ = db.add(sandwich(bases[i % len(bases)], seed * 100003 + i), {"seed": seed, "i": i})
    print(key, flush=True)
"""


def _writer(path: Path, seed: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(seed)],
                            stdout=subprocess.PIPE, env=env, text=True)


def _acknowledged(proc: subprocess.Popen) -> list[str]:
    out = proc.stdout.read()
    return [line for line in out.split("\n")[:-1] if line != "ready"]   # last piece: maybe cut


def test_sigkill_at_random_points_loses_nothing(tmp_path):
    path = tmp_path / "crash.h5"
    acknowledged, rng, stale, mid_write = set(), random.Random(7), set(), 0
    for kill in range(200):            # at least 20 kills, and on until one lands mid-write
        if kill >= 20 and mid_write:   # (about 1 kill in 15 does; 20 alone missed 1 run in 4)
            break
        proc = _writer(path, kill)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.4))
        assert proc.poll() is None, "the writer died on its own"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        acknowledged.update(_acknowledged(proc))
        left = set(tmp_path.glob(".crash.h5.*.tmp"))      # a new one: killed inside a transaction
        mid_write += bool(left - stale)
        stale |= left
        if path.exists():
            missing = acknowledged - {e.hash for e in Database(path)}
            assert not missing, f"kill {kill + 1}: lost {len(missing)} acknowledged scheme(s)"
    assert len(acknowledged) >= 20 and mid_write >= 1
    db = Database(path)
    db.add(classics.laderman())                       # writes still work; stale temporaries go
    assert not list(tmp_path.glob(".crash.h5.*.tmp"))
    assert db.check() == []


def test_concurrent_writers_do_not_corrupt(tmp_path):
    path = tmp_path / "shared.h5"
    procs = [_writer(path, 1000 + k) for k in range(3)]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    sizes, stop = [], time.monotonic() + 1.5
    while time.monotonic() < stop:                   # readers never see a half-written file
        if path.exists():
            sizes.append(len(Database(path)))
    assert sizes == sorted(sizes) and sizes[-1] > 0
    acknowledged = set()
    for proc in procs:
        assert proc.poll() is None, "a writer died on its own"
        proc.terminate()
        proc.wait()
        acknowledged.update(_acknowledged(proc))
    stored = {e.hash for e in Database(path)}
    assert acknowledged and acknowledged <= stored
    assert Database(path).check() == []


# --------------------------------------------------------------------------- CLI
def _run(*args, db_path: Path, catalogue: bool = True):
    extra = ["--db", str(db_path)] + ([] if catalogue else ["--no-catalogue"])
    return CliRunner().invoke(main, ["db", *args, *extra])


def test_cli_best_through_symmetry_and_check(tmp_path):
    path = tmp_path / "cli.h5"
    Database(path).add(standard(3, 3, 4), {"source": "test"})
    out = _run("best", "4x3x3", db_path=path, catalogue=False)
    assert out.exit_code == 0, out.output
    assert "stored as 3x3x4" in out.output and "verified:   4x3x3 rank 36" in out.output
    shipped = _run("best", "4x3x3", db_path=path)             # the catalogue's searched 3x3x4:29
    assert "stored as 3x3x4" in shipped.output and "verified:   4x3x3 rank 29" in shipped.output
    listed = _run("list", "4x3x3", db_path=path, catalogue=False)
    assert "3x3x4" in listed.output and "permutations" in listed.output
    checked = _run("check", db_path=path)
    assert checked.exit_code == 0 and "0 problem(s)" in checked.output


def test_cli_bad_input_is_one_line_exit_2(tmp_path):
    path = tmp_path / "cli.h5"
    for args in (["best", "3x3"], ["best", "5x5x5"], ["show", "ffff"]):
        out = _run(*args, db_path=path, catalogue=False)
        assert out.exit_code == 2 and out.output.count("\n") == 1 and "error" in out.output
    foreign = tmp_path / "foreign.h5"
    foreign.write_bytes(b"not hdf5")
    out = _run("list", db_path=foreign)
    assert out.exit_code == 2 and "not a readable HDF5 file" in out.output


def test_cli_check_fails_on_corruption(tmp_path):
    path = tmp_path / "cli.h5"
    key, _ = Database(path).add(classics.laderman())
    with h5py.File(path, "r+") as f:
        f["schemes"][key]["U"][3, 3] += 1
    out = _run("check", db_path=path, catalogue=False)
    assert out.exit_code == 1 and key[:12] in out.output


def test_cli_list_show_stats_compare(tmp_path):
    path = tmp_path / "cli.h5"
    key, _ = Database(path).add(standard(2, 2, 3), {"source": "test", "seed": 5})
    listed = _run("list", "--max-rank", "12", db_path=path)
    assert key[:12] in listed.output and "catalogue" in listed.output       # both layers
    shown = _run("show", key[:8], db_path=path)
    assert shown.exit_code == 0 and '"seed": 5' in shown.output and "m12 = " in shown.output
    stats = _run("stats", db_path=path)
    assert f"{len(Database(shipped_path())) + 1} scheme(s)" in stats.output
    compared = _run("compare", "--max-dim", "3", db_path=path)
    rows = _compare_rows(compared.output)
    # TARGET, ours z2 z3 zt z q, known z2 zt z q, gap, ω ours, ω known, ...
    assert rows["2x2x2"][1:6] == ["7"] * 5 and rows["2x2x2"][9].startswith("7[")
    assert rows["2x2x2"][10:13] == ["+0", "2.8074", "2.8074"]
    assert rows["2x2x3"][10] == "+0" and rows["2x3x3"][10] == "+0"
    bare = _compare_rows(_run("compare", "--max-dim", "3", db_path=path, catalogue=False).output)
    assert bare["2x2x3"][10] == "+1" and bare["2x3x3"][1] == "-"
    assert "FastMatrixMultiplication" in compared.output


def _compare_rows(output: str) -> dict[str, list[str]]:
    """The table rows of `db compare` by target (cells split on runs of two or more spaces)."""
    import re

    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("TARGET"))
    return {cells[0]: cells for line in lines[start + 1:] if not line.startswith("[")
            for cells in [re.split(r" {2,}", line)]}


def test_reduced_additions_update_keeps_the_smallest(db):
    key, _ = db.add(classics.winograd())
    assert db.find(key).reduced_additions is None
    assert db.add(classics.winograd(), reduced_additions=15) == (key, False)
    db.add(classics.winograd(), reduced_additions=17)
    assert db.find(key).reduced_additions == 15


def test_add_many_can_skip_invalid(db):
    bad = classics.strassen()
    bad.V[2, 1] = 0
    seen = []
    results = db.add_many([bad, classics.laderman()], on_invalid=lambda i, msg: seen.append((i, msg)))
    assert results[0] == (None, False) and results[1][1]
    assert seen[0][0] == 0 and "invalid" in seen[0][1] and len(db) == 1


# --------------------------------------------------------------------------- import / export
def _anchors(*parts) -> list[str]:
    if not ANCHORS.exists():
        pytest.skip("../shared/anchors absent")
    return [str(ANCHORS.joinpath(*p.split("/"))) for p in parts]


def test_cli_import_anchor_folders_dedupes_and_checks(tmp_path):
    paths = _anchors("perminov", "moosbauer", "alphatensor/factorizations_f2.npz")
    path = tmp_path / "anchors.h5"
    out = _run("import", *paths, db_path=path, catalogue=False)
    assert out.exit_code == 0, out.output
    db = Database(path)
    count = len(db)
    assert count >= 30 and "0 already stored" in out.output
    again = _run("import", *paths, db_path=path, catalogue=False)
    assert again.exit_code == 0 and "0 added" in again.output and len(Database(path)) == count
    rings = {e.ring for e in db}
    assert {"z2", "zt", "z", "q"} <= rings
    reduced = [e for e in db if e.reduced_additions is not None]
    assert sorted(e.reduced_additions for e in reduced) == [15, 58, 159]   # from the *_reduced.json SLPs
    assert _run("check", db_path=path, catalogue=False).exit_code == 0
    scheme, entry = db.best(4, 4, 4, ring="z2")
    assert scheme.rank == 47 and verify(scheme)
    scheme, entry = db.best(4, 3, 3, ring="z2")          # AlphaTensor stores 3,3,4 (mod 2)
    assert scheme.format == (4, 3, 3) and entry.symmetry and verify(scheme)
    assert db.best(4, 3, 3) is None                      # never a mod-2 scheme unless asked


def test_cli_import_strict_and_skips(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    from flipgraph import io

    io.save(classics.laderman(), folder / "laderman.exp")
    (folder / "broken.exp").write_text("(a11+a12)*(b21\n")
    (folder / "notes.md").write_text("not a scheme file")
    path = tmp_path / "mixed.h5"
    out = _run("import", str(folder), db_path=path, catalogue=False)
    assert out.exit_code == 0 and "1 added" in out.output and "broken.exp" in out.output
    strict = _run("import", "--strict", str(folder), db_path=tmp_path / "strict.h5", catalogue=False)
    assert strict.exit_code == 2 and "broken.exp" in strict.output
    assert not (tmp_path / "strict.h5").exists()


def test_cli_export_round_trip(tmp_path):
    path = tmp_path / "exp.h5"
    Database(path).add(standard(3, 3, 4), {"source": "test"})
    target = tmp_path / "best433.json"
    out = _run("export", "4x3x3", "-o", str(target), db_path=path, catalogue=False)
    assert out.exit_code == 0, out.output
    from flipgraph import io

    back = io.load(target)
    assert back.format == (4, 3, 3) and verify(back)
    folder = tmp_path / "all"
    out = _run("export", "--all", "-o", str(folder), "--suffix", ".exp", db_path=path)
    assert out.exit_code == 0
    shipped = Database(shipped_path())
    others = sum(1 for e in shipped if not e.target.startswith("mm:"))     # structured targets
    assert others >= 1 and "as native .json" in out.output
    assert len(list(folder.glob("*.exp"))) == len(shipped) + 1 - others
    assert len(list(folder.glob("*.json"))) == others
    reimported = tmp_path / "re.h5"
    assert _run("import", str(folder), db_path=reimported, catalogue=False).exit_code == 0
    assert {e.hash for e in Database(reimported)} == {e.hash for e in Database(path, layers=[shipped_path()])}


@pytest.mark.slow
def test_import_all_anchors(tmp_path):
    (folder,) = _anchors(".")
    path = tmp_path / "all.h5"
    out = _run("import", folder, db_path=path, catalogue=False)
    assert out.exit_code == 0, out.output
    assert len(Database(path)) >= 120
    assert _run("check", db_path=path, catalogue=False).exit_code == 0


# --------------------------------------------------------------------------- schema versions, targets
def _write_v1(path: Path, schemes) -> None:
    """A version-1 database written with raw h5py, following the v1 layout (flipgraph 0.1)."""
    dtype = np.dtype([("hash", "S64"), ("n", "i4"), ("m", "i4"), ("p", "i4"), ("ring", "S2"),
                      ("rank", "i4"), ("naive_by_output", "i8", (3,)), ("reduced_additions", "i8"),
                      ("stability", "i8")])
    rows = []
    with h5py.File(path, "w") as f:
        f.attrs["schema_version"] = 1
        f.attrs["kind"] = "flipgraph-schemes"
        for s in schemes:
            key = s.canonical_hash()
            group = f.create_group(f"schemes/{key}")
            for name, mat in zip("UVW", (s.U, s.V, s.W)):
                group[name] = mat.astype(np.int8)
            naive = naive_additions(s).total
            group.attrs.update({"format": s.format_str, "ring": s.ring.name, "rank": s.rank,
                                "naive_additions": naive, "reduced_additions": -1,
                                "stability": stability_factor(s), "provenance": '{"source": "v1"}'})
            rows.append((key.encode(), *s.format, s.ring.name.encode(), s.rank, (0, 0, naive), -1,
                         stability_factor(s)))
        f.create_dataset("index", data=np.array(rows, dtype=dtype), maxshape=(None,), chunks=(256,))


def test_version_1_database_is_read_and_upgraded_on_write(tmp_path):
    path = tmp_path / "v1.h5"
    _write_v1(path, [classics.strassen(), classics.laderman()])
    before = path.read_bytes()
    db = Database(path)
    assert {e.target for e in db} == {"mm:2x2x2", "mm:3x3x3"} and db.check() == []
    scheme, entry = db.best(3, 3, 3)
    assert scheme == classics.laderman() and entry.provenance == {"source": "v1"}
    assert db.stats()["files"][str(path)]["schema_version"] == 1
    assert path.read_bytes() == before                         # reading never changes the file
    assert db.add(classics.strassen())[1] is False
    assert path.read_bytes() == before                         # nor does a write of nothing new
    key, added = db.add(classics.winograd())
    assert added
    with h5py.File(path) as f:
        assert f.attrs["schema_version"] == SCHEMA_VERSION == 2
        assert f["index"]["target"].tolist() == [b"mm:2x2x2", b"mm:3x3x3", b"mm:2x2x2"]
        assert f["schemes"][key].attrs["target"] == "mm:2x2x2"
    hashes = {make().canonical_hash() for make in (classics.strassen, classics.laderman, classics.winograd)}
    assert {e.hash for e in Database(path)} == hashes and Database(path).check() == []


def test_shipped_version_1_catalogue_upgrades_on_write(tmp_path):
    copy = tmp_path / "catalogue.h5"
    copy.write_bytes(shipped_path().read_bytes())
    old = {e.hash: e for e in Database(copy)}
    Database(copy).add(standard(2, 2, 2))
    new = {e.hash: e for e in Database(copy)}
    assert set(new) == set(old) | {standard(2, 2, 2).canonical_hash()}
    assert all((new[k].target, new[k].rank, new[k].ring, new[k].naive_by_output)
               == (old[k].target, old[k].rank, old[k].ring, old[k].naive_by_output) for k in old)
    assert Database(copy).check() == []


def _aat():
    """The 2x2 product A·Aᵀ with the symmetric output stored once: x = A (a11 a12 a21 a22) twice
    (as x and y), z = (c11, c12, c22)."""
    from flipgraph.tensors import from_coo

    return from_coo((4, 4, 3), [(0, 0, 0, 1), (1, 1, 0, 1), (0, 2, 1, 1), (1, 3, 1, 1),
                                (2, 2, 2, 1), (3, 3, 2, 1)], name="aat:2")


def test_user_target_round_trips_with_its_target(db):
    target = _aat()
    scheme = standard(target)
    key, added = db.add(scheme, {"source": "hand"})
    assert added
    back = Database(db.path).get(key)
    assert back.target == target and back.target.name == "aat:2" and back == scheme and verify(back)
    for spec in (target, target.id, "aat:2"):
        found, entry = db.best_for(spec)
        assert found == scheme and entry.target == target.id and entry.format is None
        assert [e.hash for e in db.query(spec)] == [key]
    assert db.best(target)[0] == scheme
    assert db.query((2, 2, 2)) == [] and db.best_for("aat:3") is None
    with h5py.File(db.path) as f:
        assert f["targets"][target.id]["entries"].shape == (6, 4)
    assert db.check() == [] and db.stats()["formats"] == {"aat:2": 1}
    listed = _run("list", "aat:2", db_path=db.path, catalogue=False)
    assert listed.exit_code == 0 and key[:12] in listed.output and "aat:2" in listed.output
    best = _run("best", target.id, db_path=db.path)
    assert best.exit_code == 0 and "verified:   aat:2 rank 6" in best.output


# --------------------------------------------------------------------------- rings
@pytest.fixture
def mixed_rings(tmp_path):
    """A database with 2x2x2 at rank 8 over zt and at rank 7 valid mod 2 only."""
    path = tmp_path / "rings.h5"
    strassen = classics.strassen()
    z2 = Scheme((2, 2, 2), *(np.mod(x, 2) for x in (strassen.U, strassen.V, strassen.W)), "z2")
    Database(path).add_many([standard(2, 2, 2), z2])
    return path


def test_best_never_hands_out_a_mod_p_scheme_unless_asked(mixed_rings):
    db = Database(mixed_rings)
    scheme, entry = db.best(2, 2, 2)
    assert (scheme.rank, scheme.ring.name) == (8, "zt")
    assert db.best(2, 2, 2, ring="z2")[0].rank == 7
    out = _run("best", "2x2x2", db_path=mixed_rings, catalogue=False)
    assert out.exit_code == 0 and "rank 8 over zt" in out.output
    out = _run("best", "2x2x2", "--ring", "z2", db_path=mixed_rings, catalogue=False)
    assert out.exit_code == 0 and "rank 7 over z2" in out.output
    only_z2 = Database(mixed_rings.parent / "z2.h5")
    only_z2.add(db.best(2, 2, 2, ring="z2")[0])
    out = _run("best", "2x2x2", db_path=only_z2.path, catalogue=False)
    assert out.exit_code == 2 and "valid over Z/Q" in out.output and "--ring z2" in out.output


def test_cli_export_defaults_to_z_q(mixed_rings, tmp_path):
    from flipgraph import io

    out = _run("export", "2x2x2", "-o", str(tmp_path / "best.json"), db_path=mixed_rings, catalogue=False)
    assert out.exit_code == 0 and "ring zt" in out.output
    back = io.load(tmp_path / "best.json")
    assert back.rank == 8 and verify(back, "z")
    out = _run("export", "2x2x2", "--ring", "z2", "-o", str(tmp_path / "z2.json"), db_path=mixed_rings,
               catalogue=False)
    assert out.exit_code == 0 and io.load(tmp_path / "z2.json").rank == 7


def test_cli_list_puts_z_q_schemes_first(mixed_rings):
    def rows(*args):
        out = _run("list", "2x2x2", *args, db_path=mixed_rings, catalogue=False)
        return [line.split()[2:4] for line in out.output.splitlines()[1:]]

    assert rows() == [["zt", "8"], ["z2", "7"]]
    assert rows("--ring", "z2") == [["z2", "7"], ["zt", "8"]]
    assert rows("--ring", "z") == [["zt", "8"]]


# --------------------------------------------------------------------------- disk full
def _disk_full_after(monkeypatch, budget: int):
    """Make writes fail with ENOSPC once ``budget`` bytes went through os.write."""
    import errno

    real_write, written = os.write, [0]

    def write(fd, data):
        if written[0] >= budget:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = real_write(fd, bytes(data[:max(1, budget - written[0])]))
        written[0] += n
        return n

    monkeypatch.setattr(os, "write", write)


def test_disk_full_during_import_is_one_line_and_leaves_no_temp_file(tmp_path, monkeypatch):
    from flipgraph import io

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("laderman", "winograd"):
        io.save(classics.CLASSICS[name](), folder / f"{name}.json")
    path = tmp_path / "user.h5"
    Database(path).add(classics.strassen())
    before = path.read_bytes()
    _disk_full_after(monkeypatch, 4096)
    out = _run("import", str(folder), db_path=path, catalogue=False)
    monkeypatch.undo()
    assert out.exit_code == 2
    error = [line for line in out.output.splitlines() if "error" in line]
    assert len(error) == 1 and str(path) in error[0] and "No space left on device" in error[0]
    assert ".tmp" not in out.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "user.h5", "user.h5.lock"]
    assert path.read_bytes() == before and len(Database(path)) == 1
