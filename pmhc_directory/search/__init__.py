"""Full-text search of services (whoosh), kept current from the database's change sequence.

``init_app`` gives each process one :class:`SearchIndex` in ``app.extensions["pmhc_search"]``:
in ``SEARCH_INDEX_DIR`` (relative paths are under the instance folder), by default
``<instance>/search-index``, or in memory when it is ``":memory:"``. It also registers the
session events that record changes (``search.sync``). See docs/search.md.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from . import sync
from .index import IndexBusyError, IndexUnavailableError, SearchHit, SearchIndex, SearchPage

EXTENSION_KEY = "pmhc_search"
IN_MEMORY = ":memory:"

__all__ = [
    "IndexBusyError",
    "IndexUnavailableError",
    "SearchHit",
    "SearchIndex",
    "SearchPage",
    "get_search_index",
    "index_for_config",
    "init_app",
]


def index_for_config(folder_setting: str | None, instance_path: str) -> SearchIndex:
    """The index a ``SEARCH_INDEX_DIR`` setting names (opened lazily, on first use)."""
    if folder_setting == IN_MEMORY:
        return SearchIndex.in_memory()
    return SearchIndex.in_folder(Path(instance_path) / (folder_setting or "search-index"))


def init_app(app: Flask) -> None:
    sync.install()
    app.extensions[EXTENSION_KEY] = index_for_config(
        app.config.get("SEARCH_INDEX_DIR"), app.instance_path
    )


def get_search_index(app: Flask | None = None) -> SearchIndex:
    """This process's index for the app (the current one by default)."""
    return (app or current_app).extensions[EXTENSION_KEY]
