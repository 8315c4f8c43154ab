"""Block windows: walks on the terms inside a sub-block of a large format (walks/windows.py)."""
import numpy as np

from flipgraph import standard, verify
from flipgraph.tensors import from_coo
from flipgraph.walks import PoolStrategy, Walker, pool
from flipgraph.walks.packing import pack, unpack
from flipgraph.walks.runner import SearchSettings, strategies
from flipgraph.walks.windows import MID_PATIENCE, block_windows, patience, runs, window


def inside(F, rank, masks):
    return ((F[:, :rank] & ~masks[:, None, :]) == 0).all(axis=(0, 2))


def terms(F, rank):
    return sorted(map(bytes, F[:, :rank].transpose(1, 0, 2).copy()))


def test_runs_cover_each_dimension_in_balanced_pieces():
    assert [len(r) for r in runs(7)] == [3, 4] and [len(r) for r in runs(16)] == [3, 3, 3, 3, 4]
    assert [len(r) for r in runs(2)] == [2]
    for n in range(1, 20):
        assert [i for r in runs(n) for i in r] == list(range(n))


def test_which_formats_have_windows_and_of_what_size():
    for small in ("3x3x3", "4x4x4", "3x3x5", "2x2x4"):              # factors of 16 entries or less
        assert block_windows(small, "z2") is None and block_windows(small, "zt") is None
    assert block_windows("3x3x3", "z3") is None
    assert block_windows("4x4x4", "z3").shape == (20, 3, 2)        # over Z3 from 10 entries
    assert block_windows(from_coo((8, 8, 8), [(0, 0, 0, 1)]), "z2") is None
    wins = block_windows("2x5x5", "z3")     # runs 2 | 2+3 | 2+3: 4 tiles, 2 + 2 pairs
    assert wins.shape == (8, 3, 2)
    F = pack(standard(2, 5, 5), "z3", 50)
    assert sorted(int(inside(F, 50, w).sum()) for w in wins) == [8, 12, 12, 18, 20, 20, 30, 30]
    assert block_windows("5x5x5", "z2").shape[0] == 20               # 8 tiles + 12 pairs


def test_windows_of_large_formats_are_their_tiles_and_pairs_of_tiles():
    wins = block_windows("6x6x6", "zt")                              # 8 tiles + 12 pairs
    assert wins.shape == (20, 3, 2)
    F = pack(standard(6, 6, 6), "zt", 216)
    sizes = sorted(int(inside(F, 216, w).sum()) for w in wins)
    assert sizes == [27] * 8 + [54] * 12
    tile = window((6, 6, 6), [0, 1, 2], [3, 4, 5], [0, 1, 2], "zt")
    held = np.flatnonzero(inside(F, 216, tile))
    s = standard(6, 6, 6)                                            # U[q] = e_ij, V[q] = e_jk
    for q in held:
        i, j = divmod(int(np.flatnonzero(s.U[q])[0]), 6)
        k = int(np.flatnonzero(s.V[q])[0]) % 6
        assert i < 3 and j >= 3 and k < 3


def test_a_window_walk_reduces_and_leaves_the_other_terms_alone():
    s = standard(6, 6, 6)
    F = pack(s, "zt", 220)
    tile = window((6, 6, 6), [0, 1, 2], [0, 1, 2], [0, 1, 2], "zt")
    outside = terms(F[:, :216][:, ~inside(F, 216, tile)], 189)
    walked = Walker("zt", 7).walk_window(F, 216, tile, target_rank=215, max_moves=2_000_000,
                                         plus_after=30_000, max_rank=220)
    assert walked.rank == 215 and walked.flips > 0
    assert terms(F[:, :189], 189) == outside                         # kept first, unchanged
    assert verify(unpack(F, walked.rank, (6, 6, 6), "zt"))


def test_walks_where_every_plus_draw_fails_still_stop():
    """1x1x2: both terms share their A factor, so no plus transition can be drawn; the walk
    counts the failed draws as moves and stops at max_moves (it used to loop for ever)."""
    F = pack(standard(1, 1, 2), "z2", 4)
    walked = Walker("z2", 3).walk(F, 2, max_moves=1000, plus_after=1, max_rank=4)
    assert walked.flips + walked.plus + walked.rejected == 1000
    assert walked.rejected > 0 and walked.plus == 0


def test_windows_are_dropped_after_walks_in_a_row_without_a_reduction(monkeypatch):
    """A window holding one term cannot flip: each of its walks is a miss. After
    ``window_patience`` of them the strategy walks whole schemes only, until a start over brings
    the windows back; mid-sized formats drop them, large ones never."""
    assert patience("2x5x5") == patience("5x5x5") == MID_PATIENCE > 0
    assert patience("6x6x6") == patience("4x4x10") == 0
    monkeypatch.setattr(pool, "WINDOW_SHARE", 1.0)
    lone = window((2, 5, 5), [0], [0], [0], "z2")[None]
    s = PoolStrategy(pack(standard(2, 5, 5), "z2", 54), 50, 0, pool_size=1, path_limit=1000,
                     plus_after=0, seed=1, windows=lone, reset_flips=1500, window_patience=3)
    for _ in range(3):
        s.step()
    assert s.flips == 0 and s.window_misses == 3
    s.step()                                           # a whole walk
    assert s.flips > 0 and s.window_misses == 3
    s.step()                                           # 1000 < flips: no start over yet
    assert s.restarts == 0 and s.window_misses == 3
    s.step()                                           # start over: a window walk again
    assert s.restarts == 1 and s.window_misses == 1 and s.flips == 2000
    assert PoolStrategy.from_state(s.state()).window_patience == 3


def test_strategy_with_windows_saves_and_restores_them():
    s = standard(6, 6, 6)
    wins = block_windows("6x6x6", "zt")
    a = PoolStrategy(pack(s, "zt", 220), 216, 0, pool_size=1, path_limit=200_000,
                     plus_after=30_000, seed=5, ring="zt", windows=wins)
    for _ in range(3):
        a.step()
    b = PoolStrategy.from_state(a.state())
    assert np.array_equal(b.windows, wins)
    a.step()
    b.step()
    assert a.report() == {**b.report(), "elapsed": a.report()["elapsed"]}
    assert verify(unpack(a.best, a.best_rank, (6, 6, 6), "zt"))


def test_a_search_from_the_standard_algorithm_takes_the_windows_unless_told_not_to():
    def walker(**given):
        settings = SearchSettings(target="2x5x5", **given)
        settings.check()
        return strategies(settings, pack(standard(2, 5, 5), "z2", 54), 50)[0]

    on = walker()
    assert on.windows is not None and on.window_patience == MID_PATIENCE
    assert walker(windows=False).windows is None
    assert walker(start=standard(2, 5, 5)).windows is None            # a given start: whole walks
