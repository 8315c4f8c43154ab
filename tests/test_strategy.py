"""The multi-worker strategy (issue 16): workers share their finds (runner Board, the executors'
share hook), a stalled level goes back to the pool kept of the level above; and the meta search
over many formats (flipgraph.metasearch, `search --meta`)."""
import json
import time

import numpy as np
import pytest
from click.testing import CliRunner

from flipgraph import classics, meta, metasearch, standard, verify
from flipgraph.cli import main
from flipgraph.db import default_database
from flipgraph.metasearch import MetaSettings, _candidates, _Format, meta_formats, run_meta_search
from flipgraph.walks import InlineExecutor, PoolStrategy, ProcessExecutor
from flipgraph.walks.packing import pack, unpack
from flipgraph.walks.runner import Board, SearchSettings
from flipgraph.walks.pool import canonical_key


def strategy(fmt=(3, 3, 4), **settings):
    s = standard(*fmt)
    options = dict(pool_size=3, path_limit=20_000, plus_after=500, seed=3, ring="z2")
    return PoolStrategy(pack(s, "z2", s.rank + 6), s.rank, 0, **{**options, **settings})


def strassen_packed(capacity=14):
    return pack(classics.strassen(), "z2", capacity)


def test_board_offers_the_lowest_level_to_a_worker_behind():
    board = Board("z2", size=2, patience=1000)
    F = strassen_packed()
    board.post(F, 7, 2)                                                     # worker 2's find
    assert board.offer(2, {"rank": 9, "level_flips": 10**9}) is None        # its own level
    assert board.offer(0, {"rank": 7, "level_flips": 10**9}) is None        # not behind
    assert board.offer(0, {"rank": 8, "level_flips": 999}) is None          # one level, patient
    level, schemes = board.offer(0, {"rank": 8, "level_flips": 1000})
    assert level == 7 and len(schemes) == 1 and np.array_equal(schemes[0], F)
    assert board.offer(0, {"rank": 8, "level_flips": 5000}) is None        # offered once
    assert board.offer(1, {"rank": 9, "level_flips": 0})[0] == 7            # two levels behind
    board.post(F, 7, 1)
    assert len(board.schemes[7]) == 1                                       # same scheme once


def test_adopt_takes_a_lower_level_only_and_the_state_keeps_it():
    s = strategy((2, 2, 2), pool_size=2)
    s.step()
    level = s.level
    assert not s.adopt(level, [strassen_packed(s.start.shape[1])])          # not lower
    assert s.adopt(7, [strassen_packed(s.start.shape[1])])
    assert (s.level, s.best_rank, s.adoptions, len(s.pool)) == (7, 7, 1, 1)
    assert level in s.kept                                                 # the level it left
    restored = PoolStrategy.from_state(json.loads(json.dumps(
        s.state(), default=lambda a: a.tolist())))
    assert restored.kept.keys() == s.kept.keys() and restored.adoptions == 1
    assert verify(unpack(restored.best, 7, (2, 2, 2), "z2"))


def test_a_stalled_level_goes_back_up_and_continues_exactly_after_a_restore():
    whole, halves = strategy(stall_flips=3_000), strategy(stall_flips=3_000)
    for _ in range(60):
        whole.step()
        halves.step()
    restored = PoolStrategy.from_state(json.loads(json.dumps(
        halves.state(), default=lambda a: a.tolist())))
    for _ in range(150):
        whole.step()
        restored.step()
    assert whole.stalls > 0                                 # went back a level at least once
    assert (whole.level, whole.flips, whole.stalls, whole.best_rank) == \
        (restored.level, restored.flips, restored.stalls, restored.best_rank)
    assert canonical_key(whole.best, whole.best_rank) == canonical_key(restored.best,
                                                                       restored.best_rank)
    assert verify(unpack(whole.best, whole.best_rank, (3, 3, 4), "z2"))
    assert all(r > whole.level for r in whole.kept)


def test_a_stall_goes_back_to_the_nearest_kept_level_when_one_was_skipped():
    """An adoption four levels down (36 -> 32) keeps 36 only: a stall at 32 goes back there."""
    s = strategy(path_limit=1, plus_after=0, stall_flips=20)
    low = meta.extend(classics.laderman(), 2).over("z2")            # 3x3x4 of rank 23 + 9
    assert s.adopt(low.rank, [pack(low, "z2", s.start.shape[1])])
    assert list(s.kept) == [36]
    while s.stalls == 0 and s.walks < 500:
        s.step()
    assert s.stalls == 1 and s.level == 36 and not s.kept


def test_medium_z2_targets_restart_by_default_and_a_flag_wins():
    """4x4x4 over Z2 (48 entries): plus-after 2500 and restarts every 1.6·10⁸ flips; smaller
    targets, other rings and large targets keep theirs; an explicit 0 turns restarts off."""
    def filled(fmt, ring="z2", **given):
        settings = SearchSettings(target=fmt, ring=ring, **given)
        settings.check()
        return settings.plus_after, settings.reset_flips

    assert filled("4x4x4") == (2_500, 160_000_000)
    assert filled("4x4x5") == (2_500, 160_000_000 * 56 // 48)
    assert filled("3x3x3") == (5_000, 0) and filled("4x4x4", "zt")[1] == 0
    assert filled("5x5x5") == (2_000, 0)
    assert filled("4x4x4", reset_flips=0, plus_after=5_000) == (5_000, 0)


# inline turns of 0.5 s: a worker reports every 0.5 s within its turn, so the offer can come
@pytest.mark.parametrize("executor", [InlineExecutor(turn=0.5), ProcessExecutor()])
def test_executors_hand_shared_schemes_to_the_worker(executor):
    """share(w, report) -> (level, schemes): the worker adopts them before its next walk.
    Worker 1 makes walks of one flip, which cannot reduce the standard 3x3x4 (36): it is still
    above the shared 32 when the offer comes (a free walker may get there first and not adopt)."""
    workers = [strategy(), strategy(seed=4, path_limit=1, plus_after=0)]    # 3x3x4 from 36
    low = meta.extend(classics.laderman(), 2).over("z2")            # 3x3x4 of rank 23 + 9
    F = pack(low, "z2", workers[0].start.shape[1])
    last = {}

    def on_report(w, report, improved):
        last[w] = report
        return w == 1 and report["adoptions"] == 1         # stop once worker 1 took them

    def share(w, report):
        return (low.rank, [F]) if w == 1 and report["rank"] > low.rank else None

    executor.run(workers, 60.0, on_report, share=share)
    assert last[1]["adoptions"] == 1 and last[1]["best_rank"] <= low.rank
    assert last[0]["adoptions"] == 0


def test_the_process_executor_stops_every_worker_once_the_search_is_done():
    """on_report -> True: the run returns at once, not after the other worker's walk (here 10¹⁰
    moves at rank 23 on 3x3x3, which does not reduce: minutes) nor after the grace period."""
    quick = strategy()                                                  # 3x3x4 from 36
    to23 = strategy((3, 3, 3))
    while to23.best_rank > 23:
        to23.step()
    endless = PoolStrategy(to23.best, 23, 0, pool_size=1, path_limit=10**10, plus_after=0,
                           seed=1, ring="z2")
    t0 = time.perf_counter()
    ProcessExecutor(grace=120).run([quick, endless], 300.0,
                                   lambda w, report, improved: report["best_rank"] <= 34)
    assert time.perf_counter() - t0 < 30


def test_meta_formats():
    assert meta_formats("2..3") == [(2, 2, 2), (2, 2, 3), (2, 3, 3), (3, 3, 3)]
    assert len(meta_formats("2..4")) == 10
    assert meta_formats("3x2x2, 2x2x2,2x3x2") == [(2, 2, 2), (2, 2, 3)]
    for bad in ("2..9", "3..2", "2x2", "2x0x2", "abc"):
        with pytest.raises(Exception, match="--meta"):
            meta_formats(bad)


def test_meta_moves_make_candidates_from_other_formats():
    settings = MetaSettings([(2, 2, 2), (2, 2, 4), (4, 4, 4)])
    formats = {f: _Format(f, None, settings, i) for i, f in enumerate(settings.formats)}
    formats[(2, 2, 2)].best = formats[(2, 2, 2)].best_z = classics.strassen()
    for f in ((2, 2, 4), (4, 4, 4)):
        formats[f].best = formats[f].best_z = standard(*f)
    for fmt, rank in (((4, 4, 4), 49), ((2, 2, 4), 14)):        # product, merge (or extend)
        found = _candidates(fmt, formats)
        assert found and found[0][0].rank == rank and found[0][0].format == fmt
        assert found[0][0].ring.name == "zt" and verify(found[0][0])


def test_meta_moves_project_at_every_index():
    """Laderman with its rows and columns permuted so that dropping the last one leaves 18 terms
    in every dimension; dropping another leaves 16, and the meta move finds it."""
    P = [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    moved = meta.sandwich(classics.laderman(), P, [[1, 0, 0], [0, 0, 1], [0, 1, 0]], P)
    assert [meta.project(moved, d, 2).rank for d in range(3)] == [18, 18, 18]
    settings = MetaSettings([(2, 3, 3), (3, 3, 3)])
    formats = {f: _Format(f, None, settings, i) for i, f in enumerate(settings.formats)}
    formats[(2, 3, 3)].best = formats[(2, 3, 3)].best_z = standard(2, 3, 3)
    formats[(3, 3, 3)].best = formats[(3, 3, 3)].best_z = moved
    found = _candidates((2, 3, 3), formats)
    assert found and found[0][0].rank == 16 and found[0][1].startswith("project 3x3x3 index")
    assert verify(found[0][0]) and found[0][0].format == (2, 3, 3)


def test_meta_search_fills_a_fresh_database_at_the_best_known_ranks(tmp_path):
    database = default_database(tmp_path / "fresh.h5", catalogue=False)
    settings = MetaSettings(meta_formats("2x2x2,2x2x3"), workers=1, time_limit=60,
                            lift_to="z", from_scratch=True, seed=1)
    result = run_meta_search(settings, database)
    assert result.complete and result.goals == {(2, 2, 2): 7, (2, 2, 3): 11}
    assert result.ranks_z == {(2, 2, 2): 7, (2, 2, 3): 11} and result.saved >= 2
    for fmt, rank in result.goals.items():
        scheme, entry = database.best(*fmt, ring="z")
        assert scheme.rank == rank and scheme.ring.name in ("zt", "z") and verify(scheme)
    again = run_meta_search(MetaSettings(settings.formats, time_limit=10, lift_to="z"), database)
    assert again.complete and again.saved == 0            # the database holds them already


def test_a_zt_meta_search_takes_a_stored_z_scheme_through_its_ternary_form(tmp_path, monkeypatch):
    """The database's best 2x2x2 has coefficients 2: valid over Z, no start for a ZT walk as it
    is; its ternary form is one. Without ternary forms, the search walks past it."""
    database = default_database(tmp_path / "z.h5", catalogue=False)
    held = meta.sandwich(classics.strassen(), [[2, 1], [1, 1]], [[1, 1], [0, 1]], [[1, 0], [1, 1]])
    assert held.ring.name == "z" and verify(held)
    database.add(held)
    settings = MetaSettings([(2, 2, 2)], ring="zt", workers=1, time_limit=20, seed=1)
    events = []
    result = run_meta_search(settings, database, on_event=events.append)
    assert result.ranks == {(2, 2, 2): 7} and result.ranks_z == {(2, 2, 2): 7}
    assert result.complete and any("database, ternary form" in e for e in events)
    monkeypatch.setattr(metasearch, "ternary_form", lambda *args, **kwargs: None)
    for ring, lift_to, says in (("zt", None, "zt"), ("z2", "zt", "lifted to zt")):
        only_z = default_database(tmp_path / f"only-z-{ring}.h5", catalogue=False)
        only_z.add(held)
        settings = MetaSettings([(2, 2, 2)], ring=ring, lift_to=lift_to, workers=1,
                                time_limit=20, seed=1)
        events = []
        result = run_meta_search(settings, only_z, on_event=events.append)
        assert result.complete and not any("ternary form" in e for e in events)
        assert any(says in e and "database" not in e and "standard" not in e for e in events)


def test_search_meta_cli(tmp_path):
    db = tmp_path / "m.h5"
    run = CliRunner().invoke(main, ["search", "--meta", "2x2x2", "--lift", "--from-scratch",
                                    "--db", str(db), "--time-limit", "60"])
    assert run.exit_code == 0, run.output
    assert "2x2x2: rank 7 over z2, 7 over Z; goal 7 reached" in run.output
    bad = CliRunner().invoke(main, ["search", "--meta", "2..9"])
    assert bad.exit_code == 2 and "--meta 2..9" in bad.output
    mixed = CliRunner().invoke(main, ["search", "--meta", "2..3", "--pool-size", "3"])
    assert mixed.exit_code == 2 and "drop --pool-size" in mixed.output


def test_a_reset_goes_down_to_a_level_reached_since_instead_of_starting_over():
    """A reset due while the next level's pool is still filling (here: 1000 wanted) does not
    throw away the schemes found there: the search goes down to them (seed 3 of 4x4x4 over Z2
    sat at 48 for minutes when it did, and its 48 is one short walk from 47)."""
    s = PoolStrategy(pack(standard(3, 3, 3), "z2", 32), 27, 20, pool_size=1000,
                     path_limit=100_000, plus_after=0, seed=0, reset_flips=1)
    s.step()
    assert s.level == 27 and len(s.next_pool) == 1 and s.best_rank == 26
    s.step()                                    # the reset is due: more than 1 flip since start
    assert s.level == 26 and s.restarts == 0 and s.flips_at_start > 0
    s.next_pool.clear()
    s.step()                                    # due again, nothing below: start over
    assert s.level == 27 and s.restarts == 1
