"""Best known ranks of matrix multiplication, per format, from a table in the fmm_sota.json layout
(what ``flipgraph db compare`` sets our ranks beside)."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import FlipgraphError


def best_known(path: str | Path | None = None) -> tuple[dict[tuple[int, int, int], int], str]:
    """Best known ranks {sorted format: rank} and the table's source, from a file in the
    fmm_sota.json layout ({"entries": [{"format": [n, m, p], "rank": R}, …]}); default: the small
    table shipped in flipgraph/data/best_known.json."""
    path = Path(path) if path else Path(__file__).resolve().parents[1] / "data" / "best_known.json"
    try:
        data = json.loads(path.read_text())
        table = {tuple(sorted(int(x) for x in e["format"])): int(e["rank"]) for e in data["entries"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FlipgraphError(f"{path}: not a best-known-ranks table in the fmm_sota.json layout ({exc})") from None
    return table, str(data.get("source", path))
