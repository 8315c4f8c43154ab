"""Compile every numba kernel of flipgraph once, so that no later command pays for it: the walk
kernels (one specialisation per ring and factor width, and the C3-symmetric walk), the CSE
(addition-reduction) kernels and the GF(2) elimination of Hensel lifting. (galois' GF(p)
arithmetic, used by the Z3 lift, is compiled by galois in every process and kept in no disk
cache: warming it up here would not help later commands.)

numba keeps the compiled code in its disk cache (``__pycache__`` next to the package, or
$NUMBA_CACHE_DIR), so this pays the first-use compile cost once per installation; afterwards each
step only loads the cached code. The steps are independent: with ``jobs`` > 1 they compile in
that many fresh processes at once (each specialisation has its own cache files, so they never
write the same one), and the calling process then loads them from the cache. Example::

    >>> from flipgraph.warmup import warm_up
    >>> for step, seconds in warm_up(jobs=2):                              # doctest: +SKIP
    ...     print(f"{step}: {seconds:.1f} s")
"""
from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import partial
from typing import Callable

__all__ = ["warm_up", "steps", "NARROW", "WIDE"]

#: (ring, words per factor) of the walk kernel compiled by default: each ring's one-word layout
#: (every format up to 64 entries per factor); wider formats compile theirs on first use.
NARROW = (("z2", 1), ("z3", 2), ("zt", 2))
#: The two- and four-word layouts over Z2 and the four-word one over Z3/ZT (up to 128 entries per
#: factor; Z2 up to 256), which the test suite also walks.
WIDE = (("z2", 2), ("z2", 4), ("z3", 4), ("zt", 4))


def _walk(ring: str, words: int) -> None:
    from .walks.walker import warm_up as walk_warm_up

    walk_warm_up(words, ring)


def _symmetric() -> None:
    from .walks.symmetric import warm_up as symmetric_warm_up

    symmetric_warm_up()


def _cse() -> None:
    from .additions import reduce_additions
    from .classics import strassen

    reduce_additions(strassen(), restarts=1)


def _lift() -> None:
    from .classics import strassen
    from .lift import lift

    lift(strassen().over("z2"), to="z")


def steps(layouts=NARROW) -> list[tuple[str, Callable[[], None]]]:
    """(what, function) of every warm-up step: the walk kernel for each (ring, words) of
    ``layouts``, then the symmetric walk, the CSE kernels and the GF(2) elimination."""
    walks = [(f"walk kernel {ring}, {words} word{'s' if words > 1 else ''} (flipgraph.walks)",
              partial(_walk, ring, words)) for ring, words in layouts]
    return walks + [("symmetric walk kernel (search --symmetry c3)", _symmetric),
                    ("CSE kernels (flipgraph reduce)", _cse),
                    ("GF(2) elimination (flipgraph lift)", _lift)]


def _timed(step: Callable[[], None]) -> float:
    began = time.perf_counter()
    step()
    return time.perf_counter() - began


def warm_up(progress: Callable[[str, float | None], None] | None = None, jobs: int = 1,
            layouts=NARROW) -> list[tuple[str, float]]:
    """Run every step of :func:`steps` (``layouts``: the walk kernels to compile), in this process
    (``jobs`` = 1, in order) or in ``jobs`` fresh processes at once. ``progress(what, None)`` is
    called when a step starts (in order; with jobs > 1, all at once up front) and
    ``progress(what, seconds)`` when it ends. Returns (what, seconds) per step, in the order of
    :func:`steps`."""
    todo = steps(layouts)
    seconds: dict[str, float] = {}
    if jobs <= 1:
        for what, step in todo:
            if progress:
                progress(what, None)
            seconds[what] = _timed(step)
            if progress:
                progress(what, seconds[what])
    else:
        context = multiprocessing.get_context("spawn")        # fresh interpreters, nothing inherited
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {pool.submit(_timed, step): what for what, step in todo}
            if progress:
                for what, _ in todo:
                    progress(what, None)
            for future in as_completed(futures):
                what = futures[future]
                seconds[what] = future.result()
                if progress:
                    progress(what, seconds[what])
    return [(what, seconds[what]) for what, _ in todo]
