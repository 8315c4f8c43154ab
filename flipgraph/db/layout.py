"""The database file: HDF5, schema version 2 (version 1 is read and upgraded on write).

Schema version 2::

    /                    attrs: schema_version = 2, kind = "flipgraph-schemes"
    /index               compound table, one row per scheme: hash, target (its id: "mm:3x3x4",
                         "user:<hash>"), n, m, p (the format of a matrix multiplication, 0 0 0
                         otherwise), ring, rank, naive additions for each choice of the output
                         matrix (U, V, W), reduced additions (-1 when unknown), stability factor.
                         What queries read; additions and stability are the stored orientation's
    /targets/<id>        one group per target that is not a matrix multiplication: attrs name,
                         sizes (nU, nV, nW); dataset entries, int64 (nnz, 4) rows (i, j, k,
                         coefficient). Matrix multiplications are rebuilt from their id
    /schemes/<hash>      one group per scheme, keyed by Scheme.canonical_hash()
        attrs            target (id), format "NxMxP" (matrix multiplication only), ring, rank,
                         naive_additions, reduced_additions (-1 when unknown), stability
                         (Bini–Lotti factor), provenance (JSON text)
        U, V, W          the coefficients (project convention: C not transposed): integer rings
                         as the smallest of int8/int16/int32/int64 that holds them; Q as
                         (numerator, denominator) pairs, shape (r, cols, 2), same integer types;
                         gzip-compressed from 4096 entries on

Schema version 1 (flipgraph 0.1; matrix multiplication only) is the same without /targets, the
index's target column and the groups' target attribute. :func:`upgrade` turns a version-1 file
into a version-2 one in place; the store calls it on the copy it writes, so reading never changes
a file. Canonical hashes of matrix-multiplication schemes are the same in both versions.
"""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import h5py
import numpy as np

from .. import tensors
from ..errors import FlipgraphError, SchemeError
from ..rings import Q, ring as as_ring
from ..scheme import Scheme

SCHEMA_VERSION = 2
READABLE = (1, 2)
KIND = "flipgraph-schemes"

INDEX_DTYPE = np.dtype([("hash", "S64"), ("target", "S64"), ("n", "i4"), ("m", "i4"), ("p", "i4"),
                        ("ring", "S2"), ("rank", "i4"), ("naive_by_output", "i8", (3,)),
                        ("reduced_additions", "i8"), ("stability", "i8")])
COMPRESS_FROM = 4096        # datasets with this many entries or more are stored gzip-compressed


# --------------------------------------------------------------------------- opening
def schema_version(path: Path) -> int:
    """The schema version of the database ``path``; FlipgraphError unless it is a flipgraph
    database of a version this flipgraph reads."""
    try:
        with h5py.File(path, "r") as f:
            version = f.attrs.get("schema_version")
            kind = f.attrs.get("kind")
    except OSError as exc:
        raise FlipgraphError(f"{path}: not a readable HDF5 file ({exc})") from None
    if version is None or kind != KIND:
        raise FlipgraphError(f"{path}: not a flipgraph scheme database (no schema_version/kind "
                             f"attributes); pass another --db")
    if int(version) not in READABLE:
        age = "newer" if int(version) > SCHEMA_VERSION else "older"
        raise FlipgraphError(f"{path}: database schema version {int(version)} is {age} than this "
                             f"flipgraph reads ({', '.join(map(str, READABLE))}); use a matching "
                             f"flipgraph version or export and re-import the schemes")
    return int(version)


def in_memory(path: Path) -> h5py.File:
    """A writable in-memory copy of the database ``path`` (a new empty database when it does
    not exist), upgraded to the current schema. Nothing touches the disk until the caller writes
    :func:`image` out, so a full disk can never leave HDF5 half-way through a write."""
    if path.exists():
        schema_version(path)
        fid = h5py.h5f.open_file_image(path.read_bytes(), flags=h5py.h5f.FILE_IMAGE_OPEN_RW)
        f = h5py.File(fid)
        upgrade(f)
        return f
    f = h5py.File(f"{path}.in-memory", "w", driver="core", backing_store=False, libver="latest")
    f.attrs["schema_version"] = SCHEMA_VERSION
    f.attrs["kind"] = KIND
    f.create_group("schemes")
    f.create_group("targets")
    f.create_dataset("index", shape=(0,), maxshape=(None,), dtype=INDEX_DTYPE, chunks=(256,))
    return f


def image(f: h5py.File) -> bytes:
    """The bytes of the open (in-memory) database ``f``."""
    f.flush()
    return f.id.get_file_image()


def upgrade(f: h5py.File) -> None:
    """Turn a version-1 database into a version-2 one, in place (no-op on version 2)."""
    if int(f.attrs["schema_version"]) == SCHEMA_VERSION:
        return
    old = f["index"][...]
    rows = np.zeros(old.shape, dtype=INDEX_DTYPE)
    for name in old.dtype.names:
        rows[name] = old[name]
    rows["target"] = [f"mm:{n}x{m}x{p}".encode() for n, m, p in zip(old["n"], old["m"], old["p"])]
    del f["index"]
    f.create_dataset("index", data=rows, maxshape=(None,), chunks=(256,))
    for group in f["schemes"].values():
        group.attrs["target"] = "mm:" + group.attrs["format"]
    f.create_group("targets")
    f.attrs["schema_version"] = SCHEMA_VERSION


# --------------------------------------------------------------------------- reading
def read_index(f: h5py.File) -> list[dict]:
    """The index rows as dictionaries (hash, target, target_name, format or None, ring, rank,
    naive_by_output, reduced_additions or None, stability), either schema version."""
    rows = f["index"][...]
    names = {key: str(group.attrs["name"]) for key, group in f["targets"].items()} if "targets" in f else {}
    formats = list(zip(rows["n"].tolist(), rows["m"].tolist(), rows["p"].tolist()))
    if "target" in rows.dtype.names:
        targets = [t.decode() for t in rows["target"].tolist()]
    else:                                                        # schema version 1
        targets = ["mm:{}x{}x{}".format(*fmt) for fmt in formats]
    out = []
    for key, target, fmt, ring, rank, by_output, reduced, stability in zip(
            rows["hash"].tolist(), targets, formats, rows["ring"].tolist(), rows["rank"].tolist(),
            rows["naive_by_output"].tolist(), rows["reduced_additions"].tolist(),
            rows["stability"].tolist()):
        matmul = target.startswith("mm:")
        out.append({"hash": key.decode(), "target": target,
                    "target_name": target if matmul else names.get(target, target),
                    "format": fmt if matmul else None, "ring": ring.decode(), "rank": rank,
                    "naive_by_output": tuple(by_output),
                    "reduced_additions": reduced if reduced >= 0 else None, "stability": stability})
    return out


def read_scheme(f: h5py.File, key: str, source: str) -> Scheme:
    """The scheme stored under ``key``, with its target."""
    if key not in f["schemes"]:
        raise FlipgraphError(f"{source}: index names scheme {key[:12]} but no such group exists")
    group = f["schemes"][key]
    target = _read_target(f, group.attrs.get("target") or "mm:" + group.attrs["format"], source)
    ring = as_ring(group.attrs["ring"])
    mats = []
    for name in ("U", "V", "W"):
        data = group[name][...]
        if ring is Q:
            flat = [Fraction(int(a), int(b)) for a, b in data.reshape(-1, 2)]
            mats.append(np.array(flat, dtype=object).reshape(data.shape[:2]))
        else:
            mats.append(data.astype(np.int64))
    return Scheme(target, *mats, ring)


def read_provenance(f: h5py.File, key: str) -> dict:
    return json.loads(f["schemes"][key].attrs["provenance"])


def _read_target(f: h5py.File, ident: str, source: str) -> tensors.Target:
    if not ident.startswith("user:"):              # mm:NxMxP, gt:4, ...: named completely by the id
        return tensors.from_id(ident)
    if "targets" not in f or ident not in f["targets"]:
        raise FlipgraphError(f"{source}: target {ident} is not defined in /targets")
    group = f["targets"][ident]
    try:
        return tensors.from_json({"id": ident, "name": group.attrs["name"],
                                  "sizes": [int(x) for x in group.attrs["sizes"]],
                                  "entries": group["entries"][...].tolist()})
    except SchemeError as exc:
        raise FlipgraphError(f"{source}: stored target {ident} is corrupt ({exc})") from None


# --------------------------------------------------------------------------- writing
def write_scheme(f: h5py.File, scheme: Scheme, key: str, provenance: dict,
                 reduced: int | None, by_output: tuple[int, int, int], stability: int) -> None:
    """Store ``scheme`` under ``key`` (replacing a group and index row of that key, if any), and
    its target's definition unless it is a matrix multiplication."""
    schemes, index = f["schemes"], f["index"]
    target = scheme.target
    if not target.is_matmul and target.id not in f["targets"]:
        group = f["targets"].create_group(target.id)
        group.attrs.update({"name": target.name, "sizes": np.array(target.sizes, dtype=np.int64)})
        group.create_dataset("entries", data=np.asarray(target.entries, dtype=np.int64))
    number = None
    if key in schemes:
        number = row_of(f, key)
        del schemes[key]
    group = schemes.create_group(key)
    for name, mat in (("U", scheme.U), ("V", scheme.V), ("W", scheme.W)):
        data = encode(mat, scheme.ring)
        big = {"compression": "gzip", "shuffle": True} if data.size >= COMPRESS_FROM else {}
        group.create_dataset(name, data=data, **big)
    reduced = -1 if reduced is None else int(reduced)
    group.attrs.update({"target": target.id, "ring": scheme.ring.name, "rank": scheme.rank,
                        "naive_additions": by_output[2], "reduced_additions": reduced,
                        "stability": stability, "provenance": json.dumps(provenance, sort_keys=True)})
    if target.is_matmul:
        group.attrs["format"] = scheme.format_str
    fmt = target.format or (0, 0, 0)
    row = np.array([(key.encode(), target.id.encode(), *fmt, scheme.ring.name.encode(), scheme.rank,
                     by_output, reduced, stability)], dtype=INDEX_DTYPE)
    if number is None:
        number = index.shape[0]
        index.resize((number + 1,))
    index[number] = row[0]


def row_of(f: h5py.File, key: str) -> int | None:
    """The index row number of ``key``, None when absent."""
    hits = np.flatnonzero(f["index"]["hash"] == key.encode())
    return int(hits[0]) if len(hits) else None


def set_reduced_additions(f: h5py.File, key: str, reduced: int) -> None:
    f["schemes"][key].attrs["reduced_additions"] = reduced
    f["index"][row_of(f, key), "reduced_additions"] = reduced


def encode(mat: np.ndarray, ring) -> np.ndarray:
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
