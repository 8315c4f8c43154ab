"""A search's output folder (``flipgraph search --out RUN``) as database items: RUN/best.json
(the search's own ring) and RUN/lifted.json (when the search lifted), each with the search's
provenance as written next to it, and RUN/log.jsonl (the search log) when present."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import FlipgraphError
from ..scheme import Scheme

#: the files of a run folder that hold schemes, in the order they are read
RUN_FILES = ("best.json", "lifted.json")


@dataclass
class RunResult:
    """One scheme of a run folder: the file, the scheme and its provenance (the file's meta plus
    ``method``, and, with ``located``, ``run`` and ``log``: the folder and its search log)."""

    file: Path
    scheme: Scheme
    provenance: dict


def read_run(run, *, located: bool = True) -> list[RunResult]:
    """The schemes of the search output folder ``run`` (best.json, then lifted.json when
    present). Only results of ``flipgraph search`` are accepted; anything else is a one-line
    FlipgraphError naming the file."""
    from .. import io

    run = Path(run)
    if not run.is_dir() or not (run / "best.json").is_file():
        raise FlipgraphError(f"{run}: not a search output folder (no best.json; write one with "
                             f"flipgraph search --out {run})")
    out = []
    for name in RUN_FILES:
        file = run / name
        if not file.is_file():
            continue
        scheme, meta = io.load_with_meta(file)
        if not str(meta.get("source", "")).startswith("flipgraph search"):
            raise FlipgraphError(f"{file}: not the result of a flipgraph search (its meta has no "
                                 f"'source': 'flipgraph search')")
        provenance = {**meta, "method": "search" + (" + lift" if "lifted" in meta else "")}
        if located:
            provenance["run"] = str(run.resolve())
            if (run / "log.jsonl").is_file():
                provenance["log"] = str((run / "log.jsonl").resolve())
        out.append(RunResult(file, scheme, provenance))
    return out
