"""Paced work: a check or a write that may take at most a share of a long run's time."""
from __future__ import annotations

import time


class Pacer:
    """Lets work run at most ``share`` of the wall time: after a piece that took d seconds, the
    next is due (1/share − 1)·d seconds later; a piece quicker than ``free`` seconds delays
    nothing (small formats keep every check and write). Use ``due()`` to ask, ``timed()`` around
    the work.

        pacer = Pacer(0.1)
        if pacer.due():
            with pacer.timed():
                check(scheme)
    """

    def __init__(self, share: float, free: float = 0.05):
        self.share, self.free, self.next = share, free, 0.0

    def due(self) -> bool:
        return time.perf_counter() >= self.next

    def timed(self) -> "_Timed":
        return _Timed(self)


class _Timed:
    def __init__(self, pacer: Pacer):
        self.pacer = pacer

    def __enter__(self):
        self.began = time.perf_counter()

    def __exit__(self, *exc):
        now = time.perf_counter()
        spent = now - self.began
        if spent >= self.pacer.free:
            self.pacer.next = now + spent * (1 / self.pacer.share - 1)
        return False
