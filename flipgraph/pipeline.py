"""What the CLI verbs do, as library functions: say which scheme the user means, run a search job
(recipe, search until it lifts, provenance, files, database, resume), lift and carry provenance,
collect alternatives, import folders and search runs into the database.

The command line only parses flags, calls one function here and prints; Python users call the same
functions::

    >>> from flipgraph import pipeline
    >>> pipeline.resolve("strassen").scheme.rank                          # a classic
    7
    >>> pipeline.resolve("3x3x3").scheme.ring.name in ("zt", "z", "q")    # doctest: +SKIP
    True

Which scheme a spec names (:func:`resolve`), in this order: a :class:`~flipgraph.scheme.Scheme`; an
existing file (any format :mod:`flipgraph.io` reads; ``key`` picks an entry of a many-scheme file;
a reduced JSON is expanded to its scheme); a classic (strassen, winograd, laderman); a format
``NxMxP`` or target id ``mm:NxMxP`` — the database's best scheme, valid over Z/Q unless ``ring``
asks for another ring. A mod-p scheme is never handed out for a format unless asked for.
"""
from __future__ import annotations

import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import io
from .classics import CLASSICS
from .errors import FlipgraphError, FormatError, SchemeError
from .pacing import Pacer
from .lift import LiftResult, lift
from .scheme import Scheme
from .ternary import outside, ternary_form
from .tensors import parse_target

__all__ = ["Resolved", "resolve", "resolve_all", "start_scheme", "lift_or_neighbour",
           "load_recipe", "RECIPE_KEYS", "SearchJob", "run_search_job", "resume_search_job",
           "provenance", "carry", "lift_files", "Lifted", "collect_alternatives",
           "scheme_files", "read_for_import", "import_files", "add_runs", "save_if_better"]


# --------------------------------------------------------------------------- which scheme
@dataclass
class Resolved:
    """A scheme the user named: ``name`` is short (for labels and routine names), ``source`` says
    where it came from, ``meta`` is its provenance when the source has one."""

    scheme: Scheme
    name: str
    source: str
    meta: dict = field(default_factory=dict)


def resolve(spec, *, fmt: str | None = None, ring=None, key: str | None = None,
            db=None) -> Resolved:
    """The one scheme ``spec`` names (see the module docstring). ``fmt``: file format (default by
    suffix); ``ring``: read a file in this ring, or for a format pick the database's best scheme
    valid over it (default "z": valid over the integers, and a ternary one stays over ZT); ``db``:
    a Database (default: the user's database over the shipped catalogue)."""
    if isinstance(spec, Scheme):
        return Resolved(spec.over(ring) if ring else spec, "scheme", "a Scheme object")
    if spec is None or not str(spec).strip():
        raise FlipgraphError("no scheme given: name a file, a classic or a format NxMxP")
    text = str(spec)
    if Path(text).exists():
        found = resolve_all(text, fmt=fmt, ring=ring, key=key)
        if len(found) != 1:
            raise FormatError(f"{text}: holds {len(found)} schemes; pick one with a key, e.g. "
                              f"--key {found[0].meta.get('key', 'n,m,p')!r}")
        return found[0]
    if key is not None or fmt is not None:
        raise FlipgraphError(f"{text}: no such file")
    if text.lower() in CLASSICS:
        scheme = CLASSICS[text.lower()]()
        return Resolved(scheme.over(ring) if ring else scheme, text.lower(), f"classic {text.lower()}")
    try:
        target = parse_target(text)
    except SchemeError:
        raise FlipgraphError(f"{text}: no such file, classic ({', '.join(sorted(CLASSICS))}) or "
                             f"format NxMxP") from None
    return _from_database(target, ring, db)


def _from_database(target, ring, db) -> Resolved:
    from .db import default_database

    database = db if db is not None else default_database()
    wanted = str(ring or "z").lower()
    found = database.best_for(target, wanted)
    if found is None:
        hint = " (a mod-p one may be there: ask with --ring z2)" if wanted in ("zt", "z", "q") else ""
        raise FlipgraphError(f"no {target.label} scheme valid over {wanted} in the database{hint}; "
                             f"see flipgraph db list {target.label}")
    scheme, entry = found
    if ring is None and entry.ring == "zt":       # valid over Z, and kept as the ZT scheme it is
        scheme = scheme.over("zt")
    name = "mm" + "".join(map(str, target.format)) if target.is_matmul else target.id.replace(":", "")
    return Resolved(scheme, name, f"database {entry.hash[:12]}", dict(entry.provenance))


def resolve_all(path, *, fmt: str | None = None, ring=None, key: str | None = None) -> list[Resolved]:
    """Every scheme in the file ``path`` (an AlphaTensor archive holds many; ``key`` keeps one).
    Native JSON keeps its meta; a reduced JSON (``u_fresh`` key) is expanded to its scheme."""
    path = str(path)
    stem = Path(path).stem
    if fmt is None and path.endswith(".json") and _is_reduced_json(path):
        from .io.reduced import read_reduced, reduced_provenance

        scheme = read_reduced(path).to_scheme()
        return [Resolved(scheme.over(ring) if ring else scheme, stem, path, reduced_provenance(path))]
    source = io.format_of(path, fmt)
    if source.name == "native":
        if key is not None:
            raise FormatError(f"{path}: a native file holds one scheme; drop the key {key!r}")
        scheme, meta = io.load_with_meta(path, ring)
        return [Resolved(scheme, stem, path, meta)]
    if key is not None:
        scheme = io.load(path, fmt, ring, key)
        return [Resolved(scheme, f"{stem}-{key.replace(',', 'x')}", f"{path}#{key}", {"key": key})]
    entries = io.load_all(path, fmt, ring)
    many = len(entries) > 1 or source.many
    return [Resolved(scheme, f"{stem}-{k.replace(',', 'x')}" if many else stem,
                     f"{path}#{k}" if many else path, {"key": k} if many else {})
            for k, scheme in entries]


def _is_reduced_json(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 16)
    except OSError:
        return False
    return b'"u_fresh"' in head


# --------------------------------------------------------------------------- search jobs
#: Keys of a search recipe (TOML): the ``flipgraph search`` flag names.
RECIPE_KEYS = ("format", "ring", "target-rank", "workers", "time-limit", "seed", "pool-size",
               "path-limit", "plus-after", "reset-flips", "stall-flips", "windows", "from", "out",
               "lift", "lift-neighbours", "symmetry")


def load_recipe(path) -> dict:
    """A search recipe (TOML, optionally under a ``[search]`` table) as {flag name: value};
    unknown keys and unreadable files are one-line errors."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise FlipgraphError(f"{path}: not a text file (a TOML recipe was expected)") from None
    except tomllib.TOMLDecodeError as exc:
        raise FlipgraphError(f"{path}: not valid TOML ({exc})") from None
    recipe = data.get("search", data)
    if not isinstance(recipe, dict):
        raise FlipgraphError(f"{path}: [search] must be a table")
    unknown = sorted(set(recipe) - set(RECIPE_KEYS) - {"description", "result"})
    if unknown:
        raise FlipgraphError(f"{path}: unknown key(s) {', '.join(unknown)}; "
                             f"known: {', '.join(RECIPE_KEYS)}")
    return recipe


@dataclass
class SearchJob:
    """A finished search job: the search result, the lift (when asked and found), where the files
    went, the provenance written with them, and what the database said."""

    result: object                 # walks.SearchResult
    lifted: LiftResult | None
    out_dir: Path
    meta: dict
    saved_to: str | None = None
    new: int = 0
    known: int = 0

    @property
    def ok(self) -> bool:
        """The target rank was reached (when one was set) and, with lifting, a lift was found."""
        settings = self.meta
        reached = not settings.get("target_rank") or self.result.reached_target
        return reached and (not settings.get("lift_to") or self.lifted is not None)


#: The checkpoint a search job keeps in its OUT folder (``flipgraph search --resume OUT``).
CHECKPOINT = "checkpoint.json"


def run_search_job(settings, *, out_dir=None, lift_to: str | None = None, save: bool = True,
                   db_path=None, on_progress: Callable[[dict], None] | None = None,
                   config: str | None = None, executor=None,
                   checkpoint_every: float = 60.0, symmetry: str = "none",
                   lift_neighbours: int = 0) -> SearchJob:
    """Run the search ``settings`` (a :class:`flipgraph.walks.SearchSettings`) on ``executor``
    (default: local), keeping OUT/checkpoint.json (every new best and every ``checkpoint_every``
    seconds; see :func:`resume_search_job`); write OUT/best.json (verified, with provenance) and
    OUT/log.jsonl; with ``lift_to`` ("z" or "q") search again with fresh seeds within the time
    limit until a result lifts to that ring (Z: ZT or Z coefficients; Q: also rationals, e.g. from
    a Z3 search), and write OUT/lifted.json; save the verified results into the database unless
    ``save`` is False. ``lift_neighbours`` N: before starting over, lift up to N distinct schemes
    of the result's rank met by a fixed-rank walk from it (:func:`lift_or_neighbour`). ``symmetry="c3"``: the C3-symmetric walk of square formats
    (:mod:`flipgraph.walks.symmetric`; no checkpoints, local processes only)."""
    if symmetry not in ("none", "c3"):
        raise FlipgraphError(f"unknown symmetry {symmetry!r}; choose none or c3")
    if symmetry == "c3":
        from .walks.symmetric import fill_defaults

        fill_defaults(settings)                    # also: square formats only
    settings.check()
    target = settings.target
    out_dir = Path(out_dir or f"runs/{target.label.replace(':', '-')}-{settings.ring}-"
                              f"{time.strftime('%Y%m%d-%H%M%S')}")
    out_dir.mkdir(parents=True, exist_ok=True)
    return _finish_job(settings, out_dir, lift_to, save, db_path, on_progress, config,
                       dict(executor=executor, checkpoint_every=checkpoint_every),
                       symmetry=symmetry, lift_neighbours=lift_neighbours)


def resume_search_job(out_dir, *, time_limit: float | None = None, save: bool = True,
                      db_path=None, on_progress: Callable[[dict], None] | None = None,
                      executor=None, checkpoint_every: float = 60.0) -> SearchJob:
    """Continue the search job whose OUT folder is ``out_dir`` from OUT/checkpoint.json (a search
    that was killed, or stopped at its time limit) with the same settings, lift ring and recipe,
    on ``executor`` (any: a local search may go on on a cluster and back). ``time_limit``: seconds
    more (default: what is left of the original limit). The log goes on in OUT/log.jsonl."""
    from .walks import SearchSettings
    from .walks.checkpoint import Checkpoint

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise FlipgraphError(f"{out_dir}: no such folder (give the OUT folder of a search)")
    checkpoint = Checkpoint.load(out_dir / CHECKPOINT)
    settings = SearchSettings(target=checkpoint.target, **checkpoint.settings)
    if settings.target_rank and checkpoint.best_rank <= settings.target_rank:
        raise FlipgraphError(f"{out_dir}: that search already reached rank {checkpoint.best_rank} "
                             f"(target {settings.target_rank}); nothing to resume")
    if time_limit is not None:
        settings.time_limit = checkpoint.elapsed + time_limit
    elif settings.time_limit is not None and settings.time_limit - checkpoint.elapsed < 0.5:
        raise FlipgraphError(f"{out_dir}: that search used its time limit "
                             f"({settings.time_limit:.1f} s); give --time-limit SECONDS to go on")
    note = checkpoint.note
    return _finish_job(settings, out_dir, note.get("lift_to"), save, db_path, on_progress,
                       note.get("config"), dict(executor=executor, resume=checkpoint,
                                                checkpoint_every=checkpoint_every),
                       lift_neighbours=note.get("lift_neighbours", 0))


def _finish_job(settings, out_dir, lift_to, save, db_path, on_progress, config,
                search_args, symmetry: str = "none", lift_neighbours: int = 0) -> SearchJob:
    """Search (:func:`_search_until_lift`), then write OUT/ and save into the database."""
    search_args.update(checkpoint_path=out_dir / CHECKPOINT,
                       note={"lift_to": lift_to, "config": str(config) if config else None,
                             "lift_neighbours": lift_neighbours},
                       on_improvement=_keep_best(out_dir / "best.json", settings))
    result, lifted, neighbour = _search_until_lift(settings, lift_to, on_progress,
                                                   out_dir / "log.jsonl", search_args, symmetry,
                                                   lift_neighbours)
    meta = provenance(settings, result, config, lift_to)
    if symmetry != "none":
        meta["symmetry"] = symmetry
    if lift_neighbours:
        meta["lift_neighbours"] = lift_neighbours
    io.save(result.scheme, out_dir / "best.json", meta=meta)
    job = SearchJob(result, lifted, out_dir, meta)
    keep = [result.scheme] if not lift_to or lifted else []
    if lifted is not None:
        io.save(lifted.scheme, out_dir / "lifted.json", meta={**meta, "lifted": lifted.ring,
                                                              **({"neighbour": neighbour}
                                                                 if neighbour else {})})
        keep.append(lifted.scheme)
    if save and keep:
        from .db import default_database

        database = default_database(db_path)
        answers = database.add_many([(s, meta) for s in keep])
        job.new = sum(added for _, added in answers)
        job.known, job.saved_to = len(keep) - job.new, str(database.path)
    return job


def _keep_best(path: Path, settings):
    """A callback that rewrites ``path`` (atomically) with the job's verified improvements, so a
    killed search keeps its best scheme; the final write adds the full provenance. On large
    formats (a 16x16x16 file is 3 M numbers) it writes at most a tenth of the time: an improvement
    coming sooner after a write waits for the next one."""
    written = {"rank": None}
    writing = Pacer(0.1)

    def keep(scheme: Scheme) -> None:
        if (written["rank"] is None or scheme.rank < written["rank"]) and writing.due():
            with writing.timed():
                io.save(scheme, path, meta={"source": "flipgraph search",
                                            "target": settings.target.id, "ring": settings.ring,
                                            "seed": settings.seed, "in_progress": True})
            written["rank"] = scheme.rank
    return keep


def provenance(settings, result, config, lift_to: str | None) -> dict:
    """The meta written with a search result: what ran, with which settings, on what."""
    from ._version import __version__

    return {"source": "flipgraph search", "target": settings.target.id,
            "format": settings.target.label, "ring": settings.ring, "seed": settings.seed,
            "workers": settings.workers, "pool_size": settings.pool_size,
            "path_limit": settings.path_limit, "plus_after": settings.plus_after,
            "reset_flips": settings.reset_flips, "stall_flips": settings.stall_flips,
            "windows": settings.windows, "target_rank": settings.target_rank,
            "lift_to": lift_to, "flips": result.flips, "seconds": round(result.elapsed, 3),
            "config": str(config) if config else None, "engine": f"flipgraph {__version__}",
            "date": time.strftime("%Y-%m-%d")}


def _search_until_lift(settings, lift_to, on_progress, log_path, search_args, symmetry="none",
                       neighbours=0):
    """The search; with ``lift_to``, repeated with fresh seeds (within the time limit) until a
    result (or one of its ``neighbours``, see :func:`lift_or_neighbour`) lifts to that ring.
    Returns (SearchResult, LiftResult or None, number of the neighbour lifted or 0)."""
    from .walks import run_search
    from .walks.symmetric import symmetric_search

    search = symmetric_search if symmetry == "c3" else run_search
    result = search(settings, on_progress=on_progress, log_path=log_path, **search_args)
    if not lift_to:
        return result, None, 0
    search_args.pop("resume", None)
    deadline = time.perf_counter() + (settings.time_limit or 0) - result.elapsed
    attempt = 0
    while True:
        lifted, neighbour = lift_or_neighbour(result.scheme, lift_to, neighbours, settings.seed)
        if lifted.ok or result.interrupted or time.perf_counter() >= deadline:
            return result, (lifted if lifted.ok else None), neighbour
        attempt += 1
        settings.seed += 1_000_003 * attempt
        settings.time_limit = max(1.0, deadline - time.perf_counter())
        result = search(settings, on_progress=on_progress, log_path=log_path, **search_args)


def lift_or_neighbour(scheme: Scheme, to: str, neighbours: int = 0, seed: int = 0):
    """Lift ``scheme`` to ``to``; when it does not lift, lift in turn up to ``neighbours``
    distinct schemes of its rank (or lower) met by a fixed-rank walk from it
    (:func:`flipgraph.walks.alternatives.alternatives`, seeded by ``seed``) and stop at the first
    that lifts. Returns (LiftResult, n): n numbers the neighbour lifted (1 = the first met), 0
    for ``scheme`` itself. A Z2 record that provably does not lift often has neighbours that do
    (3x4x5 rank 47: 34 of 300)."""
    lifted = lift(scheme, to=to)
    if lifted.ok or neighbours < 1:
        return lifted, 0
    from .walks.alternatives import alternatives

    for number, other in enumerate(alternatives(scheme, neighbours, ring=scheme.ring.name,
                                                seed=seed, time_limit=None), 1):
        attempt = lift(other, to=to)
        if attempt.ok:
            return attempt, number
    return lifted, 0


def start_scheme(path, target, ring: str, *, fmt=None, key=None, read_ring=None) -> Scheme:
    """The scheme of the file ``path`` (format ``fmt``, entry ``key``, read in ``read_ring``;
    default: as the file says) as the start of a ``ring`` walk on ``target``: moved to the target's
    format through a symmetry if need be, read in the walk's ring (a Z scheme with coefficients
    beyond ±1 starts a ZT walk from its ternary form, :mod:`flipgraph.ternary`); one-line errors
    naming the file."""
    scheme = resolve(str(path), fmt=fmt, key=key, ring=read_ring).scheme
    if scheme.target != target:
        if not (scheme.target.is_matmul and target.is_matmul):
            raise FlipgraphError(f"{path}: holds a {scheme.format_str} scheme, not {target.label}")
        try:
            scheme = scheme.to_format(*target.format)
        except FlipgraphError:
            raise FlipgraphError(f"{path}: holds a {scheme.format_str} scheme, not "
                                 f"{target.label}") from None
    if ring == "zt" and scheme.ring.name == "z" and outside(scheme):
        ternary = ternary_form(scheme)
        if ternary is None:
            raise FlipgraphError(f"{path}: cannot start a zt walk from this z scheme: it has "
                                 f"coefficients beyond ±1 and no ternary form was found near it")
        return ternary
    try:
        return scheme.over(ring)
    except FlipgraphError as exc:
        raise FlipgraphError(f"{path}: cannot start a {ring} walk from this {scheme.ring} "
                             f"scheme ({exc})") from None


# --------------------------------------------------------------------------- folder import
def scheme_files(path) -> list[Path]:
    """``path`` itself, or the files under the folder ``path`` with a suffix flipgraph reads
    (hidden files skipped), sorted."""
    path = Path(path)
    if not path.is_dir():
        return [path]
    suffixes = {f.suffix for f in io.FORMATS.values()}
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes
                  and not p.name.startswith("."))


def read_for_import(file, ring=None) -> list[tuple[Scheme, dict, dict]]:
    """(scheme, provenance, metrics) for every scheme in ``file``; a reduced JSON (``u_fresh``)
    also gives the reduced addition count of its straight-line program. A file that says where its
    scheme came from (native meta, a flipgraph reduced file's provenance) keeps that provenance
    with an ``import`` step added; others get ``{"source": FILE, "method": "import"}``."""
    file = Path(file)
    metrics = {}
    if file.name.endswith(".json") and _is_reduced_json(str(file)):
        from .io.reduced import read_reduced

        slp = read_reduced(file)               # exactly checked straight-line program
        metrics = {"reduced_additions": slp.additions.total}
    items = []
    for found in resolve_all(file, ring=ring):
        if found.meta.get("source"):
            meta = carry(found, "import", {})
        else:
            meta = {**found.meta, "source": found.source, "method": "import"}
        items.append((found.scheme, meta, metrics))
    return items


@dataclass
class ImportReport:
    read: int
    added: int
    known: int
    skipped: list[str]


def import_files(database, paths, *, ring=None, strict: bool = False,
                 progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import scheme files and folders into ``database`` in one transaction. Every scheme is
    verified first; unreadable files and invalid schemes are skipped and listed (``strict``: the
    first one is an error and nothing is written)."""
    items, skipped = [], []
    for path in paths:
        for file in scheme_files(path):
            try:
                items.extend(read_for_import(file, ring))
            except FlipgraphError as exc:
                if strict:
                    raise
                skipped.append(str(exc))
    if not items:
        raise FlipgraphError(f"no readable scheme in {', '.join(map(str, paths))}")

    def invalid(position, message):
        if strict:
            raise FlipgraphError(message)
        skipped.append(message)

    results = database.add_many(items, progress=progress, on_invalid=invalid)
    added = sum(1 for _, new in results if new)
    known = sum(1 for key, new in results if key and not new)
    return ImportReport(len(items), added, known, skipped)


# --------------------------------------------------------------------------- alternatives
@dataclass
class AlternativesJob:
    """Distinct schemes of one rank written to ``out_dir`` (alt-001.json, ...)."""

    schemes: list
    files: list[Path]
    seconds: float
    saved_to: str | None = None
    new: int = 0


def collect_alternatives(start: Resolved, count: int, *, ring: str | None = None,
                         out_dir=None, seed: int = 0, time_limit: float | None = 60.0,
                         save: bool = True, db_path=None) -> AlternativesJob:
    """Walk at fixed rank from ``start`` and keep ``count`` distinct schemes (see
    :mod:`flipgraph.walks.alternatives`); write each with its provenance and save them."""
    from .walks.alternatives import alternatives

    began = time.perf_counter()
    found = alternatives(start.scheme, count, ring=ring, seed=seed, time_limit=time_limit)
    seconds = time.perf_counter() - began
    label = start.scheme.target.label.replace(":", "-")
    out_dir = Path(out_dir or f"runs/{label}-alternatives-{time.strftime('%Y%m%d-%H%M%S')}")
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = {"source": "flipgraph search --keep-rank", "from": start.source, "seed": seed,
            "date": time.strftime("%Y-%m-%d")}
    files = []
    for number, scheme in enumerate(found, 1):
        files.append(out_dir / f"alt-{number:03d}.json")
        io.save(scheme, files[-1], meta={**meta, "number": number})
    job = AlternativesJob(found, files, seconds)
    if save and found:
        from .db import default_database

        database = default_database(db_path)
        job.new = sum(added for _, added in database.add_many([(s, meta) for s in found]))
        job.saved_to = str(database.path)
    return job


# --------------------------------------------------------------------------- run folders
@dataclass
class RunAdded:
    """What ``db add`` did with one scheme of a run folder: ``added`` (stored now), ``known`` (the
    same scheme was stored), or neither (held back by ``improvements_only``: ``beaten_by`` is the
    stored entry at least as good)."""

    file: Path
    scheme: Scheme
    added: bool = False
    known: bool = False
    beaten_by: object = None           # db.Entry


def add_runs(database, runs, *, improvements_only: bool = False) -> list[RunAdded]:
    """Store the results of search output folders (OUT/best.json, OUT/lifted.json; see
    :func:`flipgraph.db.runs.read_run`) in ``database`` with the search's provenance, the folder
    and its log. ``improvements_only``: store a scheme only when the database (as it was before
    the call) holds nothing as good for its target and ring — a lower rank, or the same rank with
    fewer naive additions in the same format, is an improvement."""
    from .db.runs import read_run

    results = [found for run in runs for found in read_run(run)]
    answers, items = [], []
    for found in results:
        beaten_by = _as_good(database, found.scheme) if improvements_only else None
        answers.append(RunAdded(found.file, found.scheme, beaten_by=beaten_by))
        if beaten_by is None:
            items.append((len(answers) - 1, (found.scheme, found.provenance)))
    if items:
        stored = database.add_many([item for _, item in items])
        for (position, _), (_, added) in zip(items, stored):
            answers[position].added, answers[position].known = added, not added
    return answers


def save_if_better(database, scheme: Scheme, provenance: dict) -> bool:
    """Store ``scheme`` (verified by the store) with ``provenance`` when ``database`` holds
    nothing as good valid over its ring (see :func:`add_runs`); True when stored."""
    if _as_good(database, scheme) is not None:
        return False
    return database.add(scheme, provenance)[1]


def _as_good(database, scheme: Scheme):
    """The best stored entry valid over ``scheme``'s ring that is at least as good (rank, then
    naive additions in the same format), or None."""
    from .additions import naive_additions

    held = database.query(scheme.target, ring=scheme.ring.name)
    if not held:
        return None
    if held[0].rank != scheme.rank:
        return held[0] if held[0].rank < scheme.rank else None
    same = [e for e in held if e.rank == scheme.rank and e.target == scheme.target.id]
    if not same:
        return held[0]
    fewest = min(same, key=lambda e: e.naive_additions)
    return fewest if fewest.naive_additions <= naive_additions(scheme).total else None


# --------------------------------------------------------------------------- lift and reduce
@dataclass
class Lifted:
    """One scheme of a file, lifted: ``label`` names it, ``written`` is the file (or None)."""

    label: str
    source: Resolved
    result: LiftResult
    written: Path | None = None


def lift_files(paths, *, to: str = "z", steps=None, tries: int = 8, key=None, ring=None, fmt=None,
               out_dir=None):
    """Lift every scheme of the files ``paths`` (one ``key`` of a many-scheme file, read in
    ``ring`` / as ``fmt`` when given); yield a :class:`Lifted` per scheme. With ``out_dir`` each
    lifted scheme is written there as ``<stem>-<ring>.json`` with the provenance carried forward:
    the source's own meta (e.g. the search it came from) plus a ``lift`` record."""
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    for path in paths:
        found = resolve_all(path, fmt=fmt, ring=ring, key=key)
        for item in found:
            entry = key or item.meta.get("key")
            label = f"{path}[{entry}]" if entry and (len(found) > 1 or key) else str(path)
            result = lift(item.scheme, to=to, steps=steps, tries=tries)
            done = Lifted(label, item, result)
            if out_dir is not None and result.ok:
                done.written = Path(out_dir) / f"{item.name}-{result.ring}.json"
                io.save(result.scheme, done.written, meta=carry(item, "lift", {
                    "ring": result.ring, "method": result.method, "steps": result.steps,
                    "source_ring": item.scheme.ring.name}))
            yield done


def carry(source: Resolved, step: str, facts: dict) -> dict:
    """Provenance of a scheme made from ``source`` by ``step`` (lift, reduce, ...): the source's
    meta kept whole (so a lifted or reduced scheme still names the search it came from), the
    step's facts under its name, and ``history``: every step so far, oldest first."""
    meta = dict(source.meta)
    history = list(meta.get("history", [])) or ([meta["source"]] if "source" in meta else [])
    meta[step] = {"from": source.source, **facts}
    meta["history"] = history + [step]
    return meta
