"""Sample files in every layout flipgraph reads, written out by hand here (independently of the
package's writers) from a scheme's U, V, W, for the layout, hostile-input and fuzz tests."""
from __future__ import annotations

import io as _io
import json
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from flipgraph.io.common import to_trace


def _num(x) -> str:
    x = Fraction(x)
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def _signed(scheme):
    """U, V, W (project convention) with GF(p) residues as symmetric representatives."""
    mats = [np.asarray(m, dtype=object) for m in (scheme.U, scheme.V, scheme.W)]
    mod = scheme.ring.modulus
    return [np.vectorize(lambda x: x - mod if mod and x > mod // 2 else x, otypes=[object])(m)
            if m.size else m for m in mats]


def maple_matrices(scheme) -> str:
    """``{{{a}, {b}, {c}}, ...}``: a n×m, b m×p, c p×n (c[k][i] is C[i, k])."""
    n, m, p = scheme.format
    U, V, W = _signed(scheme)
    Wt = to_trace(W, n, p)

    def mat(row, rows, cols):
        return "{" + ", ".join("{" + ", ".join(_num(row[r * cols + c]) for c in range(cols)) + "}"
                               for r in range(rows)) + "}"
    products = [f"{{{mat(u, n, m)}, {mat(v, m, p)}, {mat(w, p, n)}}}" for u, v, w in zip(U, V, Wt)]
    return "{" + ",\n ".join(products) + "}\n"


def _form(row, letter, rows, cols, times="*") -> str:
    out = ""
    for idx, x in enumerate(row):
        x = Fraction(x)
        if x:
            i, j = divmod(idx, cols)
            name = f"{letter}{i + 1}{j + 1}"
            coef = "" if abs(x) == 1 else f"{_num(abs(x))}{times}"
            out += ("-" if x < 0 else "+" if out else "") + coef + name
    return out or "0"


def exp_lines(scheme, style: str = "plain") -> str:
    """Moosbauer products, trace convention; ``style``: plain ``(a)*(b)*(c)``, ``spaces``
    ``(a) (b) (c)``, ``nostar`` ``(a)(b)(c)``."""
    n, m, p = scheme.format
    U, V, Wt = *_signed(scheme)[:2], to_trace(_signed(scheme)[2], n, p)
    sep = {"plain": "*", "spaces": " ", "nostar": ""}[style]
    return "\n".join(sep.join(f"({_form(row, letter, rows, cols)})" for row, letter, rows, cols in
                              ((u, "a", n, m), (v, "b", m, p), (w, "c", p, n)))
                     for u, v, w in zip(U, V, Wt)) + "\n"


def numeric_txt(scheme, pairs: bool = False) -> str:
    """``n1 n2 n3 r`` then u, v, w (w over C transposed) runs; ``pairs``: numerator denominator."""
    n, m, p = scheme.format
    U, V, W = _signed(scheme)
    runs = [U, V, to_trace(W, n, p)]
    out = [f"{n} {m} {p} {scheme.rank}"]
    for run in runs:
        out.append(" ".join(f"{Fraction(x).numerator} {Fraction(x).denominator}" if pairs
                            else _num(x) for x in run.ravel()))
    return "\n".join(out) + "\n"


def perminov_json(scheme) -> str:
    n, m, p = scheme.format
    U, V, W = _signed(scheme)
    rows = lambda mat: [[int(x) if Fraction(x).denominator == 1 else _num(x) for x in r] for r in mat]
    return json.dumps({"n": [n, m, p], "m": scheme.rank, "z2": scheme.ring.name == "z2",
                       "u": rows(U), "v": rows(V), "w": rows(to_trace(W, n, p))})


def flipcpd_npy(scheme) -> bytes:
    """flip-cpd's row: numerator, denominator of every coefficient of U, then V, then W."""
    values = []
    for mat in _signed(scheme):
        for x in map(Fraction, mat.ravel()):
            values += [x.numerator, x.denominator]
    buffer = _io.BytesIO()
    np.save(buffer, np.array([values], dtype=np.int64))
    return buffer.getvalue()


def flipcpd_txt(scheme) -> str:
    """flip-cpd's flat listing: ``m1 = (a1 - a4)(b1 + b4)``, ``c1 = m1 + m2`` (C not transposed)."""
    U, V, W = _signed(scheme)

    def flat(row, letter):
        out = ""
        for idx, x in enumerate(row):
            x = Fraction(x)
            if x:
                coef = "" if abs(x) == 1 else f"{_num(abs(x))}"
                out += (" - " if x < 0 else " + " if out else "") + coef + f"{letter}{idx + 1}"
        return out.lstrip(" +") if not out.startswith(" - ") else "-" + out[3:]
    lines = [f"m{q + 1} = ({flat(u, 'a')})({flat(v, 'b')})" for q, (u, v) in enumerate(zip(U, V))]
    lines.append("")
    lines += [f"c{g + 1} = {flat(W[:, g], 'm') or '0'}" for g in range(W.shape[1])]
    return "\n".join(lines) + "\n"


def npz(scheme, dtype=None) -> bytes:
    """An AlphaTensor-style archive with one plain (3, nm, R) entry "n,m,p" (square formats)."""
    n, m, p = scheme.format
    U, V, W = _signed(scheme)
    stacked = np.stack([U.T, V.T, to_trace(W, n, p).T])
    stacked = stacked.astype(np.int64 if dtype is None or np.dtype(dtype).kind in "iu" else dtype)
    stacked = stacked.astype(dtype or np.int64)     # uint64: -1 wraps to 2^64 - 1
    buffer = _io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        member = _io.BytesIO()
        np.save(member, stacked)
        archive.writestr(f"{n},{m},{p}.npy", member.getvalue())
    return buffer.getvalue()


def write(folder: Path, name: str, data) -> Path:
    path = Path(folder) / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return path


def npz_pickled(scheme) -> bytes:
    """An AlphaTensor-style archive entry as they ship: a pickled object array of 3 factors."""
    n, m, p = scheme.format
    U, V, W = _signed(scheme)
    factors = np.empty(3, dtype=object)
    factors[:] = [U.T.astype(np.int64), V.T.astype(np.int64), to_trace(W, n, p).T.astype(np.int64)]
    buffer = _io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        member = _io.BytesIO()
        np.save(member, factors, allow_pickle=True)
        archive.writestr(f"{n},{m},{p}.npy", member.getvalue())
    return buffer.getvalue()


def triads_mpl(scheme, expression: str | None = None) -> str:
    """FastMatrixMultiplication's Maple TriadSet (``.mpl``); ``expression`` (e.g. "-(0*1-1)")
    replaces the first entry equal to 1 by an unevaluated expression of the same value."""
    n, m, p = scheme.format
    U, V, W = _signed(scheme)
    Wt = to_trace(W, n, p)

    def matrix(row, rows, cols):
        body = "[" + ",".join("[" + ",".join(_num(row[r * cols + c]) for c in range(cols)) + "]"
                              for r in range(rows)) + "]"
        return f"Matrix({rows}, {cols}, {body})"
    triads = ", ".join(f"Triad([{matrix(u, n, m)}, {matrix(v, m, p)}, {matrix(w, p, n)}])"
                       for u, v, w in zip(U, V, Wt))
    if expression:
        triads = triads.replace("[[1,", f"[[{expression},", 1)
    return (f"A:=Matrix({n}, {m}, []):\nB:=Matrix({m}, {p}, []):\nC:=Matrix({p}, {n}, []):\n"
            f"Tensor:=TriadSet([{triads}]):\nmap(expand,A.B-add(i=1..{scheme.rank}));\n")
