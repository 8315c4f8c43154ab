"""The `flipgraph search` and `flipgraph plot` verbs."""
import json

import pytest
from click.testing import CliRunner

from flipgraph import classics, io, verify
from flipgraph.cli import main
from flipgraph.db import Database


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_search_writes_verified_result_log_and_database(tmp_path):
    db = tmp_path / "db.h5"
    result = invoke("search", "2x3x3", "--target-rank", 15, "--out", tmp_path / "run", "--db", db,
                    "--seed", 2)
    assert result.exit_code == 0, result.output
    scheme = io.load(tmp_path / "run" / "best.json")
    assert scheme.rank == 15 and verify(scheme, "z2")
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert log[-1]["final"] and log[-1]["best_rank"] == 15
    assert [e.rank for e in Database(db).entries()] == [15]


def test_search_lift_keeps_a_lifted_scheme(tmp_path):
    result = invoke("search", "3x3x3", "--target-rank", 23, "--lift", "--out", tmp_path,
                    "--no-save", "--seed", 4)
    assert result.exit_code == 0, result.output
    lifted = io.load(tmp_path / "lifted.json")
    assert lifted.ring.name in ("zt", "z") and lifted.rank == 23 and verify(lifted)


def test_search_recipe_and_flags(tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text('format = "2x2x2"\ntarget-rank = 7\nseed = 3\npool-size = 2\n')
    result = invoke("search", "--config", recipe, "--out", tmp_path / "a", "--no-save")
    assert result.exit_code == 0, result.output
    assert io.load(tmp_path / "a" / "best.json").rank == 7


def test_missed_target_exits_1(tmp_path):
    result = invoke("search", "2x2x2", "--target-rank", 6, "--time-limit", 1, "--out", tmp_path,
                    "--no-save")
    assert result.exit_code == 1
    assert io.load(tmp_path / "best.json").rank == 7


@pytest.mark.parametrize("args,message", [
    (("17x17x17",), "at most 256"),
    (("3x3",), "bad format"),
    (("2x2x2", "--ring", "z7"), "no search over ring"),
    (("2x2x2", "--pool-size", "0"), "at least 1"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    result = invoke("search", *args, "--out", tmp_path, "--no-save")
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_bad_recipe(tmp_path):
    recipe = tmp_path / "bad.toml"
    recipe.write_text("format = 2x2x2\n")
    result = invoke("search", "--config", recipe, "--no-save")
    assert result.exit_code == 2 and "not valid TOML" in result.output
    recipe.write_text('format = "2x2x2"\nspeed = 3\n')
    result = invoke("search", "--config", recipe, "--no-save")
    assert result.exit_code == 2 and "unknown key" in result.output


def test_plot(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text('{"time": 0.1, "best_rank": 8}\n{"time": 0.5, "best_rank": 7}\n')
    result = invoke("plot", log, "-o", tmp_path / "rank.png")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert result.exit_code == 2 and "matplotlib" in result.output
    else:
        assert result.exit_code == 0 and (tmp_path / "rank.png").stat().st_size > 0
    log.write_text("not json\n")
    assert invoke("plot", log).exit_code == 2


@pytest.mark.parametrize("ring", ["z2", "z3", "zt"])
def test_search_from_a_classic_file_in_every_ring(tmp_path, ring):
    start = tmp_path / "laderman.json"
    io.save(classics.laderman(), start)
    result = invoke("search", "3x3x3", "--ring", ring, "--from", start, "--target-rank", 22,
                    "--time-limit", 2, "--out", tmp_path / ring, "--no-save")
    assert result.exit_code in (0, 1), result.output          # 22 is below the best known rank
    found = io.load(tmp_path / ring / "best.json")
    assert found.ring.name == ring and found.rank <= 23 and verify(found)
