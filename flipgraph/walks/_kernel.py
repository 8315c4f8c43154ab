"""The walk kernel (numba): random walks on the flip graph, in place on packed factors.

Internal: :mod:`flipgraph.walks.pool` calls :func:`walk`. Everything runs inside one compiled
function whose helpers are inner functions (numba inlines them and their arrays are captured, so the
hot loop pays no reference counting — passing arrays to separate jitted helpers costs ~20x).

Packed terms: ``F[mode, t]`` (uint64) is the factor of term t in mode 0 (a, a row of U), 1 (b, V)
or 2 (c, W); terms 0..rank-1 are alive. Rings (the ``ring`` argument):

* RING_Z2: bit e = coefficient of flat entry e (<= 64 entries); addition is XOR.
* RING_Z3, RING_ZT: two bit planes, bits 0..31 mark entries equal to +1, bits 32..63 entries equal
  to −1 (= 2 in GF(3)); <= 32 entries. Negation swaps the planes. Z3 adds mod 3; ZT adds in Z and
  a move whose result would leave {-1, 0, 1} is not taken.

Moves (DESIGN §3), with λ = ±1 drawn at random over Z3 and ZT (λ = 1 over Z2):

* flip: t1 = a⊗b⊗c, t2 = a⊗b'⊗c' sharing a up to sign (in any mode) become a⊗(b+λb')⊗c and
  a⊗b'⊗(c'−λc); over ZT the mirrored λ is tried when the first overflows, else the flip is rejected;
* reduction: a zero factor drops its term; two terms sharing two factors (up to sign) merge;
* plus transition: a⊗b⊗c + a'⊗b'⊗c' -> (a−a')⊗b⊗c + a'⊗b⊗c + a'⊗b'⊗c' (rank + 1).

Flip partners are found in O(1): per mode, an open-addressing hash table (linear probing) maps a
factor's sign-normalised key (its lowest nonzero entry made +1) to its holders:

    keys[mode, s]     value in slot s; 0 = never used. A used slot whose count dropped to 0 is a
                      tombstone: it keeps its value (values often come back) until the tables are
                      rebuilt, when a quarter of all slots carry values
    cnt[mode, s]      number of terms holding the value
    nxt/prv[mode, u]  circular doubly-linked holder lists; nodes 0..cap-1 are terms, node cap + s
                      is the sentinel of slot s (linking and unlinking never branch)
    slot_of[mode, t]  slot of term t's value (removal needs no hashing)
    coll[0:ncoll]     mode << bits | slot for every value held by two terms or more; cpos[mode, s]
                      is its position there (-1 if none): a flip is drawn without any scan.
"""
import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MULT = np.uint64(0x2545F4914F6CDD1D)
_LOW32 = np.uint64(0xFFFFFFFF)
_HALF = np.uint64(32)
OVERFLOW = np.uint64(0xFFFFFFFFFFFFFFFF)   # "the sum leaves {-1,0,1}": never a valid packed factor
RING_Z2, RING_Z3, RING_ZT = 0, 1, 2


@njit(cache=True, inline="always")
def neg(x, ring):
    if ring == RING_Z2:
        return x
    return (x >> _HALF) | ((x & _LOW32) << _HALF)


@njit(cache=True, inline="always")
def norm(x, ring):
    """Key of ±x: the representative whose lowest nonzero entry is +1."""
    if ring == RING_Z2:
        return x
    both = (x | (x >> _HALF)) & _LOW32
    low = both & (~both + np.uint64(1))
    if (x >> _HALF) & low:
        return neg(x, ring)
    return x


@njit(cache=True, inline="always")
def times(x, sign, ring):
    """sign·x for sign = ±1."""
    return x if sign > 0 else neg(x, ring)


@njit(cache=True, inline="always")
def sign_between(x, y, ring):
    """s with x = s·y (s = ±1), or 0 when x ≠ ±y."""
    if x == y:
        return 1
    if ring != RING_Z2 and x == neg(y, ring):
        return -1
    return 0


@njit(cache=True, inline="always")
def add(x, y, ring):
    """x + y in the ring; OVERFLOW when a ZT sum leaves {-1, 0, 1}."""
    if ring == RING_Z2:
        return x ^ y
    px = x & _LOW32
    nx = x >> _HALF
    py = y & _LOW32
    ny = y >> _HALF
    if ring == RING_ZT:
        if (px & py) | (nx & ny):
            return OVERFLOW
        return ((px & ~ny) | (py & ~nx)) | (((nx & ~py) | (ny & ~px)) << _HALF)
    p = (px & ~py & ~ny) | (py & ~px & ~nx) | (nx & ny)
    n = (nx & ~ny & ~py) | (ny & ~nx & ~px) | (px & py)
    return p | (n << _HALF)


@njit(cache=True, inline="always")
def popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(cache=True)
def walk(F, r0, ring, target, max_moves, plus_after, max_rank, rng, out, best):
    """Random walk over ``ring`` (RING_Z2/Z3/ZT), in place on F (uint64[3, capacity], terms
    0..r0-1).

    Stops when the rank is <= ``target``, after ``max_moves`` moves (flips, plus transitions and
    rejected flips), or when no flip exists and no plus transition is allowed. ``plus_after`` > 0:
    after that many flips without a reduction (randomised in [A, 2A)) do a plus transition, if the
    rank is below ``max_rank``.
    ``rng``: uint64[1] generator state (xorshift64*, never 0), advanced in place.
    ``out`` receives [flips, plus transitions, rejected flips (ZT overflow), best nonzeros,
    best rank]. A rejected flip counts as a move. Returns the final rank.

    ``best`` (uint64[3, capacity], or shape (3, 0) to skip): when given, the walk tracks the number
    of nonzero coefficients and keeps in ``best`` the scheme met with the lowest rank, then the
    fewest nonzeros (at fixed rank, fewest naive additions: nnz − 2·rank − n·p)."""
    cap = F.shape[1]
    ts = 16
    bits = 4
    while ts < 8 * cap:
        ts *= 2
        bits += 1
    shift = np.uint64(64 - bits)
    mask = ts - 1
    keys = np.zeros((3, ts), np.uint64)
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

    def insert(mode, t, key):
        s = np.int64((key * _GOLDEN) >> shift)
        while keys[mode, s] != key and keys[mode, s] != 0:
            s = (s + 1) & mask
        if keys[mode, s] == 0:
            keys[mode, s] = key
            st[2] += 1
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
                if F[mode, t] != 0:
                    insert(mode, t, norm(F[mode, t], ring))

    def set_factor(t, mode, value):
        """Returns the new holder count of ``value`` (0 for a zero factor)."""
        if track:
            nnz[0] += popcount(value) - popcount(F[mode, t])
        if F[mode, t] != 0:
            remove(mode, t)
        F[mode, t] = value
        if value == 0:
            return 0
        return insert(mode, t, norm(value, ring))

    def kill(t):
        """Delete term t; the last term moves to index t. Returns its old index."""
        for mode in range(3):
            if track:
                nnz[0] -= popcount(F[mode, t])
            if F[mode, t] != 0:
                remove(mode, t)
        last = st[1] - 1
        if last != t:
            for mode in range(3):
                F[mode, t] = F[mode, last]
                if F[mode, t] != 0:
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
        """Process the worklist of (term, mode) whose factor just changed: drop terms with a zero
        factor, merge pairs sharing two factors (cascading)."""
        while nwork > 0:
            nwork -= 1
            t = work[nwork, 0]
            m = work[nwork, 1]
            if t < 0:
                continue
            partner = -1
            z = 0
            newz = np.uint64(0)
            if F[0, t] != 0 and F[1, t] != 0 and F[2, t] != 0:
                x = (m + 1) % 3
                y = (m + 2) % 3
                sent = cap + slot_of[m, t]
                h = nxt[m, sent]
                while h != sent:
                    if h != t:
                        sm = sign_between(F[m, h], F[m, t], ring)
                        for k in range(2):
                            shared = x if k == 0 else y
                            other = y if k == 0 else x
                            # h = (sm·a)⊗(ss·b)⊗c'' and t = a⊗b⊗c merge into h with c'' + sm·ss·c
                            ss = sign_between(F[shared, h], F[shared, t], ring)
                            if ss != 0:
                                newz = add(F[other, h], times(F[other, t], sm * ss, ring), ring)
                                if newz != OVERFLOW:
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
        """Plus transition on two random terms differing in every mode; False if the draw failed."""
        r = st[1]
        y = rand()
        t1 = scale(y >> np.uint64(32), r)
        t2 = scale(y & _LOW32, r - 1)
        if t2 >= t1:
            t2 += 1
        x = scale(rand() >> np.uint64(32), 3)
        y1 = (x + 1) % 3
        z1 = (x + 2) % 3
        if (norm(F[x, t1], ring) == norm(F[x, t2], ring)
                or norm(F[y1, t1], ring) == norm(F[y1, t2], ring)
                or norm(F[z1, t1], ring) == norm(F[z1, t2], ring)):
            return False
        diff = add(F[x, t1], neg(F[x, t2], ring), ring)
        if diff == OVERFLOW:
            return False
        st[1] = r + 1
        F[x, r] = F[x, t2]
        F[y1, r] = F[y1, t1]
        F[z1, r] = F[z1, t1]
        for mode in range(3):
            insert(mode, r, norm(F[mode, r], ring))
            if track:
                nnz[0] += popcount(F[mode, r])
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
                nnz[0] += popcount(F[mode, t])
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
            continue
        ncoll = st[0]
        if ncoll == 0:
            break
        x = rand()
        code = coll[scale(x >> np.uint64(32), ncoll)]
        mode = code >> bits
        s = code & mask
        c = cnt[mode, s]
        if c == 2:
            t1 = nxt[mode, cap + s]
            t2 = nxt[mode, t1]
            if (x >> np.uint64(30)) & np.uint64(1):
                t1, t2 = t2, t1
        else:
            y = rand()
            i = scale(y >> np.uint64(32), c)
            j = scale(y & _LOW32, c - 1)
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
        sigma = sign_between(F[mode, t2], F[mode, t1], ring)
        lam = 1
        if ring != RING_Z2 and (x >> np.uint64(29)) & np.uint64(1):
            lam = -1
        nb = add(F[m1, t1], times(F[m1, t2], lam * sigma, ring), ring)
        nc = add(F[m2, t2], times(F[m2, t1], -lam, ring), ring)
        if nb == OVERFLOW or nc == OVERFLOW:          # ZT only: try the mirrored λ
            lam = -lam
            nb = add(F[m1, t1], times(F[m1, t2], lam * sigma, ring), ring)
            nc = add(F[m2, t2], times(F[m2, t1], -lam, ring), ring)
            if nb == OVERFLOW or nc == OVERFLOW:
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
