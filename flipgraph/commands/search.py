"""Verbs of the flipgraph CLI for searching: ``search`` (flip-graph random walks) and ``plot``.

``search`` takes its settings from flags, or from a TOML recipe (``--config``) whose keys are the
flag names without dashes-prefix (``target-rank = 23``); flags given on the command line win.
Exit code 0 when the target rank was reached (or no target was set), 1 when it was missed,
2 on bad input.
"""
from __future__ import annotations

import math
import os
import sys

import click

from ..errors import FlipgraphError
from ..pipeline import load_recipe, log_records, run_search_job, start_scheme
from ..tensors import parse_target
from ..walks import SearchSettings


class _Progress:
    """Live progress on a terminal (one rewritten line), nothing otherwise."""

    def __init__(self, live: bool):
        self.live = live
        self.last = (0.0, 0)

    def __call__(self, record: dict) -> None:
        if not self.live:
            return
        t, flips = record["time"], record["flips"]
        dt = t - self.last[0]
        rate = (flips - self.last[1]) / dt / 1e6 if dt > 0 else 0.0
        self.last = (t, flips)
        ranks = " ".join(str(r) for r in record["ranks"])
        click.echo(f"\r  {t:7.1f}s  best rank {record['best_rank']}  walkers at [{ranks}]  "
                   f"{rate:6.2f} M flips/s   ", nl=False, err=True)

    def close(self) -> None:
        if self.live:
            click.echo("", err=True)


@click.command("search")
@click.argument("format", required=False)
@click.option("--ring", default="z2", show_default=True,
              help="Coefficient ring of the walk: z2, z3, or zt ({-1,0,1}: valid over every ring).")
@click.option("--target-rank", type=int, default=0, help="Stop at this rank (default: go as low "
              "as the time limit allows).")
@click.option("--workers", type=int, default=1, show_default=True,
              help="Parallel walkers (processes); one per core is a good choice.")
@click.option("--time-limit", type=float, default=60.0, show_default=True, help="Seconds.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Each walker's trajectory is reproducible from (seed, walker index).")
@click.option("--from", "start_file", type=click.Path(dir_okay=False),
              help="Start from this scheme file (default: the standard scheme of rank n·m·p).")
@click.option("--pool-size", type=int, default=None,
              help="Distinct schemes kept per rank level (1 = plain walk with restarts). "
                   "Default: 4 over z2, 1 over z3 and zt.")
@click.option("--path-limit", type=int, default=10_000_000, show_default=True,
              help="Moves per walk before it gives up and a new walk starts from the pool.")
@click.option("--plus-after", type=int, default=None,
              help="Plus transition (rank + 1) after this many flips without a reduction "
                   "(randomised in [A, 2A)); 0 = never. Default: 5000 over z2, 30000 over z3/zt.")
@click.option("--reset-flips", type=int, default=0, show_default=True,
              help="Start over from the start scheme every this many flips per worker (the best "
                   "is kept); times to a rank are heavy-tailed, so fresh starts can beat waiting. "
                   "0 = never. 300000000 (~15 s) helped on 4x4x4 in a small test.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False),
              help="TOML recipe with the same keys as these flags (flags win).")
@click.option("--out", type=click.Path(file_okay=False),
              help="Folder for best.json and log.jsonl (default: runs/<format>-<ring>-<time>).")
@click.option("--lift", is_flag=True, default=False,
              help="Keep only results that lift to Z (Hensel lifting): a result that does not "
                   "lift is dropped and the search goes on with the next seed; the lifted scheme "
                   "is written to OUT/lifted.json and saved.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="Database to save the verified result into (default: the user database, "
                   "$FLIPGRAPH_DB or ~/.local/share/flipgraph/schemes.h5).")
@click.option("--no-save", is_flag=True, default=False, help="Do not save into the database.")
@click.pass_context
def search_cmd(ctx, format, ring, target_rank, workers, time_limit, seed, start_file, pool_size,
               path_limit, plus_after, reset_flips, config, out, lift, db_path, no_save):
    """Random walks on the flip graph to find a low-rank scheme of FORMAT (like 3x3x3).

    Starts from the standard algorithm (or --from FILE), takes random flips, reduces whenever
    possible, and keeps pools of distinct schemes per rank. The best scheme is verified, written
    to OUT/best.json, and its progress to OUT/log.jsonl (draw it with `flipgraph plot`).
    Ctrl-C stops cleanly and keeps the best scheme found so far.

    \b
    Examples:
      flipgraph search 3x3x3 --target-rank 23 --time-limit 30
      flipgraph search 4x4x4 --target-rank 49 --workers 2 --path-limit 100000000
      flipgraph search 3x3x3 --ring zt --target-rank 23
      flipgraph search --config search_configs/z2-444-49.toml
    """
    opts = dict(format=format, ring=ring, target_rank=target_rank, workers=workers,
                time_limit=time_limit, seed=seed, start_file=start_file, pool_size=pool_size,
                path_limit=path_limit, plus_after=plus_after, reset_flips=reset_flips, out=out,
                lift=lift)
    if config:
        for key, value in load_recipe(config).items():
            name = {"from": "start_file"}.get(key, key.replace("-", "_"))
            if name in opts and (opts[name] is None or ctx.get_parameter_source(name)
                                 == click.core.ParameterSource.DEFAULT):
                opts[name] = value
    if not opts["format"]:
        raise click.UsageError("give a FORMAT like 3x3x3 (or a --config recipe that sets one)")
    settings = _settings(opts, config)
    progress = _Progress(sys.stderr.isatty())
    try:
        job = run_search_job(settings, out_dir=opts["out"], want_lift=bool(opts["lift"]),
                             save=not no_save, db_path=db_path, on_progress=progress, config=config)
    finally:
        progress.close()
    result, lifted = job.result, job.lifted
    stop = " (interrupted)" if result.interrupted else ""
    click.echo(f"{result.scheme.format_str} over {settings.ring}: rank {result.rank} (verified) "
               f"in {result.elapsed:.2f} s, {result.flips:,} flips "
               f"({result.flips_per_second / 1e6:.1f} M/s){stop} -> {job.out_dir / 'best.json'}")
    if opts["lift"]:
        if lifted is None:
            click.echo("no result lifted to Z within the time limit", err=True)
        else:
            click.echo(f"lifted to {lifted.ring} in {lifted.seconds:.2f} s (verified) -> "
                       f"{job.out_dir / 'lifted.json'}")
    if job.saved_to:
        click.echo(f"saved to {job.saved_to}: {job.new} new, {job.known} already known")
    if not job.ok:
        sys.exit(1)


def _settings(opts: dict, config) -> SearchSettings:
    """SearchSettings from the merged flags and recipe values; ill-typed values are usage errors."""
    where = f" (in {config})" if config else ""

    def number(name, kind, low=None, allow_none=False):
        value = opts[name]
        if value is None and allow_none:
            return None
        try:
            if isinstance(value, bool):
                raise ValueError
            value = kind(value)
        except (TypeError, ValueError, OverflowError):
            raise click.BadParameter(f"{value!r} is not a valid {kind.__name__}{where}",
                                     param_hint=f"--{name.replace('_', '-')}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise click.BadParameter(f"{value!r} is not a finite number{where}",
                                     param_hint=f"--{name.replace('_', '-')}")
        if low is not None and value < low:
            raise click.BadParameter(f"{value!r}: must be at least {low}{where}",
                                     param_hint=f"--{name.replace('_', '-')}")
        return value

    target = parse_target(str(opts["format"]))
    ring = str(opts["ring"]).lower()
    start = start_scheme(opts["start_file"], target, ring) if opts["start_file"] else None
    time_limit = number("time_limit", float, 0, allow_none=True)
    return SearchSettings(format=target.format, ring=ring,
                          target_rank=number("target_rank", int, 0), workers=number("workers", int, 1),
                          time_limit=time_limit or None, seed=number("seed", int, 0),
                          pool_size=number("pool_size", int, 1, allow_none=True),
                          path_limit=number("path_limit", int, 1),
                          plus_after=number("plus_after", int, 0, allow_none=True),
                          reset_flips=number("reset_flips", int, 0), start=start)


@click.command("plot")
@click.argument("log", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", default="rank.png", show_default=True, help="Image file to write.")
def plot_cmd(log, output):
    """Draw best rank against time from a search LOG (log.jsonl) into an image.

    Needs matplotlib (pip install "flipgraph[plot]").

    \b
    Example:
      flipgraph plot runs/4x4x4-z2-20261122-130000/log.jsonl -o rank.png
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise FlipgraphError('plot needs matplotlib: pip install "flipgraph[plot]"') from None
    times, ranks = [], []
    for number, record in enumerate(log_records(log), 1):
        try:
            times.append(float(record["time"]))
            ranks.append(int(record["best_rank"]))
        except (ValueError, KeyError, TypeError):
            raise FlipgraphError(f"{log}:{number}: not a search log line") from None
    if not times:
        raise FlipgraphError(f"{log}: empty log")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.step(times, ranks, where="post")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("best rank")
    ax.set_title(os.path.basename(os.path.dirname(os.path.abspath(log))))
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(output, dpi=120)
    click.echo(f"wrote {output}")


COMMANDS: list[click.Command] = [search_cmd, plot_cmd]
