"""Where numba keeps flipgraph's compiled kernels (``cache=True``): next to the modules when the
package folder is writable, else under the user's cache, ``$XDG_CACHE_HOME/flipgraph/numba``
(default ``~/.cache/flipgraph/numba``), e.g. on cluster workers with a read-only install.

:func:`configure` runs once, first thing when flipgraph is imported, in every process (the CLI, a
forked or spawned worker, a Dask worker unpickling a task). A ``NUMBA_CACHE_DIR`` set by the user
always wins. The setting goes into the environment (inherited by child processes) and into numba's
config when numba is already imported.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
#: Folders holding numba kernels; numba writes into their ``__pycache__``.
_KERNEL_FOLDERS = (_PACKAGE, _PACKAGE / "walks")


def user_cache_dir(environ=os.environ) -> Path:
    """``$XDG_CACHE_HOME/flipgraph/numba``, default ``~/.cache/flipgraph/numba``."""
    home = environ.get("HOME") or os.path.expanduser("~")
    base = environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    return Path(base) / "flipgraph" / "numba"


def writable(folder: Path) -> bool:
    """Whether numba can write its cache for modules in ``folder`` (into ``folder/__pycache__``)."""
    cache = folder / "__pycache__"
    return os.access(cache if cache.is_dir() else folder, os.W_OK)


def configure(environ=os.environ, folders=_KERNEL_FOLDERS) -> str | None:
    """Point numba's cache at :func:`user_cache_dir` when a kernel folder is not writable and the
    user set no ``NUMBA_CACHE_DIR``. Returns the cache folder in force (None: next to the code)."""
    if environ.get("NUMBA_CACHE_DIR"):
        return environ["NUMBA_CACHE_DIR"]
    if all(writable(folder) for folder in folders):
        return None
    path = str(user_cache_dir(environ))
    environ["NUMBA_CACHE_DIR"] = path
    config = sys.modules.get("numba.core.config")
    if config is not None and environ is os.environ:
        config.CACHE_DIR = path                  # numba read its environment already
    return path
