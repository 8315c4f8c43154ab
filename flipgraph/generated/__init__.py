"""Generated multiply routines of the shipped schemes, made on first import and cached on disk
(see :mod:`flipgraph.codegen.library`; nothing here is committed by hand)::

    >>> from flipgraph.generated import winograd       # also strassen, laderman, mm333, ...
    >>> C = winograd.matmul(A, B)                       # C = A·B, levels from the tuned cutoffs

Names: the classics, and ``mm<n><m><p>`` for the database's best scheme of that format.
"""


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    from ..codegen.library import routine
    from ..errors import FlipgraphError

    try:
        module = routine(name)
    except FlipgraphError as exc:
        raise AttributeError(f"flipgraph.generated has no routine {name!r} ({exc})") from None
    globals()[name] = module
    return module
