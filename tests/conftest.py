"""Shared test setup: no test ever touches the real user database (nor, where asked, the real
cache of generated routines)."""
import os

import pytest


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
