"""Compile every numba kernel of flipgraph once, so that no later command pays for it: the walk
kernels (plain and C3-symmetric), the CSE (addition-reduction) kernels and the GF(2) elimination of Hensel lifting.
(galois' GF(p) arithmetic, used by the Z3 lift, is compiled by galois in every process and kept
in no disk cache: warming it up here would not help later commands.)

numba keeps the compiled code in its disk cache (``__pycache__`` next to the package, or
$NUMBA_CACHE_DIR), so this pays the first-use compile cost once per installation; afterwards each
step only loads the cached code. Example::

    >>> from flipgraph.warmup import warm_up
    >>> for step, seconds in warm_up():                                  # doctest: +SKIP
    ...     print(f"{step}: {seconds:.1f} s")
"""
from __future__ import annotations

import time
from typing import Callable

__all__ = ["warm_up", "STEPS"]


def _walk() -> None:
    from .walks.walker import warm_up as walk_warm_up

    walk_warm_up()


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


#: (what, function) in the order :func:`warm_up` runs them
STEPS: tuple[tuple[str, Callable[[], None]], ...] = (
    ("walk kernel (flipgraph.walks)", _walk),
    ("symmetric walk kernel (search --symmetry c3)", _symmetric),
    ("CSE kernels (flipgraph reduce)", _cse),
    ("GF(2) elimination (flipgraph lift)", _lift),
)


def warm_up(progress: Callable[[str, float | None], None] | None = None) -> list[tuple[str, float]]:
    """Run every step of :data:`STEPS`; ``progress(what, None)`` is called before a step and
    ``progress(what, seconds)`` after it. Returns (what, seconds) per step."""
    done = []
    for what, step in STEPS:
        if progress:
            progress(what, None)
        began = time.perf_counter()
        step()
        done.append((what, time.perf_counter() - began))
        if progress:
            progress(what, done[-1][1])
    return done
