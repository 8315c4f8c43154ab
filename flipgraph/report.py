"""A static HTML catalogue of a scheme database, readable offline (no external JS, CSS or fonts).

    DIR/index.html           every target: our best rank per ring beside the best known (with
                             sources), gap, ω, additions, stability, provenance, downloads
    DIR/schemes/<file>       every stored scheme in every format flipgraph writes
                             (<target>_r<rank>_<ring>_<hash12> + .json, .perminov.json, .txt, .exp)
    DIR/figures/*.png        ω per format (ours and best known) and, for every scheme whose
                             provenance names a search log that exists, its rank against time

Figures need matplotlib (``flipgraph[plot]``); without it the page says so and has none. The
folder is built next to DIR and swapped in whole: a report is never half-written, and DIR is only
replaced when it is empty or an earlier report (it holds the marker file ``.flipgraph-report``).

    >>> from flipgraph.db import default_database
    >>> from flipgraph.report import write_report
    >>> write_report(default_database(), "report")                       # doctest: +SKIP
"""
from __future__ import annotations

import datetime
import html
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path

from . import atomic, io
from .db.best_known import BestKnown, best_known
from .db.compare import KNOWN_RINGS, OUR_RINGS, Standing, format_additions, standings
from .errors import FlipgraphError, FormatError

__all__ = ["write_report", "MARKER"]

MARKER = ".flipgraph-report"


def write_report(db, out_dir, *, table: BestKnown | None = None, figures: bool = True,
                 progress=None) -> Path:
    """Write the catalogue of ``db`` (a :class:`~flipgraph.db.Database`) to the folder
    ``out_dir``; ``table``: the best-known table (default: :func:`~flipgraph.db.best_known`);
    ``progress(message)`` is called per target. Returns the path of index.html."""
    out_dir = Path(out_dir)
    _check_replaceable(out_dir)
    table = table if table is not None else best_known()
    rows = standings(db, table, only_ours=True)
    if not rows:
        raise FlipgraphError(f"no schemes in {db.where()}: nothing to report")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        page = _Page(db, table, build, figures)
        for row in rows:
            if progress:
                progress(row.label)
            page.target(row)
        atomic.write_text(build / "index.html", page.html(rows))
        atomic.write_text(build / MARKER, "a flipgraph db report; `flipgraph db report` replaces this folder\n")
        _swap(build, out_dir)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return out_dir / "index.html"


def _check_replaceable(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or (any(out_dir.iterdir())
                                                      and not (out_dir / MARKER).exists())):
        raise FlipgraphError(f"{out_dir}: exists and is not an earlier report; give a new or "
                             f"empty folder")


def _swap(build: Path, out_dir: Path) -> None:
    """Put the finished folder ``build`` at ``out_dir`` (moving an earlier report aside first)."""
    os.chmod(build, 0o777 & ~_umask())
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=out_dir.parent))
        os.replace(out_dir, old / "report")
    os.replace(build, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _Page:
    """Collects the files of one report and renders index.html."""

    def __init__(self, db, table: BestKnown, build: Path, figures: bool):
        self.db, self.table, self.build = db, table, build
        self.sources: dict[str, int] = {}
        self.sections: list[str] = []
        self.downloads: dict[str, list[tuple[str, str]]] = {}     # hash -> [(label, href)]
        self.figure_note = ""
        self.plots = None
        if figures and importlib.util.find_spec("matplotlib") is None:
            self.figure_note = 'No figures: they need matplotlib (pip install "flipgraph[plot]").'
        elif figures:
            from . import plots
            self.plots = plots
        (build / "schemes").mkdir()
        (build / "figures").mkdir()

    # ---------------------------------------------------------------- files
    def _write_scheme(self, entry) -> list[tuple[str, str]]:
        scheme = self.db.get(entry)
        stem = f"{entry.format_str.replace(':', '-')}_r{entry.rank}_{entry.ring}_{entry.hash[:12]}"
        links = []
        for name, fmt in io.FORMATS.items():
            if fmt.write is None:
                continue
            tag = "" if name == "native" or fmt.suffix == f".{name}" else f".{name}"
            file = f"schemes/{stem}{tag}{fmt.suffix}"
            try:
                io.save(scheme, self.build / file, fmt=name,
                        meta=self.db.provenance(entry) if name == "native" else None)
            except FormatError:                   # e.g. a structured product in a matmul-only format
                continue
            links.append((name, file))
        return links

    def _log_figure(self, row: Standing, entry, provenance: dict) -> str | None:
        log = provenance.get("log")
        if self.plots is None or not log or not Path(log).is_file():
            return None
        file = f"figures/{entry.hash[:12]}-rank.png"
        ring = provenance.get("ring") if provenance.get("ring") in KNOWN_RINGS else "q"
        known = row.known.get(ring)
        try:
            self.plots.rank_plot([log], self.build / file, best_known=known.rank if known else None,
                                 title=f"{row.label} over {ring}: search {Path(log).parent.name}")
        except FlipgraphError:
            return None                            # an unreadable log: no figure, the page says so
        return file

    # ---------------------------------------------------------------- html pieces
    def _note(self, source: str) -> int:
        return self.sources.setdefault(source, len(self.sources) + 1)

    def _known_cell(self, row: Standing, ring: str) -> str:
        rec = row.known.get(ring)
        if rec is None:
            return "<td class=none>–</td>"
        number = self._note(rec.source)
        return (f'<td title="{_e(rec.source)}">{rec.rank}'
                f'<sup><a href="#source-{number}">{number}</a></sup></td>')

    def target(self, row: Standing) -> None:
        """Write the files of one target and its section of the page."""
        anchor = _anchor(row.key)
        rows_html, figures = [], []
        for entry in row.entries:
            provenance = self.db.provenance(entry)
            links = self._write_scheme(entry)
            self.downloads[entry.hash] = links
            figure = self._log_figure(row, entry, provenance)
            if figure:
                figures.append(_img(figure, f"{row.label}: best rank against time, scheme {entry.hash[:12]}"))
            reduced = "" if entry.reduced_additions is None else f" ({entry.reduced_additions})"
            rows_html.append(
                f"<tr><td><code>{entry.hash[:12]}</code></td><td>{_e(entry.format_str)}</td>"
                f"<td>{entry.ring}</td><td>{entry.rank}</td><td>{entry.naive_additions}{reduced}</td>"
                f"<td>{entry.stability}</td><td>{_e(_summary(provenance))}"
                f"<details><summary>provenance</summary><pre>{_e(json.dumps(provenance, indent=1, sort_keys=True))}</pre>"
                f"</details></td><td>{_links(links)}</td></tr>")
        known = "".join(
            f"<li>{ring.upper()}: rank {rec.rank}{_adds_text(rec.additions, rec.reduced_additions)}"
            f" — {_e(rec.source)}</li>" for ring, rec in row.known.items())
        self.sections.append(
            f'<section id="{anchor}"><h3>{_e(row.label)}</h3>'
            f"<p>Best known: {'<ul>' + known + '</ul>' if known else 'not in the table.'}</p>"
            f"<table class=schemes><thead><tr><th>hash</th><th>stored as</th><th>ring</th><th>rank</th>"
            f"<th>additions<br>naive (reduced)</th><th>stability</th><th>provenance</th><th>download</th>"
            f"</tr></thead><tbody>{''.join(rows_html)}</tbody></table>{''.join(figures)}</section>")

    def _overview(self, rows: list[Standing]) -> str:
        points = [(row.label, row.omega(), row.omega(known=True)) for row in rows
                  if row.key.startswith("mm:") and (row.omega() or row.omega(known=True))]
        if self.plots is None or not points:
            return ""
        self.plots.omega_plot(points, self.build / "figures" / "omega.png")
        return _img("figures/omega.png", "ω per format: ours and the best known")

    def _summary_row(self, row: Standing) -> str:
        ours = "".join(f"<td>{row.ours[r].rank}</td>" if r in row.ours else "<td class=none>–</td>"
                       for r in OUR_RINGS)
        known = "".join(self._known_cell(row, r) for r in KNOWN_RINGS)
        gap = row.gap
        gap_cell = ("<td class=none></td>" if gap is None else
                    f'<td class="{"record" if gap < 0 else "even" if gap == 0 else "behind"}">{gap:+d}</td>')
        best = row.ours.get("q")
        adds = format_additions(best.naive_additions, best.reduced_additions) if best else ""
        known_q = row.known.get("q")
        known_adds = format_additions(known_q.additions, known_q.reduced_additions) if known_q else ""
        provenance = _summary(self.db.provenance(best)) if best else ""
        links = _links(self.downloads.get(best.hash, [])) if best else ""
        return (f'<tr id="row-{_anchor(row.key)}"><th><a href="#{_anchor(row.key)}">{_e(row.label)}</a></th>'
                f"{ours}{known}{gap_cell}<td>{_omega(row.omega())}</td><td>{_omega(row.omega(known=True))}</td>"
                f"<td>{adds}</td><td>{known_adds}</td><td>{best.stability if best else ''}</td>"
                f"<td>{_e(provenance)}</td><td>{links}</td></tr>")

    def html(self, rows: list[Standing]) -> str:
        from ._version import __version__

        summary = "".join(self._summary_row(row) for row in rows)     # numbers the sources
        overview = self._overview(rows)
        count = sum(len(row.entries) for row in rows)
        files = "".join(f"<li><code>{_e(str(p))}</code></li>" for p in self.db.files())
        table_sources = "".join(f"<li>{_e(s)}</li>" for s in self.table.sources)
        notes = "".join(f'<li id="source-{n}">{_e(s)}</li>' for s, n in self.sources.items())
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        head = "".join(f"<th>{r.upper()}</th>" for r in OUR_RINGS) + "".join(
            f"<th>{r.upper()}</th>" for r in KNOWN_RINGS)
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flipgraph catalogue: {count} schemes</title>
<style>{_CSS}</style></head>
<body>
<h1>flipgraph catalogue</h1>
<p>{count} verified schemes of {len(rows)} targets, written {now} by flipgraph {__version__}
from:</p><ul>{files}</ul>
<p>Best-known table <code>{_e(str(self.table.path))}</code>, compiled from:</p><ul>{table_sources}</ul>
<p>A scheme counts for every ring it is valid over (ZT everywhere; Z also for Q, Z2, Z3) and for
every permutation of its format. Gap = our rank valid over Q − the best known over Q; ω =
3·log(rank)/log(nmp). Additions: naive (reduced in brackets, when known); stability: Bini–Lotti
factor. {_e(self.figure_note)}</p>
{overview}
<h2>Targets</h2>
<table id="targets" class=summary><thead>
<tr><th rowspan=2>target</th><th colspan={len(OUR_RINGS)}>our best rank over</th>
<th colspan={len(KNOWN_RINGS)}>best known rank over</th><th rowspan=2>gap</th><th colspan=2>ω</th>
<th colspan=2>additions (Q)</th><th rowspan=2>stability</th><th rowspan=2>provenance (best over Q)</th>
<th rowspan=2>download (best over Q)</th></tr>
<tr>{head}<th>ours</th><th>known</th><th>ours</th><th>known</th></tr>
</thead><tbody>
{summary}
</tbody></table>
<h2>Schemes</h2>
{''.join(self.sections)}
<h2>Sources of the best-known records</h2>
<ol class=sources>{notes}</ol>
</body></html>
"""


# --------------------------------------------------------------------------- helpers
def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _anchor(key: str) -> str:
    return "t-" + "".join(c if c.isalnum() else "-" for c in key)


def _img(src: str, alt: str) -> str:
    # data-loaded records that the browser decoded the image (its natural width), 0 if it failed
    return (f'<figure><img src="{_e(src)}" alt="{_e(alt)}" '
            f'onload="this.dataset.loaded=this.naturalWidth" onerror="this.dataset.loaded=0">'
            f"<figcaption>{_e(alt)}</figcaption></figure>")


def _links(links) -> str:
    return " ".join(f'<a href="{_e(href)}" download>{_e(name)}</a>' for name, href in links)


def _omega(value) -> str:
    return "" if value is None else f"{value:.4f}"


def _adds_text(naive, reduced) -> str:
    cell = format_additions(naive, reduced)
    return f", {cell} additions" if cell else ""


def _summary(provenance: dict) -> str:
    """method · source or recipe · seed · date, from a provenance record."""
    parts = [provenance.get("method"), provenance.get("config") or provenance.get("source"),
             f"seed {provenance['seed']}" if provenance.get("seed") is not None else None,
             str(provenance.get("date", ""))[:10] or None]
    return " · ".join(str(p) for p in parts if p)


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em auto;max-width:1400px;
padding:0 1em;color:#222}
h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.6em 0}th,td{border:1px solid #ddd;padding:2px 6px;
text-align:right;vertical-align:top}thead th{background:#f2f2f2;text-align:center}
tbody th{text-align:left}td:nth-last-child(-n+2){text-align:left}
.schemes td:nth-child(-n+3){text-align:left}
td.none{color:#aaa;text-align:center}td.record{background:#c8f0c8;font-weight:bold}
td.even{background:#e8f6e8}td.behind{background:#fde2c8}
tbody tr:hover{background:#fafae0}sup a{text-decoration:none;color:#777;font-size:.8em}
details pre{white-space:pre-wrap;max-width:40em;text-align:left;font-size:12px}
figure{display:inline-block;margin:.5em 1em .5em 0;vertical-align:top}
img{max-width:min(100%,760px);border:1px solid #eee}
figcaption{font-size:12px;color:#555}ol.sources{font-size:13px}code{font-size:12px}
"""
