"""Verbs of the flipgraph CLI: reduce (addition counts, CSE into a straight-line program)."""
from __future__ import annotations

import sys
import time

import click

from .. import io
from ..additions import STRATEGIES, reduce_additions, reduced_total
from ..additions import minimize_reduced as reduced_walk
from ..classics import CLASSICS
from ..io.reduced import write_reduced
from ..pipeline import carry, resolve
from ..walks.naive import minimize_naive as minimize_naive_walk


@click.command("reduce")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--classic", type=click.Choice(sorted(CLASSICS)), help="Reduce a built-in classic.")
@click.option("--from", "fmt", type=click.Choice(sorted(io.FORMATS)),
              help="Format of FILE (default: by suffix; reduced JSON is recognised by its keys).")
@click.option("--restarts", default=300, show_default=True, type=click.IntRange(1),
              help="Seeded CSE runs per part (U, V, W); the best run of each part is kept. "
                   "A greedy run takes ~0.1 ms on 3x3x3, ~1 ms on 5x5x5, ~10 s on 11x12x12 "
                   "(rollout: ~25x more): on large formats start with --strategy greedy "
                   "--restarts 1.")
@click.option("--strategy", default="all", show_default=True,
              type=click.Choice(["all", *STRATEGIES]),
              help="Pair choice: greedy (random ties), random (greedy with random detours), "
                   "intersections, lookahead, potential, rollout (strongest, slowest); "
                   "all = round-robin over them.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the restarts.")
@click.option("--out", "out", type=click.Path(dir_okay=False),
              help="Write the reduced program as reduced JSON (u_fresh/v_fresh/w_fresh form).")
@click.option("--listing", is_flag=True, help="Print the straight-line program.")
@click.option("--minimize-naive", is_flag=True,
              help="First walk at fixed rank (flips over zt/z2/z3) to the scheme with the fewest "
                   "naive additions, then reduce that one.")
@click.option("--minimize-reduced", is_flag=True,
              help="First walk at fixed rank keeping, round after round, the scheme with the "
                   "fewest reduced additions (quick greedy CSE), then reduce that one.")
@click.option("--rounds", default=None, type=click.IntRange(1),
              help="Walk rounds, each from the best scheme so far [default: 20 for "
                   "--minimize-naive, 300 for --minimize-reduced].")
@click.option("--moves", default=None, type=click.IntRange(1),
              help="Flips per round [default: 200000 for --minimize-naive, 20000 for "
                   "--minimize-reduced].")
def reduce_cmd(file, classic, fmt, restarts, strategy, seed, out, listing, minimize_naive,
               minimize_reduced, rounds, moves):
    """Cut the additions of the scheme in FILE by common-subexpression elimination.

    Prints naive -> reduced additions per part (U: forms in A, V: forms in B, W: outputs in the
    products) and the Bini-Lotti stability factor E. The program is checked exactly (evaluated
    on random integer matrices against A·B) before anything is printed or written.

    \b
    Examples:
      flipgraph reduce --classic winograd --listing
      flipgraph reduce 3x3x3_m23_cr58_cn119_ZT_reduced.json --restarts 500 --out best.json
      flipgraph reduce 444-49-mod0.exp --strategy rollout --restarts 100
      flipgraph reduce found.json --minimize-reduced --seed 3 --out cheap.json
    """
    if (file is None) == (classic is None):
        raise click.UsageError("give one FILE, or --classic NAME")
    found = resolve(classic or file, fmt=fmt)
    scheme = found.scheme
    name = found.source
    click.echo(f"{name}: {scheme.format_str} rank {scheme.rank} ring {scheme.ring.name}", err=True)
    start = time.perf_counter()
    if minimize_naive and minimize_reduced:
        raise click.UsageError("choose one of --minimize-naive and --minimize-reduced")
    if minimize_naive:
        walked = minimize_naive_walk(scheme, rounds=rounds or 20, moves=moves or 200_000,
                                     seed=seed)
        click.echo(f"fixed-rank walk: naive {walked.naive_before} -> {walked.naive_after} "
                   f"({walked.flips} flips, {walked.seconds:.1f} s)")
        scheme = walked.scheme
    elif minimize_reduced:
        before = reduced_total(scheme)
        with click.progressbar(length=rounds or 300, label="fixed-rank walk", file=sys.stderr) as bar:
            scheme, after = reduced_walk(scheme, rounds=rounds or 300, moves=moves or 20_000,
                                         seed=seed, progress=lambda r, best: bar.update(1))
        click.echo(f"fixed-rank walk: quick reduced count {before} -> {after} "
                   f"({time.perf_counter() - start:.1f} s)")
    red = reduce_additions(scheme, restarts=restarts, strategy=strategy, seed=seed,
                           progress=lambda msg: click.echo(f"  {msg} "
                                                           f"({time.perf_counter() - start:.1f}s)",
                                                           err=True))
    click.echo(f"{'part':<6}{'naive':>7}{'reduced':>9}")
    for part in ("U", "V", "W"):
        click.echo(f"{part:<6}{getattr(red.naive, part):>7}{getattr(red.reduced, part):>9}")
    click.echo(f"{'total':<6}{red.naive.total:>7}{red.reduced.total:>9}")
    click.echo(f"stability factor E = {red.stability}")
    if listing:
        click.echo(red.slp.listing())
    if out:
        write_reduced(red.slp, out, carry(found, "reduce", {
            "naive": red.naive.total, "reduced": red.reduced.total, "stability": red.stability,
            "strategy": strategy, "restarts": restarts, "seed": seed}))
        click.echo(f"wrote {out}", err=True)


COMMANDS: list[click.Command] = [reduce_cmd]
