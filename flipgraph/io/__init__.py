"""Readers and writers of scheme files: the native JSON and the field's public formats.

    load(path, fmt=None, ring=None, key=None) -> Scheme          one scheme
    load_all(path, fmt=None, ring=None) -> [(key, Scheme), ...]  every scheme in a file
    save(scheme, path, fmt=None, meta=None)                       write (atomically)
    FORMATS                                                       name -> Format

Formats (name: suffix, read/write):

    native       .json  read/write  flipgraph's own JSON (project convention, exact, ring and target kept)
    perminov     .json  read/write  Perminov JSON (n, m, z2, u, v, w; w over C transposed)
    txt          .txt   read/write  readable listing m1 = (a11 + a22)(b11 + b22) / c11 = m1 + m4;
                                    any target; read by content: also numeric, .exp lines, flip-cpd flat
    numeric      .txt   read/write  ternary_flip_graph numbers: n1 n2 n3 r, then u, v, w (w over C^T)
    exp          .exp   read/write  Moosbauer products (a11+a12)*(b21)*(c11), trace convention
    maple        .m     read        Maple products: coefficient matrices {{{a},{b},{c}},...} or forms
    triads       .mpl   read        Maple TriadSet of coefficient-matrix triads (FastMatrixMultiplication)
    alphatensor  .npz   read        AlphaTensor factorizations, keyed "n,m,p" (safe loader)
    flipcpd      .npy   read/write  flip-cpd numerator/denominator row (gg = matmul, structured gt, kg, ...)

The format is ``fmt`` when given, else the suffix (a ``.json`` file is native when it has the key
"flipgraph", else Perminov; a ``.txt`` file is told by content). Every scheme comes back in the
project convention (C NOT transposed). The ring is ``ring`` when given, else the file's own
(native "ring", Perminov "z2", a ``# ring:`` line, ``mod2``/``f2``/``mod0``/``_ZT`` in file names),
else the smallest of zt, z, q holding the values where the scheme is valid there, else z2 or z3
where it is valid there (see :func:`flipgraph.io.common.build_read`).
Readers are strict: a malformed file is a FormatError whose one-line message names file and line
or key. Loading does not verify: call :func:`flipgraph.verify` on the result.

Example::

    >>> from flipgraph import classics, io, verify
    >>> io.save(classics.strassen(), "/tmp/strassen.exp")
    >>> s = io.load("/tmp/strassen.exp")
    >>> s.format, s.rank, s.ring.name, bool(verify(s))
    ((2, 2, 2), 7, 'zt', True)
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..atomic import write_bytes, write_text
from ..errors import FormatError
from ..scheme import Scheme
from . import alphatensor, exp, flipcpd, listing, maple, native, numeric, perminov

__all__ = ["load", "load_all", "load_with_meta", "save", "FORMATS", "Format", "format_of"]


@dataclass(frozen=True)
class Format:
    """A file format: its suffix, a reader (path, where, ring, keys) -> [(key, Scheme)] (``keys``:
    the entries wanted from a many-scheme file, None for all), and a writer (scheme, meta) -> text,
    or None when flipgraph only reads it; with ``takes_path`` the writer is (scheme, path) -> bytes
    (a binary format whose file name matters)."""

    name: str
    suffix: str
    read: Callable
    write: Callable | None
    description: str
    many: bool = False
    takes_path: bool = False


def _text(path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not a UTF-8 text file (byte {exc.start})") from None


def _one(parse):
    """A reader for single-scheme files, keyed by the file name."""
    return lambda path, where, ring, keys=None: [(Path(path).name, parse(path, where, ring))]


def _read_txt(path, where, ring, keys=None) -> list[tuple[str, Scheme]]:
    """A ``.txt`` file by its content: numeric layout (first line four integers), flip-cpd flat
    listing (flip-cpd file name), ``.exp`` product lines (no ``=``), else the readable listing."""
    text = _text(path)
    if numeric.looks_numeric(text):
        return numeric.parse_all(text, where, path, ring, keys)
    if flipcpd.is_flipcpd(path):
        return [(Path(path).name, flipcpd.parse_txt(text, where, path, ring))]
    first = next((line for line in text.splitlines() if line.strip()
                  and not line.lstrip().startswith("#")), "")
    if first and "=" not in first:
        return [(Path(path).name, exp.parse(text, where, path, ring))]
    return [(Path(path).name, listing.parse(text, where, ring))]


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("native", ".json",
           _one(lambda path, where, ring: native.parse(_text(path), where, ring)[0]),
           lambda scheme, meta: native.write(scheme, meta),
           "flipgraph JSON: format, ring, rank, U/V/W (C not transposed), optional meta"),
    Format("perminov", ".json",
           _one(lambda path, where, ring: perminov.parse(_text(path), where, ring)),
           lambda scheme, meta: perminov.write(scheme),
           "Perminov JSON: n, m, z2, u/v/w with w over C transposed, listing lines"),
    Format("txt", ".txt", _read_txt, lambda scheme, meta: listing.write(scheme),
           "readable listing: m1 = (a11 + a22)(b11 + b22), c11 = m1 + m4 - m5 + m7 (read: any "
           ".txt layout, told by content)", many=True),
    Format("numeric", ".txt",
           lambda path, where, ring, keys=None: numeric.parse_all(_text(path), where, path, ring, keys),
           lambda scheme, meta: numeric.write(scheme),
           "ternary_flip_graph numbers: n1 n2 n3 r, then u, v, w rows (w over C transposed)",
           many=True),
    Format("exp", ".exp",
           _one(lambda path, where, ring: exp.parse(_text(path), where, path, ring)),
           lambda scheme, meta: exp.write(scheme),
           "Moosbauer .exp: (a11+a12)*(b21)*(c11) per line, trace convention"),
    Format("maple", ".m",
           _one(lambda path, where, ring: maple.parse(_text(path), where, path, ring)),
           None, "Maple products {{{a},{b},{c}},...} or [[a-form, b-form, c-form],...], trace "
           "convention (read only)"),
    Format("triads", ".mpl",
           _one(lambda path, where, ring: maple.parse_triads(_text(path), where, path, ring)),
           None, "Maple TriadSet([Triad([Matrix(..), Matrix(..), Matrix(..)]), ...]), trace "
           "convention (read only)"),
    Format("alphatensor", ".npz", alphatensor.parse_all, None,
           "AlphaTensor factorizations, key 'n,m,p' (read only, no arbitrary unpickling)", many=True),
    Format("flipcpd", ".npy", _one(flipcpd.parse_npy), flipcpd.write_npy,
           "flip-cpd numerator/denominator row; gg (matmul) and structured targets (gt, kg, ...)",
           takes_path=True),
)}
_ALIASES = {"json": "native", "listing": "txt", "npz": "alphatensor", "m": "maple",
            "npy": "flipcpd", "ternary": "numeric", "mpl": "triads"}


def format_of(path, fmt: str | None = None, *, for_writing: bool = False) -> Format:
    """The Format named ``fmt`` (or an alias: json, listing, npz, m), else the one of the path's
    suffix; a ``.json`` file being read is native when it has the key "flipgraph", one being
    written is native. ``for_writing``: a read-only format is a FormatError."""
    found = _lookup(path, fmt, for_writing)
    if for_writing and found.write is None:
        raise FormatError(f"{path}: flipgraph reads {found.name} files but does not write them; "
                          f"writable formats: {', '.join(n for n, f in FORMATS.items() if f.write)}")
    return found


def _lookup(path, fmt: str | None, for_writing: bool) -> Format:
    if fmt is not None:
        name = _ALIASES.get(fmt.lower(), fmt.lower())
        if name not in FORMATS:
            raise FormatError(f"unknown file format {fmt!r}: choose one of {', '.join(FORMATS)}")
        return FORMATS[name]
    suffix = Path(path).suffix.lower()
    if suffix == ".json" and not for_writing:
        return FORMATS["native" if _is_native(path) else "perminov"]
    for f in FORMATS.values():
        if f.suffix == suffix:
            return f
    suffixes = ", ".join(sorted({f.suffix for f in FORMATS.values() if f.suffix}))
    raise FormatError(f"{path}: cannot tell the file format from the suffix {suffix or '(none)'!r} "
                      f"(known: {suffixes}); give the format, one of {', '.join(FORMATS)}")


def load_all(path, fmt: str | None = None, ring=None) -> list[tuple[str, Scheme]]:
    """Every scheme in the file as (key, Scheme): the AlphaTensor keys "n,m,p", else one entry
    keyed by the file name. Not verified."""
    return format_of(path, fmt).read(path, str(path), ring)


def load(path, fmt: str | None = None, ring=None, key: str | None = None) -> Scheme:
    """The one scheme in the file (``key`` picks an entry of a many-scheme file, e.g. "3,3,3" or
    "3x3x3" in an AlphaTensor archive). Not verified."""
    if key is not None:
        source = format_of(path, fmt)
        if not source.many:
            raise FormatError(f"{path}: a {source.name} file holds one scheme; drop the key {key!r}")
        entries = source.read(path, str(path), ring, {key, key.replace("x", ",")})
        if not entries:
            raise FormatError(f"{path}: no entry {key!r} (keys look like 'n,m,p')")
        return entries[0][1]
    entries = load_all(path, fmt, ring)
    if len(entries) != 1:
        raise FormatError(f"{path}: holds {len(entries)} schemes; pick one with a key, e.g. "
                          f"{entries[0][0] if entries else 'n,m,p'!r}")
    return entries[0][1]


def load_with_meta(path, ring=None) -> tuple[Scheme, dict]:
    """A native JSON file's scheme and its "meta" dictionary (provenance)."""
    return native.parse(_text(path), str(path), ring)


def save(scheme: Scheme, path, fmt: str | None = None, meta: dict | None = None) -> None:
    """Write ``scheme`` to ``path`` in ``fmt`` (default: by suffix; ``.json`` is native). ``meta``
    (a JSON-serialisable dict) is kept by the native format only. The file is written to a
    temporary file in the same folder and renamed (:mod:`flipgraph.atomic`), so a failure never
    leaves half a file."""
    out_format = format_of(path, fmt, for_writing=True)
    if out_format.takes_path:                       # binary, and the file name tells the target
        write_bytes(path, out_format.write(scheme, path))
        return
    if not scheme.target.is_matmul and out_format.name not in ("native", "txt"):
        raise FormatError(f"{path}: {out_format.name} files hold matrix-multiplication schemes only; "
                          f"write {scheme.target.name} as native .json or a .txt listing")
    write_text(path, out_format.write(scheme, meta))


def _is_native(path) -> bool:
    try:
        data = json.loads(_text(path))
    except (ValueError, RecursionError):   # invalid JSON, huge integers, deep nesting
        return True   # let the native reader report the error with its line
    return isinstance(data, dict) and "flipgraph" in data
