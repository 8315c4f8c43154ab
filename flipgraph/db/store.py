"""The scheme store: verified schemes of any target in an HDF5 file, deduplicated by canonical
hash (file layout: :mod:`flipgraph.db.layout`).

Schemes are stored as given (term order and scaling kept); two schemes with the same canonical
form are one entry. A characteristic-0 scheme is stored in the smallest ring holding its
coefficients (zt, then z, then q); when a duplicate arrives in a smaller ring it replaces the entry.

Rings: a query without a ring hands out only schemes valid over Z/Q (zt, z, q) first — a mod-2
or mod-3 scheme computes wrong products over the integers, so :meth:`Database.best` returns one
only when asked for that ring, and :meth:`Database.query` lists them after the others.

Fault safety: every write takes an exclusive ``fcntl.flock`` on ``<file>.lock``, reads the file
into memory (upgrading a version-1 file), applies the changes there and writes the new file with
:func:`flipgraph.atomic.write_bytes` (temporary file, fsync, ``os.replace``, fsync of the folder);
a batch that changes nothing leaves the file as it is.
A scheme is acknowledged when :meth:`Database.add` returns; a process killed at any moment, or a
full disk, leaves the old file or the new one, never a half-written one. Every scheme is verified
(:func:`flipgraph.verify`) before it is written.

Example::

    >>> db = Database("/tmp/my.h5")                                    # doctest: +SKIP
    >>> db.add(classics.strassen(), {"source": "flipgraph.classics.strassen"})
    ('5f1c…', True)
    >>> scheme, entry = db.best(2, 2, 2)
    >>> scheme, entry = db.best_for("mm:2x2x2", ring="z2")
"""
from __future__ import annotations

import datetime
import fcntl
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import h5py
import numpy as np

from .. import atomic
from ..additions import naive_additions, stability_factor
from ..errors import FlipgraphError, SchemeError
from ..rings import ring as as_ring, smallest_ring
from ..scheme import Scheme
from ..tensors import Target, parse_target
from ..verify import verify
from .layout import (SCHEMA_VERSION as layout_SCHEMA_VERSION,
    image as layout_image,
    in_memory as layout_in_memory,
    read_index as layout_read_index,
    read_provenance as layout_read_provenance,
    read_scheme as layout_read_scheme,
    schema_version as layout_schema_version,
    set_reduced_additions as layout_set_reduced_additions,
    write_scheme as layout_write_scheme)

_CHAR0_ORDER = {"zt": 0, "z": 1, "q": 2}
#: rings whose schemes are handed out when no ring is asked for: those valid over Z/Q
CHAR0_RINGS = ("zt", "z", "q")
# rings whose schemes are valid over the key ring (zt is valid everywhere; integer schemes reduce
# mod p; q schemes are left out of z2/z3 since a denominator may be divisible by p)
_USABLE_OVER = {"zt": ("zt",), "z": ("zt", "z"), "q": ("zt", "z", "q"),
                "z2": ("z2", "zt", "z"), "z3": ("z3", "zt", "z")}


def usable_rings(ring) -> tuple[str, ...]:
    """Names of the rings whose stored schemes are valid over ``ring`` (zt counts everywhere)."""
    return _USABLE_OVER[as_ring(ring).name]


# the symmetries tried to move a scheme to a permutation of its format, in this order
_SYMMETRY_WORDS = ((), ("cyclic",), ("cyclic", "cyclic"), ("transpose",),
                   ("transpose", "cyclic"), ("transpose", "cyclic", "cyclic"))


@dataclass(frozen=True)
class Entry:
    """One stored scheme as the index describes it. ``target`` is its target's id (``mm:3x3x4``,
    ``user:<hash>``), ``format`` the (n, m, p) of a matrix multiplication (None for other
    targets), ``source`` the database file holding it. Additions and stability are those of the
    stored orientation, except in the entry that :meth:`Database.best` returns: there they are
    the moved scheme's, ``symmetry`` names the move (empty when none was needed) and
    ``provenance`` is filled (else see :meth:`Database.provenance`)."""

    hash: str
    format: tuple[int, int, int] | None
    ring: str
    rank: int
    naive_additions: int
    naive_by_output: tuple[int, int, int] = (0, 0, 0)
    reduced_additions: int | None = None
    stability: int = 0
    source: str = ""
    symmetry: tuple[str, ...] = ()
    stored_format: tuple[int, int, int] | None = None
    provenance: dict = field(default_factory=dict, compare=False)
    target: str = ""
    target_name: str = ""

    def __post_init__(self):
        if not self.target and self.format is not None:          # built by hand for a matmul
            ident = "mm:" + "x".join(map(str, self.format))
            object.__setattr__(self, "target", ident)
            object.__setattr__(self, "target_name", ident)

    @property
    def format_str(self) -> str:
        """``3x3x4`` for a matrix multiplication, the target's name otherwise."""
        return "x".join(map(str, self.format)) if self.format else self.target_name

    @property
    def additions(self) -> int:
        """Fewest known additions: the reduced count when known, else the naive one."""
        return self.reduced_additions if self.reduced_additions is not None else self.naive_additions

    def describe_symmetry(self) -> str:
        """'' when stored as asked, else e.g. 'stored as 3x3x4, moved by transpose·cyclic'."""
        if not self.symmetry:
            return ""
        return (f"stored as {'x'.join(map(str, self.stored_format))}, "
                f"moved by {'·'.join(self.symmetry)}")


# --------------------------------------------------------------------------- locations
def user_path() -> Path:
    """The user database: $FLIPGRAPH_DB, else $XDG_DATA_HOME/flipgraph/schemes.h5
    (~/.local/share/flipgraph/schemes.h5 when XDG_DATA_HOME is unset)."""
    if os.environ.get("FLIPGRAPH_DB"):
        return Path(os.environ["FLIPGRAPH_DB"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "flipgraph" / "schemes.h5"


def shipped_path() -> Path:
    """The shipped, read-only catalogue: flipgraph/catalogue/catalogue.h5 in an installed
    package (package data, mapped from schemes/ by pyproject.toml), else schemes/catalogue.h5 of
    the source tree the package is imported from."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "catalogue" / "catalogue.h5"
    return installed if installed.exists() else package.parent / "schemes" / "catalogue.h5"


def default_database(path: str | Path | None = None, catalogue: bool = True) -> Database:
    """The user database (``path`` or :func:`user_path`) layered over the shipped catalogue."""
    layers = [shipped_path()] if catalogue else []
    return Database(path or user_path(), layers=layers)


# --------------------------------------------------------------------------- the database
class Database:
    """A writable scheme database at ``path`` (created on first write), optionally layered over
    read-only databases ``layers`` (queries see all of them; writes go to ``path`` only).

    Public API: :meth:`add`, :meth:`add_many`, :meth:`query`, :meth:`best` / :meth:`best_for`,
    :meth:`get`, :meth:`check`, iteration over :class:`Entry` (all layers, deduplicated by hash)
    and ``len``. Targets are given as a Target, a target id (``mm:3x3x3``, ``user:…``), a stored
    target's name, a format ``(n, m, p)`` or ``"3x3x3"``.
    """

    def __init__(self, path: str | Path, layers=(), readonly: bool = False):
        self.path = Path(path)
        self.layers = [Path(x) for x in layers if Path(x).resolve() != self.path.resolve()]
        self.readonly = readonly

    # ------------------------------------------------------------- writing
    def add(self, scheme: Scheme, provenance: dict | None = None, *,
            reduced_additions: int | None = None) -> tuple[str, bool]:
        """Verify ``scheme`` and store it. Returns (canonical hash, added); added is False when the
        same scheme (up to term order and scaling) was already stored in the same or a smaller ring
        (a smaller ``reduced_additions`` than the stored one still updates that count).
        Raises SchemeError if the scheme is invalid. Acknowledged (durable) once it returns."""
        metrics = {"reduced_additions": reduced_additions}
        return self.add_many([(scheme, provenance or {}, metrics)])[0]

    def add_many(self, items, progress=None, on_invalid=None) -> list[tuple[str | None, bool]]:
        """Store many schemes in one transaction (one file replacement). ``items``: Schemes, or
        (scheme, provenance) or (scheme, provenance, {"reduced_additions": …}) tuples.
        Everything is verified first. An invalid scheme aborts the whole batch (SchemeError), or,
        with ``on_invalid(position, message)``, is reported there, skipped and answered
        (None, False). ``progress(done, total)`` is called after each scheme is verified."""
        if self.readonly:
            raise FlipgraphError(f"{self.path}: this database is read-only")
        items = list(items)
        out, todo = [(None, False)] * len(items), []
        below = {e.hash: e for path in self.layers if path.exists() for e in _read_index(path)}
        for position, item in enumerate(items):
            try:
                record = _prepare(item, position)
            except SchemeError as exc:
                if on_invalid is None:
                    raise
                on_invalid(position, str(exc))
                record = None
            if progress:
                progress(position + 1, len(items))
            if record is None:
                continue
            scheme, key, _, metrics = record
            shipped = below.get(key)
            if (shipped and not _smaller(scheme.ring.name, shipped.ring)
                    and not _better(metrics, shipped.reduced_additions)):
                out[position] = (key, False)          # already in a layer below
            else:
                todo.append((position, record))
        if todo:
            with self._transaction() as (f, changed):
                for position, record in todo:
                    out[position] = _write(f, changed, *record)
        return out

    @contextmanager
    def _transaction(self):
        """Exclusive lock; yield an in-memory copy of the database (upgraded to the current
        schema) and a list, to which the caller appends what it changed; then, if anything was,
        replace the file with the copy atomically."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = open(f"{self.path}.lock", "a")
        except OSError as exc:
            raise FlipgraphError(f"{self.path}: not written: {exc.strerror or exc}") from None
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for stale in self.path.parent.glob(atomic.temporary_pattern(self.path)):
                stale.unlink(missing_ok=True)          # left by a killed writer (we hold the lock)
            changed = []
            with layout_in_memory(self.path) as f:
                yield f, changed
                data = layout_image(f) if changed else None
            if data is not None:
                atomic.write_bytes(self.path, data)

    # ------------------------------------------------------------- reading
    def files(self) -> list[Path]:
        """The database files that exist, the writable one first."""
        return [p for p in [self.path, *self.layers] if p.exists()]

    def entries(self) -> list[Entry]:
        """Every stored scheme (all layers; a hash present in several layers is listed once, from
        the first layer holding it — the writable database wins)."""
        seen, out = set(), []
        for path in self.files():
            for entry in _read_index(path):
                if entry.hash not in seen:
                    seen.add(entry.hash)
                    out.append(entry)
        return out

    def __iter__(self):
        return iter(self.entries())

    def __len__(self) -> int:
        return len(self.entries())

    def query(self, target=None, ring=None, rank=None, max_rank=None, max_additions=None,
              symmetric: bool = True, *, format=None) -> list[Entry]:
        """Entries matching every given filter, best first: rank, then additions — and without
        ``ring``, every scheme valid over Z/Q before the mod-p ones.

        ``target``: a Target, id, stored name or format (see the class docstring). For a matrix
        multiplication with ``symmetric``, schemes stored in a permutation of its format count
        too (they become this format through transpose/cyclic; :meth:`best` applies the move).
        ``ring``: schemes valid over that ring (zt schemes are valid everywhere; z ⊂ q; zt and z
        schemes count for z2/z3 too, q ones do not). ``max_additions`` is on the stored
        orientation. ``format=`` is the version-1 name of ``target``."""
        target = format if target is None else target
        usable = usable_rings(ring) if ring is not None else None
        match = _matcher(target, symmetric)
        out = [e for e in self.entries()
               if match(e) and (usable is None or e.ring in usable)
               and (rank is None or e.rank == rank) and (max_rank is None or e.rank <= max_rank)
               and (max_additions is None or e.additions <= max_additions)]
        out.sort(key=lambda e: (ring is None and e.ring not in CHAR0_RINGS, e.rank, e.additions,
                                _CHAR0_ORDER.get(e.ring, 3), e.hash))
        return out

    def find(self, prefix: str) -> Entry:
        """The entry whose hash starts with ``prefix`` (FlipgraphError if none or ambiguous)."""
        hits = [e for e in self.entries() if e.hash.startswith(prefix.lower())]
        if len(hits) != 1:
            why = "no scheme" if not hits else f"{len(hits)} schemes"
            raise FlipgraphError(f"{why} with hash prefix {prefix!r} in {self.where()}")
        return hits[0]

    def get(self, entry: Entry | str) -> Scheme:
        """The stored scheme of an entry (or a hash prefix), with its target, in its stored
        format."""
        entry = self.find(entry) if isinstance(entry, str) else entry
        with _open(Path(entry.source)) as f:
            return layout_read_scheme(f, entry.hash, entry.source)

    def provenance(self, entry: Entry) -> dict:
        with _open(Path(entry.source)) as f:
            return layout_read_provenance(f, entry.hash)

    def best(self, n, m: int | None = None, p: int | None = None, ring=None
             ) -> tuple[Scheme, Entry] | None:
        """``best(n, m, p, ring)`` for a format, or ``best(target, ring=…)``: see :meth:`best_for`."""
        return self.best_for(n if m is None and p is None else (n, m, p), ring)

    def best_for(self, target, ring=None) -> tuple[Scheme, Entry] | None:
        """The best scheme for ``target`` valid over ``ring`` — without a ring, valid over Z/Q
        (zt, z or q; a mod-p scheme is handed out only when its ring is asked for): lowest rank,
        then fewest additions in the asked orientation (reduced when known for it, else naive).
        For a matrix multiplication, a scheme stored in a permutation of the format is moved by
        transpose/cyclic (``entry.symmetry`` says which). The result is verified; None if no
        such scheme is stored."""
        over = as_ring(ring) if ring is not None else None
        fmt = resolve_target(target)[1]
        ranked = []
        for entry in self.query(target, ring=over if over is not None else "q"):
            word, additions = (), entry.additions
            if fmt is not None:
                word, output_role = _symmetry_word(entry.format, fmt)
                if word or entry.reduced_additions is None:
                    additions = entry.naive_by_output["UVW".index(output_role)]
            ranked.append(((entry.rank, additions, _CHAR0_ORDER.get(entry.ring, 3), entry.hash), entry, word))
        if not ranked:
            return None
        _, entry, word = min(ranked, key=lambda t: t[0])
        scheme = self.get(entry)
        if fmt is not None:
            scheme, _ = _move(scheme, fmt)
        if over is not None and scheme.ring != over:
            scheme = scheme.over(over)
        verdict = verify(scheme)
        if not verdict:
            raise SchemeError(f"{entry.source}: stored scheme {entry.hash[:12]} fails "
                              f"verification ({verdict}); run `flipgraph db check`")
        found = replace(entry, provenance=self.provenance(entry))
        if fmt is not None:
            found = replace(found, format=fmt, symmetry=word, stored_format=entry.format,
                            naive_additions=naive_additions(scheme).total,
                            reduced_additions=None if word else entry.reduced_additions,
                            stability=stability_factor(scheme), target=scheme.target.id,
                            target_name=scheme.target.id)
        return scheme, found

    def check(self, progress=None) -> list[str]:
        """Re-verify every stored scheme (all layers) and its index row; returns the problems found
        (empty when all is well). ``progress(done, total)`` is called after each scheme."""
        problems, entries = [], self.entries()
        for done, entry in enumerate(entries, 1):
            where = f"{entry.source}: {entry.hash[:12]}"
            try:
                scheme = self.get(entry)
            except (FlipgraphError, KeyError, OSError) as exc:
                problems.append(f"{where}: unreadable ({exc})")
                continue
            verdict = verify(scheme)
            if not verdict:
                problems.append(f"{where}: {verdict}")
            if scheme.canonical_hash() != entry.hash:
                problems.append(f"{where}: canonical hash differs from its key")
            if (scheme.target.id, scheme.rank, scheme.ring.name) != (entry.target, entry.rank, entry.ring):
                problems.append(f"{where}: index row disagrees with the stored scheme")
            if progress:
                progress(done, len(entries))
        return problems

    def stats(self) -> dict:
        """Counts per file (with its schema version), per ring and per target (formats with
        sorted dimensions)."""
        entries = self.entries()
        per_ring, per_format = {}, {}
        for e in entries:
            per_ring[e.ring] = per_ring.get(e.ring, 0) + 1
            key = "x".join(map(str, sorted(e.format))) if e.format else e.target_name
            per_format[key] = per_format.get(key, 0) + 1
        files = {str(p): {"schemes": len(_read_index(p)), "bytes": p.stat().st_size,
                          "schema_version": layout_schema_version(p)} for p in self.files()}
        return {"schema_version": layout_SCHEMA_VERSION, "schemes": len(entries), "files": files,
                "rings": per_ring, "formats": per_format}

    def where(self) -> str:
        """The database files, for messages."""
        return ", ".join(str(p) for p in [self.path, *self.layers])


# --------------------------------------------------------------------------- helpers: queries
_FORMAT_LIKE = re.compile(r"[\d\sx,*]+|mm:.*", re.IGNORECASE)


def resolve_target(target) -> tuple[str, tuple[int, int, int] | None] | None:
    """(id or name, format or None) of what a query names as its target — a Target, an id, a
    stored target's name, a format (n, m, p) or "NxMxP"; None for None. SchemeError for a
    malformed format such as "3x3"."""
    if target is None:
        return None
    if isinstance(target, Target):
        return target.id, target.format
    if isinstance(target, str) and not _FORMAT_LIKE.fullmatch(target.strip()):
        return target.strip(), None                  # a non-matmul target's id or name
    parsed = parse_target(target)
    return parsed.id, parsed.format


def _matcher(target, symmetric: bool):
    """A predicate on entries: does the entry decompose ``target``?"""
    wanted = resolve_target(target)
    if wanted is None:
        return lambda e: True
    ident, fmt = wanted
    if fmt is not None and symmetric:
        return lambda e: e.format is not None and sorted(e.format) == sorted(fmt)
    return lambda e: ident in (e.target, e.target_name)


# --------------------------------------------------------------------------- helpers: writing
def _prepare(item, position: int):
    """(scheme in its smallest ring, hash, provenance, metrics), after verification."""
    if isinstance(item, Scheme):
        item = (item,)
    scheme, provenance, metrics = (tuple(item) + ({}, {}))[:3]
    if not isinstance(scheme, Scheme):
        raise FlipgraphError(f"item {position}: expected a Scheme, got {type(scheme).__name__}")
    provenance = dict(provenance or {})
    label = provenance.get("source", f"item {position}")
    if not scheme.ring.modulus:
        scheme = scheme.over(smallest_ring(np.concatenate([scheme.U.ravel(), scheme.V.ravel(),
                                                           scheme.W.ravel()])))
    verdict = verify(scheme)
    if not verdict:
        raise SchemeError(f"{label}: refusing to store an invalid {scheme.format_str} scheme: {verdict}")
    from .._version import __version__

    provenance.setdefault("engine_version", __version__)
    provenance.setdefault("date", datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
    metrics = {k: v for k, v in (metrics or {}).items() if v is not None}
    unknown = set(metrics) - {"reduced_additions"}
    if unknown:
        raise FlipgraphError(f"{label}: unknown metric(s) {', '.join(sorted(unknown))}")
    return scheme, scheme.canonical_hash(), provenance, metrics


def _smaller(new: str, old: str) -> bool:
    """True when ring ``new`` is strictly smaller than ``old`` (zt < z < q; same hash, char 0)."""
    return new in _CHAR0_ORDER and old in _CHAR0_ORDER and _CHAR0_ORDER[new] < _CHAR0_ORDER[old]


def _better(metrics: dict, reduced: int | None) -> bool:
    """True when ``metrics`` brings a reduced addition count below ``reduced`` (None: unknown)."""
    new = metrics.get("reduced_additions")
    return new is not None and (reduced is None or new < reduced)


def _write(f: h5py.File, changed: list, scheme: Scheme, key: str, provenance: dict,
           metrics: dict) -> tuple[str, bool]:
    """Store one prepared scheme in ``f``; append its key to ``changed`` if ``f`` changed."""
    reduced = metrics.get("reduced_additions")
    if key in f["schemes"]:
        stored = int(f["schemes"][key].attrs["reduced_additions"])
        stored = stored if stored >= 0 else None
        if not _smaller(scheme.ring.name, f["schemes"][key].attrs["ring"]):
            if _better(metrics, stored):
                layout_set_reduced_additions(f, key, reduced)
                changed.append(key)
            return key, False
        if not _better(metrics, stored):      # the same scheme in a smaller ring replaces it
            reduced = stored
    layout_write_scheme(f, scheme, key, provenance, reduced, _naive_by_output(scheme),
                        stability_factor(scheme))
    changed.append(key)
    return key, True


# --------------------------------------------------------------------------- helpers: reading
@contextmanager
def _open(path: Path):
    layout_schema_version(path)
    with h5py.File(path, "r") as f:
        yield f


def _read_index(path: Path) -> list[Entry]:
    with _open(path) as f:
        rows = layout_read_index(f)
    return [Entry(hash=row["hash"], format=row["format"], ring=row["ring"], rank=row["rank"],
                  naive_additions=row["naive_by_output"][2], naive_by_output=row["naive_by_output"],
                  reduced_additions=row["reduced_additions"], stability=row["stability"],
                  source=str(path), target=row["target"], target_name=row["target_name"])
            for row in rows]


def _symmetry_word(stored, fmt) -> tuple[tuple[str, ...], str]:
    """The first word of symmetries taking format ``stored`` to ``fmt``, and which stored matrix
    (U, V or W) gives the outputs afterwards. transpose: (n,m,p) -> (p,m,n), roles (V,U,W);
    cyclic: (n,m,p) -> (m,p,n), roles (V,W,U) — as Scheme.transpose / Scheme.cyclic."""
    for word in _SYMMETRY_WORDS:
        (n, m, p), roles = tuple(stored), "UVW"
        for op in word:
            if op == "transpose":
                (n, m, p), roles = (p, m, n), roles[1] + roles[0] + roles[2]
            else:
                (n, m, p), roles = (m, p, n), roles[1] + roles[2] + roles[0]
        if (n, m, p) == tuple(fmt):
            return word, roles[2]
    raise SchemeError(f"{'x'.join(map(str, fmt))} is not a permutation of {'x'.join(map(str, stored))}")


def _move(scheme: Scheme, fmt: tuple[int, int, int]) -> tuple[Scheme, tuple[str, ...]]:
    """``scheme`` moved to the permutation ``fmt`` of its format, and the word of symmetries used."""
    word, _ = _symmetry_word(scheme.format, fmt)
    for op in word:
        scheme = scheme.transpose() if op == "transpose" else scheme.cyclic()
    return scheme, word


def _naive_by_output(scheme: Scheme) -> tuple[int, int, int]:
    """Naive additions of the scheme moved so that U, V or W (in this order) gives the outputs.
    A matrix giving the inputs costs nnz − nonzero rows (one form per product); the one giving
    the outputs costs nnz − nonzero columns (one form per output entry). The symmetries only
    reshape each term, so these counts rank moved schemes without moving them. (For a target
    that is not a matrix multiplication only the last, W as outputs, is meaningful.)"""
    mats = (scheme.U, scheme.V, scheme.W)
    nnz = [int((x != 0).sum()) for x in mats]
    rows = [int((x != 0).any(axis=1).sum()) for x in mats]
    cols = [int((x != 0).any(axis=0).sum()) for x in mats]
    inputs = [a - b for a, b in zip(nnz, rows)]
    return tuple(sum(inputs) - inputs[k] + nnz[k] - cols[k] for k in range(3))
