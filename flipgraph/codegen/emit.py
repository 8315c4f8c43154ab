"""Python source of one recursion level (a *step*) from a straight-line program.

The step ``fn(A, B, C, ws, inner, k)`` (see :mod:`flipgraph.codegen.runtime`) cuts A (n×m
blocks), B (m×p) and C (n×p) into views, runs the SLP's additions with in-place numpy ufuncs into
the preallocated buffers ``ws = (wa, wb, wc)``, and hands the r block products to ``inner``.

What the emitter does to keep memory traffic low:

* an assignment with a single ±1 term is an *alias* (no copy); signs travel with the values and are
  folded into the coefficients of their readers (``r = -y`` costs nothing, nor does ``m = l·(-y)``);
* the SLP is scheduled on demand: product q is formed right after its operands, and every sum of
  products is made as soon as its inputs exist, so products die early;
* buffers are recycled by liveness (a dying operand lends its buffer to the sum it feeds), the
  output sums write straight into the views of C, and a view of C holds products and sums of
  products until its own output is written;
* the order of the products is chosen to need the least workspace (every order for rank ≤ 7,
  else a seeded sample of :data:`ORDERS` orders): Winograd's program then needs 4 blocks (two of
  A's block shape, one of B's, one of C's), in the spirit of the two-temporary schedules of
  Boyer, Dumas, Pernet and Zhou, "Memory efficient scheduling of Strassen-Winograd's matrix
  multiplication algorithm" (ISSAC 2009).
"""
from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction

from ..slp import SLP

_CLASS = {"a": 0, "x": 0, "l": 0, "b": 1, "y": 1, "r": 1, "m": 2, "z": 2, "c": 2}
_BUF = ("wa", "wb", "wc")

#: product orders tried when the rank is above 7 (the identity order first)
ORDERS = 300


def step_source(slp: SLP, fname: str) -> tuple[str, tuple[int, int, int], list]:
    """Source of the step function ``fname`` for ``slp``; returns (source, buffers per class
    (A, B, C blocks), the list of non-integer coefficients that the step reads as ``k[i]``)."""
    n, m, p = slp.format
    defs = {t: terms for t, terms in slp.a_side + slp.left + slp.b_side + slp.right + slp.c_side
            + slp.outputs}
    weight = (1 / (n * m), 1 / (m * p), 1 / (n * p))       # block sizes, relative to a square
    best = None
    for order in _orders(slp.rank):
        emitted = _emit(slp, fname, _ops(slp, defs, _schedule(slp, defs, order)))
        size = sum(w * c for w, c in zip(weight, emitted[1]))
        if best is None or size < best[0]:
            best = (size, emitted)
    return best[1]


def _orders(rank):
    """The product orders to try: all of them for rank ≤ 7, else the identity and a seeded
    sample."""
    if rank <= 7:
        yield from itertools.permutations(range(rank))
        return
    yield tuple(range(rank))
    rng = random.Random(0)
    for _ in range(min(ORDERS, math.factorial(rank)) - 1):
        yield tuple(rng.sample(range(rank), rank))


def _ops(slp: SLP, defs: dict, order: list) -> list:
    """The scheduled assignments after alias resolution: ("lin", target, [(coef, root)], output?)
    or ("mul", m, l, r)."""
    n, m, p = slp.format
    roots = {}                     # name -> (root value name, sign) after alias resolution
    for i in range(n):
        for j in range(m):
            roots[f"a{i}_{j}"] = (f"a{i}_{j}", 1)
    for j in range(m):
        for k in range(p):
            roots[f"b{j}_{k}"] = (f"b{j}_{k}", 1)
    ops = []
    for op in order:
        if op[0] == "mul":
            q = op[1]
            (lv, ls), (rv, rs) = roots[f"l{q}"], roots[f"r{q}"]
            roots[f"m{q}"] = (f"m{q}", ls * rs)
            ops.append(("mul", f"m{q}", lv, rv))
            continue
        target = op[1]
        terms = _merge([(c * roots[s][1], roots[s][0]) for c, s in defs[target]])
        output = target.startswith("c")
        if not output and len(terms) == 1 and abs(terms[0][0]) == 1:
            roots[target] = (terms[0][1], terms[0][0])            # alias, maybe negated
            continue
        sign = 1
        if not output and all(c < 0 for c, _ in terms):
            terms, sign = [(-c, s) for c, s in terms], -1
        roots[target] = (target, sign)
        ops.append(("lin", target, terms, output))
    return ops


def _merge(terms):
    """Combine repeated sources (two aliases of one value) and drop zero coefficients."""
    total = {}
    for c, s in terms:
        total[s] = total.get(s, 0) + c
    return [(c, s) for s, c in total.items() if c != 0]


def _schedule(slp: SLP, defs: dict, products) -> list:
    """Demand-driven order: for each product (in the order ``products``) its operands (and their
    sub-sums), the product, then every sum of products whose inputs are ready."""
    done = {f"a{i}_{j}" for i in range(slp.n) for j in range(slp.m)}
    done |= {f"b{j}_{k}" for j in range(slp.m) for k in range(slp.p)}
    order = []

    def need(name):
        if name in done:
            return
        for _, src in defs[name]:
            need(src)
        done.add(name)
        order.append(("lin", name))

    pending = [t for t, _ in slp.c_side + slp.outputs]
    for q in products:
        need(f"l{q}")
        need(f"r{q}")
        done.add(f"m{q}")
        order.append(("mul", q))
        progress = True
        while progress:
            progress = False
            for t in list(pending):
                if all(s in done for _, s in defs[t]):
                    pending.remove(t)
                    done.add(t)
                    order.append(("lin", t))
                    progress = True
    return order


def _arrange(terms, output):
    """Terms in emission order (a +1 term first) and whether an output is negated at the end
    (all its coefficients negative: they are flipped)."""
    terms = sorted(terms, key=lambda t: (t[0] != 1, t[0] < 0))
    negate = output and all(c < 0 for c, _ in terms)
    return ([(-c, s) for c, s in terms] if negate else terms), negate


def _first_reads(terms):
    """The values read by the first statement of a sum (all it may overwrite in place)."""
    (c1, s1), rest = terms[0], terms[1:]
    if rest and c1 == 1 and abs(rest[0][0]) == 1:
        return [s1, rest[0][1]]
    return [s1]


def _emit(slp: SLP, fname: str, ops: list):
    n, m, p = slp.format
    last = {}
    for i, op in enumerate(ops):
        for src in ([s for _, s in op[2]] if op[0] == "lin" else op[2:]):
            last[src] = i
    free = ([], [], [])
    count = [0, 0, 0]
    place = {}                       # value name -> source expression
    for i in range(n):
        for j in range(m):
            place[f"a{i}_{j}"] = f"a{i}_{j}"
    for j in range(m):
        for k in range(p):
            place[f"b{j}_{k}"] = f"b{j}_{k}"
    consts = []
    # a view of C is scratch for C-side values until its output is written: at op written[v],
    # whose first statement may read (in place) the values in first[v]
    written, first = {}, {}
    for i, op in enumerate(ops):
        if op[0] == "lin" and op[3]:
            view = f"c{op[1][1:]}"
            written[view] = i
            first[view] = _first_reads(_arrange(op[2], True)[0])
    spare = sorted(written)

    def alloc(cls, value=None, i=None):
        if cls == 2 and i is not None:
            end = last.get(value, i)
            fits = [v for v in spare if end < written[v] or
                    (end == written[v] > i and value in first[v])]
            if fits:
                view = min(fits, key=written.get)     # the tightest fit keeps late views free
                spare.remove(view)
                return view
        if free[cls]:
            return free[cls].pop()
        count[cls] += 1
        return f"{_BUF[cls]}[{count[cls] - 1}]"

    def give_back(buf, cls, i):
        if buf in written:
            if written[buf] > i:
                spare.append(buf)
        else:
            free[cls].append(buf)

    released = set()

    def release(names, i):
        for s in names:
            if last.get(s) == i and place[s].startswith(("w", "c")) and s not in released:
                released.add(s)
                give_back(place[s], _CLASS[s[0]], i)

    def coef(c):
        if isinstance(c, Fraction) and c.denominator != 1:
            consts.append(c)
            return f"k[{len(consts) - 1}]"
        return str(int(c))

    body = []
    for i, op in enumerate(ops):
        if op[0] == "mul":
            _, target, lv, rv = op
            place[target] = alloc(2, target, i)
            body.append(f"inner({place[lv]}, {place[rv]}, {place[target]})")
            release([lv, rv], i)
            continue
        _, target, terms, output = op
        terms, negate = _arrange(terms, output)
        if output:
            out = f"c{target[1:]}"
        else:
            release(_first_reads(terms), i)     # a dying operand lends its buffer
            out = alloc(_CLASS[target[0]], target, i)
        place[target] = out
        (c1, s1), rest = terms[0], terms[1:]
        if rest and c1 == 1 and abs(rest[0][0]) == 1:
            ufunc = "add" if rest[0][0] == 1 else "subtract"
            body.append(f"np.{ufunc}({place[s1]}, {place[rest[0][1]]}, out={out})")
            rest = rest[1:]
        elif c1 == 1:
            body.append(f"np.copyto({out}, {place[s1]})")
        else:
            body.append(f"np.multiply({place[s1]}, {coef(c1)}, out={out})")
        for c, s in rest:
            if abs(c) == 1:
                body.append(f"np.{'add' if c == 1 else 'subtract'}({out}, {place[s]}, out={out})")
            else:
                cls = _CLASS[target[0]]
                scratch = alloc(cls, None, i)
                body.append(f"np.multiply({place[s]}, {coef(c)}, out={scratch})")
                body.append(f"np.add({out}, {scratch}, out={out})")
                give_back(scratch, cls, i)
        if negate:      # not np.negative(x, out=x): numpy 2.4 miscomputes it in place on a
            body.append(f"np.subtract(0, {out}, out={out})")   # one-column view of a 4-byte dtype
        release([s for _, s in terms], i)
    head = [f"def {fname}(A, B, C, ws, inner, k):",
            f'    """One level of the {n}x{m}x{p} rank-{slp.rank} scheme '
            f'({slp.additions.total} additions): C = A·B, dimensions divisible."""',
            f"    h1, h2, h3 = A.shape[0] // {n}, A.shape[1] // {m}, B.shape[1] // {p}",
            "    wa, wb, wc = ws"]
    used = set(" ".join(body).replace("(", " ").replace(")", " ").replace(",", " ").split())
    for i in range(n):
        for j in range(m):
            if f"a{i}_{j}" in used:
                head.append(f"    a{i}_{j} = A[{i}*h1:{i + 1}*h1, {j}*h2:{j + 1}*h2]")
    for j in range(m):
        for k in range(p):
            if f"b{j}_{k}" in used:
                head.append(f"    b{j}_{k} = B[{j}*h2:{j + 1}*h2, {k}*h3:{k + 1}*h3]")
    for i in range(n):
        for k in range(p):
            head.append(f"    c{i}_{k} = C[{i}*h1:{i + 1}*h1, {k}*h3:{k + 1}*h3]")
    source = "\n".join(head + ["    " + line for line in body]) + "\n"
    return source, tuple(count), consts
