"""Pausing Python's cyclic garbage collector around bulk work that makes no cycles worth finding.

Imports, search rebuilds and snapshot loads make millions of short-lived tuples, dicts and
strings that reference counting frees; the collector would rescan every live object each time
a generation fills up. A rebuild of 50,000 services spent 1.3-1.6 s of 10-11 s in full
collections that freed 54,000 objects (benchmarks/run.py, docs/scale.md).
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
