"""Figures of search runs from their logs (``OUT/log.jsonl``): rank against time for one or many
runs, and the time-to-rank summary across runs; and ω per format for a catalogue report. Needs
matplotlib (``pip install "flipgraph[plot]"``).

A log is JSON lines: an optional first record ``{"header": {...}}`` (target, ring, settings, seed,
...) then progress records with at least ``time`` (s), ``flips`` and ``best_rank``.

    >>> from flipgraph import plots                                            # doctest: +SKIP
    >>> plots.rank_plot(["runs/a/log.jsonl", "runs/b/log.jsonl"], "rank.png", best_known=49)
"""
from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from . import atomic
from .errors import FlipgraphError

__all__ = ["RunLog", "read_log", "rank_plot", "time_to_rank_plot", "times_to_rank", "omega_plot", "FORMATS"]

#: File types the figures can be written as (by suffix).
FORMATS = (".png", ".svg", ".pdf")
_MAX_LOG_BYTES = 256 << 20


@dataclass
class RunLog:
    """One search log: its header (empty for logs without one), label, and the progress points."""

    path: Path
    header: dict
    times: list[float]
    flips: list[int]
    ranks: list[int]

    @property
    def label(self) -> str:
        seed = self.header.get("seed")
        return f"seed {seed}" if seed is not None else self.path.parent.name or self.path.name


def read_log(path) -> RunLog:
    """A search log; a line that is not a log record is a one-line error naming file and line."""
    path = Path(path)
    if path.stat().st_size > _MAX_LOG_BYTES:
        raise FlipgraphError(f"{path}: larger than {_MAX_LOG_BYTES >> 20} MiB; not a search log?")
    header, times, flips, ranks = {}, [], [], []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise FlipgraphError(f"{path}: not a text file (a search log was expected)") from None
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
            if number == 1 and isinstance(record, dict) and isinstance(record.get("header"), dict):
                header = record["header"]
                continue
            t, f, r = float(record["time"]), int(record["flips"]), int(record["best_rank"])
        except (ValueError, KeyError, TypeError):
            raise FlipgraphError(f"{path}:{number}: not a search log line") from None
        times.append(t)
        flips.append(f)
        ranks.append(r)
    if not times:
        raise FlipgraphError(f"{path}: no progress records")
    return RunLog(path, header, times, flips, ranks)


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise FlipgraphError('plots need matplotlib: pip install "flipgraph[plot]"') from None
    return plt


def _check_output(output) -> Path:
    output = Path(output)
    if output.suffix.lower() not in FORMATS:
        raise FlipgraphError(f"{output}: write the figure as one of {', '.join(FORMATS)}")
    return output


def _save(fig, output: Path, dpi: int) -> None:
    """Write the figure atomically (a temporary file renamed over ``output``)."""
    fig.tight_layout()
    with atomic.replacing(output) as tmp:
        fig.savefig(tmp, format=output.suffix[1:].lower(), dpi=dpi)


def _title(runs: list[RunLog], title: str | None) -> str:
    if title:
        return title
    head = runs[0].header
    what = " ".join(str(x) for x in (head.get("format") or head.get("target"), head.get("ring")) if x)
    return f"{what}: best rank, {len(runs)} run{'s' * (len(runs) != 1)}" if what else \
        f"best rank, {len(runs)} run{'s' * (len(runs) != 1)}"


def rank_plot(paths, output, *, x: str = "time", log_x: bool = True, target: int | None = None,
              best_known: int | None = None, title: str | None = None, dpi: int = 150) -> Path:
    """Best rank against time (``x="time"``, log scale unless ``log_x`` is False) or flips, one
    step line per run, with the target and best-known ranks as horizontal lines (the target
    defaults to the headers' ``target_rank``). Returns the file written."""
    output = _check_output(output)
    runs = [read_log(p) for p in paths]
    if x not in ("time", "flips"):
        raise FlipgraphError(f"x axis must be time or flips, not {x!r}")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for run in runs:
        xs = run.times if x == "time" else run.flips
        if log_x:
            points = [(a, b) for a, b in zip(xs, run.ranks) if a > 0]
            xs, ys = [a for a, _ in points], [b for _, b in points]
        else:
            ys = run.ranks
        ax.step(xs, ys, where="post", label=run.label, linewidth=1.2)
    target = target if target is not None else runs[0].header.get("target_rank") or None
    if target:
        ax.axhline(target, color="tab:green", linestyle="--", linewidth=1, label=f"target {target}")
    if best_known:
        ax.axhline(best_known, color="tab:red", linestyle=":", linewidth=1,
                   label=f"best known {best_known}")
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel("time (s)" if x == "time" else "flips")
    ax.set_ylabel("best rank")
    ax.set_title(_title(runs, title))
    ax.grid(True, alpha=0.3, which="both")
    if len(runs) <= 12 or target or best_known:
        ax.legend(fontsize="small", ncol=2 if len(runs) > 6 else 1)
    _save(fig, output, dpi)
    plt.close(fig)
    return output


def times_to_rank(runs: list[RunLog]) -> dict[int, list[float]]:
    """For every rank some run reached: the time each run first reached it or lower (runs that
    never did are left out of that rank's list)."""
    reached: dict[int, list[float]] = {}
    every = sorted({r for run in runs for r in run.ranks})
    for rank in every:
        for run in runs:
            first = next((t for t, r in zip(run.times, run.ranks) if r <= rank), None)
            if first is not None:
                reached.setdefault(rank, []).append(first)
    return reached


def time_to_rank_plot(paths, output, *, ranks: list[int] | None = None, title: str | None = None,
                      dpi: int = 150) -> Path:
    """The share of runs that reached each rank against time (an empirical CDF per rank, log
    time axis): the summary figure of a set of seeds. ``ranks`` default to the lowest four reached."""
    output = _check_output(output)
    runs = [read_log(p) for p in paths]
    reached = times_to_rank(runs)
    ranks = sorted(ranks or sorted(reached)[:4])
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for rank in ranks:
        times = sorted(max(t, 1e-3) for t in reached.get(rank, []))
        if not times:
            continue
        shares = [(i + 1) / len(runs) for i in range(len(times))]
        label = f"rank ≤ {rank}: {len(times)}/{len(runs)} runs"
        if len(times) == len(runs):
            label += f", median {statistics.median(times):.3g} s"
        ax.step([times[0]] + times, [0.0] + shares, where="post", label=label)
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("share of runs at or below the rank")
    ax.set_title(title or _title(runs, None).replace("best rank", "time to rank"))
    ax.grid(True, alpha=0.3, which="both")
    ax.legend(fontsize="small")
    _save(fig, output, dpi)
    plt.close(fig)
    return output


def omega_plot(points, output, *, title: str | None = None, dpi: int = 150) -> Path:
    """ω = 3·log(rank)/log(nmp) per format: ours beside the best known. ``points``: (label,
    ω ours or None, ω best known or None) in the order to draw. Returns the file written."""
    output = _check_output(output)
    points = list(points)
    if not points:
        raise FlipgraphError("no formats to plot")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(6.4, 0.32 * len(points) + 1.5), 4.2))
    xs = range(len(points))
    for index, name, marker, style in ((2, "best known", "x", {"color": "tab:red"}),
                                       (1, "ours (valid over Q)", "o",
                                        {"facecolors": "none", "edgecolors": "tab:blue"})):
        shown = [(x, p[index]) for x, p in zip(xs, points) if p[index] is not None]
        if shown:
            ax.scatter(*zip(*shown), marker=marker, label=name, s=36, **style)
    ax.axhline(3 * math.log(7) / math.log(8), color="grey", linestyle=":", linewidth=1,
               label="Strassen 2.807")
    ax.set_xticks(list(xs), [p[0] for p in points], rotation=60, ha="right", fontsize="small")
    ax.set_ylabel("ω = 3·log(rank) / log(nmp)")
    ax.set_title(title or "exponent per format: ours and the best known")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(output, dpi=dpi)
    plt.close(fig)
    return output
