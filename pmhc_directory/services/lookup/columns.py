"""The catalogue as numpy columns and screening codes (:class:`Columns`), updated in place of
rebuilt when a few services change, and the capacity columns beside them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ...hours import ScheduleRule
from ...matching import Fit
from ...matching.screen import (
    ScreenTable,
)
from .catalogue import CapacityFact, SiteEntry


@dataclass(frozen=True)
class Columns:
    """Every cached entry in one list, with numpy columns and screening codes (per cache).

    Edits of a few services make a new ``Columns`` from the old one (:meth:`updated`): their
    old entries are masked (``alive``) and their new ones appended, so one edit costs the work
    of that service, not of the whole directory. The cache rebuilds the columns from scratch
    once masked entries reach :data:`COLUMNS_DEAD_FRACTION`.
    """

    entries: list[SiteEntry]
    alive: Any  # bool array: False for entries of services since changed or deleted
    lat: Any  # float array, NaN where the site has no point
    lon: Any
    national: Any  # bool array
    area_box: Any  # float array (n, 4): min lon, min lat, max lon, max lat; NaN without areas
    hours: list[tuple[tuple[ScheduleRule, ...] | None, bool]]  # per hours code (only grows)
    hours_index: dict[tuple[Any, bool], int]
    table: ScreenTable
    positions: dict[str, list[int]]  # service id -> its live entries
    # The fits of every combination of service types, per kind of question (see _fits).
    fits_memo: dict[tuple[Any, ...], list[Fit | None]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # Each hours code's open intervals per local date and zone (``hours.DayHours``), shared by
    # the columns an update makes (their hours codes are the same; see _OpenStates).
    day_hours: dict[tuple[Any, ...], Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, entries_by_service: Mapping[str, list[SiteEntry]]) -> Columns:
        import numpy as np

        empty = cls(
            entries=[],
            alive=np.zeros(0, dtype=bool),
            lat=np.zeros(0),
            lon=np.zeros(0),
            national=np.zeros(0, dtype=bool),
            area_box=np.zeros((0, 4)),
            hours=[],
            hours_index={},
            table=ScreenTable.of((), ()),
            positions={},
        )
        return empty.updated(list(entries_by_service), entries_by_service)

    @property
    def dead(self) -> int:
        return len(self.entries) - int(self.alive.sum())

    def updated(
        self, service_ids: Iterable[str], entries_by_service: Mapping[str, list[SiteEntry]]
    ) -> Columns:
        """These columns with the entries of ``service_ids`` replaced by those given (a service
        missing from ``entries_by_service`` was deleted)."""
        import numpy as np

        ids = sorted(set(service_ids))
        alive = self.alive.copy()
        positions = dict(self.positions)
        for service_id in ids:
            for position in positions.pop(service_id, ()):
                alive[position] = False
        added: list[SiteEntry] = []
        start = len(self.entries)
        for service_id in ids:
            found = entries_by_service.get(service_id)
            if found:
                positions[service_id] = list(
                    range(start + len(added), start + len(added) + len(found))
                )
                added.extend(found)
        hours_index, hours = self.hours_index, self.hours
        hours_codes = []
        for entry in added:
            key = (entry.rules, entry.always_open)
            code = hours_index.get(key)
            if code is None:
                hours.append(key)
                code = hours_index[key] = len(hours) - 1
            hours_codes.append(code)
        nan = float("nan")
        boxes = np.full((len(added), 4), nan)
        for position, entry in enumerate(added):
            if entry.shapes:
                bounds = np.array([s.bounds for s in entry.shapes], dtype=float)
                boxes[position] = (*bounds[:, :2].min(axis=0), *bounds[:, 2:].max(axis=0))
        statics = [{**e.common, "service_types": e.types} for e in added]
        return Columns(
            entries=self.entries + added,
            alive=np.concatenate([alive, np.ones(len(added), dtype=bool)]),
            lat=np.concatenate(
                [self.lat, np.array([nan if e.lat is None else e.lat for e in added], dtype=float)]
            ),
            lon=np.concatenate(
                [self.lon, np.array([nan if e.lon is None else e.lon for e in added], dtype=float)]
            ),
            national=np.concatenate(
                [self.national, np.array([e.is_national for e in added], dtype=bool)]
            ),
            area_box=np.concatenate([self.area_box, boxes]),
            hours=hours,
            hours_index=hours_index,
            table=self.table.extended(statics, hours_codes),
            positions=positions,
            day_hours=self.day_hours,
        )


#: Masked entries (of services since changed) beyond this share of all make the cache rebuild
#: its columns from scratch.
COLUMNS_DEAD_FRACTION = 0.2


@dataclass(frozen=True)
class CapacityColumns:
    """The latest capacity of every entry's service, as columns (NaN / 0 where none)."""

    available: Any  # float array
    updated_us: Any  # int64 array: microseconds since the epoch of ``updated``
    reported: Any  # bool array

    @classmethod
    def of(cls, columns: Columns, capacities: Mapping[str, CapacityFact]) -> CapacityColumns:
        import numpy as np

        size = len(columns.entries)
        available = np.full(size, np.nan)
        updated = np.zeros(size, dtype=np.int64)
        reported = np.zeros(size, dtype=bool)
        for service_id, fact in capacities.items():
            for position in columns.positions.get(service_id, ()):
                reported[position] = True
                if fact.available is not None:
                    available[position] = fact.available
                updated[position] = epoch_microseconds(fact.updated)
        return cls(available, updated, reported)


def epoch_microseconds(moment: datetime) -> int:
    """Whole microseconds since 1970-01-01 (UTC for an aware moment, naive for a naive one)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC if moment.tzinfo is not None else None)
    return (moment - epoch) // timedelta(microseconds=1)
