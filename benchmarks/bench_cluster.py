"""Search throughput on a Dask cluster against the local runners (issue 18), and the chunk overhead.

    python benchmarks/bench_cluster.py [SECONDS] [ROUNDS]

Each round runs, interleaved, the same 4x4x4 Z2 search from 64 (no target, seed 1, path limit
10^5 so chunks end on time) for SECONDS (default 10) on: the local inline runner (1 walker), the
local process runner (2 walkers), a Dask cluster of 1 worker (1 walker) and of 2 workers (2
walkers) (distributed.LocalCluster on 127.0.0.1, worker processes of one thread, chunks of 1 s;
and 5 s on 1 worker).
Prints flips/s best and median over ROUNDS (default 3) and the ratios to the local runners, then
the round trip of an empty chunk task (the per-chunk overhead).
Needs flipgraph[cluster]. Figures depend on the machine's load: `uptime` is printed.
"""
from __future__ import annotations

import os
import statistics
import sys
import time

from distributed import Client, LocalCluster

from flipgraph import standard
from flipgraph.walks import InlineExecutor, ProcessExecutor, SearchSettings, run_search
from flipgraph.walks.cluster import DaskExecutor, run_chunk
from flipgraph.walks.packing import pack
from flipgraph.walks.runner import strategies
from flipgraph.walks.walker import warm_up


def throughput(executor, walkers: int, seconds: float) -> float:
    settings = SearchSettings("4x4x4", workers=walkers, time_limit=seconds, seed=1,
                              path_limit=100_000)
    result = run_search(settings, executor=executor)
    return result.flips / result.elapsed


def chunk_overhead(address: str, rounds: int = 30) -> float:
    """Median seconds of an empty chunk task (state out, from_state, state back)."""
    settings = SearchSettings("4x4x4", seed=1)
    settings.check()
    start = standard(4, 4, 4).over("z2")
    state = strategies(settings, pack(start, "z2", start.rank + 5), start.rank)[0].state()
    with Client(address) as client:
        client.submit(run_chunk, state, 0.0, pure=False).result()       # warm the worker
        times = []
        for _ in range(rounds):
            began = time.perf_counter()
            client.submit(run_chunk, state, 0.0, pure=False).result()
            times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    warm_up()
    print("load before:", os.getloadavg())
    clusters = {n: LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                host="127.0.0.1", dashboard_address=":0") for n in (1, 2)}
    try:
        executors = {n: DaskExecutor(cluster.scheduler_address) for n, cluster in clusters.items()}
        executors["1, 5 s"] = DaskExecutor(clusters[1].scheduler_address, chunk=5.0)
        for executor in executors.values():          # load the kernel on every worker first
            throughput(executor, len(executor.workers()), 1.0)
        contenders = {"local inline, 1 walker": (InlineExecutor(), 1),
                      "local processes, 2 walkers": (ProcessExecutor(), 2),
                      "dask 1 worker, 1 walker": (executors[1], 1),
                      "dask 1 worker, 5 s chunks": (executors["1, 5 s"], 1),
                      "dask 2 workers, 2 walkers": (executors[2], 2)}
        figures = {name: [] for name in contenders}
        for _ in range(rounds):
            for name, (executor, walkers) in contenders.items():
                figures[name].append(throughput(executor, walkers, seconds))
        base1 = statistics.median(figures["local inline, 1 walker"])
        base2 = statistics.median(figures["local processes, 2 walkers"])
        print(f"4x4x4 Z2 from 64, {seconds:g} s per run, {rounds} rounds (M flips/s):")
        for name, values in figures.items():
            median = statistics.median(values)
            print(f"  {name:28s} best {max(values) / 1e6:6.2f}  median {median / 1e6:6.2f}  "
                  f"x{median / base1:.2f} of inline, x{median / base2:.2f} of processes")
        overhead = chunk_overhead(clusters[1].scheduler_address)
        print(f"empty chunk round trip (median): {overhead * 1e3:.1f} ms "
              f"= {overhead * 100:.1f} % of a 1 s chunk")
        for executor in executors.values():
            executor.close()
    finally:
        for cluster in clusters.values():
            cluster.close()
    print("load after:", os.getloadavg())


if __name__ == "__main__":
    main()
