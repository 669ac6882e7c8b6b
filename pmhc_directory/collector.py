"""Keeping Python's cyclic garbage collector out of the way of bulk work and of long-lived caches.

* :func:`collector_paused`: imports, search rebuilds and snapshot loads make millions of
  short-lived tuples, dicts and strings that reference counting frees; the collector would
  rescan every live object each time a generation fills up. A rebuild of 50,000 services spent
  1.3-1.6 s of 10-11 s in full collections that freed 54,000 objects (docs/scale.md).
* :func:`freeze_long_lived`: a worker's lookup cache holds about half a million objects at
  50,000 services for as long as the worker lives; every full collection walked all of them,
  stalling the request it fell in by about 0.35 s (one lookup in a few hundred, and the
  planning page). Frozen, they are left out of collections: a full one then takes about 20 ms.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic garbage collector off, restoring its previous state after
    (also when the block raises). Reference counting still frees everything acyclic; cycles
    made meanwhile are found by the next collection after the block."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def freeze_long_lived() -> None:
    """Move every object the collector tracks into its permanent generation (``gc.freeze``):
    later collections skip them. Reference counting still frees a frozen object that is no
    longer used (a replaced cache entry); only a frozen object in a reference cycle would stay
    until :func:`gc.unfreeze`, so call this once a long-lived structure is complete, not per
    request."""
    gc.freeze()
