"""The `flipgraph search` and `flipgraph plot` verbs."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from flipgraph import classics, io, verify
from flipgraph.cli import main
from flipgraph.db import Database
from flipgraph.pipeline import load_recipe
from flipgraph.walks import SearchSettings


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


def test_search_lift_zt_keeps_a_ternary_scheme(tmp_path):
    result = invoke("search", "3x3x3", "--target-rank", 23, "--lift", "zt", "--out", tmp_path,
                    "--no-save", "--seed", 4)
    assert result.exit_code == 0, result.output
    lifted = io.load(tmp_path / "lifted.json")
    assert lifted.ring.name == "zt" and lifted.rank == 23 and verify(lifted)
    assert json.loads((tmp_path / "best.json").read_text())["meta"]["lift_to"] == "zt"


def test_search_recipe_and_flags(tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text('format = "2x2x2"\ntarget-rank = 7\nseed = 3\npool-size = 2\n')
    result = invoke("search", "--config", recipe, "--out", tmp_path / "a", "--no-save")
    assert result.exit_code == 0, result.output
    assert io.load(tmp_path / "a" / "best.json").rank == 7


@pytest.mark.parametrize("flags,windows", [((), True), (("--no-windows",), False)])
def test_windows_flag_is_kept_in_the_provenance(tmp_path, flags, windows):
    result = invoke("search", "2x5x5", "--time-limit", 0.5, *flags, "--out", tmp_path,
                    "--no-save")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "best.json").read_text())["meta"]["windows"] is windows


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
    (("2x2x2", "--seed", "-1"), "must be at least 0"),
    (("2x2x2", "--time-limit", "-1"), "must be at least 0"),
    (("2x2x2", "--time-limit", "nan"), "not a finite number"),
    (("2x2x2", "--time-limit", "inf"), "not a finite number"),
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


def _fake_log(path, seed, ranks):
    lines = [json.dumps({"header": {"format": "3x3x3", "ring": "z2", "seed": seed, "target_rank": 23}})]
    lines += [json.dumps({"time": 0.01 * (i + 1) * (seed + 1), "flips": 1000 * (i + 1), "best_rank": r})
              for i, r in enumerate(ranks)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_plot_overlays_runs_and_summarises_time_to_rank(tmp_path):
    pytest.importorskip("matplotlib")
    logs = [_fake_log(tmp_path / f"log{s}.jsonl", s, [27, 25, 24, 23][: 2 + s]) for s in range(3)]
    for args, out in (([], "rank.png"), (["--x", "flips", "--linear", "--best-known", 23], "r.svg"),
                      (["--kind", "time-to-rank", "--ranks", "24,23"], "ttr.pdf"),
                      (["--time-to-rank", tmp_path / "both-ttr.png"], "both.png")):
        result = invoke("plot", *logs, "-o", tmp_path / out, *args)
        assert result.exit_code == 0, result.output
        assert (tmp_path / out).stat().st_size > 1000
    assert (tmp_path / "both-ttr.png").stat().st_size > 1000
    from flipgraph.plots import read_log, times_to_rank
    runs = [read_log(p) for p in logs]
    assert runs[0].header["seed"] == 0 and runs[2].ranks == [27, 25, 24, 23]
    reached = times_to_rank(runs)
    assert len(reached[27]) == 3 and len(reached[24]) == 2 and reached[23] == [0.04 * 3]


@pytest.mark.parametrize("content,out,message", [
    ("not json\n", "rank.png", "not a search log line"),
    ('{"time": 1}\n', "rank.png", "not a search log line"),
    ('{"time": 1, "flips": 2, "best_rank": 3}\n', "rank.gif", "write the figure as one of"),
    ("", "rank.png", "no progress records"),
])
def test_plot_bad_input_is_one_line(tmp_path, content, out, message):
    pytest.importorskip("matplotlib")
    log = tmp_path / "log.jsonl"
    log.write_text(content)
    result = invoke("plot", log, "-o", tmp_path / out)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("ring", ["z2", "z3", "zt"])
def test_search_from_a_classic_file_in_every_ring(tmp_path, ring):
    start = tmp_path / "laderman.json"
    io.save(classics.laderman(), start)
    result = invoke("search", "3x3x3", "--ring", ring, "--from", start, "--target-rank", 22,
                    "--time-limit", 2, "--out", tmp_path / ring, "--no-save")
    assert result.exit_code in (0, 1), result.output          # 22 is below the best known rank
    found = io.load(tmp_path / ring / "best.json")
    assert found.ring.name == ring and found.rank <= 23 and verify(found)


@pytest.mark.parametrize("content,message", [
    (b"\x00\x01\xff binary", "not a text file"),
    (b"format = 2x2x2", "not valid TOML"),
    (b'format = "2x2x2"\nseed = "abc"', "'abc' is not a valid int"),
    (b'format = "2x2x2"\ntime-limit = [1]', "not a valid float"),
    (b'format = "2x2x2"\nsurprise = 1', "unknown key(s) surprise"),
    (b'format = "2x5x5"\nwindows = 1', "use true or false"),
])
def test_bad_recipe_is_one_line_and_exit_2(tmp_path, content, message):
    recipe = tmp_path / "r.toml"
    recipe.write_bytes(content)
    result = invoke("search", "--config", recipe, "--out", tmp_path / "o", "--no-save")
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_search_from_an_entry_of_a_many_scheme_file(tmp_path):
    """--key picks the start scheme of a many-scheme file, --from-format names its layout."""
    start = tmp_path / "two.dat"
    text = ""
    for scheme in (classics.strassen(), classics.laderman()):
        io.save(scheme, tmp_path / "one.txt", "numeric")
        text += (tmp_path / "one.txt").read_text()
    start.write_text(text)
    result = invoke("search", "3x3x3", "--from", start, "--from-format", "numeric", "--key", "2",
                    "--target-rank", 23, "--time-limit", 2, "--out", tmp_path / "run", "--no-save")
    assert result.exit_code == 0, result.output
    assert io.load(tmp_path / "run" / "best.json").rank == 23
    result = invoke("search", "3x3x3", "--from", start, "--from-format", "numeric", "--key", "3",
                    "--time-limit", 1, "--out", tmp_path / "run", "--no-save")
    assert result.exit_code == 2 and "no entry '3'" in result.output


def test_a_killed_search_keeps_its_best_scheme(tmp_path):
    """OUT/best.json is rewritten (atomically) at every improvement, so SIGKILL loses nothing."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    out = tmp_path / "run"
    cli = Path(__file__).resolve().parents[1] / "cli.py"
    proc = subprocess.Popen([sys.executable, str(cli), "search", "4x4x4", "--target-rank", "40",
                             "--time-limit", "120", "--out", str(out), "--no-save"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        while time.time() < deadline and not (out / "best.json").exists():
            time.sleep(0.2)
        time.sleep(1.0)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert (out / "best.json").exists(), "no improvement written within 90 s"
    kept, meta = io.load_with_meta(out / "best.json")
    assert kept.rank < 64 and verify(kept) and meta["in_progress"] is True


RECIPES = sorted((Path(__file__).resolve().parents[1] / "search_configs").glob("*.toml"))
RECIPE_SETTINGS = ("seed", "workers", "pool-size", "path-limit", "plus-after", "reset-flips",
                   "stall-flips", "time-limit", "windows")


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_every_shipped_recipe_makes_a_valid_search(path):
    """search_configs/*.toml: known keys only, and settings a search accepts (a typo in a recipe
    that ships with a catalogue entry would otherwise surface only when someone reruns it)."""
    recipe = load_recipe(path)
    settings = SearchSettings(target=recipe["format"], ring=recipe.get("ring", "z2"),
                              target_rank=recipe.get("target-rank", 0),
                              **{key.replace("-", "_"): recipe[key]
                                 for key in RECIPE_SETTINGS if key in recipe})
    settings.check()
    assert recipe.get("symmetry", "none") in ("none", "c3")
    assert recipe.get("lift", False) in (True, False, "z", "q")
