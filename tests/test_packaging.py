"""Packaging: a regular (non-editable) install carries the shipped catalogue."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_pyproject():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    tree = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "flipgraph").rglob("__init__.py")}
    missing = tree - set(config["packages"])
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"
    assert set(config["packages"]) == tree | {"flipgraph.catalogue"}
    assert config["package-dir"] == {"flipgraph.catalogue": "schemes"}
    assert "catalogue.h5" in config["package-data"]["flipgraph.catalogue"]


def _source_copy(folder: Path) -> Path:
    """The files a build reads, copied (builds write build/ and *.egg-info/ next to them)."""
    source = folder / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.lock")
    for name in ("flipgraph", "schemes"):
        shutil.copytree(REPO / name, source / name, ignore=ignore)
    return source


def test_build_carries_the_catalogue(tmp_path):
    """What setuptools puts into a wheel (its build step, offline, with the installed setuptools)."""
    out = tmp_path / "lib"
    done = subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "-q",
                           "build_py", "--build-lib", str(out)],
                          cwd=_source_copy(tmp_path), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    shipped = out / "flipgraph" / "catalogue" / "catalogue.h5"
    assert shipped.read_bytes() == (REPO / "schemes" / "catalogue.h5").read_bytes()
    assert (out / "flipgraph" / "data" / "best_known.json").exists()
    assert (out / "flipgraph" / "db" / "store.py").exists()


@pytest.mark.slow
def test_wheel_holds_the_catalogue(tmp_path):
    """A real wheel, built by pip in an isolated environment (fetches setuptools from PyPI)."""
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                           str(tmp_path), str(_source_copy(tmp_path))], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = tmp_path.glob("flipgraph-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped = archive.read("flipgraph/catalogue/catalogue.h5")
    assert shipped == (REPO / "schemes" / "catalogue.h5").read_bytes()
    assert {"flipgraph/db/store.py", "flipgraph/data/best_known.json", "flipgraph/walks/__init__.py"} <= names
