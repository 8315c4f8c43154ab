"""What a running search shows: a small table redrawn in place on a terminal, plain lines elsewhere.

Fed with the runner's progress records (:func:`flipgraph.walks.run_search`'s ``on_progress``:
time, flips, best rank, and per worker its level, best rank, pool fill and flips). Flips per second
are smoothed over a sliding window (``window`` seconds), per worker and in total, so the figure
does not jump with the report cadence. On a terminal::

    3x3x3 over z2   12.4 s / 60 s   target 23   best 24
      walker  level  best  pool  M flips/s
           0     24    24   2/4      21.3
           1     25    24   4/4      20.8
      total                          42.1

Off a terminal (a log file, CI): one line every ``every`` seconds and one per new best rank.
"""
from __future__ import annotations

import sys
from collections import deque

__all__ = ["ProgressView"]


class ProgressView:
    """Callable progress sink for :func:`flipgraph.walks.run_search` (see the module docstring)."""

    def __init__(self, title: str, *, stream=None, live: bool | None = None, every: float = 10.0,
                 time_limit: float | None = None, target_rank: int = 0, pool_size: int | None = None,
                 window: float = 5.0):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.title, self.every, self.window = title, every, window
        self.time_limit, self.target_rank, self.pool_size = time_limit, target_rank, pool_size
        self.history: deque = deque()
        self.lines_drawn = 0
        self.last_line = -1e9
        self.last_best = None

    # ------------------------------------------------------------------ rates
    def _rates(self, record: dict) -> tuple[list[float], float]:
        """Flips/s per worker and in total over the last ``window`` seconds."""
        t = record["time"]
        per_worker = record.get("worker_flips") or [record["flips"]]
        self.history.append((t, list(per_worker)))
        while len(self.history) > 2 and t - self.history[1][0] >= self.window:
            self.history.popleft()
        t0, old = self.history[0]
        dt = t - t0
        if dt <= 0 or len(old) != len(per_worker):
            return [0.0] * len(per_worker), 0.0
        rates = [(new - was) / dt for new, was in zip(per_worker, old)]
        return rates, sum(rates)

    # ------------------------------------------------------------------ output
    def __call__(self, record: dict) -> None:
        rates, total = self._rates(record)
        improved = record["best_rank"] != self.last_best
        self.last_best = record["best_rank"]
        if self.live:
            self._draw(record, rates, total)
        elif improved or record.get("final") or record["time"] - self.last_line >= self.every:
            self.last_line = record["time"]
            self.stream.write(self._line(record, total) + "\n")
            self.stream.flush()

    def _head(self, record: dict) -> str:
        limit = f" / {self.time_limit:g} s" if self.time_limit else ""
        target = f"   target {self.target_rank}" if self.target_rank else ""
        return f"{self.title}   {record['time']:.1f} s{limit}{target}   best {record['best_rank']}"

    def _line(self, record: dict, total: float) -> str:
        levels = " ".join(str(r) for r in record.get("ranks", []))
        return f"{self._head(record)}   walker levels [{levels}]   {total / 1e6:.1f} M flips/s"

    def _draw(self, record: dict, rates: list[float], total: float) -> None:
        ranks = record.get("ranks", [])
        bests = record.get("best_ranks") or [record["best_rank"]] * len(ranks)
        pools = record.get("pool_sizes", [0] * len(ranks))
        cap = f"/{self.pool_size}" if self.pool_size else ""
        rows = [self._head(record), "  walker  level  best  pool  M flips/s"]
        for w, (level, best, pool) in enumerate(zip(ranks, bests, pools)):
            rate = rates[w] if w < len(rates) else 0.0
            rows.append(f"  {w:>6}  {level:>5}  {best:>4}  {f'{pool}{cap}':>4}  {rate / 1e6:>9.1f}")
        rows.append(f"  {'total':>6}  {'':>5}  {'':>4}  {'':>4}  {total / 1e6:>9.1f}")
        up = f"\x1b[{self.lines_drawn}F" if self.lines_drawn else ""
        self.stream.write(up + "".join(f"\x1b[2K{row}\n" for row in rows))
        self.stream.flush()
        self.lines_drawn = len(rows)

    def close(self) -> None:
        """Nothing to undo: the table stays on screen as the run's summary."""
