"""Shared test setup: no test ever touches the real user database."""
import pytest


@pytest.fixture(autouse=True)
def _private_user_database(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIPGRAPH_DB", str(tmp_path / "user-db.h5"))
