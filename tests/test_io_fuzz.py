"""Every reader, fed seeded mutations of a valid file: a scheme or a FlipgraphError, nothing else.

1200 mutated inputs per run (100 per sample, 12 samples covering every reader and layout), a few
seconds. A failure prints the sample, the seed and the mutated bytes' head, so it reproduces.
"""
import random
from fractions import Fraction

import pytest

import io_samples as samples
from flipgraph import classics, io
from flipgraph.errors import FlipgraphError

PER_SAMPLE = 100
TOKENS = [b"(", b")", b"[", b"]", b"{", b"}", b",", b"*", b"/", b"/0", b"-", b"+", b"=", b"#", b"\n",
          b" ", b"0", b"1", b"-1", b"2", b"99999999999999999999", b"9" * 5000, b"1/3", b"a1_1", b"a99",
          b"c11", b"m0", b"m1", b"\x00", b"\xff", b"1e5", b"0.5", b"nan", b"null", b"true", b'"',
          b"# ring: z3", b"# ring: x", b"# format: 9x9x9", b"'shape': (", b"PK\x03\x04",
          "²".encode(), "٣".encode(), "\u2028".encode()]


def _samples(tmp_path):
    s, q = classics.strassen(), classics.strassen().over("q")
    U, W = q.U.copy(), q.W.copy()
    U[0], W[0] = U[0] * 3, W[0] * Fraction(1, 3)
    rational = type(q)((2, 2, 2), U, q.V, W, "q")
    return {
        "native.json": io.native.write(s),
        "perminov.json": io.perminov.write(rational),
        "listing.txt": io.listing.write(s),
        "numeric.txt": samples.numeric_txt(rational, pairs=True),
        "products.txt": samples.exp_lines(s, "spaces"),
        "x.exp": samples.exp_lines(rational),
        "forms.m": "S := [" + ",\n".join("[" + ", ".join(line[1:-1].split(")*(")) + "]"
                                          for line in samples.exp_lines(s).splitlines()) + "];",
        "matrices.m": samples.maple_matrices(rational),
        "x_tensor.mpl": samples.triads_mpl(rational, "-(0*1-1*0-1)"),
        "alphatensor.npz": samples.npz_pickled(s),
        "gg-222-rank7-rec-0-0-0-z.npy": samples.flipcpd_npy(rational),
        "gg-222-rank7-rec-0-0-0-q.txt": samples.flipcpd_txt(rational),
    }


def _mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(data) + 1)
        kind = rng.randrange(6)
        if kind == 0 and data:                                    # flip a byte
            data[min(at, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif kind == 1:                                           # delete a slice
            del data[at:at + rng.randint(1, 20)]
        elif kind == 2:                                           # duplicate a slice
            data[at:at] = data[at:at + rng.randint(1, 40)]
        elif kind == 3:                                           # insert a token
            data[at:at] = rng.choice(TOKENS)
        elif kind == 4:                                           # truncate
            del data[at:]
        else:                                                     # overwrite with a token
            token = rng.choice(TOKENS)
            data[at:at + len(token)] = token
    return bytes(data)


def test_every_reader_survives_mutated_input(tmp_path):
    rng = random.Random(13)
    bodies = {name: text if isinstance(text, bytes) else text.encode() for name, text in
              _samples(tmp_path).items()}
    for name, body in bodies.items():                              # the samples themselves are valid
        path = samples.write(tmp_path, name, body)
        assert io.load_all(path), name
    outcomes = {"read": 0, "refused": 0}
    for name, body in bodies.items():
        for trial in range(PER_SAMPLE):
            mutated = _mutate(body, rng)
            path = samples.write(tmp_path, name, mutated)
            try:
                io.load_all(path)
                outcomes["read"] += 1
            except FlipgraphError as exc:
                assert "\n" not in str(exc), (name, trial, str(exc)[:200])
                outcomes["refused"] += 1
            except Exception as exc:  # noqa: BLE001 - any other exception is the bug this test finds
                pytest.fail(f"{name} trial {trial}: {type(exc).__name__}: {exc}\n{mutated[:300]!r}")
    assert sum(outcomes.values()) >= 1000 and outcomes["refused"] > 100 and outcomes["read"] > 10
