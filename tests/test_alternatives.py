"""search --keep-rank: distinct schemes of one rank by a fixed-rank walk."""
from click.testing import CliRunner

from flipgraph import classics, io, verify
from flipgraph.cli import main
from flipgraph.walks.alternatives import alternatives


def test_alternatives_are_distinct_valid_and_reproducible():
    start = classics.laderman()                 # admits no flip: needs plus transitions to move
    found = alternatives(start, 4, ring="zt", seed=3, time_limit=60)
    assert len(found) == 4
    hashes = {s.canonical_hash() for s in found}
    assert len(hashes) == 4 and start.canonical_hash() not in hashes
    assert all(s.rank <= 23 and verify(s) and s.ring.name == "zt" for s in found)
    again = alternatives(start, 4, ring="zt", seed=3, time_limit=60)
    assert [s.canonical_hash() for s in again] == [s.canonical_hash() for s in found]


def test_alternatives_mod_2():
    found = alternatives(classics.strassen().mod(2), 3, seed=1, time_limit=30)
    assert len(found) == 3 and all(s.ring.name == "z2" and s.rank <= 7 and verify(s) for s in found)


def test_cli_keep_rank_writes_and_saves(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIPGRAPH_DB", str(tmp_path / "db.h5"))
    start = tmp_path / "w.json"
    io.save(classics.winograd(), start)
    result = CliRunner().invoke(main, ["search", "2x2x2", "--ring", "zt", "--keep-rank", "4",
                                       "--from", str(start), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "out").glob("alt-*.json"))
    assert len(files) == 4 and all(verify(io.load(f)) for f in files)
    assert "saved to" in result.output and "4 new" in result.output
