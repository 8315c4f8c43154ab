"""The runner verifies workers' new bests before taking them, at most VERIFY_SHARE of the time:
a new best that comes too soon after a verification waits (the lowest one), and the best at the
end is verified; an invalid scheme never becomes the best."""
import numpy as np

from flipgraph import classics, standard, verify
from flipgraph.walks import runner
from flipgraph.walks.packing import pack
from flipgraph.walks.runner import SearchSettings, run_search


class ScriptedExecutor:
    """Hands the runner a fixed list of (worker, rank, packed scheme) reports, then ends."""

    def __init__(self, script):
        self.script = script

    def run(self, strategies, time_limit, on_report, on_state=None, state_every=10.0, share=None):
        for w, rank, F in self.script:
            report = dict(rank=rank, best_rank=rank, flips=1, walks=1, pool_size=1)
            if on_report(w, report, F):
                return

    def describe(self):
        return {"kind": "scripted"}


def packed(scheme, capacity=10):
    return pack(scheme.over("z2"), "z2", capacity)


def test_a_held_best_is_verified_at_the_end_and_an_invalid_one_never_taken(monkeypatch):
    monkeypatch.setattr(runner, "VERIFY_SHARE", 1e-9)     # after one verification, all wait
    monkeypatch.setattr(runner, "VERIFY_FREE", 0.0)
    strassen = classics.strassen()
    broken = packed(strassen)
    broken[0, 0, 0] ^= np.uint64(1)                       # one coefficient off: invalid
    script = [(0, 7, packed(classics.winograd())),        # verified at once (nothing held yet)
              (1, 6, broken),                             # held ... and never valid
              ]
    records = []
    result = run_search(SearchSettings("2x2x2", workers=2, time_limit=5),
                        executor=ScriptedExecutor(script), on_progress=records.append)
    assert result.rank == 7 and verify(result.scheme)
    assert any("invalid_from_worker" in r for r in records)


def test_the_lowest_of_quick_new_bests_is_the_one_verified(monkeypatch):
    monkeypatch.setattr(runner, "VERIFY_SHARE", 1e-9)
    monkeypatch.setattr(runner, "VERIFY_FREE", 0.0)
    seen = []
    real = runner.verify
    monkeypatch.setattr(runner, "verify", lambda s: seen.append(s.rank) or real(s))
    script = [(0, 8, packed(standard(2, 2, 2))), (1, 7, packed(classics.strassen()))]
    result = run_search(SearchSettings("2x2x2", workers=2, time_limit=5),
                        executor=ScriptedExecutor(script))
    assert result.rank == 7 and verify(result.scheme)
    assert seen.count(7) == 1                              # verified once, at the end
