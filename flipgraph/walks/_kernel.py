"""The walk kernel (numba): random walks on the flip graph, in place on packed factors.

Internal: :mod:`flipgraph.walks.pool` calls :func:`walk`. Everything runs inside one compiled
function whose helpers are inner functions (numba inlines them and their arrays are captured, so the
hot loop pays no reference counting — passing arrays to separate jitted helpers costs ~20x).

Packed terms: ``F[mode, t, :]`` (K uint64 words) is the factor of term t in mode 0 (a, a row of U),
1 (b, V) or 2 (c, W); terms 0..rank-1 are alive. Rings (the ``ring`` argument):

* RING_Z2: word w, bit e = coefficient of flat entry 64·w + e (K words: <= 64·K entries); addition
  is XOR.
* RING_Z3, RING_ZT: K = 2·(64-entry words); word 2i marks the entries 64·i + e equal to +1, word
  2i + 1 those equal to −1 (= 2 in GF(3)). Negation swaps the planes: word w of −x is word w ^ 1
  of x. Z3 adds mod 3; ZT adds in Z and a move whose result would leave {-1, 0, 1} is not taken.

K and the ring are compile-time constants: :func:`walk` dispatches to a specialisation of the one
source ``_make_walk`` per (ring, K), so the hot loop carries no ring test and the one-word case
compiles to straight-line code.

Moves (DESIGN §3), with λ = ±1 drawn at random over Z3 and ZT (λ = 1 over Z2):

* flip: t1 = a⊗b⊗c, t2 = a⊗b'⊗c' sharing a up to sign (in any mode) become a⊗(b+λb')⊗c and
  a⊗b'⊗(c'−λc); over ZT the mirrored λ is tried when the first overflows, else the flip is rejected;
* reduction: a zero factor drops its term; two terms sharing two factors (up to sign) merge;
* plus transition: a⊗b⊗c + a'⊗b'⊗c' -> (a−a')⊗b⊗c + a'⊗b⊗c + a'⊗b'⊗c' (rank + 1).

Flip partners are found in O(1): per mode, an open-addressing hash table (linear probing) maps a
factor's sign-normalised key (its lowest nonzero entry made +1; the hash folds all K words) to its
holders:

    keys[mode, s, :]  value in slot s; all zero = never used. A used slot whose count dropped to 0
                      is a tombstone: it keeps its value (values often come back) until the tables
                      are rebuilt, when a quarter of all slots carry values
    cnt[mode, s]      number of terms holding the value
    nxt/prv[mode, u]  circular doubly-linked holder lists; nodes 0..cap-1 are terms, node cap + s
                      is the sentinel of slot s (linking and unlinking never branch)
    slot_of[mode, t]  slot of term t's value (removal needs no hashing)
    coll[0:ncoll]     mode << bits | slot for every value held by two terms or more; cpos[mode, s]
                      is its position there (-1 if none): a flip is drawn without any scan.
"""
import numpy as np
from numba import njit
from numba.cpython.unsafe.tuple import tuple_setitem

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MULT = np.uint64(0x2545F4914F6CDD1D)
_LOW32 = np.uint64(0xFFFFFFFF)
RING_Z2, RING_Z3, RING_ZT = 0, 1, 2
_RING_NAMES = {RING_Z2: "z2", RING_Z3: "z3", RING_ZT: "zt"}
#: Words per factor the kernel is compiled for (Z2: 1..4 words; Z3/ZT: 1..4 pairs of planes).
WIDTHS = (1, 2, 3, 4, 6, 8)


@njit(cache=True, inline="always")
def add_planes(px, nx, py, ny, ring):
    """x + y for one word of entries in planes (+1 plane, −1 plane), over RING_Z3 or RING_ZT:
    (p, n, overflow); overflow is True when a ZT sum leaves {-1, 0, 1}."""
    if ring == RING_ZT:
        if (px & py) | (nx & ny):
            return px, nx, True
        return (px & ~ny) | (py & ~nx), (nx & ~py) | (ny & ~px), False
    p = (px & ~py & ~ny) | (py & ~px & ~nx) | (nx & ny)
    n = (nx & ~ny & ~py) | (ny & ~nx & ~px) | (px & py)
    return p, n, False


@njit(cache=True, inline="always")
def lead(p, n):
    """Sign of the lowest nonzero entry of a word in planes: 1, −1, or 0 when the word is zero."""
    both = p | n
    low = both & (~both + np.uint64(1))
    if n & low:
        return -1
    return 1 if low else 0


@njit(cache=True, inline="always")
def popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


def _make_walk(ring, K):
    """The walk over ``ring`` on factors of K uint64 words (see :func:`walk`); ring and K are frozen
    into the code, and a factor in flight is a K-tuple (kept in registers), read from and written
    to F word by word."""
    zero = (np.uint64(0),) * K

    def walk_k(F, r0, target, max_moves, plus_after, max_rank, rng, out, best):
        cap = F.shape[1]
        ts = 16
        bits = 4
        while ts < 8 * cap:
            ts *= 2
            bits += 1
        shift = np.uint64(64 - bits)
        mask = ts - 1
        keys = np.zeros((3, ts, K), np.uint64)
        cnt = np.zeros((3, ts), np.int64)
        cpos = np.full((3, ts), -1, np.int64)
        nxt = np.zeros((3, cap + ts), np.int64)
        prv = np.zeros((3, cap + ts), np.int64)
        slot_of = np.zeros((3, cap), np.int64)
        coll = np.zeros(3 * ts, np.int64)
        st = np.zeros(3, np.int64)            # [collisions, rank, used slots]
        work = np.zeros((64, 2), np.int64)     # reduction worklist of (term, mode)
        track = best.shape[1] > 0
        nnz = np.zeros(1, np.int64)            # nonzero coefficients of terms 0..rank-1, when tracked

        def rand():
            x = rng[0]
            x ^= x >> np.uint64(12)
            x ^= x << np.uint64(25)
            x ^= x >> np.uint64(27)
            rng[0] = x
            return x * _MULT

        def scale(bits32, n):
            return np.int64((bits32 * np.uint64(n)) >> np.uint64(32))

        def get(mode, t):
            x = zero
            for w in range(K):
                x = tuple_setitem(x, w, F[mode, t, w])
            return x

        def put(mode, t, x):
            for w in range(K):
                F[mode, t, w] = x[w]

        def weight(x):
            c = 0
            for w in range(K):
                c += popcount(x[w])
            return c

        def neg(x):
            if ring == RING_Z2:
                return x
            y = x
            for w in range(K):
                y = tuple_setitem(y, w, x[w ^ 1])
            return y

        def norm(x):
            """Key of ±x: the representative whose lowest nonzero entry is +1."""
            if ring != RING_Z2:
                for i in range(K // 2):
                    s = lead(x[2 * i], x[2 * i + 1])
                    if s < 0:
                        return neg(x)
                    if s > 0:
                        return x
            return x

        def times(x, sign):
            return x if sign > 0 else neg(x)

        def sign_between(x, y):
            """s with x = s·y (s = ±1), or 0 when x ≠ ±y."""
            if x == y:
                return 1
            if ring != RING_Z2 and x == neg(y):
                return -1
            return 0

        def add(x, y):
            """(x + y, True), or (_, False) when a ZT entry leaves {-1, 0, 1}."""
            z = x
            if ring == RING_Z2:
                for w in range(K):
                    z = tuple_setitem(z, w, x[w] ^ y[w])
                return z, True
            ok = True
            for i in range(K // 2):
                p, n, over = add_planes(x[2 * i], x[2 * i + 1], y[2 * i], y[2 * i + 1], ring)
                ok = ok and not over
                z = tuple_setitem(z, 2 * i, p)
                z = tuple_setitem(z, 2 * i + 1, n)
            return z, ok

        def insert(mode, t, key):
            h = key[0]                    # the words folded (rotated apart), one multiplication
            for w in range(1, K):
                r = np.uint64((32 * w + 16 * (w // 2)) % 64)
                h ^= (key[w] << r) | (key[w] >> np.uint64((64 - r) % 64))
            s = np.int64((h * _GOLDEN) >> shift)
            while True:
                match = True
                empty = True
                for w in range(K):
                    k = keys[mode, s, w]
                    match = match and k == key[w]
                    empty = empty and k == 0
                if match:
                    break
                if empty:
                    for w in range(K):
                        keys[mode, s, w] = key[w]
                    st[2] += 1
                    break
                s = (s + 1) & mask
            sent = cap + s
            first = nxt[mode, sent]
            nxt[mode, t] = first
            prv[mode, t] = sent
            prv[mode, first] = t
            nxt[mode, sent] = t
            slot_of[mode, t] = s
            c = cnt[mode, s] + 1
            cnt[mode, s] = c
            if c == 2:
                n = st[0]
                cpos[mode, s] = n
                coll[n] = (mode << bits) | s
                st[0] = n + 1
            return c

        def remove(mode, t):
            s = slot_of[mode, t]
            p = prv[mode, t]
            n = nxt[mode, t]
            nxt[mode, p] = n
            prv[mode, n] = p
            c = cnt[mode, s] - 1
            cnt[mode, s] = c
            if c == 1:
                k = cpos[mode, s]
                last = st[0] - 1
                moved = coll[last]
                coll[k] = moved
                cpos[moved >> bits, moved & mask] = k
                cpos[mode, s] = -1
                st[0] = last

        def fill(rank):
            keys[:] = 0
            cnt[:] = 0
            cpos[:] = -1
            for mode in range(3):
                for s in range(ts):
                    nxt[mode, cap + s] = cap + s
                    prv[mode, cap + s] = cap + s
            st[0] = 0
            st[1] = rank
            st[2] = 0
            for t in range(rank):
                for mode in range(3):
                    x = get(mode, t)
                    if x != zero:
                        insert(mode, t, norm(x))

        def set_factor(t, mode, value):
            """Returns the new holder count of ``value`` (0 for a zero factor)."""
            old = get(mode, t)
            if track:
                nnz[0] += weight(value) - weight(old)
            if old != zero:
                remove(mode, t)
            put(mode, t, value)
            if value == zero:
                return 0
            return insert(mode, t, norm(value))

        def kill(t):
            """Delete term t; the last term moves to index t. Returns its old index."""
            for mode in range(3):
                x = get(mode, t)
                if track:
                    nnz[0] -= weight(x)
                if x != zero:
                    remove(mode, t)
            last = st[1] - 1
            if last != t:
                for mode in range(3):
                    x = get(mode, last)
                    put(mode, t, x)
                    if x != zero:
                        p = prv[mode, last]
                        n = nxt[mode, last]
                        nxt[mode, p] = t
                        prv[mode, n] = t
                        prv[mode, t] = p
                        nxt[mode, t] = n
                        slot_of[mode, t] = slot_of[mode, last]
            st[1] = last
            return last

        def reduce(nwork):
            """Process the worklist of (term, mode) whose factor just changed: drop terms with a
            zero factor, merge pairs sharing two factors (cascading)."""
            while nwork > 0:
                nwork -= 1
                t = work[nwork, 0]
                m = work[nwork, 1]
                if t < 0:
                    continue
                partner = -1
                z = 0
                newz = zero
                if get(0, t) != zero and get(1, t) != zero and get(2, t) != zero:
                    x = (m + 1) % 3
                    y = (m + 2) % 3
                    sent = cap + slot_of[m, t]
                    h = nxt[m, sent]
                    while h != sent:
                        if h != t:
                            sm = sign_between(get(m, h), get(m, t))
                            for k in range(2):
                                shared = x if k == 0 else y
                                other = y if k == 0 else x
                                # h = (sm·a)⊗(ss·b)⊗c'' and t = a⊗b⊗c merge into h: c'' + sm·ss·c
                                ss = sign_between(get(shared, h), get(shared, t))
                                if ss != 0:
                                    newz, ok = add(get(other, h), times(get(other, t), sm * ss))
                                    if ok:
                                        partner = h
                                        z = other
                                        break
                            if partner >= 0:
                                break
                        h = nxt[m, h]
                    if partner < 0:
                        continue
                last = kill(t)
                for w in range(nwork):      # the killed term leaves the worklist, the moved one follows
                    if work[w, 0] == t:
                        work[w, 0] = -1
                    elif work[w, 0] == last:
                        work[w, 0] = t
                if partner >= 0:
                    if partner == last:
                        partner = t
                    set_factor(partner, z, newz)
                    work[nwork, 0] = partner
                    work[nwork, 1] = z
                    nwork += 1

        def plus():
            """Plus transition on two random terms differing in every mode; False if the draw
            failed."""
            r = st[1]
            y = rand()
            t1 = scale(y >> np.uint64(32), r)
            t2 = scale(y & _LOW32, r - 1)
            if t2 >= t1:
                t2 += 1
            x = scale(rand() >> np.uint64(32), 3)
            y1 = (x + 1) % 3
            z1 = (x + 2) % 3
            if (norm(get(x, t1)) == norm(get(x, t2)) or norm(get(y1, t1)) == norm(get(y1, t2))
                    or norm(get(z1, t1)) == norm(get(z1, t2))):
                return False
            diff, ok = add(get(x, t1), neg(get(x, t2)))
            if not ok:
                return False
            st[1] = r + 1
            put(x, r, get(x, t2))
            put(y1, r, get(y1, t1))
            put(z1, r, get(z1, t1))
            for mode in range(3):
                f = get(mode, r)
                insert(mode, r, norm(f))
                if track:
                    nnz[0] += weight(f)
            set_factor(t1, x, diff)
            return True

        fill(r0)
        for t in range(r0 - 1, -1, -1):                   # initial reduction
            for mode in range(3):
                if t < st[1]:
                    work[0, 0] = t
                    work[0, 1] = mode
                    reduce(1)
        best_nnz = 0
        best_rank = st[1]
        if track:
            for t in range(st[1]):
                for mode in range(3):
                    nnz[0] += weight(get(mode, t))
            best_nnz = nnz[0]
            best[:, :st[1]] = F[:, :st[1]]

        flips = 0
        nplus = 0
        rejected = 0
        quiet = 0
        limit = plus_after + scale(rand() >> np.uint64(32), plus_after) if plus_after > 0 else 0
        while st[1] > target and flips + nplus + rejected < max_moves:
            r = st[1]
            if plus_after > 0 and r < max_rank and r >= 2 and (quiet >= limit or st[0] == 0):
                if plus():
                    nplus += 1
                    quiet = 0
                    limit = plus_after + scale(rand() >> np.uint64(32), plus_after)
                else:                                     # counted, so a scheme where every draw
                    rejected += 1                         # fails cannot loop for ever
                continue
            ncoll = st[0]
            if ncoll == 0:
                break
            x = rand()
            code = coll[scale(x >> np.uint64(32), ncoll)]
            mode = code >> bits
            s = code & mask
            holders = cnt[mode, s]
            if holders == 2:
                t1 = nxt[mode, cap + s]
                t2 = nxt[mode, t1]
                if (x >> np.uint64(30)) & np.uint64(1):
                    t1, t2 = t2, t1
            else:
                y = rand()
                i = scale(y >> np.uint64(32), holders)
                j = scale(y & _LOW32, holders - 1)
                if j >= i:
                    j += 1
                t1 = nxt[mode, cap + s]
                for _ in range(i):
                    t1 = nxt[mode, t1]
                t2 = nxt[mode, cap + s]
                for _ in range(j):
                    t2 = nxt[mode, t2]
            if (x >> np.uint64(31)) & np.uint64(1):
                m1 = (mode + 1) % 3
                m2 = (mode + 2) % 3
            else:
                m1 = (mode + 2) % 3
                m2 = (mode + 1) % 3
            # t2 = (σa)⊗b'⊗c' = a⊗(σb')⊗c': t1 gets b + λσb', t2 gets c' − λc
            sigma = sign_between(get(mode, t2), get(mode, t1))
            lam = 1
            if ring != RING_Z2 and (x >> np.uint64(29)) & np.uint64(1):
                lam = -1
            b = get(m1, t1)
            b_ = get(m1, t2)
            c = get(m2, t1)
            c_ = get(m2, t2)
            nb, ok_b = add(b, times(b_, lam * sigma))
            nc, ok_c = add(c_, times(c, -lam))
            if not (ok_b and ok_c):                       # ZT only: try the mirrored λ
                lam = -lam
                nb, ok_b = add(b, times(b_, lam * sigma))
                nc, ok_c = add(c_, times(c, -lam))
                if not (ok_b and ok_c):
                    rejected += 1
                    continue
            c1 = set_factor(t1, m1, nb)
            c2 = set_factor(t2, m2, nc)
            if c1 != 1 or c2 != 1:                        # a zero factor or a new shared factor
                work[0, 0] = t1
                work[0, 1] = m1
                work[1, 0] = t2
                work[1, 1] = m2
                reduce(2)
            flips += 1
            if st[1] < r:
                quiet = 0
            else:
                quiet += 1
            if track and (st[1] < best_rank or (st[1] == best_rank and nnz[0] < best_nnz)):
                best_rank = st[1]
                best_nnz = nnz[0]
                best[:, :best_rank] = F[:, :best_rank]
            if st[2] * 4 > 3 * ts:                        # too many tombstones: rebuild
                fill(st[1])
        out[0] = flips
        out[1] = nplus
        out[2] = rejected
        out[3] = best_nnz
        out[4] = best_rank
        return st[1]

    # numba's disk cache keeps one index per function name: a name per specialisation gives each
    # its own cache files, so processes compiling different ones at once never share an index
    walk_k.__name__ = walk_k.__qualname__ = f"walk_{_RING_NAMES[ring]}_{K}w"
    return njit(cache=True)(walk_k)


_WALKS = {(ring, k): _make_walk(ring, k) for ring in (RING_Z2, RING_Z3, RING_ZT) for k in WIDTHS
          if ring == RING_Z2 or k % 2 == 0}


def walk(F, r0, ring, target, max_moves, plus_after, max_rank, rng, out, best):
    """Random walk over ``ring`` (RING_Z2/Z3/ZT), in place on F (uint64[3, capacity, K], terms
    0..r0-1, K in WIDTHS; even over Z3/ZT).

    Stops when the rank is <= ``target``, after ``max_moves`` moves (flips, plus transitions and
    rejected flips), or when no flip exists and no plus transition is allowed. ``plus_after`` > 0:
    after that many flips without a reduction (randomised in [A, 2A)) do a plus transition, if the
    rank is below ``max_rank``.
    ``rng``: uint64[1] generator state (xorshift64*, never 0), advanced in place.
    ``out`` receives [flips, plus transitions, rejected moves (ZT flips that would overflow,
    plus-transition draws that failed), best nonzeros, best rank]. A rejected move counts as a
    move. Returns the final rank.

    ``best`` (uint64[3, capacity, K], or shape (3, 0, K) to skip): when given, the walk tracks the
    number of nonzero coefficients and keeps in ``best`` the scheme met with the lowest rank, then
    the fewest nonzeros (at fixed rank, fewest naive additions: nnz − 2·rank − n·p)."""
    return _WALKS[ring, F.shape[2]](F, r0, target, max_moves, plus_after, max_rank, rng, out, best)
