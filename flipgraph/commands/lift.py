"""Verbs of the flipgraph CLI: lift (Z2/Z3 schemes to Z or Q, see :mod:`flipgraph.lift`)."""
from __future__ import annotations

import click

from ..io import FORMATS
from ..pipeline import lift_files
from ..rings import RINGS


@click.command("lift")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--to", "to", type=click.Choice(["zt", "z", "q"]), default="z", show_default=True,
              help="Target ring: z accepts ZT or Z coefficients, q also accepts rationals, zt "
                   "only -1, 0, 1.")
@click.option("--steps", type=click.IntRange(min=2), default=None,
              help="Hensel steps: lift mod p^K (default: 20, 40 then 60 bits of precision).")
@click.option("--tries", type=click.IntRange(min=1), default=8, show_default=True,
              help="Choices of free coordinates to try before giving up / settling for Z or Q.")
@click.option("--key", default=None,
              help="Only this entry of a many-scheme file, e.g. 4,4,4 in an AlphaTensor .npz.")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Folder for the lifted schemes (native JSON, <name>-<ring>.json).")
@click.option("--ring", type=click.Choice(sorted(RINGS)), default=None,
              help="Read the files in this ring (default: each file's own, e.g. z2 for mod2 names).")
@click.option("--from", "fmt", type=click.Choice(sorted(FORMATS)), default=None,
              help="File format (default: from the suffix).")
def lift_command(files, to, steps, tries, key, out, ring, fmt):
    """Lift Z2 / Z3 schemes to the integers (or rationals) and prove them.

    Hensel lifting mod p^K with the Jacobian reduced once mod p, rational reconstruction of every
    coefficient, an exact check over Q, then per-term rescaling to the smallest ring: ZT, Z or Q.
    When the first Hensel step is inconsistent the scheme provably has no lift to Z (nor to Q
    with odd denominators, for Z2) and the reason is printed. Every lifted scheme is verified
    exactly before it is written, with the provenance of its source carried forward (a lifted
    search result still names its search). Exit code 0 when every scheme lifted, 1 otherwise.

    With --to zt, a lift over Z with coefficients beyond ±1 (or a Z scheme given as the file) is
    moved to a ternary form when one is near: a unimodular sandwich, then flips over Z.

    \b
    Examples:
      flipgraph lift found-333-23.json --out lifted/
      flipgraph lift 444-47-mod2.exp                  # prints why it does not lift
      flipgraph lift factorizations_f2.npz --key 4,4,4
      flipgraph lift scheme-z3.json --to q --steps 30
      flipgraph lift 345-47-over-z.json --to zt       # its ternary form
    """
    all_ok = True
    for done in lift_files(files, to=to, steps=steps, tries=tries, key=key, ring=ring, fmt=fmt,
                           out_dir=out):
        click.echo(f"{done.label}: {done.result}")
        all_ok &= done.result.ok
        if done.written:
            click.echo(f"  wrote {done.written}")
    raise SystemExit(0 if all_ok else 1)


COMMANDS: list[click.Command] = [lift_command]
