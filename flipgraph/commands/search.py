"""Verbs of the flipgraph CLI for searching: ``search`` (flip-graph random walks) and ``plot``.

``search`` takes its settings from flags, or from a TOML recipe (``--config``) whose keys are the
flag names without dashes-prefix (``target-rank = 23``); flags given on the command line win.
Exit code 0 when the target rank was reached (or no target was set), 1 when it was missed,
2 on bad input.
"""
from __future__ import annotations

import json
import sys
import time
import tomllib
from pathlib import Path

import click

from .. import __version__, io
from ..db import default_database
from ..errors import FlipgraphError
from ..lift import lift
from ..scheme import parse_format
from ..walks import SearchSettings, run_search

_KEYS = ("format", "ring", "target-rank", "workers", "time-limit", "seed", "pool-size",
         "path-limit", "plus-after", "reset-flips", "from", "out", "lift")


def load_recipe(path: str) -> dict:
    """A search recipe (TOML) as {flag name: value}; unknown keys are an error."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise FlipgraphError(f"{path}: not valid TOML ({exc})") from None
    recipe = data.get("search", data)
    unknown = sorted(set(recipe) - set(_KEYS) - {"description", "result"})
    if unknown:
        raise FlipgraphError(f"{path}: unknown key(s) {', '.join(unknown)}; "
                             f"known: {', '.join(_KEYS)}")
    return recipe


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
@click.option("--from-format", "start_format", type=click.Choice(sorted(io.FORMATS)),
              help="File format of --from (default: from the suffix).")
@click.option("--from-ring", "start_ring", type=click.Choice(["z2", "z3", "zt", "z", "q"]),
              help="Read --from in this ring (default: the file's own).")
@click.option("--key", "start_key", help="Entry of a many-scheme --from file, e.g. 4,4,4.")
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
def search_cmd(ctx, format, ring, target_rank, workers, time_limit, seed, start_file, start_format,
               start_ring, start_key, pool_size, path_limit, plus_after, reset_flips, config, out,
               lift, db_path, no_save):
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
    fmt = parse_format(opts["format"])
    start = (io.load(opts["start_file"], start_format, start_ring, start_key)
             if opts["start_file"] else None)
    if start is not None:
        start = _as_start(start, fmt, str(opts["ring"]).lower(), opts["start_file"])
    settings = SearchSettings(format=fmt, ring=str(opts["ring"]).lower(),
                              target_rank=int(opts["target_rank"]), workers=int(opts["workers"]),
                              time_limit=float(opts["time_limit"]) if opts["time_limit"] else None,
                              seed=int(opts["seed"]), pool_size=_int_or_none(opts["pool_size"]),
                              path_limit=int(opts["path_limit"]),
                              plus_after=_int_or_none(opts["plus_after"]),
                              reset_flips=int(opts["reset_flips"]), start=start)
    settings.check()
    out_dir = Path(opts["out"] or f"runs/{'x'.join(map(str, fmt))}-{settings.ring}-"
                                  f"{time.strftime('%Y%m%d-%H%M%S')}")
    out_dir.mkdir(parents=True, exist_ok=True)
    progress = _Progress(sys.stderr.isatty())
    result, lifted = _run(settings, bool(opts["lift"]), progress, out_dir / "log.jsonl")
    progress.close()
    meta = {"source": "flipgraph search", "format": result.scheme.format_str,
            "ring": settings.ring, "seed": settings.seed, "workers": settings.workers,
            "pool_size": settings.pool_size, "path_limit": settings.path_limit,
            "plus_after": settings.plus_after, "reset_flips": settings.reset_flips,
            "flips": result.flips,
            "seconds": round(result.elapsed, 3), "config": config,
            "engine": f"flipgraph {__version__}", "date": time.strftime("%Y-%m-%d")}
    io.save(result.scheme, out_dir / "best.json", meta=meta)
    stop = " (interrupted)" if result.interrupted else ""
    click.echo(f"{result.scheme.format_str} over {settings.ring}: rank {result.rank} (verified) "
               f"in {result.elapsed:.2f} s, {result.flips:,} flips "
               f"({result.flips_per_second / 1e6:.1f} M/s){stop} -> {out_dir / 'best.json'}")
    keep = [result.scheme]
    if opts["lift"]:
        if lifted is None:
            click.echo("no result lifted to Z within the time limit", err=True)
            keep = []
        else:
            io.save(lifted.scheme, out_dir / "lifted.json", meta={**meta, "lifted": lifted.ring})
            click.echo(f"lifted to {lifted.ring} in {lifted.seconds:.2f} s (verified) -> "
                       f"{out_dir / 'lifted.json'}")
            keep.append(lifted.scheme)
    if not no_save and keep:
        database = default_database(db_path)
        answers = database.add_many([(s, meta) for s in keep])
        new = sum(added for _, added in answers)
        click.echo(f"saved to {database.path}: {new} new, {len(keep) - new} already known")
    if (settings.target_rank and not result.reached_target) or (opts["lift"] and lifted is None):
        sys.exit(1)


def _run(settings: SearchSettings, want_lift: bool, progress, log_path):
    """Run the search; with ``want_lift``, repeat with fresh seeds (within the time limit) until
    a result lifts to Z. Returns (SearchResult, LiftResult or None)."""
    result = run_search(settings, on_progress=progress, log_path=log_path)
    if not want_lift:
        return result, None
    deadline = time.perf_counter() + (settings.time_limit or 0) - result.elapsed
    attempt = 0
    while True:
        lifted = lift(result.scheme, to="z")
        if lifted.ok or result.interrupted or time.perf_counter() >= deadline:
            return result, (lifted if lifted.ok else None)
        attempt += 1
        settings.seed += 1_000_003 * attempt
        settings.time_limit = max(1.0, deadline - time.perf_counter())
        result = run_search(settings, on_progress=progress, log_path=log_path)


def _int_or_none(value):
    return None if value is None else int(value)


def _as_start(scheme, fmt, ring, path):
    """The scheme of ``path`` moved to ``fmt`` (through a symmetry if need be) and read in the
    walk's ring, or a one-line error naming the file."""
    if scheme.format != fmt:
        try:
            scheme = scheme.to_format(*fmt)
        except FlipgraphError:
            raise FlipgraphError(f"{path}: holds a {scheme.format_str} scheme, not "
                                 f"{'x'.join(map(str, fmt))}") from None
    try:
        return scheme.over(ring)
    except FlipgraphError as exc:
        raise FlipgraphError(f"{path}: cannot start a {ring} walk from this {scheme.ring} "
                             f"scheme ({exc})") from None


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
    for number, line in enumerate(Path(log).read_text().splitlines(), 1):
        try:
            record = json.loads(line)
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
    ax.set_title(Path(log).parent.name)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(output, dpi=120)
    click.echo(f"wrote {output}")


COMMANDS: list[click.Command] = [search_cmd, plot_cmd]
