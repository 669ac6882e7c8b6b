"""Warm starts: the lookup cache's snapshot beside the search index (services/lookup/snapshot).

A new cache (a new worker) reads the snapshot instead of loading every service, then catches up
through the change sequence; a deleted, unreadable or out-of-step snapshot is rebuilt from the
database and written again.
"""

from __future__ import annotations

import dataclasses
import gc
import pickle

import pytest

from pmhc_directory.search.sync import SyncState
from pmhc_directory.services import lookup
from pmhc_directory.services.lookup import snapshot as lookup_snapshot
from pmhc_directory.taxonomy import vocabulary
from tests.scenario_builders import ROUND_THE_CLOCK, build_service


@pytest.fixture
def snapshot_file(app):
    with app.app_context():
        path = lookup_snapshot.snapshot_path()
        assert path is not None
        path.unlink(missing_ok=True)
        yield path
        path.unlink(missing_ok=True)


def _fresh(session) -> lookup.CandidateCache:
    cache = lookup.CandidateCache()
    cache.catch_up(session, vocabulary())
    return cache


def _names(cache) -> set[str]:
    return {e.common["name"] for found in cache.entries.values() for e in found}


def _service(session, name):
    service = build_service(
        session, name, lat=35.1, lon=-106.6, schedules=ROUND_THE_CLOCK, types=("crisis-receiving",)
    )
    session.flush()
    return service


def test_a_new_cache_starts_from_the_snapshot_and_catches_up(session, snapshot_file):
    _service(session, "Snapshot Centre")
    first = _fresh(session)
    assert first.rebuilds == 1 and snapshot_file.is_file()
    # A new worker: read from the snapshot, not rebuilt.
    second = _fresh(session)
    assert second.rebuilds == 0
    assert second.entries.keys() == first.entries.keys()
    assert "Snapshot Centre" in _names(second)
    # A change after the snapshot is applied by the catch-up, still without a rebuild.
    _service(session, "Opened Since")
    third = _fresh(session)
    assert third.rebuilds == 0 and "Opened Since" in _names(third)


def test_a_deleted_snapshot_is_rebuilt(session, snapshot_file):
    _service(session, "Snapshot Centre")
    _fresh(session)
    snapshot_file.unlink()
    cache = _fresh(session)
    assert cache.rebuilds == 1 and "Snapshot Centre" in _names(cache)
    assert snapshot_file.is_file()


def test_a_snapshot_out_of_step_with_the_database_is_rebuilt(session, snapshot_file):
    _service(session, "Snapshot Centre")
    _fresh(session)
    snapshot = pickle.loads(snapshot_file.read_bytes())  # noqa: S301 (our own test file)
    # As if written from another copy of the database: its last change is not in this one.
    stale = dataclasses.replace(
        snapshot,
        state=SyncState(snapshot.state.last_seq + 10_000, "elsewhere", {}),
        entries={"gone": snapshot.entries[next(iter(snapshot.entries))]},
    )
    snapshot_file.write_bytes(pickle.dumps(stale))
    cache = _fresh(session)
    assert cache.rebuilds == 1 and "gone" not in cache.entries
    assert "Snapshot Centre" in _names(cache)
    rewritten = pickle.loads(snapshot_file.read_bytes())  # noqa: S301
    assert rewritten.state == cache.state


def test_an_unreadable_snapshot_is_rebuilt(session, snapshot_file):
    _service(session, "Snapshot Centre")
    snapshot_file.parent.mkdir(parents=True, exist_ok=True)
    snapshot_file.write_bytes(b"not a pickle")
    cache = _fresh(session)
    assert cache.rebuilds == 1 and "Snapshot Centre" in _names(cache)


def test_snapshots_are_off_with_an_in_memory_index(app, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_INDEX_DIR", ":memory:")
    with app.app_context():
        assert lookup_snapshot.snapshot_path() is None


def _live_names(columns) -> list[str]:
    return sorted(
        e.common["name"] for e, alive in zip(columns.entries, columns.alive, strict=True) if alive
    )


def test_a_warm_start_reads_the_screening_columns_and_keeps_them_in_step(session, snapshot_file):
    _service(session, "Snapshot Centre")
    first = _fresh(session)
    second = _fresh(session)  # from the snapshot
    assert second.rebuilds == 0 and second._columns is not None  # not built again
    assert _live_names(second._columns) == _live_names(first._columns)
    _service(session, "Opened Since")
    columns, _capacity, _facts = second.current(session, vocabulary())
    assert "Opened Since" in _live_names(columns)
    assert _live_names(columns) == _live_names(lookup.Columns.of(second.entries))


@pytest.fixture
def freezing(app, monkeypatch):
    """``FREEZE_FILLED_CACHES`` on (the suite runs with it off); everything frozen is handed
    back to the collector afterwards."""
    monkeypatch.setitem(app.config, "FREEZE_FILLED_CACHES", True)
    gc.unfreeze()
    yield
    gc.unfreeze()


def _frozen(value) -> bool:
    """Whether the collector leaves ``value`` out of its generations (``gc.freeze``)."""
    return gc.is_tracked(value) and not any(o is value for o in gc.get_objects())


def test_a_filled_cache_is_left_out_of_collections(session, snapshot_file, freezing):
    _service(session, "Frozen Centre")
    from_database = _fresh(session)
    assert from_database.rebuilds == 1
    [entry] = [e for e in _entries(from_database) if e.common["name"] == "Frozen Centre"]
    assert gc.get_freeze_count() > 0 and _frozen(entry.common)
    # A new worker filled from the snapshot is frozen too.
    gc.unfreeze()
    from_snapshot = _fresh(session)
    assert from_snapshot.rebuilds == 0
    [entry] = [e for e in _entries(from_snapshot) if e.common["name"] == "Frozen Centre"]
    assert _frozen(entry.common)
    # Catching up with a change is no fill: what it loads stays in the collector's care.
    gc.unfreeze()
    _service(session, "Opened Since")
    from_snapshot.catch_up(session, vocabulary())
    assert gc.get_freeze_count() == 0
    [added] = [e for e in _entries(from_snapshot) if e.common["name"] == "Opened Since"]
    assert not _frozen(added.common)


def test_nothing_is_frozen_with_the_setting_off(session, snapshot_file):
    _service(session, "Unfrozen Centre")
    gc.unfreeze()
    cache = _fresh(session)
    assert cache.rebuilds == 1 and gc.get_freeze_count() == 0


def _entries(cache):
    return [e for found in cache.entries.values() for e in found]
