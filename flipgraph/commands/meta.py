"""Verbs of the flipgraph CLI: ``flipgraph meta product|extend|project|merge|transpose|cyclic|sandwich``
(schemes of one format made from schemes of others, see :mod:`flipgraph.meta`)."""
from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from .. import io, meta
from ..pipeline import resolve

DIM = click.IntRange(0, 2)


def _output(command):
    command = click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
                           help="File to write (format by suffix; .json is native).")(command)
    return command


def _write(scheme, output, sources, move) -> None:
    """Save the verified result (the writer creates its folder) and say so."""
    io.save(scheme, output, meta={"source": "flipgraph meta", "move": move,
                                  "from": [r.source for r in sources]})
    click.echo(f"{move}: {scheme.format_str} rank {scheme.rank} over {scheme.ring.name} "
               f"(verified) -> {Path(output)}")


@click.group("meta", context_settings={"help_option_names": ["-h", "--help"]})
def meta_group():
    """Meta moves: schemes of one format made from schemes of others; every result is verified
    before it is written.

    \b
    Each SCHEME is a scheme file, a classic (strassen, winograd, laderman) or a
    format NxMxP (the database's best, valid over Z).
    Dimensions: 0 = n (rows of A and C), 1 = m (columns of A, rows of B), 2 = p (columns of B, C).

    \b
    Examples:
      flipgraph meta product strassen strassen -o 444-49.json     # 4x4x4 rank 49
      flipgraph meta project laderman --dim 0 --index 2 -o 233.json
      flipgraph meta extend strassen --dim 2 -o 223.json          # rank 7 + 4
      flipgraph meta merge strassen strassen --dim 0 -o 422.json  # rank 14
      flipgraph meta sandwich laderman --seed 3 -o other-323.json # same rank, another scheme
    """


@meta_group.command("product")
@click.argument("first")
@click.argument("second")
@_output
def product_cmd(first, second, output):
    """Kronecker product: (n1·n2, m1·m2, p1·p2), rank r1·r2."""
    a, b = resolve(first), resolve(second)
    _write(meta.product(a.scheme, b.scheme), output, (a, b), "product")


@meta_group.command("extend")
@click.argument("scheme")
@click.option("--dim", type=DIM, required=True, help="Dimension to grow by one.")
@_output
def extend_cmd(scheme, dim, output):
    """One more row/column along DIM; the new entries of C get their naive products."""
    s = resolve(scheme)
    _write(meta.extend(s.scheme, dim), output, (s,), f"extend dim {dim}")


@meta_group.command("project")
@click.argument("scheme")
@click.option("--dim", type=DIM, required=True, help="Dimension to shrink by one.")
@click.option("--index", type=click.IntRange(0), default=None,
              help="Row/column (0-based) to drop.  [default: 0]")
@click.option("--tries", type=click.IntRange(0), default=None,
              help="Instead of --index: keep the lowest-rank projection over every index and "
                   "this many random changes of basis along DIM (0: every index only).")
@click.option("--every", is_flag=True,
              help="Instead of --index: the lowest of all projections along DIM, one per "
                   "hyperplane and complement line (Z2/Z3 only: 496 for a dimension of 5 "
                   "over Z2).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Seed of the changes of basis (with --tries).")
@click.option("--ring", type=click.Choice(["z2", "z3", "zt", "z", "q"]), default=None,
              help="Read a SCHEME file in this ring (default: its own), e.g. z2 for --every on "
                   "a Z file; for a format NxMxP, the database's best valid over it.")
@_output
def project_cmd(scheme, dim, index, tries, every, seed, ring, output):
    """Drop a row/column along DIM, remove zero terms, merge terms sharing two factors.

    The row or column dropped need not be one of the standard basis. --tries N first turns the
    scheme by random invertible matrices along DIM (unimodular, entries in {-1, 0, 1}, over
    Z/ZT; any invertible one over Z2/Z3), which restricts it to another hyperplane and can lose
    more terms; over ZT the result may then need coefficients ±2 (it is written over Z). --every
    tries them all over Z2 or Z3, so the rank written is the lowest any projection along DIM
    has: it finds the smaller scheme a larger one was grown from.

    \b
    Examples:
      flipgraph meta project 5x5x5 --dim 0 --tries 20 -o 455.json
      flipgraph meta project 445.json --ring z2 --dim 2 --every -o 444.json
    """
    chosen = [flag for flag, given in (("--index", index is not None), ("--tries", tries is not None),
                                       ("--every", every)) if given]
    if len(chosen) > 1:
        raise click.UsageError(f"give one of --index, --tries and --every, not {' and '.join(chosen)}")
    s = resolve(scheme, ring=ring)
    if every and not s.scheme.ring.modulus:
        raise click.UsageError(f"--every needs a scheme over Z2 or Z3 (finitely many hyperplanes); "
                               f"this one is over {s.scheme.ring.name}: add --ring z2, or use --tries N")
    if every:
        count = meta.hyperplane_count(s.scheme.format[dim], s.scheme.ring.modulus)
        if count > 1000:
            click.echo(f"{count} projections to try along dim {dim} (about 10 ms each) ...",
                       err=True)
        _write(meta.project_lowest(s.scheme, dim, every=True), output, (s,),
               f"project dim {dim}, lowest of every hyperplane")
    elif tries is not None:
        _write(meta.project_lowest(s.scheme, dim, tries=tries, seed=seed), output, (s,),
               f"project dim {dim}, lowest of {tries} turns (seed {seed})")
    else:
        index = index or 0
        _write(meta.project(s.scheme, dim, index), output, (s,), f"project dim {dim} index {index}")


@meta_group.command("merge")
@click.argument("first")
@click.argument("second")
@click.option("--dim", type=DIM, required=True, help="Dimension along which to take the direct sum.")
@_output
def merge_cmd(first, second, dim, output):
    """Direct sum along DIM (the other two dimensions must agree), rank r1 + r2."""
    a, b = resolve(first), resolve(second)
    _write(meta.merge(a.scheme, b.scheme, dim), output, (a, b), f"merge dim {dim}")


def _symmetry(name: str, summary: str) -> None:
    """Register ``flipgraph meta NAME SCHEME -o OUT`` for the Scheme method NAME (a symmetry)."""
    @meta_group.command(name, help=summary)
    @click.argument("scheme")
    @_output
    def command(scheme, output):
        s = resolve(scheme)
        _write(meta.checked(getattr(s.scheme, name)(), name), output, (s,), name)


_symmetry("transpose", "(n, m, p) -> (p, m, n) from Cᵀ = Bᵀ·Aᵀ.")
_symmetry("cyclic", "(n, m, p) -> (m, p, n), the cyclic symmetry of the trace form.")


@meta_group.command("sandwich")
@click.argument("scheme")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Seed of the random unimodular ternary X, Y, Z.")
@_output
def sandwich_cmd(scheme, seed, output):
    """Another scheme of the same rank: A·B = X⁻¹(X A Y⁻¹)(Y B Z⁻¹)Z for random unimodular
    ternary X, Y, Z."""
    s = resolve(scheme)
    n, m, p = s.scheme.format
    rng = np.random.default_rng(seed)
    X, Y, Z = (meta.random_unimodular(k, rng) for k in (n, m, p))
    _write(meta.sandwich(s.scheme, X, Y, Z), output, (s,), f"sandwich seed {seed}")


COMMANDS: list[click.Command] = [meta_group]
