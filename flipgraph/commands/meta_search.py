"""`flipgraph search --meta FORMATS`: the CLI shell over :func:`flipgraph.metasearch.run_meta_search`."""
from __future__ import annotations

import sys

import click

from ..metasearch import MetaSettings, meta_formats as parse_formats, run_meta_search

#: search flags --meta takes (the rest are single-format flags).
ALLOWED = {"meta_formats", "ring", "workers", "time_limit", "seed", "lift", "db_path",
           "from_scratch", "progress_every"}


def meta_search(ctx, spec, ring, workers, time_limit, seed, lift, db_path, from_scratch) -> None:
    """Run the meta search, print each improvement as it comes and a table at the end; exit 1
    when a format with a known goal missed it."""
    from ..db import default_database

    given = sorted(f"--{name.replace('_', '-')}" if name != "format" else "FORMAT"
                   for name in ctx.params if name not in ALLOWED
                   and ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT)
    if given:
        raise click.UsageError(f"--meta takes --ring, --workers, --time-limit, --seed, --lift, "
                               f"--db and --from-scratch; drop {', '.join(given)}")
    if workers < 1 or not time_limit or time_limit <= 0:
        raise click.UsageError("--meta needs --workers >= 1 and a positive --time-limit")
    settings = MetaSettings(parse_formats(spec), ring=ring.lower(), workers=workers,
                            time_limit=time_limit, seed=seed, lift_to=lift,
                            from_scratch=from_scratch)
    database = default_database(db_path, catalogue=not from_scratch)
    result = run_meta_search(settings, database, on_event=click.echo)
    for fmt in settings.formats:
        goal = result.goals[fmt]
        reached = f"goal {goal} reached in {result.done[fmt]:.1f} s" if fmt in result.done else \
            (f"goal {goal} missed" if goal is not None else "no known goal")
        z = result.ranks_z[fmt]
        click.echo(f"{'x'.join(map(str, fmt)):>7}: rank {result.ranks[fmt]} over {settings.ring}, "
                   f"{z if z is not None else '-'} over Z; {reached}")
    click.echo(f"{len(result.done)}/{sum(g is not None for g in result.goals.values())} goals in "
               f"{result.elapsed:.1f} s; {result.saved} scheme(s) saved to {database.path}")
    if not result.complete:
        sys.exit(1)
