"""``flipgraph warmup``: compile every numba kernel once, with progress (:mod:`flipgraph.warmup`)."""
from __future__ import annotations

import time

import click


@click.command("warmup")
def warmup_cmd():
    """Compile every numba kernel once (walk, addition reduction, lifting), printing each step
    and its time.

    The first command that needs a kernel compiles it (tens of seconds in all; see the README),
    then numba's disk cache makes later runs start fast. Run this once after installing (or
    upgrading) so that no search, reduce or lift pays for it; a second run only loads the cache.

    Example: flipgraph warmup
    """
    from ..warmup import warm_up

    def progress(what, seconds):
        if seconds is None:
            click.echo(f"compiling {what} ...", nl=False)
        else:
            click.echo(f" {seconds:.1f} s")

    began = time.perf_counter()
    warm_up(progress)
    click.echo(f"done in {time.perf_counter() - began:.1f} s; later runs load the kernels from "
               f"numba's cache")


COMMANDS: list[click.Command] = [warmup_cmd]
