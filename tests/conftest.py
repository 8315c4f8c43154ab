"""Shared test setup: no test ever touches the real user database (nor, where asked, the real
cache of generated routines); a large run compiles the walk kernels first, in parallel."""
import os

import pytest

#: A run of at least this many tests (the whole suite, a big file) warms numba's cache up first.
WARM_UP_FROM = 100


def pytest_collection_finish(session):
    """Compile the numba kernels the tests walk (one-word and wide layouts, the symmetric walk, CSE,
    GF(2) elimination) in one process per core before the first test, so an empty cache (a fresh
    clone) compiles on every core, not on the one running the tests; a filled one is only
    loaded. Skipped for small runs, --collect-only and FLIPGRAPH_TEST_NO_WARMUP=1."""
    if (len(session.items) < WARM_UP_FROM or session.config.option.collectonly
            or os.environ.get("FLIPGRAPH_TEST_NO_WARMUP") == "1"):
        return
    from flipgraph.warmup import NARROW, WIDE, warm_up

    warm_up(jobs=os.cpu_count() or 1, layouts=NARROW + WIDE)


@pytest.fixture(autouse=True)
def _private_user_database(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIPGRAPH_DB", str(tmp_path / "user-db.h5"))


@pytest.fixture(scope="module")
def private_cache(tmp_path_factory):
    """A module-wide fresh cache of generated routines ($FLIPGRAPH_CACHE)."""
    old = os.environ.get("FLIPGRAPH_CACHE")
    os.environ["FLIPGRAPH_CACHE"] = str(tmp_path_factory.mktemp("fgcache"))
    yield
    if old is None:
        del os.environ["FLIPGRAPH_CACHE"]
    else:
        os.environ["FLIPGRAPH_CACHE"] = old
