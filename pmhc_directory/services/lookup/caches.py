"""Where the lookup's process-wide caches live: on the app (``app.extensions["pmhc_lookup"]``).

Each app (each worker process, each test app) holds its own candidate caches, gazetteers and
online geocoder answers, so two apps in one process never share what they have read. Code run
outside an app context (scripts, benchmarks, tests of the parts) uses a module-level fallback
store instead, passed in by the module that owns the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

EXTENSION_KEY = "pmhc_lookup"

T = TypeVar("T")

_lock = threading.Lock()


def _app_stores() -> dict[str, dict[Any, Any]] | None:
    """The current app's stores of lookup caches, or None outside an app context."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    stores: dict[str, dict[Any, Any]] = current_app.extensions.setdefault(EXTENSION_KEY, {})
    return stores


def held(name: str, key: Any, make: Callable[[], T], fallback: dict[Any, T]) -> T:
    """The cache ``name``/``key`` of the current app, made by ``make`` on first use; outside an
    app context, the one in ``fallback`` (the owning module's store)."""
    stores = _app_stores()
    with _lock:
        store: dict[Any, T] = fallback if stores is None else stores.setdefault(name, {})
        found = store.get(key)
        if found is None:
            found = store[key] = make()
        return found
