"""Verbs of the flipgraph CLI for fault tolerance: ``ft analyze`` (a thin shell over
:mod:`flipgraph.ft`)."""
from __future__ import annotations

import json

import click

from .. import ft, io
from .codegen import _scheme


@click.group("ft")
def ft_group():
    """Fault-tolerant multiplies from several distinct schemes (check relations, parity
    products, decodability). See `flipgraph ft analyze --help`."""


@ft_group.command("analyze")
@click.argument("schemes", nargs=-1, required=True)
@click.option("--parity", default=0, show_default=True, type=click.IntRange(0),
              help="Add K parity products (rank-one products in the span of the forms), chosen to "
                   "be best for --objective: ternary first, integer entries up to --max-coef only "
                   "where they score strictly better.")
@click.option("--max-coef", default=2, show_default=True, type=click.IntRange(1, 3),
              help="Largest |entry| of a parity product's u and v.")
@click.option("--objective", default="sum", show_default=True, type=click.Choice(ft.OBJECTIVES),
              help="sum: maximise the sum of P(decodable | f) over f = 1..6 (no failure count "
                   "sacrificed); lex: the smallest f first (best under rare independent "
                   "failures, weaker at f = 6).")
@click.option("--baselines/--no-baselines", default=True, show_default=True,
              help="Also show 2 and 3 plain copies of the first scheme.")
@click.option("--samples", default=100_000, show_default=True, type=click.IntRange(1),
              help="Random failure sets per f when C(N, f) exceeds 10^6 (marked ~).")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the sampling.")
@click.option("--from", "fmt", type=click.Choice(sorted(io.FORMATS)),
              help="Format of SCHEME files (default: by suffix).")
@click.option("--json", "as_json", is_flag=True,
              help='One JSON object: {"configs": [{"name", "products", "p_decodable", ...}]}.')
def analyze_cmd(schemes, parity, max_coef, objective, baselines, samples, seed, fmt, as_json):
    """P(C can be rebuilt | f products failed) for SCHEME... run together, exactly over Q.

    Each SCHEME is a file, a classic (strassen, winograd, laderman) or a format NxMxP (the
    database's best); all of one format. Printed per configuration: the product count N, the
    check relations (left null space of the product forms), how many single silent errors are
    undetectable / locatable, P(decodable | f) for f = 1..6 (exact by enumerating all failure
    sets; ~ = sampled), and P(decodable) when every product fails independently with p = 0.01,
    0.05, 0.1.

    \b
    Example:
      flipgraph ft analyze strassen winograd --parity 2
      flipgraph ft analyze laderman mm333.json --json
    """
    found = [_scheme(s, fmt) for s in schemes]
    config = ft.Config([s for s, _ in found], [n for _, n in found])
    if parity:
        config = ft.best_parity(config, parity, coef=max_coef, objective=objective)
    configs = [config]
    if baselines:
        first, name = found[0]
        configs += [ft.Config([first] * k, [name] * k) for k in (2, 3)]
    rows = [ft.analyze(c, samples=samples, seed=seed) for c in configs]
    if as_json:
        click.echo(json.dumps({"configs": rows}, indent=1))
        return
    width = max(len(r["name"]) for r in rows)
    head = (f"{'configuration':<{width}}   {'N':>3} {'checks':>6} {'undet':>5} {'locat':>5}  "
            + " ".join(f"{'f=' + f:>6}" for f in rows[0]["p_decodable"])
            + "  " + " ".join(f"{'p=' + p:>6}" for p in rows[0]["p_independent"]))
    click.echo(head)
    for r in rows:
        mark = " " if r["exact"] else "~"
        click.echo(f"{r['name']:<{width}} {mark} {r['products']:>3} {r['check_relations']:>6} "
                   f"{r['undetectable_single_errors']:>5} {r['locatable_single_errors']:>5}  "
                   + " ".join(f"{v:>6.3f}" for v in r["p_decodable"].values())
                   + "  " + " ".join(f"{v:>6.4f}" for v in r["p_independent"].values()))
    for r in rows:
        for k, (u, v) in enumerate(r["parity"]):
            click.echo(f"parity{k + 1}: u = {u}  v = {v}  (A, B entries row-major)")
    if not all(r["exact"] for r in rows):
        click.echo(f"~ partly sampled: {samples} random failure sets per f where C(N, f) > 10^6 "
                   f"(seed {seed})")


COMMANDS = [ft_group]
