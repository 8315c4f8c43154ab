"""Best-known tables, `db compare`, `db add RUN/` and the HTML report (rendered in headless
Chromium when the `chromium` command exists)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from flipgraph import classics, io, standard, verify
from flipgraph.additions import naive_additions
from flipgraph.cli import main
from flipgraph.db import Database, shipped_path
from flipgraph.db.best_known import BestKnown, Record, best_known, omega, read_table, user_table_path

# a FastMatrixMultiplication status.json in its layout (made-up files; the ranks of 2x2x2, 2x2x3)
STATUS = {
    "2x2x2": {"ranks": {"ZT": 7, "Z": 7, "Q": 7}, "omegas": {},
              "schemes": {"ZT": [{"rank": 7, "complexity": 18, "source": "known/Strassen-222-7-18.m"},
                                 {"rank": 7, "complexity": 24, "source": "red/2x2x2_m7_cr15_cn24_ZT_reduced.json"}]}},
    "2x2x3": {"ranks": {"ZT": 12, "Z": 11, "Q": 10},
              "schemes": {"ZT": [{"rank": 12, "complexity": 40, "source": "zt/2x2x3_m12_ZT.json"}],
                          "Z": [{"rank": 11, "complexity": 30, "source": "z/2x2x3_m11_Z.json"}]}},
}


def _db(*args, db_path, catalogue=True):
    return CliRunner().invoke(main, ["db", *args, "--db", str(db_path)]
                              + ([] if catalogue else ["--no-catalogue"]))


# --------------------------------------------------------------------------- best-known tables
def test_status_layout_records_sources_and_additions(tmp_path):
    path = tmp_path / "status.json"
    path.write_text(json.dumps(STATUS))
    table = read_table(path)
    strassen = table.best((2, 2, 2), "q")
    assert (strassen.rank, strassen.ring, strassen.additions, strassen.reduced_additions) == (7, "zt", 18, 15)
    assert "Strassen-222-7-18.m" in strassen.source
    assert table.best((3, 2, 2), "zt").rank == 12 and table.best((2, 3, 2), "z").rank == 11
    assert table.best((2, 2, 3), "z2").rank == 11                 # a Z scheme is valid mod 2
    q = table.best((2, 2, 3), "q")                                # stated rank without a scheme file
    assert q.rank == 10 and q.source.endswith("status.json")
    assert omega("mm:2x2x2", 7) == pytest.approx(2.807354922057604)
    assert omega("gt:4", 34) is None


def test_merge_takes_lower_ranks_and_fewer_additions_never_raises():
    table = BestKnown([Record("mm:2x2x2", "zt", 7, "A", 24), Record("mm:3x3x3", "q", 23, "A")])
    other = BestKnown([Record("mm:2x2x2", "zt", 7, "B", 18, 15), Record("mm:3x3x3", "q", 24, "B"),
                       Record("mm:4x4x4", "z2", 47, "B")], ["B"])
    assert table.merge(other) == 2
    kept = table.best((2, 2, 2), "zt")
    assert (kept.source, kept.additions, kept.reduced_additions) == ("A", 18, 15)
    assert table.best((3, 3, 3), "q").rank == 23 and table.best((4, 4, 4), "z2").rank == 47
    assert table.best((4, 4, 4), "z") is None and table.sources == ["B"]
    assert read_table_roundtrip(table).records == table.records


def read_table_roundtrip(table: BestKnown) -> BestKnown:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.json"
        path.write_text(table.to_json())
        return read_table(path)


def test_shipped_table_matches_the_anchors():
    table = best_known()
    assert table.path == Path(__file__).resolve().parents[1] / "flipgraph" / "data" / "best_known.json"
    assert table.best((4, 4, 4), "z2").rank == 47 and "AlphaTensor" in table.best((4, 4, 4), "z2").source
    assert table.best((2, 2, 2), "zt").additions == 18 and table.best((3, 3, 3), "zt").reduced_additions == 58
    sota = Path(__file__).resolve().parents[2] / "shared" / "anchors" / "fmm_sota.json"
    if not sota.exists():
        pytest.skip("../shared/anchors absent")
    for entry in json.loads(sota.read_text())["entries"]:
        if max(entry["format"]) <= 16:
            assert table.best(tuple(entry["format"]), "q").rank == entry["rank"]


def test_refresh_writes_the_user_table_and_compare_uses_it(tmp_path):
    path = tmp_path / "status.json"
    path.write_text(json.dumps(STATUS))
    db = tmp_path / "user-db.h5"                      # conftest points $FLIPGRAPH_DB here
    out = CliRunner().invoke(main, ["db", "best-known", "--refresh", str(path)])
    assert out.exit_code == 0, out.output
    assert "1 improved" in out.output                 # only 2x2x3 over Q (10) beats the shipped table
    assert user_table_path() == tmp_path / "best_known.json" and user_table_path().exists()
    assert best_known().best((2, 2, 3), "q").rank == 10
    rows = _compare_rows(_db("compare", "--max-dim", "3", db_path=db).output)
    assert rows["2x2x3"][9].startswith("10[") and rows["2x2x3"][10] == "+1"
    assert rows["2x2x3"][11:13] == [f"{omega('mm:2x2x3', 11):.4f}", f"{omega('mm:2x2x3', 10):.4f}"]
    out = CliRunner().invoke(main, ["db", "best-known", "--reset"])
    assert out.exit_code == 0 and not user_table_path().exists()
    assert best_known().best((2, 2, 3), "q").rank == 11


def test_bad_table_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    for args in (["db", "best-known", "--refresh", str(bad)], ["db", "compare", "--catalogue", str(bad)]):
        out = CliRunner().invoke(main, args)
        assert out.exit_code == 2 and out.output.count("\n") == 1 and "not a best-known table" in out.output
    assert not user_table_path().exists()


def _compare_rows(output: str) -> dict[str, list[str]]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("TARGET"))
    return {cells[0]: cells for line in lines[start + 1:] if not line.startswith("[")
            for cells in [re.split(r" {2,}", line)]}


# --------------------------------------------------------------------------- db add RUN/
def _run_folder(folder: Path, scheme, lifted=None, log=True, source="flipgraph search") -> Path:
    """A search output folder as `flipgraph search --out` writes it."""
    folder.mkdir(parents=True)
    meta = {"source": source, "target": scheme.target.id, "ring": scheme.ring.name, "seed": 7}
    io.save(scheme, folder / "best.json", meta=meta)
    if lifted is not None:
        io.save(lifted, folder / "lifted.json", meta={**meta, "lifted": lifted.ring.name})
    if log:
        rows = [{"header": {"target": scheme.target.id, "ring": scheme.ring.name, "seed": 7}}]
        rows += [{"time": t, "flips": 1000 * i, "best_rank": r}
                 for i, (t, r) in enumerate([(0.01, 8), (0.1, 8), (0.5, 7), (1.0, 7)])]
        (folder / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def test_db_add_run_keeps_provenance_and_improvements_only(tmp_path):
    db_path = tmp_path / "add.h5"
    run = _run_folder(tmp_path / "run", classics.winograd().over("z2"), classics.winograd())
    out = _db("add", str(run), db_path=db_path, catalogue=False)
    assert out.exit_code == 0, out.output
    assert out.output.count(f"added to {db_path}") == 2
    db = Database(db_path)
    provenance = [db.provenance(e) for e in db]
    assert {p["method"] for p in provenance} == {"search", "search + lift"}
    assert all(p["log"] == str((run / "log.jsonl").resolve()) and p["seed"] == 7 for p in provenance)
    again = _db("add", str(run), db_path=db_path, catalogue=False)
    assert again.output.count("already stored") == 2

    # improvements only, against the stored Winograd (rank 7, 24 naive additions): Strassen
    # (rank 7, 18 naive additions) is one, the naive 2x2x2 (rank 8) is not
    assert naive_additions(classics.strassen()).total < naive_additions(classics.winograd()).total
    better = _run_folder(tmp_path / "better", classics.strassen())
    worse = _run_folder(tmp_path / "worse", standard(2, 2, 2))
    out = _db("add", str(better), str(worse), "--save-improvements-only", db_path=db_path, catalogue=False)
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert "added" in lines[0] and "not stored, the database holds rank 7" in lines[1]
    assert len(Database(db_path)) == 3


def test_db_add_refuses_what_is_not_a_search_run(tmp_path):
    db_path = tmp_path / "refuse.h5"
    empty = tmp_path / "empty"
    empty.mkdir()
    foreign = _run_folder(tmp_path / "foreign", classics.strassen(), source="somebody else")
    for folder, message in ((empty, "not a search output folder"), (foreign, "not the result of a flipgraph search")):
        out = _db("add", str(folder), db_path=db_path, catalogue=False)
        assert out.exit_code == 2 and out.output.count("\n") == 1 and message in out.output
    assert not db_path.exists()


# --------------------------------------------------------------------------- db report
def _report(tmp_path):
    """The report of the shipped catalogue plus one added search run (with its log)."""
    db_path = tmp_path / "report.h5"
    run = _run_folder(tmp_path / "run", classics.winograd().over("z2"), classics.winograd())
    assert _db("add", str(run), db_path=db_path).exit_code == 0
    out_dir = tmp_path / "report"
    out = _db("report", "-o", str(out_dir), db_path=db_path)
    assert out.exit_code == 0, out.output
    return Database(db_path, layers=[shipped_path()]), out_dir


def test_report_files_downloads_and_replacement(tmp_path):
    db, out_dir = _report(tmp_path)
    page = (out_dir / "index.html").read_text()
    assert "<script src" not in page and "<link" not in page and "http" not in page.split("<body>")[0]
    hrefs = re.findall(r'href="(schemes/[^"]+)"', page)
    for entry in db:                                        # every scheme in every written format
        names = {h for h in hrefs if entry.hash[:12] in h}
        # .json .perminov.json .txt .numeric.txt .exp / .json .txt (flip-cpd's .npy needs its own name)
        expected = 5 if entry.format is not None else 2
        assert len(names) == expected, entry
    for href in {h for h in hrefs if h.endswith(".exp") or h.endswith("perminov.json")}:
        assert verify(io.load(out_dir / href))
    natives = [h for h in hrefs if re.search(r"_[0-9a-f]{12}\.json$", h)]
    assert all(io.load_with_meta(out_dir / h)[1] for h in natives)     # provenance kept
    assert (out_dir / "figures" / "omega.png").exists()
    logged = [e for e in db if "log" in db.provenance(e)]    # the z2 best.json (Winograd over Z
    assert len(logged) == 1                                  # is in the catalogue already)
    assert [p.name for p in (out_dir / "figures").glob("*-rank.png")] == [f"{logged[0].hash[:12]}-rank.png"]
    # an earlier report is replaced whole; a foreign folder is refused and left alone
    (out_dir / "stale.txt").write_text("old")
    assert _db("report", "-o", str(out_dir), db_path=tmp_path / "report.h5").exit_code == 0
    assert not (out_dir / "stale.txt").exists() and (out_dir / "index.html").exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    out = _db("report", "-o", str(foreign), db_path=tmp_path / "report.h5")
    assert out.exit_code == 2 and "not an earlier report" in out.output
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (Debian: apt-get install chromium)")
def test_report_renders_in_headless_chromium(tmp_path):
    db, out_dir = _report(tmp_path)
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                          "--allow-file-access-from-files", "--dump-dom",
                          (out_dir / "index.html").as_uri()],
                         capture_output=True, text=True, timeout=180).stdout
    table = re.search(r'<table id="targets".*?</table>', dom, re.S)
    assert table, dom[:500]
    targets = {e.format and "x".join(map(str, sorted(e.format))) or e.target for e in db}
    rows = re.findall(r'<tr id="row-t-[^"]+">', table.group(0))
    assert len(rows) == len(targets) and "2x2x2" in table.group(0) and "gt:4" in table.group(0)
    images = re.findall(r"<img [^>]*>", dom)
    assert len(images) == 2                                 # the ω figure, the search log's
    for img in images:                                      # decoded by the browser: width > 0
        loaded = re.search(r'data-loaded="(\d+)"', img)
        assert loaded and int(loaded.group(1)) > 0, img
