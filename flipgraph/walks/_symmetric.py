"""The C3-symmetric walk kernel (numba): flips of whole orbits, in place on packed orbit slots.

Internal: :mod:`flipgraph.walks.symmetric` calls :func:`walk`. Trace form (Moosbauer–Poole): an
orbit o is three n×n matrices x, y, z held in *slots* 3o, 3o+1, 3o+2 and stands for the three
terms x⊗y⊗z + y⊗z⊗x + z⊗x⊗y of Σ_ijk a_ij b_jk c_ki. The term *starting at* slot s is
(S[s], S[nx(s)], S[nx(nx(s))]) with nx(3o+j) = 3o + (j+1) mod 3, so every slot is the first
factor of one of its orbit's terms and one hash table over slots finds all flip partners.

Packed slot values: ``P[s]`` marks the entries equal to +1 (bit i·n+j = entry (i, j), n·n <= 64),
``N[s]`` those equal to −1 (always 0 over Z2, where addition is XOR of P).

Moves (λ = ±1 over Z3/ZT, 1 over Z2):

* flip: slots p, q of two *different* orbits with S[q] = σ·S[p] (σ = ±1): the terms starting
  there, v⊗f⊗e and v⊗(σf')⊗e', become v⊗f⊗(e + λe') and v⊗(σf' − λf)⊗e'. Only slot nx²(p) and
  slot nx(q) change; as each is shared by its orbit's three terms, the three rotated copies of the
  flip happen at once and the scheme stays symmetric. Two slots of one orbit are never flipped
  together: both of them (or one twice) would change, and the orbit's change would not be the
  symmetrisation of a flip.
* reduction: a zero slot drops its orbit (rank − 3); terms starting at slots s, h of different
  orbits that share two factors (up to sign) merge, h takes the sum and s's orbit is dropped.
* plus transition: terms a⊗b⊗c, a'⊗b'⊗c' starting in two orbits (all factors different) become
  (a − a')⊗b⊗c + a'⊗b⊗c + a'⊗b'⊗c': slot of a takes a − a', a new orbit (a', b, c) (rank + 3).

Fixed ("cube") terms are not in the kernel: they never change.

Flip partners: an open-addressing hash (linear probing) from a slot's sign-normalised value to its
holders (circular doubly linked lists; nodes 0..cap-1 are slots, node cap + h the sentinel of table
entry h), and ``coll``, the table entries held by two slots or more, to draw a flip from.
"""
import numpy as np
from numba import njit

from ._kernel import RING_Z2, RING_ZT, add_planes, lead

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MULT = np.uint64(0x2545F4914F6CDD1D)
_LOW32 = np.uint64(0xFFFFFFFF)
_ZERO = np.uint64(0)


@njit(cache=True)
def walk(P, N, n_orbits, ring, target, max_moves, plus_after, max_orbits, rng, out, bestP, bestN):
    """Walk in place on the orbit slots (P, N: uint64[3·capacity], orbits 0..n_orbits-1) until at
    most ``target`` orbits remain, after ``max_moves`` moves (flips, plus transitions, rejected
    draws), or when no move is left. ``plus_after`` > 0: a plus transition after that many flips
    without a reduction (randomised in [A, 2A)) while fewer than ``max_orbits`` orbits are alive.
    ``rng``: uint64[1] xorshift64* state. ``out`` gets [flips, plus transitions, rejected draws,
    best orbit count]; bestP/bestN (same shape as P) the slots of the scheme with fewest orbits
    met. Returns the final number of orbits."""
    cap = P.shape[0]
    ts = 16
    bits = 4
    while ts < 8 * cap:
        ts *= 2
        bits += 1
    shift = np.uint64(64 - bits)
    mask = ts - 1
    kp = np.zeros(ts, np.uint64)
    kn = np.zeros(ts, np.uint64)
    used = np.zeros(ts, np.bool_)
    cnt = np.zeros(ts, np.int64)
    cpos = np.full(ts, -1, np.int64)
    nxt = np.zeros(cap + ts, np.int64)
    prv = np.zeros(cap + ts, np.int64)
    entry_of = np.zeros(cap, np.int64)
    coll = np.zeros(ts, np.int64)
    st = np.zeros(3, np.int64)                 # [collisions, orbits, used entries]
    work = np.zeros(64, np.int64)              # slots whose value just changed

    def rand():
        x = rng[0]
        x ^= x >> np.uint64(12)
        x ^= x << np.uint64(25)
        x ^= x >> np.uint64(27)
        rng[0] = x
        return x * _MULT

    def scale(bits32, n):
        return np.int64((bits32 * np.uint64(n)) >> np.uint64(32))

    def nx(s):
        return s - 2 if s % 3 == 2 else s + 1

    def neg(p, n):
        return (n, p) if ring != RING_Z2 else (p, n)

    def norm(p, n):
        if ring != RING_Z2 and lead(p, n) < 0:
            return n, p
        return p, n

    def sign_between(p1, n1, p2, n2):
        """σ with (p1, n1) = σ·(p2, n2), or 0."""
        if p1 == p2 and n1 == n2:
            return 1
        if ring != RING_Z2 and p1 == n2 and n1 == p2:
            return -1
        return 0

    def add(p1, n1, p2, n2, sign):
        """(x + sign·y, ok); ok is False when a ZT entry leaves {-1, 0, 1}."""
        if ring == RING_Z2:
            return p1 ^ p2, _ZERO, True
        if sign < 0:
            p2, n2 = n2, p2
        p, n, over = add_planes(p1, n1, p2, n2, ring)
        return p, n, not over

    def insert(s):
        a, b = norm(P[s], N[s])
        h = np.int64(((a * _GOLDEN) ^ b) * _GOLDEN >> shift)
        while True:
            if used[h]:
                if kp[h] == a and kn[h] == b:
                    break
            else:
                used[h] = True
                kp[h] = a
                kn[h] = b
                st[2] += 1
                break
            h = (h + 1) & mask
        sent = cap + h
        first = nxt[sent]
        nxt[s] = first
        prv[s] = sent
        prv[first] = s
        nxt[sent] = s
        entry_of[s] = h
        c = cnt[h] + 1
        cnt[h] = c
        if c == 2:
            cpos[h] = st[0]
            coll[st[0]] = h
            st[0] += 1
        return c

    def remove(s):
        h = entry_of[s]
        p = prv[s]
        n = nxt[s]
        nxt[p] = n
        prv[n] = p
        c = cnt[h] - 1
        cnt[h] = c
        if c == 1:
            k = cpos[h]
            last = st[0] - 1
            moved = coll[last]
            coll[k] = moved
            cpos[moved] = k
            cpos[h] = -1
            st[0] = last

    def fill(n_orb):
        used[:] = False
        cnt[:] = 0
        cpos[:] = -1
        for h in range(ts):
            nxt[cap + h] = cap + h
            prv[cap + h] = cap + h
        st[0] = 0
        st[1] = n_orb
        st[2] = 0
        for s in range(3 * n_orb):
            if P[s] | N[s]:
                insert(s)

    def set_slot(s, p, n):
        """Returns the new holder count of the value (0 for zero)."""
        if P[s] | N[s]:
            remove(s)
        P[s] = p
        N[s] = n
        if p | n:
            return insert(s)
        return 0

    def kill(o, nwork):
        """Drop orbit o; the last orbit moves into its slots (the worklist follows)."""
        for j in range(3):
            s = 3 * o + j
            if P[s] | N[s]:
                remove(s)
        last = st[1] - 1
        for w in range(nwork):
            if work[w] // 3 == o:
                work[w] = -1
        if last != o:
            for j in range(3):
                s = 3 * last + j
                if P[s] | N[s]:
                    remove(s)
                P[3 * o + j] = P[s]
                N[3 * o + j] = N[s]
                if P[s] | N[s]:
                    insert(3 * o + j)
            for w in range(nwork):
                if work[w] >= 0 and work[w] // 3 == last:
                    work[w] = work[w] - 3 * last + 3 * o
        st[1] = last

    def zero(s):
        return (P[s] | N[s]) == 0

    def reduce(nwork):
        """Process the worklist: drop orbits with a zero slot, merge terms sharing two factors."""
        while nwork > 0:
            nwork -= 1
            s = work[nwork]
            if s < 0:
                continue
            o = s // 3
            if zero(3 * o) or zero(3 * o + 1) or zero(3 * o + 2):
                kill(o, nwork)
                continue
            s1 = nx(s)
            s2 = nx(s1)
            sent = cap + entry_of[s]
            h = nxt[sent]
            target_slot = -1
            newp = _ZERO
            newn = _ZERO
            while h != sent:
                if h // 3 != o:
                    sg = sign_between(P[h], N[h], P[s], N[s])
                    h1 = nx(h)
                    h2 = nx(h1)
                    # h-term = (sg·v)⊗(ss·b)⊗c'' and s-term = v⊗b⊗c merge into c'' + sg·ss·c
                    ss = sign_between(P[h1], N[h1], P[s1], N[s1])
                    if ss != 0:
                        newp, newn, ok = add(P[h2], N[h2], P[s2], N[s2], sg * ss)
                        if ok:
                            target_slot = h2
                            break
                    ss = sign_between(P[h2], N[h2], P[s2], N[s2])
                    if ss != 0:
                        newp, newn, ok = add(P[h1], N[h1], P[s1], N[s1], sg * ss)
                        if ok:
                            target_slot = h1
                            break
                h = nxt[h]
            if target_slot < 0:
                continue
            to = target_slot // 3
            last = st[1] - 1
            kill(o, nwork)
            if to == last:
                target_slot = target_slot - 3 * last + 3 * o
            set_slot(target_slot, newp, newn)
            work[nwork] = target_slot
            nwork += 1

    def plus():
        """Plus transition on terms starting in two random orbits; False if the draw failed."""
        r = st[1]
        y = rand()
        o1 = scale(y >> np.uint64(32), r)
        o2 = scale(y & _LOW32, r - 1)
        if o2 >= o1:
            o2 += 1
        z = rand()
        a = 3 * o1 + scale(z >> np.uint64(32), 3)
        a_ = 3 * o2 + scale(z & _LOW32, 3)
        b = nx(a)
        c = nx(b)
        b_ = nx(a_)
        c_ = nx(b_)
        for u, v in ((a, a_), (b, b_), (c, c_)):
            if sign_between(P[u], N[u], P[v], N[v]) != 0:
                return False
        dp, dn, ok = add(P[a], N[a], P[a_], N[a_], -1)
        if not ok:
            return False
        new = 3 * r
        P[new] = P[a_]
        N[new] = N[a_]
        P[new + 1] = P[b]
        N[new + 1] = N[b]
        P[new + 2] = P[c]
        N[new + 2] = N[c]
        st[1] = r + 1
        for j in range(3):
            insert(new + j)
        set_slot(a, dp, dn)
        return True

    fill(n_orbits)
    for s in range(3 * n_orbits - 1, -1, -1):          # initial reduction
        if s < 3 * st[1]:
            work[0] = s
            reduce(1)
    best = st[1]
    bestP[:3 * best] = P[:3 * best]
    bestN[:3 * best] = N[:3 * best]

    flips = 0
    nplus = 0
    rejected = 0
    quiet = 0
    limit = plus_after + scale(rand() >> np.uint64(32), plus_after) if plus_after > 0 else 0
    stuck = 0
    while st[1] > target and flips + nplus + rejected < max_moves:
        r = st[1]
        if plus_after > 0 and r < max_orbits and r >= 2 and (quiet >= limit or st[0] == 0
                                                             or stuck > 64):
            if plus():
                nplus += 1
                quiet = 0
                stuck = 0
                limit = plus_after + scale(rand() >> np.uint64(32), plus_after)
            else:
                rejected += 1
            continue
        if st[0] == 0 or (stuck > 64 and plus_after == 0):
            break
        x = rand()
        h = coll[scale(x >> np.uint64(32), st[0])]
        holders = cnt[h]
        y = rand()
        i = scale(y >> np.uint64(32), holders)
        j = scale(y & _LOW32, holders - 1)
        if j >= i:
            j += 1
        p = nxt[cap + h]
        for _ in range(i):
            p = nxt[p]
        q = nxt[cap + h]
        for _ in range(j):
            q = nxt[q]
        if p // 3 == q // 3:                             # same orbit: no symmetric flip
            rejected += 1
            stuck += 1
            continue
        stuck = 0
        sigma = sign_between(P[q], N[q], P[p], N[p])
        lam = 1
        if ring != RING_Z2 and (x >> np.uint64(31)) & np.uint64(1):
            lam = -1
        fp = nx(p)
        ep = nx(fp)
        fq = nx(q)
        eq = nx(fq)
        # v⊗f⊗e + v⊗(σf')⊗e' -> v⊗f⊗(e + λe') + v⊗(σf' − λf)⊗e'
        e_p, e_n, ok_e = add(P[ep], N[ep], P[eq], N[eq], lam)
        f_p, f_n, ok_f = add(P[fq], N[fq], P[fp], N[fp], -lam * sigma)
        if not (ok_e and ok_f):                          # ZT only: the mirrored λ
            lam = -lam
            e_p, e_n, ok_e = add(P[ep], N[ep], P[eq], N[eq], lam)
            f_p, f_n, ok_f = add(P[fq], N[fq], P[fp], N[fp], -lam * sigma)
            if not (ok_e and ok_f):
                rejected += 1
                continue
        c1 = set_slot(ep, e_p, e_n)
        c2 = set_slot(fq, f_p, f_n)
        flips += 1
        if c1 != 1 or c2 != 1:
            work[0] = ep
            work[1] = fq
            reduce(2)
        if st[1] < r:
            quiet = 0
            if st[1] < best:
                best = st[1]
                bestP[:3 * best] = P[:3 * best]
                bestN[:3 * best] = N[:3 * best]
        else:
            quiet += 1
        if st[2] * 4 > 3 * ts:                          # too many stale entries: rebuild
            fill(st[1])
    out[0] = flips
    out[1] = nplus
    out[2] = rejected
    out[3] = best
    return st[1]
