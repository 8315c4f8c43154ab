"""Verbs of the flipgraph CLI for scheme files: ``verify``, ``show``, ``convert``.

Exit codes: 0 every scheme valid, 1 a scheme is invalid, 2 bad input (unreadable file, unknown
format or ring), always reported on one line.
"""
from __future__ import annotations

import sys

import click

from .. import io
from ..additions import naive_additions
from ..classics import CLASSICS
from ..errors import FlipgraphError
from ..pipeline import resolve, resolve_all
from ..rings import RINGS
from ..tensors import describe_target
from ..verify import verify

RING = click.Choice(sorted(RINGS), case_sensitive=False)
FORMAT = click.Choice(sorted(io.FORMATS), case_sensitive=False)


def _summary(scheme) -> str:
    return f"{scheme.format_str} rank {scheme.rank} {scheme.ring.name}"


@click.command("verify")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--ring", type=RING, help="Read and check the schemes in this ring (default: each "
              "file's own ring).")
@click.option("--classic", type=click.Choice(sorted(CLASSICS)), multiple=True,
              help="Also verify a built-in classic scheme (repeatable).")
@click.option("--from", "fmt", type=FORMAT, help="File format (default: from the suffix).")
def verify_cmd(files, ring, classic, fmt):
    """Check the Brent equations of every scheme in FILES exactly.

    Prints one line per scheme (an AlphaTensor .npz holds many) and exits 0 when all are valid,
    1 when one is invalid, 2 when a file cannot be read.

    \b
    Examples:
      flipgraph verify --classic laderman
      flipgraph verify found.json 444-47-mod2.exp
      flipgraph verify factorizations_f2.npz --ring z2
    """
    if not files and not classic:
        raise click.UsageError("give FILE(s) to verify, or --classic NAME")
    invalid = bad = False
    for name in classic:
        scheme = CLASSICS[name]()
        invalid |= not _report(f"classic {name}", scheme.over(ring) if ring else scheme)
    for path in files:
        try:
            found = resolve_all(path, fmt=fmt, ring=ring)
        except (FlipgraphError, OSError) as exc:
            click.echo(f"flipgraph: error: {_message(exc)}", err=True)
            bad = True
            continue
        for item in found:
            label = path if len(found) == 1 else f"{path}[{item.meta.get('key', item.name)}]"
            invalid |= not _report(label, item.scheme)
    sys.exit(2 if bad else 1 if invalid else 0)


def _report(label: str, scheme) -> bool:
    verdict = verify(scheme)
    click.echo(f"{label}: {_summary(scheme)}: {verdict}")
    return bool(verdict)


def _message(exc: Exception) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, FlipgraphError):
        return f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
    return str(exc)


@click.command("show")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--key", help="Entry of a many-scheme file, e.g. 3,3,3 in an AlphaTensor .npz.")
@click.option("--ring", type=RING, help="Read the scheme in this ring (default: the file's own).")
@click.option("--classic", type=click.Choice(sorted(CLASSICS)), help="Show a built-in classic.")
@click.option("--from", "fmt", type=FORMAT, help="File format (default: from the suffix).")
def show_cmd(file, key, ring, classic, fmt):
    """Describe a scheme: format, ring, rank, validity, naive additions, and the readable listing
    (C not transposed: c12 is row 1, column 2 of C = A·B).

    \b
    Examples:
      flipgraph show found.json
      flipgraph show factorizations_r.npz --key 4,4,4
      flipgraph show --classic strassen
    """
    if (file is None) == (classic is None):
        raise click.UsageError("give one FILE or --classic NAME")
    found = resolve(classic or file, fmt=fmt, ring=ring, key=key)
    scheme, meta = found.scheme, found.meta
    verdict = verify(scheme)
    adds = naive_additions(scheme)
    click.echo(f"scheme:     {file or 'classic ' + classic}")
    click.echo(f"target:     {describe_target(scheme.target)}")
    click.echo(f"ring:       {scheme.ring.name}")
    click.echo(f"rank:       {scheme.rank}")
    click.echo(f"verdict:    {verdict}")
    click.echo(f"additions:  {adds.total} naive (U {adds.U}, V {adds.V}, W {adds.W})")
    for name, value in sorted(meta.items()):
        click.echo(f"meta:       {name} = {value}")
    click.echo("")
    click.echo(io.listing.write(scheme, header=False), nl=False)
    sys.exit(0 if verdict else 1)


@click.command("convert", epilog="\b\nFormats:\n" + "\n".join(
    f"  {f.name:<12} {f.suffix:<6} {f.description}" for f in io.FORMATS.values()))
@click.argument("source", metavar="IN", type=click.Path(dir_okay=False))
@click.argument("target", metavar="OUT", type=click.Path(dir_okay=False))
@click.option("--to", "to_fmt", type=FORMAT, help="Output format (default: from OUT's suffix; "
              ".json is native).")
@click.option("--from", "from_fmt", type=FORMAT, help="Input format (default: from IN's suffix).")
@click.option("--key", help="Entry of a many-scheme input, e.g. 3,3,3 in an AlphaTensor .npz.")
@click.option("--ring", type=RING, help="Read the scheme in this ring (default: the file's own).")
@click.option("--allow-invalid", is_flag=True, help="Write the scheme even if it fails verification.")
def convert_cmd(source, target, to_fmt, from_fmt, key, ring, allow_invalid):
    """Convert a scheme file IN to OUT (native JSON, Perminov JSON, .exp, readable .txt).

    The scheme is verified first; an invalid one is not written (exit 1) unless --allow-invalid.
    OUT is written to a temporary file and renamed, so an error never leaves half a file.

    \b
    Examples:
      flipgraph convert 444-49-mod0.exp 4x4x4_r49.json
      flipgraph convert factorizations_r.npz --key 3,4,5 345.txt
      flipgraph convert laderman.json laderman.json.out --to perminov
    """
    out_format = io.format_of(target, to_fmt, for_writing=True)
    found = resolve(source, fmt=from_fmt, ring=ring, key=key)
    scheme, meta = found.scheme, found.meta
    verdict = verify(scheme)
    if not verdict and not allow_invalid:
        click.echo(f"{source}: {_summary(scheme)}: {verdict}; not written (--allow-invalid "
                   f"writes it anyway)", err=True)
        sys.exit(1)
    io.save(scheme, target, out_format.name, meta)
    click.echo(f"wrote {target} ({out_format.name}): {_summary(scheme)}, {verdict}")


COMMANDS: list[click.Command] = [verify_cmd, show_cmd, convert_cmd]
