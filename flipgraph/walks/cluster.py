"""Searches on a Dask cluster: :class:`DaskExecutor` runs each worker's pool strategy as a chain of
chunk tasks (``dask.distributed``; ``pip install "flipgraph[cluster]"``).

A chunk task gets a strategy's saved state, walks for at most ``chunk`` seconds (a walk in progress
finishes first), and returns the new state, its report and its new best scheme if it found one.
The client (this process) keeps every worker's latest state, hands improvements to the runner
(which verifies them, writes OUT/ and the database) and submits the next chunk. Workers write no
files. A Dask worker that dies loses only its current chunk: the scheduler runs that task again
elsewhere from the same input state. A cluster worker process runs one chunk at a time
(``dask worker --nthreads 1``): the walk kernel holds the GIL.

    >>> from flipgraph.walks import SearchSettings, run_search                  # doctest: +SKIP
    >>> with DaskExecutor("tcp://127.0.0.1:8786") as executor:
    ...     run_search(SearchSettings("4x4x4", target_rank=49, workers=executor.threads()),
    ...                executor=executor)
"""
from __future__ import annotations

import time
import uuid

from ..errors import FlipgraphError
from .pool import PoolStrategy
from .walker import warm_up

#: Seconds to wait for a chunk past the time limit (a walk in progress ends first; a chunk lost
#: with its worker runs again) before the search gives up on it.
GRACE = 30.0


def run_chunk(state: dict, seconds: float) -> tuple[dict, dict, object, str]:
    """The task: continue the strategy saved in ``state`` for ``seconds``; returns (state,
    report, new best's packed terms or None, the Dask worker's address)."""
    from distributed import get_worker

    strategy = PoolStrategy.from_state(state)
    warm_up(strategy.start.shape[2], strategy.ring)              # compile or load the kernel off the clock
    best_before = strategy.best_rank
    strategy.run(seconds)
    improved = strategy.best if strategy.best_rank < best_before else None
    return strategy.state(), strategy.report(), improved, get_worker().address


class DaskExecutor:
    """Runs the strategies as chunk tasks on the Dask cluster whose scheduler is at ``address``
    (``tcp://HOST:PORT``); connects on creation (a one-line error when it cannot)."""

    def __init__(self, address: str, chunk: float = 1.0, connect_timeout: float = 10.0):
        try:
            from distributed import Client
        except ImportError:
            raise FlipgraphError('searches on a Dask cluster need dask.distributed: '
                                 'pip install "flipgraph[cluster]"') from None
        if not chunk > 0:
            raise FlipgraphError("the chunk length must be positive (seconds)")
        self.address, self.chunk = address, float(chunk)
        try:
            self.client = Client(address, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise FlipgraphError(f"cannot reach a Dask scheduler at {address} ({exc})") from None
        self.used: set[str] = set()               # workers that ran a chunk

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def workers(self) -> dict[str, int]:
        """The cluster's workers now: address -> threads."""
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        return {address: int(worker.get("nthreads", 1)) for address, worker in info.items()}

    def threads(self, wait: float = 30.0) -> int:
        """Worker threads in the cluster (waiting up to ``wait`` seconds for a first worker)."""
        try:
            self.client.wait_for_workers(1, timeout=wait)
        except TimeoutError:
            raise FlipgraphError(f"no Dask worker joined the scheduler at {self.address} within "
                                 f"{wait:g} s (start some: dask worker {self.address})") from None
        return sum(self.workers().values())

    def describe(self) -> dict:
        """The cluster now (``workers``: addresses; empty when the scheduler is out of reach) and
        the workers that ran chunks so far."""
        try:
            workers = self.workers()
        except (OSError, TimeoutError, RuntimeError):
            workers = {}
        return {"kind": "dask", "scheduler": self.address, "chunk": self.chunk,
                "workers": sorted(workers), "threads": sum(workers.values()),
                "ran_chunks": sorted(self.used)}

    def run(self, strategies, time_limit, on_report, on_state=None, state_every=10.0,
            share=None) -> None:
        from distributed import TimeoutError as DaskTimeout
        from distributed import wait

        start = time.perf_counter()
        deadline = None if time_limit is None else start + time_limit
        states = [s.state() for s in strategies]
        reports = [s.report() for s in strategies]
        chunks = [0] * len(strategies)
        pending: dict = {}
        run_id = uuid.uuid4().hex[:12]            # task keys unique across searches and clients

        def submit(w: int) -> None:
            seconds = self.chunk
            if deadline is not None:
                seconds = min(seconds, deadline - time.perf_counter())
                if seconds <= 0:
                    return
            chunks[w] += 1
            future = self.client.submit(run_chunk, states[w], seconds, pure=False,
                                        key=f"flipgraph-walker{w}-chunk{chunks[w]}-{run_id}")
            pending[future] = w

        for w, strategy in enumerate(strategies):
            if not strategy.done:
                submit(w)
        stopped = False
        try:
            while pending and not stopped:
                if deadline is not None and time.perf_counter() > deadline + GRACE:
                    break                         # chunks lost beyond hope: keep what we have
                try:
                    with self.client.as_current():
                        done, _ = wait(list(pending), timeout=0.5, return_when="FIRST_COMPLETED")
                except (DaskTimeout, TimeoutError):
                    continue
                except Exception as exc:          # e.g. the scheduler is gone
                    raise _failed("the search's chunks", exc) from None
                for future in done:
                    w = pending.pop(future)
                    try:
                        states[w], reports[w], improved, where = future.result()
                    except Exception as exc:      # e.g. KilledWorker: the task killed 3 workers
                        raise _failed(f"walker {w}'s chunk", exc) from None
                    self.used.add(where)
                    if on_state is not None:
                        on_state(w, states[w])
                    if on_report(w, reports[w], improved):
                        stopped = True
                    elif reports[w]["rank"] > strategies[w].target_rank:
                        offered = share(w, reports[w]) if share is not None else None
                        if offered is not None:       # the next chunk starts from them
                            strategy = PoolStrategy.from_state(states[w])
                            strategy.adopt(*offered)
                            states[w] = strategy.state()
                        submit(w)
        finally:
            for future in pending:
                future.cancel()
        for w in range(len(strategies)):
            if on_state is not None:
                on_state(w, states[w])
            on_report(w, reports[w], None)


def _failed(what: str, exc: Exception) -> FlipgraphError:
    """A one-line error for a cluster failure; the checkpoint still has the search."""
    reason = " ".join(str(exc).split())[:300]
    return FlipgraphError(f"{what} failed on the Dask cluster ({type(exc).__name__}: {reason}); "
                          f"the search can go on from its checkpoint: flipgraph search --resume OUT")
