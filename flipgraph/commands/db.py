"""Verbs of the flipgraph CLI: ``flipgraph db list|show|best|import|export|stats|check|compare|
best-known`` and ``build-catalogue`` — the scheme database (:mod:`flipgraph.db`).

Every verb takes ``--db PATH`` (default: $FLIPGRAPH_DB, else the user database in the platform's
data folder) and reads the shipped catalogue under it unless ``--no-catalogue``; writes go to
``--db`` only.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

import click

from ..db import (CHAR0_RINGS, Database, Entry, best_known, build_catalogue, default_database,
                  resolve_target, shipped_path)
from ..errors import FlipgraphError
from ..rings import RINGS

RING = click.Choice(sorted(RINGS), case_sensitive=False)


def _db_options(command):
    """Add --db / --no-catalogue and pass the opened Database as ``db``."""

    @click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="database file (default: $FLIPGRAPH_DB or the user data folder)")
    @click.option("--no-catalogue", is_flag=True, help="do not read the shipped catalogue")
    @functools.wraps(command)
    def wrapper(db_path, no_catalogue, **kwargs):
        return command(db=default_database(db_path, catalogue=not no_catalogue), **kwargs)

    return wrapper


def _origin(db: Database, entry: Entry) -> str:
    return "catalogue" if Path(entry.source) != db.path else "user"


def _table(rows: list[list[str]]) -> None:
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def _entry_row(db: Database, e: Entry) -> list[str]:
    reduced = "" if e.reduced_additions is None else f" ({e.reduced_additions})"
    return [e.hash[:12], e.format_str, e.ring, str(e.rank), f"{e.naive_additions}{reduced}",
            str(e.stability), _origin(db, e)]


_HEADER = ["HASH", "FORMAT", "RING", "RANK", "ADDITIONS", "STABILITY", "IN"]


# --------------------------------------------------------------------------- verbs
@click.group("db")
def db_group():
    """Keep, query and exchange verified schemes (an HDF5 database).

    Your database ($FLIPGRAPH_DB or ~/.local/share/flipgraph/schemes.h5, or --db PATH) is
    read together with the shipped catalogue (schemes/catalogue.h5, read-only). Every scheme is
    verified before it is written; the same scheme (up to term order and scaling) is kept once.
    Without --ring, `best` and `export` hand out only schemes valid over Z and Q (rings zt, z,
    q) and `list` shows them first: a mod-2/mod-3 scheme computes wrong integer products.

    \b
      flipgraph db best 4x3x3                 # finds a 3x3x4 scheme through a symmetry
      flipgraph db list 3x3x3 --ring z2       # also the schemes valid mod 2 only
      flipgraph db import ../shared/anchors   # files or whole folders, any supported format
      flipgraph db compare                    # our best ranks beside the best known ones
      flipgraph db add runs/333               # a search's output folder, with its provenance
      flipgraph db report -o report/          # a browsable HTML catalogue
    """


@db_group.command("list")
@click.argument("fmt", required=False, metavar="[TARGET]")
@click.option("--ring", type=RING, help="only schemes valid over this ring (default: all, those "
              "valid over Z/Q first)")
@click.option("--rank", type=int, help="only this rank")
@click.option("--max-rank", type=int, help="only ranks up to this")
@click.option("--max-additions", type=int, help="only schemes with at most this many additions")
@click.option("--limit", type=int, default=50, show_default=True, help="rows to print (0: all)")
@_db_options
def list_cmd(db, fmt, ring, rank, max_rank, max_additions, limit):
    """List stored schemes, best first (rank, then additions; without --ring the schemes
    valid over Z/Q come before the mod-p ones).

    TARGET is a format (matches every permutation: 4x3x3 also lists 3x3x4 schemes, which `db
    best` moves through transpose/cyclic) or a stored target's id or name (user:…). ADDITIONS is
    naive (reduced in brackets when known).

    Example: flipgraph db list 3x3x3 --ring zt --max-rank 23
    """
    entries = db.query(fmt, ring=ring, rank=rank, max_rank=max_rank, max_additions=max_additions)
    if not entries:
        click.echo("no schemes match")
        return
    shown = entries if limit <= 0 else entries[:limit]
    _table([_HEADER] + [_entry_row(db, e) for e in shown])
    if len(shown) < len(entries):
        click.echo(f"... {len(entries) - len(shown)} more (use --limit 0)")
    want = resolve_target(fmt)[1] if fmt else None
    if want and any(e.format != want for e in shown):
        click.echo(f"(formats other than {fmt} are permutations: `flipgraph db best {fmt}` moves them)")


@db_group.command("show")
@click.argument("hash_prefix", metavar="HASH")
@click.option("--products/--no-products", default=True, help="print the products and outputs")
@_db_options
def show_cmd(db, hash_prefix, products):
    """Show one stored scheme: facts, provenance and (by default) its products.

    HASH is the canonical hash or any unique prefix of it (as `db list` prints).

    Example: flipgraph db show 5f1c0e
    """
    from ..io import listing

    entry = db.find(hash_prefix)
    _describe(db, entry, db.provenance(entry))
    if products:
        click.echo(listing.write(db.get(entry)), nl=False)


def _describe(db: Database, entry: Entry, provenance: dict) -> None:
    click.echo(f"hash:       {entry.hash}")
    click.echo(f"format:     {entry.format_str}" + (f"  ({entry.describe_symmetry()})" if entry.symmetry else ""))
    click.echo(f"ring:       {entry.ring}")
    click.echo(f"rank:       {entry.rank}")
    reduced = "unknown" if entry.reduced_additions is None else entry.reduced_additions
    click.echo(f"additions:  {entry.naive_additions} naive, reduced: {reduced}")
    click.echo(f"stability:  {entry.stability} (Bini–Lotti factor)")
    click.echo(f"stored in:  {entry.source} ({_origin(db, entry)})")
    click.echo(f"provenance: {json.dumps(provenance, sort_keys=True)}")


@db_group.command("best")
@click.argument("fmt", metavar="TARGET")
@click.option("--ring", type=RING, help="the best scheme valid over this ring (default: valid "
              "over Z and Q; z2/z3 only when asked)")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="also write the scheme to this file (format from the extension)")
@_db_options
def best_cmd(db, fmt, ring, output):
    """The best stored scheme for TARGET (a format NxMxP, or a stored target's id or name):
    lowest rank, then fewest additions. Without --ring, only schemes valid over Z and Q count.

    Any permutation of a format is used through the transpose/cyclic symmetries; the answer says
    which, and the scheme printed or written is a verified scheme of the format itself.

    Example: flipgraph db best 4x3x3 --ring zt -o best433.json
    """
    scheme, entry = _best(db, fmt, ring)
    _describe(db, entry, entry.provenance)
    click.echo(f"verified:   {scheme.format_str} rank {scheme.rank} over {scheme.ring.name}")
    if output:
        from .. import io

        io.save(scheme, output)
        click.echo(f"wrote {output}")


def _best(db: Database, target: str, ring):
    """db.best_for, or a one-line error (naming the mod-p schemes a default query left out)."""
    found = db.best_for(target, ring=ring)
    if found is not None:
        return found
    over = f" valid over {ring}" if ring else " valid over Z/Q"
    hidden = sorted({e.ring for e in db.query(target)} - set(CHAR0_RINGS)) if not ring else []
    hint = f" ({'/'.join(hidden)} schemes are stored: ask with --ring {hidden[0]})" if hidden else ""
    what = f"{target} (or a permutation)" if resolve_target(target)[1] else f"target {target!r}"
    raise FlipgraphError(f"no scheme for {what}{over} in {db.where()}{hint}")


@db_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--ring", type=RING, help="read every file in this ring (default: the file's own)")
@click.option("--strict", is_flag=True,
              help="stop at the first unreadable file or invalid scheme (nothing is written)")
@_db_options
def import_cmd(db, paths, ring, strict):
    """Import scheme files or whole folders (every supported format) in one transaction.

    Folders are searched recursively for files with a known suffix (.json, .txt, .exp, .m,
    .npz); AlphaTensor archives import every entry. Every scheme is verified before it is
    written; schemes already stored (same canonical form) are counted, not duplicated.
    Unreadable files and invalid schemes are reported and skipped (with --strict they stop the
    import and nothing is written). Perminov *_reduced.json files also give the reduced
    addition count of their straight-line program.

    Example: flipgraph db import ../shared/anchors/perminov ../shared/anchors/alphatensor
    """
    from ..pipeline import import_files

    with click.progressbar(length=0, label="verifying", file=click.get_text_stream("stderr")) as bar:
        def progress(done, total):
            bar.length = total
            bar.update(1)
        report = import_files(db, paths, ring=ring, strict=strict, progress=progress)
    for message in report.skipped:
        click.echo(f"skipped: {message}", err=True)
    click.echo(f"{report.read} scheme(s) read: {report.added} added to {db.path}, {report.known} "
               f"already stored, {len(report.skipped)} file(s)/scheme(s) skipped")


@db_group.command("add")
@click.argument("runs", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--save-improvements-only", is_flag=True,
              help="store a scheme only if the database holds nothing as good for its target and "
              "ring (lower rank, or same rank with fewer naive additions)")
@_db_options
def add_cmd(db, runs, save_improvements_only):
    """Store the results of search output folders (flipgraph search --out RUN): RUN/best.json
    and RUN/lifted.json, each verified, with the search's provenance, the folder and its log
    (RUN/log.jsonl, which `db report` plots).

    \b
    Example:
      flipgraph search 3x3x3 --target-rank 23 --lift z --no-save --out runs/333
      flipgraph db add runs/333 --save-improvements-only
    """
    from ..pipeline import add_runs

    for answer in add_runs(db, runs, improvements_only=save_improvements_only):
        what = f"{answer.file}: {answer.scheme.target.label} rank {answer.scheme.rank} over {answer.scheme.ring.name}"
        if answer.beaten_by is not None:
            held = answer.beaten_by
            click.echo(f"{what}: not stored, the database holds rank {held.rank} over {held.ring} "
                       f"({held.hash[:12]}, {held.naive_additions} additions)")
        else:
            click.echo(f"{what}: {'added to ' + str(db.path) if answer.added else 'already stored'}")


@db_group.command("export")
@click.argument("fmt", required=False, metavar="[TARGET]")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="a file (the best scheme of TARGET) or, with --all, a folder")
@click.option("--ring", type=RING, help="only schemes valid over this ring (default: the best "
              "scheme valid over Z/Q; with --all every scheme)")
@click.option("--all", "every", is_flag=True, help="export every matching scheme into the folder")
@click.option("--suffix", default=".json", show_default=True,
              help="file type for --all (.json, .txt, .exp, ...: what flipgraph.io writes)")
@_db_options
def export_cmd(db, fmt, output, ring, every, suffix):
    """Write schemes out in any supported format.

    Without --all: the best scheme of TARGET (moved to its format if needed; valid over Z/Q
    unless --ring says otherwise) to the file OUTPUT, whose extension picks the format. With
    --all: every matching scheme (stored orientation, every ring unless --ring) to the folder
    OUTPUT, one file per scheme named <format>_r<rank>_<ring>_<hash12><suffix> (schemes of
    structured or user targets as native .json when the suffix's format holds only matrix
    multiplication).

    Example: flipgraph db export 3x3x3 -o laderman.exp ; flipgraph db export --all -o out/
    """
    from .. import io

    if not every:
        if not fmt:
            raise FlipgraphError("export: give a TARGET (or --all to export a folder)")
        scheme, entry = _best(db, fmt, ring)
        io.save(scheme, output)
        click.echo(f"wrote {output} ({entry.format_str}, rank {entry.rank}, ring {scheme.ring.name})")
        return
    entries = db.query(fmt, ring=ring)
    output.mkdir(parents=True, exist_ok=True)
    matmul_only = io.format_of(f"x{suffix}", for_writing=True).name not in ("native", "txt")
    native = 0
    for e in entries:
        stem = e.format_str.replace(":", "-")
        scheme = db.get(e)
        ext = ".json" if matmul_only and not scheme.target.is_matmul else suffix
        native += ext != suffix
        io.save(scheme, output / f"{stem}_r{e.rank}_{e.ring}_{e.hash[:12]}{ext}")
    note = f" ({native} of other targets as native .json: {suffix} holds matrix multiplication only)" \
        if native else ""
    click.echo(f"wrote {len(entries)} scheme(s) to {output}{note}")


@db_group.command("stats")
@_db_options
def stats_cmd(db):
    """Counts per file, ring and format.

    Example: flipgraph db stats --db my.h5
    """
    info = db.stats()
    click.echo(f"{info['schemes']} scheme(s); this flipgraph writes schema version "
               f"{info['schema_version']}")
    for path, facts in info["files"].items():
        click.echo(f"  {path}: {facts['schemes']} scheme(s), {facts['bytes']} bytes, "
                   f"schema version {facts['schema_version']}")
    if info["rings"]:
        click.echo("rings:   " + ", ".join(f"{k} {v}" for k, v in sorted(info["rings"].items())))
        click.echo("formats: " + ", ".join(f"{k} {v}" for k, v in sorted(info["formats"].items())))


@db_group.command("check")
@_db_options
def check_cmd(db):
    """Re-verify every stored scheme (Brent equations, canonical hash, index row).

    Exit code 0 when all is well, 1 when a problem is found (each printed on one line).

    Example: flipgraph db check --db my.h5
    """
    total = len(db)
    with click.progressbar(length=total, label="checking", file=click.get_text_stream("stderr")) as bar:
        problems = db.check(progress=lambda done, _: bar.update(1))
    for problem in problems:
        click.echo(problem)
    click.echo(f"{total} scheme(s) checked, {len(problems)} problem(s)")
    if problems:
        raise SystemExit(1)


@db_group.command("compare")
@click.option("--catalogue", "table_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="a best-known table file (flipgraph's, fmm_sota.json or FastMatrixMultiplication's "
              "status.json layout; default: see `flipgraph db best-known`)")
@click.option("--max-dim", type=int, default=6, show_default=True, help="largest dimension listed")
@click.option("--only-ours", is_flag=True, help="only targets for which we store a scheme")
@_db_options
def compare_cmd(db, table_path, max_dim, only_ours):
    """Our best rank per ring beside the best known rank per ring, per target (formats as
    n ≤ m ≤ p), with ω and additions.

    \b
    OURS     our best rank valid over Z2, Z3, ZT, Z, Q (a zt scheme counts for every ring, z for
             z, q, z2, z3; a scheme counts for every permutation of its format)
    KNOWN    the best known rank over Z2, ZT, Z, Q, with [n] naming the record's source below
    GAP      our Q rank − the known Q rank
    ω        3·log(rank)/log(nmp) of our Q rank and of the known Q rank
    ADD      naive additions (reduced in brackets) of our best Q scheme / the fewest known at
             the known Q rank

    Example: flipgraph db compare --max-dim 4 ; flipgraph db compare --catalogue status.json
    """
    from ..db.compare import KNOWN_RINGS, OUR_RINGS, format_additions, standings

    table = best_known(table_path)
    rows = standings(db, table, max_dim=max_dim, only_ours=only_ours)
    notes: dict[str, int] = {}
    lines = [["TARGET", *(f"OURS {r.upper()}" if i == 0 else r.upper() for i, r in enumerate(OUR_RINGS)),
              *(f"KNOWN {r.upper()}" if i == 0 else r.upper() for i, r in enumerate(KNOWN_RINGS)),
              "GAP", "ω OURS", "ω KNOWN", "ADD OURS", "ADD KNOWN"]]
    for row in rows:
        known = []
        for ring in KNOWN_RINGS:
            rec = row.known.get(ring)
            known.append("-" if rec is None else f"{rec.rank}[{notes.setdefault(rec.source, len(notes) + 1)}]")
        ours_q, known_q = row.ours.get("q"), row.known.get("q")
        lines.append([row.label, *(str(row.ours[r].rank) if r in row.ours else "-" for r in OUR_RINGS),
                      *known, "" if row.gap is None else f"{row.gap:+d}",
                      _fmt_omega(row.omega()), _fmt_omega(row.omega(known=True)),
                      format_additions(ours_q.naive_additions, ours_q.reduced_additions) if ours_q else "",
                      format_additions(known_q.additions, known_q.reduced_additions) if known_q else ""])
    click.echo(f"best known: {table.path}")
    for source in table.sources:
        click.echo(f"  {source}")
    _table(lines)
    for source, number in notes.items():
        click.echo(f"[{number}] {source}")


def _fmt_omega(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


@db_group.command("best-known")
@click.option("--refresh", "files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="merge this catalogue file into your table (repeatable): flipgraph's layout, "
              "fmm_sota.json or FastMatrixMultiplication's schemes/status.json")
@click.option("--reset", is_flag=True, help="delete your table (the shipped one is used again)")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="write the merged table here instead of your data folder")
def best_known_cmd(files, reset, out):
    """Show or refresh the table of best known ranks that `compare` and `report` use.

    The table in use is yours (best_known.json next to your database: $FLIPGRAPH_DB's folder,
    else ~/.local/share/flipgraph) when it exists, else the one shipped with flipgraph. --refresh
    merges catalogue files into it: a record is taken when its rank is lower, or its addition
    count at the same rank; records are never raised (use --reset to start over).

    \b
    Example:
      git clone https://github.com/dronperminov/FastMatrixMultiplication fmm
      flipgraph db best-known --refresh fmm/schemes/status.json
      flipgraph db best-known --refresh ../shared/anchors/fmm_sota.json
    """
    from ..db.best_known import read_table, user_table_path, write_table

    mine = user_table_path()
    if reset:
        mine.unlink(missing_ok=True)
        click.echo(f"removed {mine}; using the shipped table")
    if files:
        table = best_known()
        for file in files:
            incoming = read_table(file)
            taken = table.merge(incoming)
            click.echo(f"{file}: {len(incoming)} record(s), {taken} improved the table")
        click.echo(f"wrote {write_table(table, out or mine)}")
    table = best_known(out) if out and files else best_known()
    targets = table.targets()
    click.echo(f"in use: {table.path} — {len(table)} record(s), {len(targets)} target(s)")
    for source in table.sources:
        click.echo(f"  {source}")


@db_group.command("report")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="folder for the report (new, empty, or an earlier report, which is replaced)")
@click.option("--catalogue", "table_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="a best-known table file (default: see `flipgraph db best-known`)")
@click.option("--no-figures", is_flag=True, help="leave the figures out (faster; no matplotlib needed)")
@_db_options
def report_cmd(db, output, table_path, no_figures):
    """Write a static HTML catalogue of the database, readable offline: every target with our
    best rank per ring beside the best known (with sources), gap, ω, additions, stability,
    provenance, each scheme to download in every format flipgraph writes (native .json,
    Perminov .json, .txt listing, .exp), the ω figure and the rank-against-time figure of every
    scheme whose search log is known (`flipgraph db add RUN/` records it).

    Open OUTPUT/index.html in a browser. The folder is built aside and swapped in whole.

    Example: flipgraph db report -o report/ ; flipgraph db report --db my.h5 --no-catalogue -o r/
    """
    from ..report import write_report

    index = write_report(db, output, table=best_known(table_path) if table_path else None,
                         figures=not no_figures,
                         progress=lambda label: click.echo(f"  {label}", err=True))
    click.echo(f"wrote {index}")


@db_group.command("build-catalogue")
@click.argument("runs", nargs=-1, type=click.Path(file_okay=False, exists=True))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"catalogue file (default: {shipped_path()})")
def build_catalogue_cmd(runs, out):
    """Add the classic hand-written schemes (Strassen, Winograd, Laderman) and the results of
    `flipgraph search --config search_configs/X.toml --out RUN` folders (RUNS: their lifted.json,
    else best.json, with the search's provenance) to the shipped catalogue. Idempotent; schemes
    already there are kept. Maintainers only.

    \b
    Example:
      flipgraph search --config search_configs/333-rank23.toml --out runs/333
      flipgraph db build-catalogue runs/333
    """
    for key, added in build_catalogue(out, runs):
        click.echo(f"{key[:12]} {'added' if added else 'already there'}")


COMMANDS: list[click.Command] = [db_group]
