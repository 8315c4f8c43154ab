"""Pacer: work is due at first, then only after (1/share − 1) times its own duration, unless
it was quicker than ``free``."""
import time

from flipgraph.pacing import Pacer


def test_work_is_due_at_first_and_then_waits_its_share():
    pacer = Pacer(1e-6, free=0.001)
    assert pacer.due()
    with pacer.timed():
        time.sleep(0.01)
    assert not pacer.due()                  # due again only ~10⁴ s later


def test_a_share_of_one_never_waits():
    pacer = Pacer(1.0)
    with pacer.timed():
        time.sleep(0.01)
    assert pacer.due()


def test_quick_work_delays_nothing():
    pacer = Pacer(1e-6, free=10.0)
    with pacer.timed():
        time.sleep(0.01)
    assert pacer.due()
