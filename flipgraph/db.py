"""The scheme database: verified schemes in an HDF5 file, deduplicated by canonical hash.

File layout (schema version 1)::

    /                    attrs: schema_version = 1, kind = "flipgraph-schemes"
    /index               compound table, one row per scheme (hash, n, m, p, ring, rank, naive and
                         reduced additions, stability factor): what queries read. Additions and
                         stability are those of the stored orientation
    /schemes/<hash>      one group per scheme, keyed by Scheme.canonical_hash()
        attrs            format "NxMxP", ring, rank, naive_additions, reduced_additions (-1 when
                         unknown), stability (Bini–Lotti factor), provenance (JSON text)
        U, V, W          the coefficients in the project convention (C not transposed): integer
                         rings as the smallest of int8/int16/int32/int64 that holds them; Q as
                         (numerator, denominator) pairs, shape (r, cols, 2), same integer types;
                         gzip-compressed from 4096 entries on

Schemes are stored as given (term order and scaling kept); two schemes with the same canonical
form are one entry. A characteristic-0 scheme is stored in the smallest ring holding its
coefficients (zt, then z, then q); when a duplicate arrives in a smaller ring it replaces the entry.

Fault safety: every write takes an exclusive ``fcntl.flock`` on ``<file>.lock``, copies the file to
a temporary file in the same folder, appends there, fsyncs, ``os.replace``s it over the database
and fsyncs the folder. A scheme is acknowledged when :meth:`Database.add` returns; a process killed
at any moment leaves either the old or the new file, never a half-written one. Every scheme is
verified (:func:`flipgraph.verify`) before it is written.

Example::

    >>> db = Database("/tmp/my.h5")                                    # doctest: +SKIP
    >>> db.add(classics.strassen(), {"source": "flipgraph.classics.strassen"})
    ('5f1c…', True)
    >>> scheme, entry = db.best(2, 2, 2)
"""
from __future__ import annotations

import datetime
import fcntl
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import h5py
import numpy as np

from .additions import naive_additions, stability_factor
from .errors import FlipgraphError, SchemeError
from .rings import Q, ring as as_ring, smallest_ring
from .scheme import Scheme
from .verify import verify

SCHEMA_VERSION = 1
KIND = "flipgraph-schemes"

_INDEX_DTYPE = np.dtype([("hash", "S64"), ("n", "i4"), ("m", "i4"), ("p", "i4"), ("ring", "S2"),
                         ("rank", "i4"), ("naive_by_output", "i8", (3,)), ("reduced_additions", "i8"),
                         ("stability", "i8")])
_COMPRESS_FROM = 4096        # datasets with this many entries or more are stored gzip-compressed
_CHAR0_ORDER = {"zt": 0, "z": 1, "q": 2}
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
    """One stored scheme as the index describes it. ``source`` is the database file holding it.
    Additions and stability are those of the stored orientation, except in the entry that
    :meth:`Database.best` returns: there they are the moved scheme's, ``symmetry`` names the
    move (empty when none was needed) and ``provenance`` is filled (else see
    :meth:`Database.provenance`)."""

    hash: str
    format: tuple[int, int, int]
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

    @property
    def format_str(self) -> str:
        return "x".join(map(str, self.format))

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
    """The shipped, read-only catalogue: schemes/catalogue.h5 next to the package."""
    import flipgraph

    return Path(flipgraph.__file__).resolve().parents[1] / "schemes" / "catalogue.h5"


def default_database(path: str | Path | None = None, catalogue: bool = True) -> Database:
    """The user database (``path`` or :func:`user_path`) layered over the shipped catalogue."""
    layers = [shipped_path()] if catalogue else []
    return Database(path or user_path(), layers=layers)


# --------------------------------------------------------------------------- the database
class Database:
    """A writable scheme database at ``path`` (created on first write), optionally layered over
    read-only databases ``layers`` (queries see all of them; writes go to ``path`` only).

    Public API: :meth:`add`, :meth:`add_many`, :meth:`query`, :meth:`best`, :meth:`get`,
    :meth:`check`, iteration over :class:`Entry` (all layers, deduplicated by hash) and ``len``.
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
            with self._transaction() as f:
                for position, record in todo:
                    out[position] = _write(f, *record)
        return out

    @contextmanager
    def _transaction(self):
        """Exclusive lock, copy to a temporary file, yield it open for writing, then fsync and
        atomically replace the database with it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{self.path}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _remove_stale_temporaries(self.path)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            os.chmod(tmp, self.path.stat().st_mode if self.path.exists() else 0o666 & ~_umask())
            try:
                with os.fdopen(fd, "wb") as out:
                    if self.path.exists():
                        _check_schema(self.path)
                        with open(self.path, "rb") as src:
                            while chunk := src.read(1 << 20):
                                out.write(chunk)
                with h5py.File(tmp, "r+" if self.path.exists() else "w", libver="latest") as f:
                    if "schemes" not in f:
                        _initialise(f)
                    yield f
                with open(tmp, "rb") as done:
                    os.fsync(done.fileno())
                os.replace(tmp, self.path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

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

    def query(self, format=None, ring=None, rank=None, max_rank=None, max_additions=None,
              symmetric: bool = True) -> list[Entry]:
        """Entries matching every given filter, sorted by (rank, additions).

        ``format`` (n, m, p): with ``symmetric`` also schemes stored in a permutation of it (they
        become this format through transpose/cyclic; :meth:`best` applies the move).
        ``ring``: schemes valid over that ring (zt schemes are valid everywhere; z ⊂ q; zt and z
        schemes count for z2/z3 too, q ones do not). ``max_additions`` is on the stored
        orientation."""
        usable = usable_rings(ring) if ring is not None else None
        want = tuple(format) if format is not None else None
        out = []
        for e in self.entries():
            if want is not None:
                if symmetric and sorted(e.format) != sorted(want):
                    continue
                if not symmetric and e.format != want:
                    continue
            if usable is not None and e.ring not in usable:
                continue
            if rank is not None and e.rank != rank:
                continue
            if max_rank is not None and e.rank > max_rank:
                continue
            if max_additions is not None and e.additions > max_additions:
                continue
            out.append(e)
        out.sort(key=lambda e: (e.rank, e.additions, _CHAR0_ORDER.get(e.ring, 3), e.hash))
        return out

    def find(self, prefix: str) -> Entry:
        """The entry whose hash starts with ``prefix`` (FlipgraphError if none or ambiguous)."""
        hits = [e for e in self.entries() if e.hash.startswith(prefix.lower())]
        if len(hits) != 1:
            why = "no scheme" if not hits else f"{len(hits)} schemes"
            raise FlipgraphError(f"{why} with hash prefix {prefix!r} in {self.where()}")
        return hits[0]

    def get(self, entry: Entry | str) -> Scheme:
        """The stored scheme of an entry (or a hash prefix), in its stored format."""
        entry = self.find(entry) if isinstance(entry, str) else entry
        with _open(Path(entry.source)) as f:
            return _read_scheme(f, entry.hash, entry.source)

    def provenance(self, entry: Entry) -> dict:
        with _open(Path(entry.source)) as f:
            return json.loads(f["schemes"][entry.hash].attrs["provenance"])

    def best(self, n: int, m: int, p: int, ring=None) -> tuple[Scheme, Entry] | None:
        """The best scheme for (n, m, p) valid over ``ring``: lowest rank, then fewest additions
        in the asked orientation (reduced when known for it, else naive). A scheme stored in a
        permutation of the format is moved by transpose/cyclic (``entry.symmetry`` says which).
        The result is verified; None if no scheme for any permutation of the format is stored."""
        target = as_ring(ring) if ring is not None else None
        ranked = []
        for entry in self.query((n, m, p), ring=target):
            word, output_role = _symmetry_word(entry.format, (n, m, p))
            additions = entry.naive_by_output["UVW".index(output_role)]
            if not word and entry.reduced_additions is not None:
                additions = entry.reduced_additions
            ranked.append(((entry.rank, additions, _CHAR0_ORDER.get(entry.ring, 3), entry.hash), entry, word))
        if not ranked:
            return None
        _, entry, word = min(ranked, key=lambda t: t[0])
        scheme, _ = _move(self.get(entry), (n, m, p))
        if target is not None and scheme.ring != target:
            scheme = scheme.over(target)
        verdict = verify(scheme)
        if not verdict:
            raise SchemeError(f"{entry.source}: stored scheme {entry.hash[:12]} fails "
                              f"verification ({verdict}); run `flipgraph db check`")
        moved = replace(entry, format=(n, m, p), symmetry=word, stored_format=entry.format,
                        naive_additions=naive_additions(scheme).total,
                        reduced_additions=None if word else entry.reduced_additions,
                        stability=stability_factor(scheme), provenance=self.provenance(entry))
        return scheme, moved

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
            if (scheme.format, scheme.rank, scheme.ring.name) != (entry.format, entry.rank, entry.ring):
                problems.append(f"{where}: index row disagrees with the stored scheme")
            if progress:
                progress(done, len(entries))
        return problems

    def stats(self) -> dict:
        """Counts per file, per ring and per format (sorted dimensions), schema version."""
        entries = self.entries()
        per_ring, per_format = {}, {}
        for e in entries:
            per_ring[e.ring] = per_ring.get(e.ring, 0) + 1
            key = "x".join(map(str, sorted(e.format)))
            per_format[key] = per_format.get(key, 0) + 1
        files = {str(p): {"schemes": len(_read_index(p)), "bytes": p.stat().st_size}
                 for p in self.files()}
        return {"schema_version": SCHEMA_VERSION, "schemes": len(entries), "files": files,
                "rings": per_ring, "formats": per_format}

    def where(self) -> str:
        """The database files, for messages."""
        return ", ".join(str(p) for p in [self.path, *self.layers])


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
    from . import __version__

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


def _initialise(f: h5py.File) -> None:
    f.attrs["schema_version"] = SCHEMA_VERSION
    f.attrs["kind"] = KIND
    f.create_group("schemes")
    f.create_dataset("index", shape=(0,), maxshape=(None,), dtype=_INDEX_DTYPE, chunks=(256,))


def _write(f: h5py.File, scheme: Scheme, key: str, provenance: dict, metrics: dict) -> tuple[str, bool]:
    schemes, index = f["schemes"], f["index"]
    row_number = None
    if key in schemes:
        row_number = int(np.flatnonzero(index["hash"] == key.encode())[0])
        stored = int(schemes[key].attrs["reduced_additions"])
        if not _smaller(scheme.ring.name, schemes[key].attrs["ring"]):
            if _better(metrics, stored if stored >= 0 else None):
                schemes[key].attrs["reduced_additions"] = metrics["reduced_additions"]
                index[row_number, "reduced_additions"] = metrics["reduced_additions"]
            return key, False
        if stored >= 0 and not _better(metrics, stored):
            metrics = {**metrics, "reduced_additions": stored}
        del schemes[key]                      # the same scheme in a smaller ring replaces it
    group = schemes.create_group(key)
    for name, mat in (("U", scheme.U), ("V", scheme.V), ("W", scheme.W)):
        data = _encode(mat, scheme.ring)
        big = {"compression": "gzip", "shuffle": True} if data.size >= _COMPRESS_FROM else {}
        group.create_dataset(name, data=data, **big)
    reduced = int(metrics.get("reduced_additions", -1))
    stability = stability_factor(scheme)
    by_output = _naive_by_output(scheme)
    naive = by_output[2]
    group.attrs.update({"format": scheme.format_str, "ring": scheme.ring.name, "rank": scheme.rank,
                        "naive_additions": naive, "reduced_additions": reduced,
                        "stability": stability, "provenance": json.dumps(provenance, sort_keys=True)})
    row = np.array([(key.encode(), *scheme.format, scheme.ring.name.encode(), scheme.rank, by_output,
                     reduced, stability)], dtype=_INDEX_DTYPE)
    if row_number is None:
        row_number = index.shape[0]
        index.resize((row_number + 1,))
    index[row_number] = row[0]
    return key, True


def _encode(mat: np.ndarray, ring) -> np.ndarray:
    """Integer rings: the smallest integer type holding ``mat``. Q: (numerator, denominator)
    pairs, shape (r, cols, 2), likewise in the smallest integer type."""
    if ring is Q:
        pairs = [(Fraction(x).numerator, Fraction(x).denominator) for x in mat.ravel()]
        if any(abs(a) >= 2**63 or b >= 2**63 for a, b in pairs):
            raise SchemeError("a rational coefficient does not fit int64 numerator/denominator storage")
        mat = np.array(pairs, dtype=np.int64).reshape(*mat.shape, 2)
    biggest = int(np.abs(mat).max()) if mat.size else 0
    dtype = next(t for t in (np.int8, np.int16, np.int32, np.int64) if biggest <= np.iinfo(t).max)
    return mat.astype(dtype)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove_stale_temporaries(path: Path) -> None:
    """Temporary files left by a killed writer (safe: we hold the lock)."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)


# --------------------------------------------------------------------------- helpers: reading
@contextmanager
def _open(path: Path):
    _check_schema(path)
    with h5py.File(path, "r") as f:
        yield f


def _check_schema(path: Path) -> None:
    """FlipgraphError unless ``path`` is a flipgraph database of a schema version we read."""
    try:
        with h5py.File(path, "r") as f:
            version = f.attrs.get("schema_version")
            kind = f.attrs.get("kind")
    except OSError as exc:
        raise FlipgraphError(f"{path}: not a readable HDF5 file ({exc})") from None
    if version is None or kind != KIND:
        raise FlipgraphError(f"{path}: not a flipgraph scheme database (no schema_version/kind "
                             f"attributes); pass another --db")
    if int(version) != SCHEMA_VERSION:
        age = "newer" if int(version) > SCHEMA_VERSION else "older"
        raise FlipgraphError(f"{path}: database schema version {int(version)} is {age} than this "
                             f"flipgraph's ({SCHEMA_VERSION}); use a matching flipgraph version "
                             f"or export and re-import the schemes")


def _read_index(path: Path) -> list[Entry]:
    with _open(path) as f:
        rows = f["index"][...]
    out = []
    for row in rows:
        reduced = int(row["reduced_additions"])
        out.append(Entry(hash=row["hash"].decode(), format=(int(row["n"]), int(row["m"]), int(row["p"])),
                         ring=row["ring"].decode(), rank=int(row["rank"]),
                         naive_additions=int(row["naive_by_output"][2]),
                         naive_by_output=tuple(int(x) for x in row["naive_by_output"]),
                         reduced_additions=reduced if reduced >= 0 else None,
                         stability=int(row["stability"]), source=str(path)))
    return out


def _read_scheme(f: h5py.File, key: str, source: str) -> Scheme:
    if key not in f["schemes"]:
        raise FlipgraphError(f"{source}: index names scheme {key[:12]} but no such group exists")
    group = f["schemes"][key]
    n, m, p = (int(x) for x in group.attrs["format"].split("x"))
    ring = as_ring(group.attrs["ring"])
    mats = []
    for name in ("U", "V", "W"):
        data = group[name][...]
        if ring is Q:
            flat = [Fraction(int(a), int(b)) for a, b in data.reshape(-1, 2)]
            mats.append(np.array(flat, dtype=object).reshape(data.shape[:2]))
        else:
            mats.append(data.astype(np.int64))
    return Scheme((n, m, p), *mats, ring)


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
    reshape each term, so these counts rank moved schemes without moving them."""
    mats = (scheme.U, scheme.V, scheme.W)
    nnz = [int((x != 0).sum()) for x in mats]
    rows = [int((x != 0).any(axis=1).sum()) for x in mats]
    cols = [int((x != 0).any(axis=0).sum()) for x in mats]
    inputs = [a - b for a, b in zip(nnz, rows)]
    return tuple(sum(inputs) - inputs[k] + nnz[k] - cols[k] for k in range(3))


# --------------------------------------------------------------------------- best known ranks
def best_known(path: str | Path | None = None) -> tuple[dict[tuple[int, int, int], int], str]:
    """Best known ranks {sorted format: rank} and the table's source, from a file in the
    fmm_sota.json layout ({"entries": [{"format": [n, m, p], "rank": R}, …]}); default: the small
    table shipped in flipgraph/data/best_known.json."""
    path = Path(path) if path else Path(__file__).parent / "data" / "best_known.json"
    try:
        data = json.loads(path.read_text())
        table = {tuple(sorted(int(x) for x in e["format"])): int(e["rank"]) for e in data["entries"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FlipgraphError(f"{path}: not a best-known-ranks table in the fmm_sota.json layout ({exc})") from None
    return table, str(data.get("source", path))


# --------------------------------------------------------------------------- the shipped catalogue
def build_catalogue(path: str | Path | None = None, runs=()) -> list[tuple[str, bool]]:
    """Add the classic hand-written schemes (flipgraph.classics) to the shipped catalogue
    (default schemes/catalogue.h5), and the results of ``flipgraph search`` runs: each folder in
    ``runs`` contributes its lifted.json (else best.json) with the search's own provenance
    (recipe, seed, engine, date). Only searches made by this engine are accepted. Idempotent."""
    from . import io
    from .classics import CLASSICS

    items = [(make(), {"source": f"flipgraph.classics.{name}", "method": "hand-written"})
             for name, make in CLASSICS.items()]
    for run in runs:
        run = Path(run)
        file = run / "lifted.json" if (run / "lifted.json").exists() else run / "best.json"
        scheme, meta = io.load_with_meta(file)
        if meta.get("source") != "flipgraph search":
            raise FlipgraphError(f"{file}: not the result of a flipgraph search; the shipped "
                                 f"catalogue holds only schemes this engine found")
        items.append((scheme, {**meta, "method": "search" + (" + lift" if "lifted" in meta else "")}))
    db = Database(path or shipped_path())
    return db.add_many(items)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["build-catalogue"]:
        sys.exit("usage: python -m flipgraph.db build-catalogue")
    for key, added in build_catalogue():
        print(key[:12], "added" if added else "already there")
