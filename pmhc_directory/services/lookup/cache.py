"""The per-process candidate cache, kept current from the change sequence like the search
index."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from ...collector import freeze_long_lived
from ...taxonomy import Vocabulary
from .caches import held
from .catalogue import CapacityFact, SiteEntry, load_capacities, load_closures, load_site_entries
from .columns import COLUMNS_DEAD_FRACTION, CapacityColumns, Columns


class CandidateCache:
    """This process's static candidate facts for one database, kept current like the search
    index: every lookup first applies the change sequence (``search.sync``), reloading only the
    services that changed, and rebuilds when the sequence is not the one it followed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state: Any = None  # sync.SyncState once loaded
        self.entries: dict[str, list[SiteEntry]] = {}
        self.capacities: dict[str, CapacityFact] = {}
        # Provider closures in force when loaded: such a service is reloaded when it reopens.
        self.closures: dict[str, datetime] = {}
        self._columns: Columns | None = None
        self._capacity_columns: CapacityColumns | None = None
        self.rebuilds = 0

    def current(
        self, session: Session, vocab: Vocabulary
    ) -> tuple[Columns, CapacityColumns, dict[str, CapacityFact]]:
        """Every entry, and the latest capacity of every service, current as of this session's
        snapshot."""
        with self._lock:
            self.catch_up(session, vocab)
            reopened = [i for i, until in self.closures.items() if until <= datetime.now(UTC)]
            if reopened:
                self._replace(reopened, load_site_entries(session, reopened, vocab), session)
            if self._columns is None:
                self._columns = Columns.of(self.entries)
                self._capacity_columns = None
            if self._capacity_columns is None:
                self._capacity_columns = CapacityColumns.of(self._columns, self.capacities)
            return self._columns, self._capacity_columns, self.capacities

    def catch_up(self, session: Session, vocab: Vocabulary) -> None:
        """Apply the change sequence since the cache's position (reloading the services it
        names), or fill the cache: from the snapshot when there is a usable one, else from the
        database (then a new snapshot is written). A filled cache is frozen out of the garbage
        collector's full collections (``FREEZE_FILLED_CACHES``, docs/scale.md)."""
        from ...search import sync
        from ..search import pending_changes, state_for_rebuild

        now = time.time()
        if self.state is not None:
            plan = sync.plan_catch_up(self.state, pending_changes(session, self.state), now)
            if not plan.rebuild:
                if plan.changed:
                    ids = [i for i in plan.service_ids if i != sync.ALL_SERVICES]
                    if ids:  # else only the gaps of the sequence moved on
                        self._replace(ids, load_site_entries(session, ids, vocab), session)
                        for service_id in ids:
                            self.capacities.pop(service_id, None)
                        self.capacities.update(load_capacities(session, ids))
                        self._capacity_columns = None
                    self.state = plan.state
                return
        from . import snapshot as lookup_snapshot  # warm starts (docs/scale.md)

        if self.state is None and lookup_snapshot.restore(self, session, vocab):
            self.catch_up(session, vocab)
            _settle()
            return None
        state = state_for_rebuild(session)
        self.closures = load_closures(session)
        self.entries = load_site_entries(session, None, vocab)
        self.capacities = load_capacities(session)
        self._columns = Columns.of(self.entries)  # built here to go into the snapshot too
        self._capacity_columns = None
        self.state = state
        self.rebuilds += 1
        lookup_snapshot.write(
            session, vocab, state, self.entries, self.capacities, columns=self._columns
        )
        _settle()
        return None

    def _replace(
        self, ids: Sequence[str], entries: dict[str, list[SiteEntry]], session: Session
    ) -> None:
        if self._columns is not None:
            columns = self._columns.updated(ids, entries)
            too_many = columns.dead > COLUMNS_DEAD_FRACTION * max(len(columns.entries), 1)
            self._columns = None if too_many else columns
            self._capacity_columns = None
        for service_id in ids:
            self.closures.pop(service_id, None)
        self.closures.update(load_closures(session, ids))
        for service_id in ids:
            self.entries.pop(service_id, None)
            if service_id in entries:  # else deleted
                self.entries[service_id] = entries[service_id]


def _settle() -> None:
    """After the cache was filled: freeze what the process holds (``collector``), unless the
    app's ``FREEZE_FILLED_CACHES`` is off (the test suite) or there is no app (scripts)."""
    from flask import current_app, has_app_context

    if has_app_context() and current_app.config.get("FREEZE_FILLED_CACHES", True):
        freeze_long_lived()


#: The candidate caches of code run outside an app context (see :mod:`.caches`).
_caches: dict[str, CandidateCache] = {}


def candidate_cache(session: Session) -> CandidateCache:
    """The cache for the session's database (one per database URL and process)."""
    key = str(session.get_bind().engine.url)
    return held("candidates", key, CandidateCache, _caches)
