"""Verbs of the flipgraph CLI for searching: ``search`` (flip-graph random walks) and ``plot``.

``search`` takes its settings from flags, or from a TOML recipe (``--config``) whose keys are the
flag names without dashes-prefix (``target-rank = 23``); flags given on the command line win.
Exit code 0 when the target rank was reached (or no target was set), 1 when it was missed,
2 on bad input.
"""
from __future__ import annotations

import math
import sys
from contextlib import contextmanager

import click

from .. import io, plots
from ..errors import FlipgraphError
from ..progress import ProgressView
from ..pipeline import (collect_alternatives, load_recipe, resolve, resume_search_job,
                        run_search_job, start_scheme)
from ..tensors import parse_target
from ..walks import SearchSettings


def _view(settings, every: float) -> ProgressView:
    """The progress view of a search: a table on a terminal, a line every ``every`` s otherwise."""
    return ProgressView(f"{settings.target.label} over {settings.ring}", every=every,
                        time_limit=settings.time_limit, target_rank=settings.target_rank,
                        pool_size=settings.pool_size)


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
                   "Default: 4 over z2, 1 over z3 and zt; 1 from 5x5x5 up.")
@click.option("--path-limit", type=int, default=None,
              help="Moves per walk before it gives up and a new walk starts from the pool. "
                   "Default: 10000000; 30000 from 5x5x5 up (with pool 1, plus-after 2000).")
@click.option("--plus-after", type=int, default=None,
              help="Plus transition (rank + 1) after this many flips without a reduction "
                   "(randomised in [A, 2A)); 0 = never. Default: 5000 over z2 (2500 from 40 "
                   "entries, e.g. 4x4x4), 30000 over z3/zt; 2000 from 5x5x5 up.")
@click.option("--reset-flips", type=int, default=None,
              help="Start over from the start scheme every this many flips per worker (the best "
                   "is kept; no other worker hands it back a level it had reached; a lower level "
                   "reached since is gone down to instead); times to a rank are heavy-tailed, so "
                   "fresh starts beat waiting. 0 = never. Default: over "
                   "z2 from 40 entries (3x4x4) below 5x5x5, 160000000 scaled by size (4x4x4: "
                   "160000000, ~12 s per worker); else never.")
@click.option("--stall-flips", type=int, default=None,
              help="Flips at one rank level without a find before a worker goes back to the "
                   "pool it kept of the level above; with several workers, a stalled or lagging "
                   "worker first takes the lowest level another reached. 0 = never. Default: by "
                   "format size (150000000 on 4x4x4, 0 below 40 entries).")
@click.option("--windows/--no-windows", default=None,
              help="From the standard algorithm of a format with a factor of more than 16 "
                   "entries (2x5x5, 4x4x5; over z3 more than 9: 4x4x4) or more than 125 "
                   "products (6x6x6): most walks move only the terms inside a sub-block, where "
                   "the first reductions come far sooner; on formats up to 125 products a worker "
                   "drops the blocks after 20 such walks in a row find nothing, until it starts "
                   "over.  [default: windows]")
@click.option("--meta", "meta_formats", metavar="FORMATS",
              help="Meta search over many formats at once instead of FORMAT: 2..4 (every "
                   "n<=m<=p in 2..4) or 2x2x3,3x3x3. Walks per format, fed by meta moves "
                   "(product, merge, extend, project) between them; every scheme that beats the "
                   "database for its format and ring is saved; ends when every format is at its "
                   "best known rank over Z (with --lift, or --ring zt) or at --time-limit.")
@click.option("--from-scratch", is_flag=True, default=False,
              help="With --meta: start from the standard schemes only (not the database's, nor "
                   "the shipped catalogue's); --db then decides what counts as an improvement.")
@click.option("--symmetry", type=click.Choice(["none", "c3"]), default="none", show_default=True,
              help="c3: keep the scheme invariant under the cyclic symmetry of n×n×n (orbits of "
                   "three products plus fixed cube products; flips whole orbits, rank = 3·orbits "
                   "+ cubes). Square formats only; no checkpoints or --scheduler.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False),
              help="TOML recipe with the same keys as these flags (flags win).")
@click.option("--out", type=click.Path(file_okay=False),
              help="Folder for best.json and log.jsonl (default: runs/<format>-<ring>-<time>).")
@click.option("--lift", "lift", is_flag=False, flag_value="z", default=None,
              type=click.Choice(["zt", "z", "q"]),
              help="Keep only results that lift (Hensel lifting) to Z (`--lift`), Q "
                   "(`--lift q`, e.g. after a z3 search for a scheme needing 1/2) or ZT "
                   "(`--lift zt`: coefficients -1, 0, 1 only): a result that "
                   "does not lift is dropped and the search goes on with the next seed; the lifted "
                   "scheme is written to OUT/lifted.json and saved.")
@click.option("--lift-neighbours", type=click.IntRange(min=0), default=0, show_default=True,
              metavar="N", help="With --lift: when a result does not lift, lift up to N distinct "
                   "schemes of its rank met by a fixed-rank walk from it (as --keep-rank finds "
                   "them) before starting over with another seed; the first that lifts is kept.")
@click.option("--keep-rank", type=click.IntRange(1), default=None, metavar="N",
              help="Instead of going down: collect N distinct schemes at the rank of the start "
                   "scheme (--from FILE, else the database's best for the format) by a walk at "
                   "fixed rank; written to OUT/alt-001.json ... and saved.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="Database to save the verified result into (default: the user database, "
                   "$FLIPGRAPH_DB or ~/.local/share/flipgraph/schemes.h5).")
@click.option("--no-save", is_flag=True, default=False, help="Do not save into the database.")
@click.option("--progress-every", type=click.FloatRange(0.1), default=10.0, show_default=True,
              help="Off a terminal: seconds between progress lines (on a terminal a table is "
                   "redrawn in place).")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run the walkers as tasks on this Dask cluster (`dask scheduler`, `dask worker "
                   "ADDRESS --nthreads 1`; needs flipgraph[cluster]). --workers defaults to the "
                   "cluster's worker threads. Files and the database are written here only.")
@click.option("--chunk", type=float, default=1.0, show_default=True,
              help="With --scheduler: seconds each task walks before it hands its pool back; a "
                   "worker that dies loses at most one chunk.")
@click.option("--checkpoint-every", type=click.FloatRange(min=0.1), default=60.0,
              show_default=True, help="Seconds between checkpoints (OUT/checkpoint.json, also "
                   "written at every new best rank and at the end).")
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False),
              help="Continue the search whose OUT folder this is, from its checkpoint (same "
                   "settings; give no FORMAT or search flags). --time-limit: seconds more "
                   "(default: what is left); --scheduler: go on on a cluster.")
@click.pass_context
def search_cmd(ctx, format, ring, target_rank, workers, time_limit, seed, start_file, start_format,
               start_ring, start_key, pool_size, path_limit, plus_after, reset_flips, stall_flips,
               windows, meta_formats, from_scratch, config, out, lift, lift_neighbours, keep_rank,
               db_path, no_save, progress_every, scheduler, chunk, checkpoint_every, resume_dir,
               symmetry):
    """Random walks on the flip graph to find a low-rank scheme of FORMAT (like 3x3x3).

    Starts from the standard algorithm (or --from FILE), takes random flips, reduces whenever
    possible, and keeps pools of distinct schemes per rank. The best scheme is verified, written
    to OUT/best.json, and its progress to OUT/log.jsonl (draw it with `flipgraph plot`).
    Ctrl-C stops cleanly and keeps the best scheme found so far; OUT/checkpoint.json lets
    `--resume OUT` continue a stopped or killed search, here or on a Dask cluster (--scheduler).

    \b
    Examples:
      flipgraph search 3x3x3 --target-rank 23 --time-limit 30
      flipgraph search 4x4x4 --target-rank 49 --workers 2 --path-limit 100000000
      flipgraph search 3x3x3 --ring zt --target-rank 23
      flipgraph search 5x5x5 --symmetry c3 --target-rank 93 --workers 2
      flipgraph search --config search_configs/z2-444-49.toml
      flipgraph search 4x4x4 --target-rank 49 --scheduler tcp://scheduler-host:8786 --out runs/444
      flipgraph search --resume runs/444
      flipgraph search --meta 2..4 --lift --workers 2 --from-scratch --db /tmp/fresh.h5
    """
    if meta_formats:
        from .meta_search import meta_search

        meta_search(ctx, meta_formats, ring, workers, time_limit, seed, lift, db_path,
                    from_scratch)
        return
    if resume_dir:
        _resume(ctx, resume_dir, time_limit, scheduler, chunk, checkpoint_every, no_save, db_path,
                progress_every)
        return
    opts = dict(format=format, ring=ring, target_rank=target_rank, workers=workers,
                time_limit=time_limit, seed=seed, start_file=start_file, start_format=start_format,
                start_ring=start_ring, start_key=start_key, pool_size=pool_size,
                path_limit=path_limit, plus_after=plus_after, reset_flips=reset_flips,
                stall_flips=stall_flips, windows=windows, out=out, lift=lift,
                lift_neighbours=lift_neighbours, symmetry=symmetry)
    recipe = load_recipe(config) if config else {}
    if recipe:
        for key, value in recipe.items():
            name = {"from": "start_file"}.get(key, key.replace("-", "_"))
            if name in opts and (opts[name] is None or ctx.get_parameter_source(name)
                                 == click.core.ParameterSource.DEFAULT):
                opts[name] = value
    if not opts["format"]:
        raise click.UsageError("give a FORMAT like 3x3x3 (or a --config recipe that sets one)")
    if keep_rank and str(opts["symmetry"]).lower() != "none":
        raise click.UsageError("--keep-rank walks without symmetry; drop --symmetry")
    if keep_rank:
        _alternatives(opts, keep_rank, no_save, db_path)
        return
    settings = _settings(opts, config)
    lift_to = _lift_ring(opts["lift"], config)
    with _executor(scheduler, chunk) as executor:
        if executor is not None and "workers" not in recipe and \
                ctx.get_parameter_source("workers") == click.core.ParameterSource.DEFAULT:
            settings.workers = executor.threads()          # one walker per worker thread
        progress = _view(settings, progress_every)
        try:
            job = run_search_job(settings, out_dir=opts["out"], lift_to=lift_to,
                                 save=not no_save, db_path=db_path, on_progress=progress,
                                 config=config, executor=executor,
                                 checkpoint_every=checkpoint_every,
                                 symmetry=str(opts["symmetry"]).lower(),
                                 lift_neighbours=_count(opts["lift_neighbours"], config))
        finally:
            progress.close()
    _print_job(job)


#: The flags a resumed search takes (the rest comes from its checkpoint).
_RESUME_FLAGS = {"resume_dir", "time_limit", "scheduler", "chunk", "checkpoint_every", "no_save",
                 "db_path", "progress_every"}


def _resume(ctx, out_dir, time_limit, scheduler, chunk, checkpoint_every, no_save, db_path,
            progress_every):
    """search --resume OUT: the search job of OUT/ goes on from its checkpoint."""
    given = sorted(f"--{name.replace('_', '-')}" if name != "format" else "FORMAT"
                   for name in ctx.params
                   if name not in _RESUME_FLAGS
                   and ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT)
    if given:
        raise click.UsageError(f"--resume takes the search's settings from its checkpoint; drop "
                               f"{', '.join(given)}")
    more = None if ctx.get_parameter_source("time_limit") == click.core.ParameterSource.DEFAULT \
        else time_limit
    if more is not None and not (math.isfinite(more) and more > 0):
        raise click.BadParameter(f"{more!r}: seconds more, a positive number",
                                 param_hint="--time-limit")
    with _executor(scheduler, chunk) as executor:
        progress = ProgressView(f"resuming {out_dir}", every=progress_every)
        try:
            job = resume_search_job(out_dir, time_limit=more, save=not no_save, db_path=db_path,
                                    on_progress=progress, executor=executor,
                                    checkpoint_every=checkpoint_every)
        finally:
            progress.close()
    _print_job(job)


@contextmanager
def _executor(scheduler, chunk):
    """The Dask executor for --scheduler (closed at the end), else None (a local search)."""
    if not scheduler:
        yield None
        return
    from ..walks.cluster import DaskExecutor

    with DaskExecutor(scheduler, chunk=chunk) as executor:
        yield executor


def _print_job(job) -> None:
    """The one-line summary of a search job (and its lift and save); exit 1 when it missed."""
    result, lifted, meta = job.result, job.lifted, job.meta
    lift_to = meta["lift_to"]
    stop = " (interrupted)" if result.interrupted else ""
    click.echo(f"{result.scheme.format_str} over {meta['ring']}: rank {result.rank} (verified) "
               f"in {result.elapsed:.2f} s, {result.flips:,} flips "
               f"({result.flips_per_second / 1e6:.1f} M/s){stop} -> {job.out_dir / 'best.json'}")
    if lift_to:
        if lifted is None:
            click.echo(f"no result lifted to {lift_to.upper()} within the time limit", err=True)
        else:
            click.echo(f"lifted to {lifted.ring} in {lifted.seconds:.2f} s (verified) -> "
                       f"{job.out_dir / 'lifted.json'}")
    if job.saved_to:
        click.echo(f"saved to {job.saved_to}: {job.new} new, {job.known} already known")
    if result.interrupted:
        sys.exit(130)                              # Ctrl-C, after keeping the best scheme
    if not job.ok:
        sys.exit(1)


def _alternatives(opts: dict, count: int, no_save: bool, db_path) -> None:
    """search --keep-rank N: distinct schemes at the start scheme's rank."""
    ring = str(opts["ring"]).lower()
    spec = opts["start_file"] or opts["format"]
    start = resolve(spec, fmt=opts["start_format"], ring=opts["start_ring"], key=opts["start_key"]) \
        if opts["start_file"] else resolve(spec, ring="z")
    if start.scheme.target != parse_target(str(opts["format"])):
        raise FlipgraphError(f"{spec}: holds a {start.scheme.format_str} scheme, not {opts['format']}")
    job = collect_alternatives(start, count, ring=ring if opts["ring"] else None, out_dir=opts["out"],
                               seed=int(opts["seed"]), time_limit=float(opts["time_limit"] or 0) or None,
                               save=not no_save, db_path=db_path)
    ranks = sorted({s.rank for s in job.schemes})
    click.echo(f"{len(job.schemes)} distinct scheme(s) of rank {', '.join(map(str, ranks)) or '-'} "
               f"from {start.source} in {job.seconds:.2f} s (each verified) -> "
               f"{job.files[0].parent if job.files else '-'}")
    if job.saved_to:
        click.echo(f"saved to {job.saved_to}: {job.new} new")
    if len(job.schemes) < count:
        sys.exit(1)


def _count(value, config) -> int:
    """--lift-neighbours / recipe ``lift-neighbours``: a non-negative integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise click.BadParameter(f"{value!r}: a count, 0 or more" + (f" (in {config})" if config
                                                                     else ""),
                                 param_hint="--lift-neighbours")
    return value


def _lift_ring(value, config) -> str | None:
    """--lift / recipe ``lift``: true or "z" -> "z", "q" / "zt" as given, false or absent -> None."""
    if value in (None, False):
        return None
    if value is True or str(value).lower() in ("zt", "z", "q"):
        return "z" if value is True else str(value).lower()
    where = f" (in {config})" if config else ""
    raise click.BadParameter(f"{value!r}: use true, \"zt\", \"z\" or \"q\"{where}", param_hint="--lift")


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

    def flag(name, default=True):
        value = opts[name]
        if value is None:
            return default
        if not isinstance(value, bool):
            raise click.BadParameter(f"{value!r}: use true or false{where}",
                                     param_hint=f"--{name.replace('_', '-')}")
        return value

    target = parse_target(str(opts["format"]))
    ring = str(opts["ring"]).lower()
    start = start_scheme(opts["start_file"], target, ring, fmt=opts["start_format"],
                         key=opts["start_key"], read_ring=opts["start_ring"]) \
        if opts["start_file"] else None
    time_limit = number("time_limit", float, 0, allow_none=True)
    settings = SearchSettings(target=target, ring=ring,
                              target_rank=number("target_rank", int, 0),
                              workers=number("workers", int, 1),
                              time_limit=time_limit or None, seed=number("seed", int, 0),
                              pool_size=number("pool_size", int, 1, allow_none=True),
                              path_limit=number("path_limit", int, 1, allow_none=True),
                              plus_after=number("plus_after", int, 0, allow_none=True),
                              reset_flips=number("reset_flips", int, 0, allow_none=True),
                              stall_flips=number("stall_flips", int, 0, allow_none=True),
                              windows=flag("windows"), start=start)
    settings.check()                               # fills the ring's defaults, checks the rest
    return settings


@click.command("plot")
@click.argument("logs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", default="rank.png", show_default=True,
              help="Figure to write: .png, .svg or .pdf.")
@click.option("--kind", type=click.Choice(["rank", "time-to-rank"]), default="rank",
              show_default=True, help="rank: best rank of each run against time (or flips); "
              "time-to-rank: share of runs at or below each rank against time.")
@click.option("--x", "x_axis", type=click.Choice(["time", "flips"]), default="time",
              show_default=True, help="x axis of the rank figure.")
@click.option("--linear", is_flag=True, help="Linear x axis (default: logarithmic).")
@click.option("--target", type=click.IntRange(1), help="Draw this target rank (default: the "
              "logs' target rank).")
@click.option("--best-known", type=click.IntRange(1), help="Draw this best-known rank.")
@click.option("--ranks", help="time-to-rank: the ranks to draw, comma-separated (default: the "
              "lowest four reached).")
@click.option("--title", help="Title (default: from the logs' header).")
@click.option("--dpi", type=click.IntRange(30, 1200), default=150, show_default=True)
@click.option("--time-to-rank", "ttr_output", type=click.Path(dir_okay=False),
              help="Also write the time-to-rank summary of the same logs to this file.")
def plot_cmd(logs, output, kind, x_axis, linear, target, best_known, ranks, title, dpi, ttr_output):
    """Draw search LOGS (OUT/log.jsonl of one run or many, e.g. ten seeds) into a figure.

    Needs matplotlib (pip install "flipgraph[plot]").

    \b
    Examples:
      flipgraph plot runs/444-*/log.jsonl -o rank.pdf --best-known 48
      flipgraph plot runs/444-*/log.jsonl --kind time-to-rank -o ttr.svg --ranks 51,50,49
      flipgraph plot runs/444-*/log.jsonl -o rank.png --time-to-rank ttr.png   # both
    """
    try:
        wanted = [int(r) for r in ranks.split(",")] if ranks else None
    except ValueError:
        raise click.BadParameter(f"{ranks!r}: comma-separated integers", param_hint="--ranks") from None
    if kind == "rank":
        written = [plots.rank_plot(logs, output, x=x_axis, log_x=not linear, target=target,
                                   best_known=best_known, title=title, dpi=dpi)]
    else:
        written = [plots.time_to_rank_plot(logs, output, ranks=wanted, title=title, dpi=dpi)]
    if ttr_output:
        written.append(plots.time_to_rank_plot(logs, ttr_output, ranks=wanted, dpi=dpi))
    click.echo(f"wrote {', '.join(map(str, written))}")


COMMANDS: list[click.Command] = [search_cmd, plot_cmd]
