"""Warm starts for the officer lookup: a snapshot of the lookup cache beside the search index.

Filling a worker's ``CandidateCache`` (``services.lookup.cache``) from the database takes tens of
seconds at 50,000 services, and every restart or deploy made the first officer wait for it. After
each full load the cache's facts are written to ``lookup-cache.pickle`` in the search index's
folder (``SEARCH_INDEX_DIR``, by default ``<instance>/search-index``), together with the position
in the change sequence they hold (``search.sync.SyncState``). A cache that has loaded nothing yet
reads the snapshot instead of the database and then catches up through the change sequence like
after any lookup. The rule is the search index's: a snapshot that is missing, unreadable, of
another format, taxonomy or database, or out of step with the database (the sequence no longer
holds its last change: the database was restored or replaced) is not used; the cache loads from
the database and writes a new one.

The file is a ``pickle`` written only by this app into its own instance folder (the same trust as
the instance configuration beside it); it holds the public facts of the directory, nothing about
people. It is written to a temporary name and renamed, so a reader never sees half a file and
concurrent workers do not mix theirs. ``LOOKUP_SNAPSHOT = False`` turns it off, as does an
in-memory search index (``SEARCH_INDEX_DIR = ":memory:"``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ...collector import collector_paused

log = logging.getLogger(__name__)

FILENAME = "lookup-cache.pickle"
#: Bumped whenever what the cache holds changes shape.
FORMAT = 3  # 3: the columns keep open intervals per date (day_hours)


@dataclass(frozen=True)
class Snapshot:
    """What a snapshot holds (see the module docstring)."""

    format: int
    signature: str  # the entry fields, vocabulary and database the facts were made with
    state: Any  # search.sync.SyncState
    entries: dict[str, list[Any]]
    capacities: dict[str, Any]
    written: float
    # The screening columns built from ``entries`` (``lookup.columns.Columns``, the same entry
    # objects), so a warm start does not build them again (about 1.4 CPU s at 50,000 services).
    columns: Any = None


def snapshot_path() -> Path | None:
    """The snapshot's file for the current app, or None when snapshots are off."""
    from flask import current_app, has_app_context

    from ...search import IN_MEMORY

    if not has_app_context() or not current_app.config.get("LOOKUP_SNAPSHOT", True):
        return None
    folder = current_app.config.get("SEARCH_INDEX_DIR")
    if folder == IN_MEMORY:
        return None
    return Path(current_app.instance_path) / (folder or "search-index") / FILENAME


def signature(session: Session, vocab: Any) -> str:
    """A fingerprint of what the cached facts depend on besides the data: the fields of an
    entry, the vocabulary's codes and the database (its URL without the password)."""
    from .catalogue import SiteEntry

    url = session.get_bind().engine.url
    parts = [
        str(FORMAT),
        ",".join(f.name for f in fields(SiteEntry)),
        url.render_as_string(hide_password=True),
        repr(sorted((t, tuple(vocab.codes(t))) for t in getattr(vocab, "taxonomies", ()))),
        repr(sorted(vocab.continuum.items())),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def read(session: Session, vocab: Any, path: Path | None = None) -> Snapshot | None:
    """The snapshot, if there is a usable one (right format and signature); else None.

    Whether it is in step with the database is decided by the caller's catch-up, exactly as for
    a cache loaded from the database.
    """
    path = path or snapshot_path()
    if path is None or not path.is_file():
        return None
    started = time.perf_counter()
    try:
        # Unpickling makes a million objects and no garbage: 1.0 s -> 0.4 s at 50,000.
        with collector_paused(), open(path, "rb") as fh:
            snapshot = pickle.load(fh)  # noqa: S301 (written by this app into its instance folder)
    except Exception as exc:  # noqa: BLE001 - any unreadable snapshot is simply rebuilt
        log.warning("lookup snapshot %s is unreadable (%s); loading from the database", path, exc)
        return None
    if not isinstance(snapshot, Snapshot) or snapshot.format != FORMAT:
        log.info("lookup snapshot %s is of another format; loading from the database", path)
        return None
    if snapshot.signature != signature(session, vocab):
        log.info("lookup snapshot %s was made for another database or taxonomy", path)
        return None
    _prepare_shapes(snapshot.entries)
    log.info(
        "lookup cache read from %s (%d services) in %.1f s",
        path,
        len(snapshot.entries),
        time.perf_counter() - started,
    )
    return snapshot


def write(
    session: Session,
    vocab: Any,
    state: Any,
    entries: dict[str, list[Any]],
    capacities: dict[str, Any],
    path: Path | None = None,
    columns: Any = None,
) -> Path | None:
    """Write the snapshot atomically; returns its path (None when off or not writable)."""
    path = path or snapshot_path()
    if path is None:
        return None
    if columns is not None:  # what lookups memoised is not part of the facts
        columns = replace(columns, fits_memo={}, day_hours={})
    snapshot = Snapshot(
        FORMAT, signature(session, vocab), state, entries, capacities, time.time(), columns
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".lookup-cache-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(snapshot, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        log.warning("could not write the lookup snapshot %s (%s)", path, exc)
        return None
    return path


def _prepare_shapes(entries: dict[str, list[Any]]) -> None:
    """Shapely's prepared state is not pickled: prepare each service-area shape again."""
    import shapely

    seen: set[int] = set()
    for found in entries.values():
        for entry in found:
            for geometry in entry.shapes:
                if id(geometry) not in seen:
                    seen.add(id(geometry))
                    shapely.prepare(geometry)


def restore(cache: Any, session: Session, vocab: Any) -> bool:
    """Fill an empty ``CandidateCache`` from the snapshot; False when there is none to use.

    The cache then catches up from the snapshot's position like after any lookup (and rebuilds
    from the database if that position is no longer in the change sequence). A snapshot of an
    empty change sequence is never used: nothing would tell it from another database's.
    """
    snapshot = read(session, vocab)
    if snapshot is None or not getattr(snapshot.state, "last_seq", 0):
        return False
    from .catalogue import load_closures

    cache.entries = snapshot.entries
    cache.capacities = snapshot.capacities
    # Facts the cache keeps besides the entries are read fresh (they are small).
    cache.closures = load_closures(session)
    cache._columns = snapshot.columns  # None: built at the first lookup, as before
    cache._capacity_columns = None
    cache.state = snapshot.state
    return True
