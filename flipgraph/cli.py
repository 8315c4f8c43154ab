"""The ``flipgraph`` command line (click). One sub-command per verb; the verbs live in
:mod:`flipgraph.commands` and are registered here.

Exit codes: 0 success (scheme valid), 1 a scheme is invalid / a search missed its target,
2 bad input (unreadable file, unknown format or ring) — always a one-line message, never a
traceback.
"""
from __future__ import annotations

import sys

import click

from .errors import FlipgraphError


class _Group(click.Group):
    """A click group that turns bad-input exceptions into one line on stderr and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except FlipgraphError as exc:
            click.echo(f"flipgraph: error: {exc}", err=True)
            sys.exit(2)
        except BrokenPipeError:                     # e.g. `flipgraph show x | head`
            sys.stderr.close()
            sys.exit(0)
        except OSError as exc:
            name = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            click.echo(f"flipgraph: error: {name}{exc.strerror or exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="flipgraph")
def main():
    """flipgraph: discover, prove and ship fast matrix-multiplication schemes.

    A scheme of format NxMxP and rank r computes C = A·B (A is NxM, B is MxP) with r
    multiplications. Typical session:

    \b
      flipgraph search 3x3x3 --target-rank 23 --out run    # random walks on the flip graph (Z2)
      flipgraph lift run/best.json --out lifted            # Z2 -> Z/Q, proven exactly
      flipgraph verify lifted/best-zt.json                 # exact Brent-equation check
      flipgraph show lifted/best-zt.json                   # readable listing, naive additions
      flipgraph reduce lifted/best-zt.json --listing       # fewer additions: straight-line program
      flipgraph db best 3x3x3 --ring zt                    # the database's best scheme
      flipgraph codegen winograd -o mymul.py               # a multiply routine to import
    """


def _register() -> None:
    from .commands import codegen, db, files, ft, lift, meta, reduce, search, warmup

    for module in (files, search, lift, reduce, db, meta, codegen, ft, warmup):
        for command in module.COMMANDS:
            main.add_command(command)


_register()

if __name__ == "__main__":
    main()
