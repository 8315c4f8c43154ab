"""Our schemes beside the best known ones: per target, our best stored scheme for each ring and
the best-known record for each ring (what ``flipgraph db compare`` prints and ``flipgraph db
report`` renders).

A stored scheme counts for every ring it is valid over (:func:`~flipgraph.db.usable_rings`: zt
everywhere, z for z/q/z2/z3) and, for a matrix multiplication, for every permutation of its format.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .best_known import BestKnown, Record, omega, target_key, target_order
from .store import Database, Entry, usable_rings

#: rings of our columns and of the best-known columns
OUR_RINGS = ("z2", "z3", "zt", "z", "q")
KNOWN_RINGS = ("z2", "zt", "z", "q")


@dataclass
class Standing:
    """One target: ``ours[ring]`` our best entry valid over ring, ``known[ring]`` the best-known
    record valid over ring (absent keys: none), and every stored entry of the target."""

    key: str
    ours: dict[str, Entry] = field(default_factory=dict)
    known: dict[str, Record] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.key[3:] if self.key.startswith("mm:") else self.key

    @property
    def gap(self) -> int | None:
        """Our best rank valid over Q minus the best known one (None when either is missing)."""
        if "q" not in self.ours or "q" not in self.known:
            return None
        return self.ours["q"].rank - self.known["q"].rank

    def omega(self, ring: str = "q", known: bool = False) -> float | None:
        """ω of our (``known``: the best known) rank over ``ring``; None for non-matmul targets."""
        held = (self.known if known else self.ours).get(ring)
        return omega(self.key, held.rank) if held is not None else None


def standings(db: Database, table: BestKnown, *, max_dim: int | None = None,
              only_ours: bool = False) -> list[Standing]:
    """One :class:`Standing` per target stored in ``db`` or listed in ``table`` (matrix
    multiplications with every dimension ≤ ``max_dim`` when given; ``only_ours``: stored targets
    only), matrix multiplications by format first."""
    rows: dict[str, Standing] = {}
    for entry in db.entries():
        row = rows.setdefault(target_key(entry), Standing(target_key(entry)))
        row.entries.append(entry)
        for ring in OUR_RINGS:
            held = row.ours.get(ring)
            if entry.ring in usable_rings(ring) and (held is None or _rank_key(entry) < _rank_key(held)):
                row.ours[ring] = entry
    if not only_ours:
        for key in table.targets():
            rows.setdefault(key, Standing(key))
    out = []
    for key in sorted(rows, key=target_order):
        row = rows[key]
        if max_dim is not None and key.startswith("mm:") and max(map(int, key[3:].split("x"))) > max_dim:
            continue
        row.known = {ring: rec for ring in KNOWN_RINGS if (rec := table.best(key, ring)) is not None}
        row.entries.sort(key=_rank_key)
        out.append(row)
    return out


def _rank_key(entry: Entry) -> tuple:
    return (entry.rank, entry.additions, ("zt", "z", "q", "z2", "z3").index(entry.ring), entry.hash)


def format_additions(naive: int | None, reduced: int | None) -> str:
    """``18 (15)``: naive additions, reduced in brackets; '' when neither is known."""
    if naive is None and reduced is None:
        return ""
    return ("?" if naive is None else str(naive)) + ("" if reduced is None else f" ({reduced})")
