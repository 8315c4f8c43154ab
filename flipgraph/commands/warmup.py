"""``flipgraph warmup``: compile every numba kernel once, with progress (:mod:`flipgraph.warmup`)."""
from __future__ import annotations

import os
import time

import click


@click.command("warmup")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Processes compiling at once (default: one per core). 1: in this process, in "
                   "order.")
@click.option("--wide", is_flag=True,
              help="Also compile the walk kernel's wide layouts (2 and 4 words over z2, 4 over z3 "
                   "and zt: formats with 65 to 256 entries per factor matrix).")
def warmup_cmd(jobs, wide):
    """Compile every numba kernel once (the walk, one specialisation per ring and factor width;
    the C3-symmetric walk; addition reduction; lifting), printing each step and its time.

    The first command that needs a kernel compiles it (tens of seconds each; see the README),
    then numba's disk cache makes later runs start fast. Run this once after installing (or
    upgrading) so that no search, reduce or lift pays for it; a second run only loads the cache.

    Examples:
      flipgraph warmup
      flipgraph warmup --wide --jobs 2
    """
    from ..warmup import NARROW, WIDE, warm_up

    jobs = jobs or os.cpu_count() or 1

    def progress(what, seconds):
        if jobs == 1 and seconds is None:
            click.echo(f"compiling {what} ...", nl=False)
        elif jobs == 1:
            click.echo(f" {seconds:.1f} s")
        elif seconds is not None:
            click.echo(f"compiled {what}: {seconds:.1f} s")

    began = time.perf_counter()
    if jobs > 1:
        click.echo(f"compiling in {jobs} processes at once ...")
    warm_up(progress, jobs, NARROW + WIDE if wide else NARROW)
    click.echo(f"done in {time.perf_counter() - began:.1f} s; later runs load the kernels from "
               f"numba's cache")


COMMANDS: list[click.Command] = [warmup_cmd]
