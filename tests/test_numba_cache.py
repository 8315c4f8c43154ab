"""Where numba caches the kernels: next to the code, or under the user's cache when the package
folder is read-only (cluster workers)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import flipgraph
from flipgraph import _numba_cache

ROOT = Path(flipgraph.__file__).resolve().parents[1]


def test_writable_package_keeps_the_cache_next_to_the_code(tmp_path):
    environ = {"HOME": str(tmp_path)}
    assert _numba_cache.configure(environ, folders=(tmp_path,)) is None
    assert "NUMBA_CACHE_DIR" not in environ


def test_read_only_package_caches_under_the_users_cache(tmp_path, monkeypatch):
    folder = tmp_path / "site-packages" / "flipgraph"
    folder.mkdir(parents=True)
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != folder)   # root ignores modes
    environ = {"HOME": str(tmp_path / "home")}
    expected = str(tmp_path / "home" / ".cache" / "flipgraph" / "numba")
    assert _numba_cache.configure(environ, folders=(tmp_path, folder)) == expected
    assert environ["NUMBA_CACHE_DIR"] == expected
    environ = {"HOME": "/nowhere", "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert _numba_cache.configure(environ, folders=(folder,)) == str(tmp_path / "xdg" / "flipgraph" / "numba")


def test_a_users_numba_cache_dir_wins(tmp_path):
    environ = {"NUMBA_CACHE_DIR": str(tmp_path / "mine")}
    assert _numba_cache.configure(environ, folders=(Path("/proc"),)) == str(tmp_path / "mine")
    assert environ == {"NUMBA_CACHE_DIR": str(tmp_path / "mine")}


@pytest.mark.slow
def test_kernels_are_cached_where_configured(tmp_path):
    """A fresh process compiles the walk kernel into NUMBA_CACHE_DIR (a full compile: slow)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", "from flipgraph.walks.walker import warm_up; warm_up()"],
                   env=env, check=True, timeout=600)
    assert list((tmp_path / "cache").rglob("*walk*.nbi"))
