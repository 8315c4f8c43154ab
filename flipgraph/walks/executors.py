"""Where pool strategies run: the seam between the search runner and its workers.

An executor runs a list of :class:`~flipgraph.walks.pool.PoolStrategy` objects (worker w is
``strategies[w]``) until each is done, the time limit passes, or the runner asks to stop, and hands
every progress report to the runner in the calling process:

    on_report(worker, report, improved) -> stop?

``report`` is :meth:`PoolStrategy.report`'s dict, ``improved`` the packed terms of a new best of
that worker (else None); returning True (the search is done) stops every worker. Each worker
ends with one report (``improved`` None), except after True from ``on_report``: then
:class:`ProcessExecutor` kills the other workers at once rather than wait for their walks (up to
``path_limit`` moves, about a second) and their last report is the one before. With
``on_state(worker, state)``, the executor also hands over the worker's
:meth:`PoolStrategy.state` (what a checkpoint keeps) before every report with a new best, at
least every ``state_every`` seconds, and when the worker ends. With ``share(worker, report)``, the
executor asks after every report whether the runner has schemes for that worker (``(level,
packed schemes)``, else None) and hands them to the worker's :meth:`PoolStrategy.adopt` before its
next walk. :class:`InlineExecutor` runs them in this
process, :class:`ProcessExecutor` in local processes, :class:`~flipgraph.walks.cluster.DaskExecutor`
as chunks on a Dask cluster; another backend only has to provide ``run`` and ``describe`` (a dict
for the search log: ``kind`` and where the workers are).
"""
from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import queue
import signal
import socket
import sys
import time
from typing import Callable, Protocol, Sequence

import numpy as np

from .pool import PoolStrategy

OnReport = Callable[[int, dict, "np.ndarray | None"], bool]
OnState = Callable[[int, dict], None]
Share = Callable[[int, dict], "tuple[int, list[np.ndarray]] | None"]

#: prctl option: signal sent to this process when its parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


class Executor(Protocol):
    """Runs the strategies until each is done, ``time_limit`` seconds pass or ``on_report``
    returns True (see the module docstring)."""

    def run(self, strategies: Sequence[PoolStrategy], time_limit: float | None,
            on_report: OnReport, on_state: OnState | None = None,
            state_every: float = 10.0, share: Share | None = None) -> None: ...

    def describe(self) -> dict: ...


class _StateTimer:
    """Decides when a worker's state is due: with a new best, and every ``every`` seconds."""

    def __init__(self, every: float):
        self.every, self.last = every, time.perf_counter()

    def due(self, improved) -> bool:
        now = time.perf_counter()
        if improved is None and now - self.last < self.every:
            return False
        self.last = now
        return True


class InlineExecutor:
    """Runs the strategies in this process; several take turns of ``turn`` seconds."""

    def __init__(self, turn: float = 1.0):
        self.turn = turn

    def describe(self) -> dict:
        return {"kind": "inline"}

    def run(self, strategies, time_limit, on_report, on_state=None, state_every=10.0,
            share=None) -> None:
        deadline = None if time_limit is None else time.perf_counter() + time_limit
        timers = [_StateTimer(state_every) for _ in strategies]
        report = on_report

        def on_report(w, rep, improved):
            if on_state is not None and timers[w].due(improved):
                on_state(w, strategies[w].state())
            stop = report(w, rep, improved)
            offered = share(w, rep) if share is not None else None
            if offered is not None:
                strategies[w].adopt(*offered)
            return stop
        self._take_turns(strategies, deadline, on_report)
        for w, strategy in enumerate(strategies):
            if on_state is not None:
                on_state(w, strategy.state())
            on_report(w, strategy.report(), None)

    def _take_turns(self, strategies, deadline, on_report) -> None:
        while not all(s.done for s in strategies):
            for w, strategy in enumerate(strategies):
                left = None if deadline is None else deadline - time.perf_counter()
                if left is not None and left <= 0:
                    return
                if strategy.done:
                    continue
                budget = left if len(strategies) == 1 else min(self.turn, left or self.turn)
                if strategy.run(budget, lambda report, improved, w=w: on_report(w, report, improved)):
                    return


class ProcessExecutor:
    """Runs each strategy in its own process (fork where available). Workers ignore Ctrl-C (the
    parent stops them) and die with the parent: prctl(PR_SET_PDEATHSIG) on Linux, and everywhere a
    check of the parent's pid at every report."""

    def __init__(self, grace: float = 5.0):
        self.grace = grace

    def describe(self) -> dict:
        return {"kind": "processes", "host": socket.gethostname()}

    def run(self, strategies, time_limit, on_report, on_state=None, state_every=10.0,
            share=None) -> None:
        ctx = mp.get_context("fork" if os.name == "posix" else "spawn")
        messages, stop = ctx.Queue(), ctx.Event()
        inboxes = [ctx.Queue() for _ in strategies]
        every = state_every if on_state is not None else None
        procs = [ctx.Process(target=_worker_main,
                             args=(s, w, time_limit, messages, stop, os.getpid(), every,
                                   inboxes[w]),
                             daemon=True)
                 for w, s in enumerate(strategies)]
        for proc in procs:
            proc.start()
        running = set(range(len(strategies)))
        done = False
        try:
            while running:
                try:
                    kind, w, report, improved, state = messages.get(timeout=0.2)
                except queue.Empty:
                    if not any(p.is_alive() for p in procs):
                        break
                    continue
                if kind == "done":
                    running.discard(w)
                if state is not None:
                    on_state(w, state)
                if on_report(w, report, improved):
                    stop.set()
                    done = True
                    break
                offered = share(w, report) if share is not None and kind != "done" else None
                if offered is not None:
                    inboxes[w].put(offered)
        finally:
            stop.set()
            deadline = time.perf_counter() + (0.0 if done else self.grace)
            for proc in procs:
                proc.join(timeout=max(0.0, deadline - time.perf_counter()))
                if proc.is_alive():
                    proc.terminate()
                    proc.join()
            for inbox in inboxes:  # what a worker never read must not hold up this process's exit
                inbox.cancel_join_thread()
            if not done:           # a killed worker may have left half a message in the queue
                _drain(messages, on_report, on_state)


def _worker_main(strategy: PoolStrategy, worker: int, time_limit, messages, stop,
                 parent: int, state_every: float | None, inbox) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # the parent handles Ctrl-C and stops us
    _die_with_parent(parent)
    timer = _StateTimer(state_every) if state_every is not None else None

    def progress(report, improved):
        if os.getppid() != parent:                   # orphaned: nobody reads the queue
            os._exit(1)
        state = strategy.state() if timer is not None and timer.due(improved) else None
        messages.put(("progress", worker, report, None if improved is None else improved.copy(),
                      state))
        try:
            while True:                              # schemes the runner handed over
                strategy.adopt(*inbox.get_nowait())
        except queue.Empty:
            pass
        return stop.is_set()

    strategy.run(time_limit, progress)
    messages.put(("done", worker, strategy.report(), None,
                  strategy.state() if timer is not None else None))


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; exit if it already has."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass                                     # the pid check in progress() remains
    if os.getppid() != parent:
        os._exit(1)


def _drain(messages, on_report, on_state) -> None:
    """Hand over what workers sent before stopping, so the best scheme seen is never lost."""
    while True:
        try:
            _, w, report, improved, state = messages.get_nowait()
        except (queue.Empty, OSError, EOFError):
            return
        if state is not None:
            on_state(w, state)
        on_report(w, report, improved)
