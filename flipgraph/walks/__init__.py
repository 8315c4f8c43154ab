"""Random walks on the flip graph (DESIGN §3): numba kernels, pools of walkers, parallel runs.

Layers: :class:`~.walker.Walker` (one walk, named inputs and results, in front of the kernel),
:class:`~.pool.PoolStrategy` (one worker's search; its state saves and restores), executors
(:mod:`.executors`: where workers run, here or on a Dask cluster, :mod:`.cluster`),
:func:`run_search` (workers, progress, log, checkpoints, result; :mod:`.checkpoint`).

    >>> import flipgraph
    >>> result = flipgraph.search("3x3x3", target_rank=23, time_limit=30, seed=1)
    >>> result.rank, bool(flipgraph.verify(result.scheme))
    (23, True)
"""
from __future__ import annotations

from ..scheme import Scheme
from ..tensors import Target
from .cluster import DaskExecutor
from .executors import Executor, InlineExecutor, ProcessExecutor
from .pool import PoolStrategy
from .runner import SearchResult, SearchSettings, run_search
from .walker import Walker, WalkResult

__all__ = ["search", "SearchSettings", "SearchResult", "run_search", "Walker", "WalkResult",
           "PoolStrategy", "Executor", "InlineExecutor", "ProcessExecutor", "DaskExecutor"]


def search(target: Target | str | tuple[int, int, int], *, ring: str = "z2", target_rank: int = 0,
           workers: int = 1, time_limit: float | None = 60.0, seed: int = 0, pool_size: int | None = None,
           path_limit: int | None = None, plus_after: int | None = None,
           reset_flips: int | None = None, stall_flips: int | None = None, share: bool = True,
           windows: bool = True,
           start: Scheme | None = None, on_progress=None, log_path=None) -> SearchResult:
    """Search for a low-rank scheme of ``target`` (a :class:`~flipgraph.tensors.Target`, or a
    matmul format "3x3x3" / (3, 3, 3)) over ``ring``.

    Starts from ``start`` (default: the standard scheme, one product per nonzero of the tensor) and stops at ``target_rank`` (0: go as
    low as possible), at ``time_limit`` seconds, or on Ctrl-C. Returns a :class:`SearchResult`
    whose ``scheme`` is verified. ``pool_size``, ``plus_after``, ``path_limit``,
    ``reset_flips`` and ``stall_flips`` default per ring and format
    (``runner.search_defaults``). See :class:`SearchSettings` for the parameters."""
    settings = SearchSettings(target=target, ring=ring, target_rank=target_rank, workers=workers,
                              time_limit=time_limit, seed=seed, pool_size=pool_size,
                              path_limit=path_limit, plus_after=plus_after,
                              reset_flips=reset_flips, stall_flips=stall_flips, share=share,
                              windows=windows,
                              start=start)
    return run_search(settings, on_progress=on_progress, log_path=log_path)
