"""Checkpoints and `flipgraph search --resume` (local runs; the Dask ones are in test_cluster.py)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import flipgraph
from flipgraph import io, verify
from flipgraph.cli import main
from flipgraph.walks import SearchSettings, run_search
from flipgraph.walks.checkpoint import Checkpoint

ROOT = Path(flipgraph.__file__).resolve().parents[1]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def log_records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]


def cli(*args) -> list[str]:
    return [sys.executable, str(ROOT / "cli.py"), *map(str, args)]


def environment() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def wait_for_checkpoint(out: Path, proc, rank: int, timeout: float = 60.0,
                        below: int | None = None) -> Checkpoint:
    """The checkpoint once its best rank is at most ``rank`` (and, given ``below``, every
    walker's level is under it: a walker that has not reported yet is still at its start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the search ended before it was killed"
        try:
            checkpoint = Checkpoint.load(out / "checkpoint.json")
            if checkpoint.best_rank <= rank and (
                    below is None or all(state["level"] < below for state in checkpoint.states)):
                return checkpoint
        except flipgraph.FlipgraphError:
            pass                                   # not written yet
        time.sleep(0.05)
    raise AssertionError(f"no checkpoint at rank {rank} within {timeout} s")


def kill_and_resume(out: Path, search_args, resume_args) -> tuple[Checkpoint, list[dict], object]:
    """Start a search that cannot reach its target (3x3x3 rank 22 over Z2), SIGKILL it once its
    checkpoint holds rank 23 and every walker has left the standard algorithm (27; 3x3x3 never
    starts over), resume it for a second; returns (checkpoint, log, resumed run)."""
    proc = subprocess.Popen(cli("search", "3x3x3", "--target-rank", 22, "--time-limit", 120,
                                "--out", out, "--no-save", "--checkpoint-every", 0.2,
                                *search_args),
                            env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for_checkpoint(out, proc, 23, below=27)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        checkpoint = Checkpoint.load(out / "checkpoint.json")     # the last one written
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # killed mid-search: best.json holds the best so far, marked as unfinished
    kept, meta = io.load_with_meta(out / "best.json")
    assert meta["in_progress"] is True and kept.rank == checkpoint.best_rank
    before = len(log_records(out))
    resumed = subprocess.run(cli("search", "--resume", out, "--time-limit", 1, "--no-save",
                                 *resume_args),
                             env=environment(), capture_output=True, text=True, timeout=120)
    return checkpoint, log_records(out)[before:], resumed


def check_resumed(checkpoint: Checkpoint, records: list[dict], resumed, out: Path) -> None:
    """The resumed search went on from the checkpoint (rank, walkers' levels, flips, clock)."""
    assert resumed.returncode == 1, resumed.stderr          # rank 22 missed, as it must be
    first = records[0]
    assert first["resumed"] and first["best_rank"] == checkpoint.best_rank == 23
    assert first["ranks"] == [state["level"] for state in checkpoint.states]
    assert max(first["ranks"]) < 27                          # not from the standard algorithm
    assert first["flips"] == sum(state["flips"] for state in checkpoint.states)
    assert first["time"] >= round(checkpoint.elapsed, 3)
    assert all(r["best_rank"] == 23 for r in records) and records[-1]["final"]
    assert records[-1]["flips"] > first["flips"]
    best = io.load(out / "best.json")
    assert best.rank == 23 and verify(best, "z2")
    assert Checkpoint.load(out / "checkpoint.json").elapsed > checkpoint.elapsed


@pytest.mark.parametrize("workers", [pytest.param(1, marks=pytest.mark.slow), 2])
def test_a_killed_local_search_resumes_from_its_checkpoint(tmp_path, workers):
    out = tmp_path / "run"
    checkpoint, records, resumed = kill_and_resume(out, ["--workers", workers], [])
    assert len(checkpoint.states) == workers
    check_resumed(checkpoint, records, resumed, out)
    assert records[0]["resumed"]["kind"] == ("inline" if workers == 1 else "processes")


def test_checkpoint_round_trip_continues_like_the_uninterrupted_search(tmp_path):
    """A checkpoint keeps the settings, note, best and workers' states; resuming it goes on from
    there (counters and clock continue)."""
    path = tmp_path / "checkpoint.json"
    settings = SearchSettings("3x3x4", target_rank=0, seed=5, time_limit=0.3, path_limit=100_000)
    run_search(settings, checkpoint_path=path, note={"lift_to": "z"})
    saved = Checkpoint.load(path)
    assert saved.note == {"lift_to": "z"} and saved.settings["seed"] == 5
    assert saved.target == settings.target and saved.best_rank < 36
    restored = [flipgraph.walks.PoolStrategy.from_state(s) for s in saved.states]
    assert restored[0].flips == saved.states[0]["flips"] > 0
    assert np.array_equal(saved.best[:, :saved.best_rank],
                          np.asarray(saved.states[0]["best"], np.uint64)[:, :saved.best_rank])
    again = SearchSettings(target=saved.target,
                           **{**saved.settings, "time_limit": saved.elapsed + 0.3})
    result = run_search(again, resume=saved, checkpoint_path=path)
    assert result.rank <= saved.best_rank and verify(result.scheme, "z2")
    assert result.flips > saved.states[0]["flips"] and result.elapsed > saved.elapsed


def test_resume_bad_input_is_one_line(tmp_path):
    result = invoke("search", "--resume", tmp_path / "missing")
    assert result.exit_code == 2 and "no such folder" in result.output
    result = invoke("search", "--resume", tmp_path)
    assert result.exit_code == 2 and "no checkpoint" in result.output
    (tmp_path / "checkpoint.json").write_text('{"checkpoint": 1, "states": []}')
    result = invoke("search", "--resume", tmp_path)
    assert result.exit_code == 2 and "not a search checkpoint" in result.output
    result = invoke("search", "--resume", tmp_path, "--seed", 3)
    assert result.exit_code == 2 and "drop --seed" in result.output
    assert "Traceback" not in result.output


def test_a_finished_search_is_not_resumed(tmp_path):
    result = invoke("search", "2x2x2", "--target-rank", 7, "--out", tmp_path, "--no-save")
    assert result.exit_code == 0, result.output
    result = invoke("search", "--resume", tmp_path, "--no-save")
    assert result.exit_code == 2 and "already reached rank 7" in result.output
    result = invoke("search", "2x2x2", "--target-rank", 6, "--time-limit", 0.3, "--out",
                    tmp_path / "b", "--no-save")
    assert result.exit_code == 1
    result = invoke("search", "--resume", tmp_path / "b", "--no-save")
    assert result.exit_code == 2 and "used its time limit" in result.output


def test_an_invalid_improvement_is_dropped():
    """The client verifies every improvement a worker hands in: a wrong one is not kept."""
    from flipgraph.walks import InlineExecutor

    class Lying(InlineExecutor):
        def run(self, strategies, time_limit, on_report, on_state=None, state_every=10.0):
            bogus = np.zeros_like(strategies[0].start)
            bogus[:, 0] = 1                        # one product: not a 2x2x2 scheme
            on_report(0, {**strategies[0].report(), "best_rank": 1}, bogus)
            super().run(strategies, time_limit, on_report, on_state, state_every)

    result = run_search(SearchSettings("2x2x2", target_rank=7, seed=1), executor=Lying())
    assert result.rank == 7 and verify(result.scheme, "z2")
