"""search --lift --lift-neighbours N: a result that does not lift is not thrown away at once;
the distinct schemes of its rank around it are lifted first."""
import json

from click.testing import CliRunner

from flipgraph import classics, io, pipeline, verify
from flipgraph.cli import main
from flipgraph.lift import LiftResult


def _first_lift_fails(monkeypatch):
    """Make pipeline's first lift call report "does not lift"; later calls lift for real."""
    real, calls = pipeline.lift, []

    def lift(scheme, **kwargs):
        calls.append(scheme)
        if len(calls) == 1:
            return LiftResult(False, scheme, reason="forced by the test")
        return real(scheme, **kwargs)

    monkeypatch.setattr(pipeline, "lift", lift)
    return calls


def test_a_neighbour_lifts_when_the_scheme_does_not(monkeypatch):
    calls = _first_lift_fails(monkeypatch)
    start = classics.strassen().mod(2)
    lifted, number = pipeline.lift_or_neighbour(start, "z", 5, seed=1)
    assert lifted.ok and number >= 1 and len(calls) == number + 1
    assert calls[0] is start and calls[1].canonical_hash() != start.canonical_hash()
    assert lifted.scheme.rank <= 7 and verify(lifted.scheme)
    assert lifted.scheme.ring.name in ("zt", "z")


def test_without_neighbours_nothing_more_is_tried(monkeypatch):
    calls = _first_lift_fails(monkeypatch)
    lifted, number = pipeline.lift_or_neighbour(classics.strassen().mod(2), "z", 0)
    assert not lifted.ok and number == 0 and len(calls) == 1


def test_cli_search_keeps_the_lifted_neighbour(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIPGRAPH_DB", str(tmp_path / "db.h5"))
    _first_lift_fails(monkeypatch)
    recipe = tmp_path / "r.toml"
    recipe.write_text('format = "2x2x2"\nring = "z2"\ntarget-rank = 7\nlift = true\n'
                      'lift-neighbours = 5\nseed = 1\n')
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["search", "--config", str(recipe), "--out", str(out)])
    assert result.exit_code == 0, result.output
    scheme, meta = io.load_with_meta(out / "lifted.json")
    assert verify(scheme) and scheme.rank == 7 and meta["neighbour"] >= 1
    assert meta["lift_neighbours"] == 5 and meta["lifted"] == scheme.ring.name
    assert json.loads((out / "best.json").read_text())["meta"]["seed"] == 1   # no new seed


def test_cli_refuses_a_bad_count(tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text('format = "2x2x2"\nlift = true\nlift-neighbours = "many"\n')
    result = CliRunner().invoke(main, ["search", "--config", str(recipe), "--no-save",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "lift-neighbours" in result.output
    assert not (tmp_path / "out").exists()
