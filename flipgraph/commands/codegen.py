"""Verbs of the flipgraph CLI for generated multiplies: ``codegen`` (write a standalone module)
and ``tune`` (measure this machine's cutoffs)."""
from __future__ import annotations

from pathlib import Path

import click

from .. import io
from ..atomic import write_text
from ..classics import CLASSICS
from ..codegen import module_source, tune
from ..codegen.cutoffs import cutoffs_path, tuned_cutoffs
from ..codegen.aat import gram_module_source, gram_scheme
from ..codegen.tune import SIZES
from ..errors import FlipgraphError
from ..pipeline import resolve
from ..tensors import parse_target


def _scheme(spec: str, fmt: str | None):
    """The scheme SPEC names (:func:`flipgraph.pipeline.resolve`: a file, a classic, or a format —
    the database's best valid over Z) and a routine name for it."""
    if fmt is None and not Path(spec).exists() and _names_gram(spec):
        return gram_scheme(spec), spec.replace(":", "")
    found = resolve(spec, fmt=fmt)
    if found.source.startswith("database"):
        return found.scheme, found.name
    return found.scheme, found.name if found.name in CLASSICS else Path(spec).stem


def _names_gram(spec: str) -> bool:
    try:
        return parse_target(spec).kind == "gt"
    except FlipgraphError:
        return False


@click.command("codegen")
@click.argument("scheme")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The module to write (e.g. mymul.py).")
@click.option("--from", "fmt", type=click.Choice(sorted(io.FORMATS)),
              help="Format of a SCHEME file (default: by suffix).")
@click.option("--restarts", default=50, show_default=True, type=click.IntRange(1),
              help="CSE restarts per part when reducing the additions.")
@click.option("--fault-tolerant", is_flag=True,
              help="Write a fault-tolerant routine from SCHEME and the --with schemes (see "
                   "`flipgraph ft analyze`): matmul(A, B, executor=None) -> (C, report).")
@click.option("--with", "others", multiple=True, metavar="SCHEME",
              help="With --fault-tolerant: another scheme of the same format (repeatable).")
@click.option("--parity", default=0, show_default=True, type=click.IntRange(0),
              help="With --fault-tolerant: add K parity products.")
@click.option("--max-erasures", default=2, show_default=True, type=click.IntRange(0, 4),
              help="With --fault-tolerant: tabulate decodings for up to this many lost products.")
def codegen_cmd(scheme, output, fmt, restarts, fault_tolerant, others, parity, max_erasures):
    """Write a standalone multiply module (needs only numpy) for SCHEME.

    SCHEME is a scheme file (any format flipgraph reads), a classic (strassen, winograd,
    laderman) or a format NxMxP (the database's best scheme valid over the integers). For
    gt:N (A·Aᵀ; the database's best gt:N scheme valid over Z, else the standard one) the
    module has gram(A) instead: recursive A·Aᵀ on blocks, general products by the best 2x2x2
    routine. A scheme valid only mod 2 or mod 3 is refused (lift it first). The scheme is
    verified, its additions reduced into a straight-line program, and the module is tested on
    small matrices before it is written. Its block-size cutoffs are this machine's (see `flipgraph tune`).

    \b
    Example:
      flipgraph codegen winograd -o mymul.py
      python -c "import numpy as np; from mymul import matmul; A = np.ones((999, 777)); \\
                 print((matmul(A, A.T) == A @ A.T).all())"
      flipgraph codegen strassen --fault-tolerant --with winograd --parity 2 -o ftmul.py
      flipgraph codegen gt:2 -o mygram.py      # from mygram import gram; gram(A) == A @ A.T
    """
    found, name = _scheme(scheme, fmt)
    if fault_tolerant:
        from ..codegen.ft_source import ft_module_source
        from ..ft import best_parity, Config

        if not others:
            raise FlipgraphError("--fault-tolerant needs another scheme: --with SCHEME")
        pairs = [(found, name)] + [_scheme(s, fmt) for s in others]
        config = Config([s for s, _ in pairs], [n for _, n in pairs])
        source = ft_module_source(best_parity(config, parity) if parity else config,
                                  max_erasures)
        _write(output, source)
        return
    elif others or parity:
        raise FlipgraphError("--with and --parity need --fault-tolerant")
    click.echo(f"{name}: {found.format_str} rank {found.rank} ring {found.ring.name}", err=True)
    if found.target.kind == "gt":
        _write(output, gram_module_source(found, name, tuned_cutoffs()))
    elif not found.target.is_matmul:
        raise FlipgraphError(f"{found.format_str}: codegen writes routines for matrix "
                             f"multiplication and A·Aᵀ (gt:N) only")
    else:
        _write(output, module_source(found, name, tuned_cutoffs(), restarts))


def _write(output: Path, source: str) -> None:
    write_text(output, source)
    click.echo(f"wrote {output}", err=True)


@click.command("tune")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(sorted(SIZES)),
              help="Kinds of element to measure (repeatable; default all): float (float64), "
                   "gf (exact products in float32, as GF(31)), object (Fractions).")
@click.option("--max-float", default=SIZES["float"][1], show_default=True, type=click.IntRange(64),
              help="Largest float size measured (numpy's gemm at 4096 takes seconds).")
@click.option("--repeats", default=2, show_default=True, type=click.IntRange(1))
def tune_cmd(kinds, max_float, repeats):
    """Measure the cutoffs of generated multiplies on this machine and store them.

    For each kind, times numpy's product against one level of the 2x2x2 rank-7 routine at
    doubling sizes (interleaved, best of REPEATS) and keeps the block size from which recursion
    pays. Stored in the cache folder; used by flipgraph.multiply, flipgraph.generated and
    `flipgraph codegen`.

    \b
    Example:
      flipgraph tune --kind gf --kind float --max-float 2048
    """
    def progress(kind, s, t_leaf, t_level):
        click.echo(f"  {kind:<6} n={s:<5} leaf {t_leaf:8.4f}s  one level {t_level:8.4f}s  "
                   f"ratio {t_leaf / t_level:5.2f}", err=True)

    result = tune(kinds or tuple(SIZES), {"float": max_float}, repeats, progress)
    for kind, cutoff in sorted(result.items()):
        click.echo(f"{kind:<6} cutoff {cutoff}")
    click.echo(f"stored in {cutoffs_path()}", err=True)


COMMANDS = [codegen_cmd, tune_cmd]
