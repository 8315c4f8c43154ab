"""Best known ranks (and addition counts) per target and ring: the table ``flipgraph db compare``
and ``flipgraph db report`` set our schemes beside.

A record says: a scheme of this rank is known for the target, with coefficients in ``ring`` (zt,
z, q or z2), from ``source``; ``additions`` is its naive addition count and ``reduced_additions``
the fewest known after common-subexpression elimination (None when unknown). A record counts for
every ring its scheme is valid over (zt everywhere, z for z/q/z2, q for q: see
:func:`~flipgraph.db.usable_rings`). Matrix multiplications are keyed by their sorted format
(``mm:2x3x4``: a rank holds for every permutation), other targets by their id (``gt:4``).

Table files, recognised by their content:

* flipgraph's own (what is shipped in flipgraph/data/best_known.json and written by
  ``flipgraph db best-known --refresh``)::

      {"kind": "flipgraph-best-known", "version": 1, "sources": ["...", ...],
       "records": [{"target": "mm:2x2x2", "ring": "zt", "rank": 7, "source": "...",
                    "additions": 18, "reduced_additions": 15}, ...]}

* the fmm_sota.json layout (Sedoglavic's catalogue): ``{"source": ..., "entries": [{"format":
  [n, m, p], "rank": R}, ...]}`` — best over any field, read as ring q;
* FastMatrixMultiplication's ``schemes/status.json`` (Perminov): ``{"NxMxP": {"ranks": {"ZT",
  "Z", "Q"}, "schemes": {ring: [{"rank", "complexity", "source", ...}]}}}`` — complexity is the
  naive addition count; a reduced count is read from ``_cr<N>`` in a scheme's file name.

The table in use is the user's (:func:`user_table_path`, written by ``--refresh``) when it exists,
else the shipped one. ω of a rank-r scheme of format (n, m, p) is 3·log(r)/log(nmp) (:func:`omega`).
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from .. import atomic
from ..errors import FlipgraphError
from .store import usable_rings, user_path

KIND = "flipgraph-best-known"
#: rings a record may name, in the order ties are broken (the most useful scheme first)
RINGS = ("zt", "z", "q", "z2")
_STATUS_RINGS = {"ZT": "zt", "Z": "z", "Q": "q"}
_REDUCED_IN_NAME = re.compile(r"_cr(\d+)_")


@dataclass(frozen=True)
class Record:
    """One best-known fact (see the module docstring): ``additions`` and ``reduced_additions``
    are the fewest known for a scheme of this rank and ring (possibly not ``source``'s scheme)."""

    target: str
    ring: str
    rank: int
    source: str
    additions: int | None = None
    reduced_additions: int | None = None

    def sort_key(self) -> tuple:
        """Better first: rank, then additions (reduced when known), then ring (zt first)."""
        adds = self.reduced_additions if self.reduced_additions is not None else self.additions
        return (self.rank, math.inf if adds is None else adds, RINGS.index(self.ring))


def target_key(target) -> str:
    """The table key of a target id, Target, format tuple or Entry: ``mm:`` + sorted format for
    matrix multiplications, the id otherwise."""
    fmt = target if isinstance(target, (str, tuple, list)) else target.format
    if isinstance(fmt, str):
        if not fmt.startswith("mm:"):
            return fmt
        fmt = fmt[3:].split("x")
    if fmt is None:
        return target.id if hasattr(target, "id") else target.target
    return "mm:" + "x".join(str(d) for d in sorted(int(d) for d in fmt))


def omega(target_key_or_format, rank: int) -> float | None:
    """3·log(rank)/log(n·m·p) for a matrix multiplication (key ``mm:NxMxP`` or a format); None
    for other targets and for 1x1x1."""
    fmt = target_key_or_format
    if isinstance(fmt, str):
        if not fmt.startswith("mm:"):
            return None
        fmt = [int(d) for d in fmt[3:].split("x")]
    size = math.prod(fmt)
    return 3 * math.log(rank) / math.log(size) if size > 1 else None


class BestKnown:
    """A table of best-known records; ``sources`` names where they came from."""

    def __init__(self, records=(), sources=(), path: Path | None = None):
        self.sources = list(sources)
        self.path = path
        self._best: dict[tuple[str, str], Record] = {}
        for record in records:
            self._keep(record)

    def _keep(self, record: Record) -> bool:
        """Hold ``record`` if it beats the best we hold valid over its ring: a lower rank, or the
        same rank with fewer naive or reduced additions (then the fewest of each are kept with
        the first source). True when it did."""
        key = (record.target, record.ring)
        best = self.best(record.target, record.ring)
        if best is not None and (record.rank > best.rank or record.rank == best.rank and not (
                _fewer(record.additions, best.additions)
                or _fewer(record.reduced_additions, best.reduced_additions))):
            return False
        held = self._best.get(key)
        if held is not None and held.rank == record.rank:
            record = replace(held, additions=_fewest(held.additions, record.additions),
                             reduced_additions=_fewest(held.reduced_additions, record.reduced_additions))
        self._best[key] = record
        return True

    @property
    def records(self) -> list[Record]:
        return sorted(self._best.values(), key=lambda r: (target_order(r.target), RINGS.index(r.ring)))

    def targets(self) -> list[str]:
        """Every target key holding a record, matrix multiplications by format first."""
        return sorted({t for t, _ in self._best}, key=target_order)

    def best(self, target, ring: str) -> Record | None:
        """The best record for ``target`` (anything :func:`target_key` takes) valid over ``ring``."""
        key = target_key(target)
        found = [self._best[(key, r)] for r in usable_rings(ring) if (key, r) in self._best]
        return min(found, key=Record.sort_key) if found else None

    def merge(self, other: BestKnown) -> int:
        """Take what ``other`` improves (lower ranks, fewer additions at the same rank); returns
        how many records improved."""
        taken = sum(self._keep(record) for record in other.records)
        self.sources += [s for s in other.sources if s not in self.sources]
        return taken

    def to_json(self) -> str:
        lines = [json.dumps({k: v for k, v in asdict(r).items() if v is not None}, ensure_ascii=False)
                 for r in self.records]
        head = json.dumps({"kind": KIND, "version": 1, "sources": self.sources}, indent=1,
                          ensure_ascii=False)[:-2]
        return head + ',\n "records": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n"

    def __len__(self) -> int:
        return len(self._best)


def _fewer(new: int | None, old: int | None) -> bool:
    return new is not None and (old is None or new < old)


def _fewest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def target_order(key: str) -> tuple:
    """Sort key of table keys: matrix multiplications by format, then other targets by id."""
    if key.startswith("mm:"):
        return (0, tuple(int(d) for d in key[3:].split("x")), "")
    return (1, (), key)


# --------------------------------------------------------------------------- files
def shipped_table_path() -> Path:
    return Path(__file__).resolve().parents[1] / "data" / "best_known.json"


def user_table_path() -> Path:
    """The user's refreshed table: best_known.json in the folder of the user database
    (:func:`~flipgraph.db.user_path`: $FLIPGRAPH_DB's folder, else $XDG_DATA_HOME/flipgraph)."""
    return user_path().parent / "best_known.json"


def best_known(path: str | Path | None = None) -> BestKnown:
    """The table in ``path`` (any layout of the module docstring); default: the user's
    refreshed table when it exists, else the shipped one."""
    if path is None:
        path = user_table_path() if user_table_path().exists() else shipped_table_path()
    return read_table(path)


def read_table(path: str | Path) -> BestKnown:
    """A best-known table from a file in any layout of the module docstring; FlipgraphError
    (one line, naming the file) otherwise."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise FlipgraphError(f"{path}: not a readable JSON best-known table ({exc})") from None
    try:
        if isinstance(data, dict) and data.get("kind") == KIND:
            return BestKnown([_record(r) for r in data["records"]], data.get("sources", []), path)
        if isinstance(data, dict) and isinstance(data.get("entries"), list):
            return _from_sota(data, path)
        if isinstance(data, dict) and data and all(isinstance(v, dict) and "ranks" in v
                                                   for v in data.values()):
            return _from_status(data, path)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FlipgraphError(f"{path}: malformed best-known table ({type(exc).__name__}: {exc})") from None
    raise FlipgraphError(f"{path}: not a best-known table (flipgraph's, the fmm_sota.json layout "
                         f"or FastMatrixMultiplication's status.json)")


def write_table(table: BestKnown, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, table.to_json())
    return path


def _record(r: dict) -> Record:
    ring = str(r["ring"])
    if ring not in RINGS:
        raise ValueError(f"ring {ring!r} (one of {', '.join(RINGS)})")
    opt = lambda k: None if r.get(k) is None else int(r[k])        # noqa: E731
    return Record(target_key(str(r["target"])), ring, int(r["rank"]), str(r["source"]),
                  opt("additions"), opt("reduced_additions"))


def _from_sota(data: dict, path: Path) -> BestKnown:
    source = str(data.get("source", path.name))
    if data.get("createdAt"):
        source += f" ({str(data['createdAt'])[:10]})"
    records = [Record(target_key(tuple(e["format"])), "q", int(e["rank"]), source)
               for e in data["entries"]]
    return BestKnown(records, [f"{source}: best ranks over any field (read as Q), {path.name}"], path)


def _from_status(data: dict, path: Path) -> BestKnown:
    origin = "FastMatrixMultiplication"
    records = []
    for fmt, item in data.items():
        key = target_key(tuple(int(d) for d in fmt.split("x")))
        found = []
        for name, ring in _STATUS_RINGS.items():
            for scheme in item.get("schemes", {}).get(name, []):
                reduced = _REDUCED_IN_NAME.search(Path(str(scheme["source"])).name)
                found.append(Record(key, ring, int(scheme["rank"]), f"{origin}: {scheme['source']}",
                                    int(scheme["complexity"]) if "complexity" in scheme else None,
                                    int(reduced.group(1)) if reduced else None))
        for name, ring in _STATUS_RINGS.items():      # a rank stated without a scheme listed
            rank = item["ranks"].get(name)
            if rank is not None and not any(r.rank <= rank for r in found if r.ring in usable_rings(ring)):
                found.append(Record(key, ring, int(rank), f"{origin} {path.name}"))
        records += found
    return BestKnown(records, [f"{origin} (Perminov) {path.name}: best ranks over ZT, Z and Q "
                               f"with their schemes' files and addition counts"], path)
