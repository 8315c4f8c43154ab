"""Round trips native JSON <-> Scheme <-> Perminov JSON <-> .exp (and the listing) preserve a
scheme exactly: format, ring and every coefficient (hypothesis; random matrices, not valid schemes)."""
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
from hypothesis import given, settings, strategies as st

from flipgraph import Scheme, io

RING_VALUES = {
    "z2": st.integers(0, 1),
    "z3": st.integers(0, 2),
    "zt": st.integers(-1, 1),
    "z": st.integers(-40, 40),
    "q": st.fractions(min_value=-9, max_value=9, max_denominator=12),
}


@st.composite
def schemes(draw, rings=tuple(RING_VALUES), min_rank=0):
    ring = draw(st.sampled_from(rings))
    n, m, p = (draw(st.integers(1, 4)) for _ in range(3))
    r = draw(st.integers(min_rank, 6))
    values = RING_VALUES[ring]

    def matrix(cols):
        return np.array([[draw(values) for _ in range(cols)] for _ in range(r)],
                        dtype=object).reshape(r, cols)

    return Scheme((n, m, p), matrix(n * m), matrix(m * p), matrix(n * p), ring)


def _same(a: Scheme, b: Scheme) -> bool:
    return (a.format == b.format and a.ring == b.ring
            and all(np.array_equal(x, y) for x, y in ((a.U, b.U), (a.V, b.V), (a.W, b.W))))


def _through(scheme: Scheme, fmt: str, folder: Path) -> Scheme:
    """Save in ``fmt`` and load back. The .exp format carries neither ring nor (for schemes with
    unused rows) format in its content: the file name carries the format, the ring is passed."""
    suffix = {"native": ".json", "perminov": ".json", "txt": ".txt", "exp": ".exp"}[fmt]
    path = folder / f"{scheme.format_str}-{fmt}{suffix}"
    io.save(scheme, path, fmt=fmt)
    return io.load(path, fmt=fmt, ring=scheme.ring if fmt == "exp" else None)


@settings(max_examples=30, deadline=None)
@given(schemes())
def test_native_round_trip_is_exact(scheme):
    with tempfile.TemporaryDirectory() as folder:
        assert _same(_through(scheme, "native", Path(folder)), scheme)


@settings(max_examples=30, deadline=None)
@given(schemes())
def test_perminov_round_trip_is_exact(scheme):
    with tempfile.TemporaryDirectory() as folder:
        assert _same(_through(scheme, "perminov", Path(folder)), scheme)


@settings(max_examples=30, deadline=None)
@given(schemes())
def test_listing_round_trip_is_exact(scheme):
    with tempfile.TemporaryDirectory() as folder:
        assert _same(_through(scheme, "txt", Path(folder)), scheme)


@settings(max_examples=30, deadline=None)
@given(schemes(min_rank=1))          # a file without products is malformed (issue 13)
def test_exp_round_trip_is_exact(scheme):
    with tempfile.TemporaryDirectory() as folder:
        assert _same(_through(scheme, "exp", Path(folder)), scheme)


@settings(max_examples=25, deadline=None)
@given(schemes(min_rank=1))
def test_chain_native_perminov_exp_native_is_exact(scheme):
    with tempfile.TemporaryDirectory() as folder:
        current = scheme
        for fmt in ("native", "perminov", "exp", "txt", "native"):
            current = _through(current, fmt, Path(folder))
        assert _same(current, scheme)


@settings(max_examples=25, deadline=None)
@given(schemes(rings=("zt", "z", "q")))
def test_perminov_without_ring_key_infers_the_smallest_ring(scheme):
    """Files from elsewhere carry no "ring": the reader picks zt, z or q from the values."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.json"
        io.save(scheme, path, fmt="perminov")
        path.write_text(path.read_text().replace(f'    "ring": "{scheme.ring.name}",\n', ""))
        back = io.load(path)
        values = [Fraction(x) for x in np.concatenate([scheme.U.ravel(), scheme.V.ravel(),
                                                          scheme.W.ravel()])]
        expected = ("q" if any(x.denominator != 1 for x in values)
                    else "z" if any(abs(x) > 1 for x in values) else "zt")
        assert back.ring.name == expected
        assert all(np.array_equal(np.asarray(x, dtype=object), np.asarray(y, dtype=object))
                   for x, y in ((back.U, scheme.U), (back.V, scheme.V), (back.W, scheme.W)))
