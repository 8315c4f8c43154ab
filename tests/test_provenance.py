"""The provenance chain: a search's result, lifted, reduced and imported, still names its search."""
import json

from click.testing import CliRunner

from flipgraph.cli import main
from flipgraph.db import Database


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def test_search_lift_reduce_import_keeps_the_chain(tmp_path):
    out = tmp_path / "run"
    run("search", "3x3x3", "--target-rank", 23, "--seed", 4, "--time-limit", 60, "--out", out,
        "--no-save")
    log = (out / "log.jsonl").read_text().splitlines()
    header = json.loads(log[0])["header"]
    assert header["target"] == "mm:3x3x3" and header["ring"] == "z2" and header["seed"] == 4
    assert "backend" in header and header["target_rank"] == 23
    run("lift", out / "best.json", "--out", tmp_path / "lifted")
    lifted = sorted((tmp_path / "lifted").glob("best-*.json"))
    assert len(lifted) == 1
    meta = json.loads(lifted[0].read_text())["meta"]
    assert meta["source"] == "flipgraph search" and meta["seed"] == 4
    assert meta["lift"]["from"] == str(out / "best.json") and meta["history"] == ["flipgraph search", "lift"]
    reduced = tmp_path / "s_reduced.json"
    run("reduce", lifted[0], "--restarts", 5, "--out", reduced)
    provenance = json.loads(reduced.read_text())["provenance"]
    assert provenance["seed"] == 4 and provenance["lift"]["ring"] in ("zt", "z")
    assert provenance["reduce"]["reduced"] <= provenance["reduce"]["naive"]
    assert provenance["history"] == ["flipgraph search", "lift", "reduce"]
    db = tmp_path / "db.h5"
    run("db", "import", reduced, "--db", db, "--no-catalogue")
    (entry,) = list(Database(db))
    stored = Database(db).provenance(entry)
    assert stored["source"] == "flipgraph search" and stored["seed"] == 4
    assert stored["history"] == ["flipgraph search", "lift", "reduce", "import"]
    assert stored["import"]["from"] == str(reduced) and entry.reduced_additions is not None
