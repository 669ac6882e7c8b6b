"""Screening glue: from the cached columns to the shortlist of candidates the matcher sees
(``matching.screen`` does the rules; this module supplies the lookup's facts)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import Point
from sqlalchemy.orm import Session

from ...geo.distance import TravelModel, geodesic_km_to_many, haversine_km_to_many
from ...hours import OpenState, ScheduleRule, day_hours, evaluate, evaluate_in
from ...matching import Candidate, Capacity, Fit, Query
from ...matching.policy import Policy, default_policy
from ...matching.ranking import TRAVEL_ZERO_AT
from ...matching.screen import (
    IN_AREA_NO,
    IN_AREA_UNKNOWN,
    IN_AREA_YES,
    LookupFacts,
    best_positions,
    screen,
)
from ...taxonomy import Vocabulary
from .cache import candidate_cache
from .catalogue import CapacityFact
from .columns import CapacityColumns, Columns, epoch_microseconds
from .facts import inside_any
from .parameters import LookupRequest
from .settings import LookupSettings

#: ``excluded`` lists every relevant site that breaks a rule while there are at most this
#: many; beyond, it lists this many, nearest first, and ``excluded_more`` counts the others.
EXCLUDED_LISTED = 50
#: A site whose great-circle estimate of minutes is over its limit by this factor is over it
#: by the geodesic too (the two differ by under 0.6 %).
ESTIMATE_SLACK = 1.01


def _open_state(
    rules: Sequence[ScheduleRule] | None, at: datetime, zone: ZoneInfo, always_open: bool
) -> OpenState:
    if rules is None:  # unreadable hours: never shown as open
        return OpenState(open_now=None, always_open=False, closes_at=None, opens_next=None)
    return evaluate(rules, at, zone, always_open=always_open)


def load_candidates(
    session: Session,
    request: LookupRequest,
    lat: float,
    lon: float,
    settings: LookupSettings,
    now: datetime,
    vocab: Vocabulary,
) -> Shortlist:
    """The candidates of one lookup (see :func:`build_candidates`) from this process's
    :class:`CandidateCache`, brought up to date with the change sequence first (one indexed
    query when nothing changed)."""
    columns, capacity, capacities = candidate_cache(session).current(session, vocab)
    if settings.roads is None:
        from ..roads import current_road_network

        network = current_road_network(session)
        if network is not None:
            settings = replace(settings, roads=network)
    return build_candidates(columns, capacity, capacities, request, lat, lon, settings, now, vocab)


def road_origin(
    settings: LookupSettings, lat: float, lon: float, *, limit_minutes: float = math.inf
) -> Any:
    """Driving times from the person's point over the road network (``geo.roads.OriginTimes``),
    or None without a network or when the point is off it (the estimate applies then). The
    search goes ``limit_minutes`` far (see :func:`road_limit`); farther places are "beyond"."""
    if settings.roads is None:
        return None
    return settings.roads.from_point(
        lat,
        lon,
        max_snap_km=settings.road_snap_max_km,
        snap_speed_kmh=settings.road_snap_speed_kmh,
        limit_minutes=limit_minutes,
    )


def road_limit(query: Query, fits: Sequence[Fit | None]) -> float:
    """How far the lookup's road search goes (minutes): the longest travel cap in play, and the
    travel score's horizon (``TRAVEL_ZERO_AT``: farther places score 0) where a type without a
    cap is in play. A place past it is then too far for every cap and scores as its exact time
    would (docs/roads.md)."""
    if query.max_minutes is not None and math.isinf(query.max_minutes):
        return math.inf
    caps = [f.max_minutes for f in fits if f is not None]
    return max((TRAVEL_ZERO_AT if cap is None else cap for cap in caps), default=TRAVEL_ZERO_AT)


def _road_times(origin: Any, columns: Columns, positions: Any) -> tuple[Any, Any] | None:
    """``(minutes, beyond)`` by road to the sites at ``positions`` (``OriginTimes.times_at``:
    NaN where the estimate applies), or None without a road origin."""
    if origin is None:
        return None
    return origin.times_at(columns.lat, columns.lon, positions)


def _capacity_now(fact: CapacityFact | None, now: datetime, fresh_hours: float) -> Capacity | None:
    if fact is None:
        return None
    return Capacity(
        available=fact.available,
        maximum=fact.maximum,
        unit=fact.unit,
        updated=fact.updated,
        stale=now - fact.updated > timedelta(hours=fresh_hours),
    )


@dataclass(frozen=True)
class Shortlist:
    """The candidates a lookup hands the matcher, and what screening counted of the others."""

    candidates: list[Candidate]
    eligible: int  # sites that break no rule (the results and ``more_results``)
    excluded: int  # relevant sites, not national lines, that break a rule
    listed: int  # of those, how many are among ``candidates``


def query_of(request: LookupRequest, now: datetime, policy: Policy | None = None) -> Query:
    """The matcher's question for a checked lookup request (under the jurisdiction's policy)."""
    return Query(
        policy=policy or default_policy(),
        at=request.at,
        needs=request.needs,
        types=request.types,
        age=request.age,
        language=request.language,
        payment=request.payment,
        populations=request.populations,
        gender=request.gender,
        transport=request.transport,
        intoxicated=request.intoxicated,
        involuntary=request.involuntary,
        max_minutes=request.max_minutes,
        limit=request.limit,
        now=now,
        require_open=request.require_open,
    )


#: Hours codes x local dates whose open intervals the columns keep (a few hundred distinct
#: hours x the dates lookups fall on); past this many they start again.
_DAY_HOURS_MEMO_SIZE = 20_000
_NOT_YET = object()


class _OpenStates:
    """Open-now states per hours code, each evaluated once per lookup (a few hundred distinct
    hours stand for tens of thousands of sites), from the code's open intervals for the local
    date (``hours.day_hours``), which the columns keep for every lookup on that date."""

    def __init__(self, columns: Columns, at: datetime, zone: ZoneInfo) -> None:
        self.columns, self.at, self.zone = columns, at, zone
        self.day = at.astimezone(zone).date()
        self.known: dict[int, OpenState] = {}

    def __call__(self, code: int) -> OpenState:
        state = self.known.get(code)
        if state is None:
            state = self.known[code] = self._evaluate(code)
        return state

    def _evaluate(self, code: int) -> OpenState:
        rules, always_open = self.columns.hours[code]
        if rules is None:  # unreadable hours: never shown as open
            return _open_state(None, self.at, self.zone, always_open)
        memo = self.columns.day_hours
        key = (code, self.day, self.zone)
        hours = memo.get(key, _NOT_YET)
        if hours is _NOT_YET:
            if len(memo) >= _DAY_HOURS_MEMO_SIZE:
                memo.clear()
            hours = memo[key] = day_hours(list(rules), self.day, self.zone, always_open=always_open)
        if hours is None:  # no timed rule: evaluate says unknown (or closed by a closure)
            return _open_state(list(rules), self.at, self.zone, always_open)
        return evaluate_in(hours, self.at)


def _make_candidate(
    columns: Columns,
    position: int,
    km: float | None,
    settings: LookupSettings,
    point: Point,
    open_state: _OpenStates,
    capacities: Mapping[str, CapacityFact],
    now: datetime,
    road: float | None = None,
    beyond: bool = False,
) -> Candidate:
    """``road``: minutes over the road network (NaN or None where the estimate applies);
    ``beyond``: the road search stopped short of the site (``road`` is inf: more than its
    limit, not unreachable)."""
    entry = columns.entries[position]
    extra: dict[str, Any] = {}
    if entry.has_site:
        extra = {
            "distance_km": km,
            "travel_minutes": None if km is None else settings.travel.minutes_of(km),
        }
        if km is not None and settings.roads is not None:
            by_road = road is not None and not math.isnan(road)
            extra["travel_source"] = "beyond" if beyond else "road" if by_road else "estimate"
            if by_road:
                extra["travel_minutes"] = road
    fields = {
        **entry.common,
        **extra,
        "open_state": open_state(int(columns.table.hours_codes[position])),
        "in_service_area": inside_any(entry.shapes, point) if entry.shapes else None,
        "capacity": _capacity_now(
            capacities.get(entry.common["service_id"]), now, settings.capacity_fresh_hours
        ),
    }
    return Candidate.from_fields(fields)


def _exact_km(columns: Columns, positions: Any, lat: float, lon: float) -> list[float | None]:
    import numpy as np

    lats, lons = columns.lat[positions], columns.lon[positions]
    placed = ~np.isnan(lats) & ~np.isnan(lons)
    km = np.full(len(positions), np.nan)
    if placed.any():
        km[placed] = geodesic_km_to_many(lat, lon, lats[placed], lons[placed])
    return [None if not p else float(k) for p, k in zip(placed.tolist(), km.tolist(), strict=True)]


def _candidates_at(
    columns: Columns,
    chosen: Any,
    lat: float,
    lon: float,
    origin: Any,
    settings: LookupSettings,
    open_state: _OpenStates,
    capacities: Mapping[str, CapacityFact],
    now: datetime,
) -> list[Candidate]:
    """Candidates of the entries at positions ``chosen``, with exact distances and minutes."""
    km = _exact_km(columns, chosen, lat, lon)
    road = _road_times(origin, columns, chosen)
    roads = [None] * len(km) if road is None else road[0].tolist()
    beyonds = [False] * len(km) if road is None else road[1].tolist()
    point = Point(lon, lat)
    return [
        _make_candidate(columns, p, k, settings, point, open_state, capacities, now, r, b)
        for p, k, r, b in zip(chosen.tolist(), km, roads, beyonds, strict=True)
    ]


def all_candidates(
    columns: Columns,
    capacities: Mapping[str, CapacityFact],
    request: LookupRequest,
    lat: float,
    lon: float,
    settings: LookupSettings,
    now: datetime,
    vocab: Vocabulary,
) -> list[Candidate]:
    """A candidate for every relevant site and every national line (no screening).

    The reference the screened lookup is tested against; too slow for a state-wide directory.
    """
    import numpy as np

    from ...matching import fit_of

    query = query_of(request, now, settings.policy)
    relevant = np.array(
        [
            fit_of(query, Candidate(service_id="", name="", service_types=t), vocab) is not None
            for t in columns.table.types
        ],
        dtype=bool,
    )
    chosen = np.flatnonzero(
        (relevant[columns.table.types_codes] | columns.national) & columns.alive
    )
    open_state = _OpenStates(columns, request.at, settings.zone)
    origin = road_origin(settings, lat, lon)
    return _candidates_at(columns, chosen, lat, lon, origin, settings, open_state, capacities, now)


_FITS_MEMO_SIZE = 512


def _fits(columns: Columns, query: Query, wanted: set[str], vocab: Vocabulary) -> list[Fit | None]:
    """``fit_of`` for every combination of service types in the cache (None where no type is
    wanted). A fit depends on the needs, types, open-now choice, travel cap and transport only,
    so the answer is kept per such question (officers ask a few kinds of question)."""
    from ...matching import fit_of

    # The fit also reads ``transport`` (phone lines after places when the officer drives).
    key = (
        query.needs,
        query.types,
        query.require_open,
        query.max_minutes,
        query.transport,
        query.policy,
    )
    found = columns.fits_memo.get(key)
    if found is not None:
        return found
    table = columns.table
    fits: list[Fit | None] = [None] * len(table.types)
    for service_type in wanted:
        for code in table.with_type.get(service_type, ()):
            if fits[code] is None:
                types = table.types[code]
                candidate = Candidate(service_id="", name="", service_types=types)
                fits[code] = fit_of(query, candidate, vocab)
    if len(columns.fits_memo) >= _FITS_MEMO_SIZE:
        columns.fits_memo.clear()
    columns.fits_memo[key] = fits
    return fits


def _nearest(columns: Columns, pool: Any, local: Any, minutes: Any, count: int) -> Any:
    """The ``count`` of pool positions ``local`` with the fewest estimated minutes (no point:
    last); ties at the cut go by service and site id, so the choice does not depend on the
    order of the cache."""
    import numpy as np

    if len(local) <= count:
        return local
    estimate = np.where(np.isnan(minutes[local]), np.inf, minutes[local])
    cut = np.partition(estimate, count - 1)[count - 1]
    below = local[estimate < cut]
    tied = local[estimate == cut].tolist()

    def identity(position: int) -> tuple[str, str]:
        common = columns.entries[int(pool[position])].common
        return (common["service_id"], common.get("service_at_location_id") or "")

    tied.sort(key=identity)
    return np.concatenate([below, np.array(tied[: count - len(below)], dtype=below.dtype)])


def _in_area(columns: Columns, pool: Any, lat: float, lon: float) -> Any:
    """Whether the person is in each pool site's service area (``IN_AREA_*`` codes): the
    bounding box first, the exact test only for sites inside it."""
    import numpy as np

    point = Point(lon, lat)
    box = columns.area_box[pool]
    has_area = ~np.isnan(box[:, 0])
    in_area = np.where(has_area, IN_AREA_NO, IN_AREA_UNKNOWN).astype(np.int8)
    with np.errstate(invalid="ignore"):
        maybe = (
            has_area
            & (box[:, 0] <= lon)
            & (lon <= box[:, 2])
            & (box[:, 1] <= lat)
            & (lat <= box[:, 3])
        )
    for k in np.flatnonzero(maybe).tolist():
        if inside_any(columns.entries[int(pool[k])].shapes, point):
            in_area[k] = IN_AREA_YES
    return in_area


def _screen_minutes(
    columns: Columns,
    pool: Any,
    fits: list[Fit | None],
    in_area: Any,
    lat: float,
    lon: float,
    travel: TravelModel,
    origin: Any,
) -> tuple[Any, Any]:
    """Travel minutes to each pool site (NaN: no point): the great-circle estimate, the exact
    geodesic wherever a limit could be in doubt, and the road network where both ends are on
    it (docs/roads.md); and the order "nearest first" lists them in, which puts the places
    past the road search's limit (``inf`` minutes, too far for every cap) after the others,
    in the order of their estimates."""
    import numpy as np

    table = columns.table
    lats, lons = columns.lat[pool], columns.lon[pool]
    placed = ~np.isnan(lats) & ~np.isnan(lons)
    minutes = np.full(len(pool), np.nan)
    minutes[placed] = travel.minutes_of(haversine_km_to_many(lat, lon, lats[placed], lons[placed]))
    cap = np.array([np.nan if f is None or f.max_minutes is None else f.max_minutes for f in fits])[
        table.types_codes[pool]
    ]
    judged = table.goes_to_person[pool] & (in_area != IN_AREA_UNKNOWN)
    with np.errstate(invalid="ignore"):
        certainly_far = ~judged & (minutes > cap * ESTIMATE_SLACK)
    doubtful = placed & ~judged & ~certainly_far
    times = _road_times(origin, columns, pool)
    if times is not None:
        doubtful &= np.isnan(times[0])  # the road time replaces the estimate where there is one
    exact = np.flatnonzero(doubtful)
    if len(exact):
        minutes[exact] = travel.minutes_of(geodesic_km_to_many(lat, lon, lats[exact], lons[exact]))
    if times is None:
        return minutes, minutes
    road, beyond = times
    estimate = minutes
    minutes = np.where(np.isnan(road), estimate, road)
    farthest = np.max(minutes[np.isfinite(minutes)], initial=0.0)
    return minutes, np.where(beyond, farthest + estimate, minutes)


def _capacity_fresh(
    capacity: CapacityColumns, pool: Any, now: datetime, fresh_hours: float
) -> tuple[Any, Any]:
    """(whether each pool site's capacity is fresh and known, the places available)."""
    import numpy as np

    fresh_us = timedelta(hours=fresh_hours) // timedelta(microseconds=1)
    available = capacity.available[pool]
    fresh = (
        capacity.reported[pool]
        & (epoch_microseconds(now) - capacity.updated_us[pool] <= fresh_us)
        & ~np.isnan(available)
    )
    return fresh, available


def _one_per_type(columns: Columns, pool: Any, eligible: Any, wanted: set[str]) -> list[Any]:
    """One eligible pool index per wanted service type that some eligible site offers (the gap
    notices ask which wanted types are offered)."""
    import numpy as np

    table = columns.table
    empty = np.zeros(0, dtype=np.int32)
    eligible_types = table.types_codes[pool[eligible]]
    per_type = [empty.astype(np.int64)]
    for service_type in sorted(wanted):
        offering = np.flatnonzero(np.isin(eligible_types, table.with_type.get(service_type, empty)))
        per_type.append(eligible[offering[:1]])
    return per_type


def wanted_types(request: LookupRequest, vocab: Vocabulary) -> set[str]:
    """The service types a lookup asks for: its types and those of its needs."""
    wanted = set(request.types)
    for need in request.needs:
        wanted.update(vocab.service_types_for_need(need))
    return wanted


def build_candidates(
    columns: Columns,
    capacity: CapacityColumns,
    capacities: Mapping[str, CapacityFact],
    request: LookupRequest,
    lat: float,
    lon: float,
    settings: LookupSettings,
    now: datetime,
    vocab: Vocabulary,
) -> Shortlist:
    """Screen every relevant site (``matching.screen``) and make candidates of those the answer
    can show: the eligible sites that may rank among the first ``limit``, one eligible site per
    wanted service type (for the gap notices), the excluded sites listed (all of them
    while there are at most :data:`EXCLUDED_LISTED`, else that many, nearest first) and every
    national line. ``match`` on these gives the answer it gives on every site.
    """
    import numpy as np

    query = query_of(request, now, settings.policy)
    wanted = wanted_types(request, vocab)
    fits = _fits(columns, query, wanted, vocab)
    relevant = np.array([f is not None for f in fits], dtype=bool)
    pool = np.flatnonzero(relevant[columns.table.types_codes] & ~columns.national & columns.alive)
    in_area = _in_area(columns, pool, lat, lon)
    origin = road_origin(settings, lat, lon, limit_minutes=road_limit(query, fits))
    minutes, nearness = _screen_minutes(
        columns, pool, fits, in_area, lat, lon, settings.travel, origin
    )
    open_state = _OpenStates(columns, request.at, settings.zone)
    fresh, available = _capacity_fresh(capacity, pool, now, settings.capacity_fresh_hours)
    facts = LookupFacts(
        in_area=in_area,
        minutes=minutes,
        open_state=open_state,
        capacity_fresh=fresh,
        capacity_available=available,
    )
    screening = screen(query, columns.table, pool, facts, fits)

    best = best_positions(screening, request.limit)
    per_type = _one_per_type(columns, pool, screening.eligible, wanted)
    listed = _nearest(columns, pool, screening.excluded, nearness, EXCLUDED_LISTED)
    shortlist = np.unique(np.concatenate([best, *per_type, listed]))
    chosen = np.concatenate([pool[shortlist], np.flatnonzero(columns.national & columns.alive)])
    candidates = _candidates_at(
        columns, chosen, lat, lon, origin, settings, open_state, capacities, now
    )
    return Shortlist(
        candidates=candidates,
        eligible=len(screening.eligible),
        excluded=len(screening.excluded),
        listed=len(listed),
    )
