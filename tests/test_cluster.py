"""Searches on a real Dask cluster on 127.0.0.1: a `dask scheduler` and two `dask worker`
processes, started and stopped here (skipped without dask.distributed: the `cluster` extra)."""
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("distributed")

from distributed import Client  # noqa: E402

from flipgraph import io, verify  # noqa: E402
from flipgraph.db import Database  # noqa: E402
from flipgraph.walks.checkpoint import Checkpoint  # noqa: E402
from test_resume import (check_resumed, cli, environment, invoke, kill_and_resume,  # noqa: E402
                         log_records, wait_for_checkpoint)


class Cluster:
    """A scheduler and worker processes on 127.0.0.1 (one thread each, no nanny, so a worker
    is one process to kill): `dask scheduler` and `dask worker`, run as `python -m dask ...` by
    this interpreter (the `dask` script may not be on PATH)."""

    def __init__(self, folder, workers: int = 2):
        self.folder, self.procs, self.workers = folder, [], []
        info = folder / "scheduler.json"
        self.procs.append(self._start("scheduler", "scheduler", "--host", "127.0.0.1",
                                      "--port", 0, "--no-dashboard", "--scheduler-file", info))
        deadline = time.monotonic() + 60
        while not info.exists():
            assert time.monotonic() < deadline, "the dask scheduler did not start"
            assert self.procs[0].poll() is None, (folder / "scheduler.log").read_text()
            time.sleep(0.1)
        self.client = Client(scheduler_file=str(info), timeout=30)
        self.address = self.client.scheduler.address
        for number in range(workers):
            self.workers.append(self._start(f"w{number}", "worker", self.address, "--host",
                                            "127.0.0.1", "--nthreads", 1, "--no-nanny",
                                            "--no-dashboard", "--name", f"w{number}"))
        self.client.wait_for_workers(workers, timeout=60)

    def _start(self, name, *args):
        with open(self.folder / f"{name}.log", "w") as log:
            return subprocess.Popen([sys.executable, "-m", "dask", *map(str, args)],
                                    env=environment(), stdout=log, stderr=subprocess.STDOUT)

    def processing(self) -> dict:
        """Worker address -> tasks it is running."""
        return {address: list(tasks) for address, tasks in self.client.processing().items()}

    def close(self) -> None:
        self.client.close()
        for proc in self.workers + self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.workers + self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = Cluster(tmp_path_factory.mktemp("cluster"))
    yield started
    started.close()


def test_search_on_the_cluster_lands_a_verified_result_in_out_and_the_database(cluster, tmp_path):
    out, db = tmp_path / "run", tmp_path / "db.h5"
    result = invoke("search", "3x3x3", "--target-rank", 23, "--scheduler", cluster.address,
                    "--out", out, "--db", db, "--seed", 1)
    assert result.exit_code == 0, result.output
    best = io.load(out / "best.json")
    assert best.rank == 23 and verify(best, "z2")
    assert [e.rank for e in Database(db).entries()] == [23]
    header, *records = log_records(out)
    backend = header["header"]["backend"]
    assert backend["kind"] == "dask" and backend["scheduler"] == cluster.address
    assert len(backend["workers"]) == 2 and header["header"]["workers"] == 2    # a walker per thread
    assert records[-1]["final"] and records[-1]["best_rank"] == 23 and len(records[-1]["ranks"]) == 2
    assert set(records[-1]["backend"]["ran_chunks"]) <= set(backend["workers"])


def test_a_killed_client_resumes_from_its_checkpoint_on_the_cluster(cluster, tmp_path):
    out = tmp_path / "run"
    checkpoint, records, resumed = kill_and_resume(
        out, ["--scheduler", cluster.address, "--chunk", 0.2, "--path-limit", 200_000],
        ["--scheduler", cluster.address, "--chunk", 0.2])
    check_resumed(checkpoint, records, resumed, out)
    assert records[0]["resumed"]["kind"] == "dask"


def test_a_killed_worker_loses_only_its_chunk(cluster, tmp_path):
    """SIGKILL a worker while it runs a chunk: the task runs again on the other worker and the
    search ends with a verified result (3x3x3 rank 22 is out of reach: the search runs its full
    time limit, so it is surely still running when the worker dies). Runs last: it kills one of
    the module's workers."""
    out = tmp_path / "run"
    limit = 4.0
    proc = subprocess.Popen(cli("search", "3x3x3", "--target-rank", 22, "--time-limit", limit,
                                "--scheduler", cluster.address, "--chunk", 0.5,
                                "--path-limit", 200_000, "--out", out, "--no-save",
                                "--checkpoint-every", 0.2),
                            env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        victim = cluster.workers[0]
        address = next(a for a, w in cluster.client.scheduler_info()["workers"].items()
                       if w["name"] == "w0")
        wait_for_checkpoint(out, proc, 26)
        deadline = time.monotonic() + 60
        while not any(str(task).startswith("flipgraph-walker")
                      for task in cluster.processing().get(address, [])):
            assert time.monotonic() < deadline and proc.poll() is None, "no chunk ever ran on w0"
            time.sleep(0.02)
        before = Checkpoint.load(out / "checkpoint.json")
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(timeout=30) == -signal.SIGKILL
        flips_at_kill = max([r.get("flips", 0) for r in log_records(out)], default=0)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, stderr               # the time limit ended it (22 is not reached)
    best = io.load(out / "best.json")
    assert best.rank == 23 and verify(best, "z2")
    records = log_records(out)[1:]
    assert records[-1]["final"] and records[-1]["time"] >= limit - 1
    assert records[-1]["flips"] > flips_at_kill      # it went on after the kill ...
    assert len(cluster.client.scheduler_info()["workers"]) == 1   # ... on the one worker left
    survivor, = records[-1]["backend"]["workers"]
    assert survivor != address and survivor in records[-1]["backend"]["ran_chunks"]
    after = Checkpoint.load(out / "checkpoint.json").states
    assert all(a["flips"] > b["flips"] for a, b in zip(after, before.states))   # both walkers


def test_an_unreachable_scheduler_is_a_one_line_error():
    from flipgraph import FlipgraphError
    from flipgraph.walks import DaskExecutor

    with pytest.raises(FlipgraphError, match="cannot reach a Dask scheduler at tcp://127.0.0.1:9"):
        DaskExecutor("tcp://127.0.0.1:9", connect_timeout=1)
    with pytest.raises(FlipgraphError, match="chunk length must be positive"):
        DaskExecutor("tcp://127.0.0.1:9", chunk=0)
