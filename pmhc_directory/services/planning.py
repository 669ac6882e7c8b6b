"""Gap analysis for planners (spec/product.md 3.3, spec/api.md 6): loading, then the pure maths.

This module reads the database (analysis areas, services, travel costs, unmet needs), turns it
into numpy arrays and hands them to the pure functions of :mod:`pmhc_directory.gaps`. Every
answer is a plain dict in the JSON shape of ``/api/v1/gaps/*``; the ``gaps report`` command
writes the same dicts to files.

Definitions (also in docs/planners.md):

- **Supply unit.** One per service-at-location whose location has coordinates (or a supplied
  travel time), or one per service without a physical site (a phone line, a team). Only services
  with status ``active`` ever cover or supply anything.
- **Travel minutes** from an area's demand point (``centre_lat/lon``) to a site: the supplied
  ``TravelCost`` where present, else the road network (``geography roads``) where both ends are
  on it, else ``TravelModel(TRAVEL_CIRCUITY, TRAVEL_SPEED_KMH)`` applied to
  the geodesic distance. Distances are exact WGS84 geodesics computed for the whole matrix at once
  with ``pyproj.Geod.inv`` (Karney's algorithm, the same as ``geo.distance.distance_km``), not a
  spherical approximation. A unit with no site is infinitely far.
- **Reach.** A unit with a service area reaches the areas whose demand point lies in it (teams
  and restricted services are judged by their area); any other unit reaches an area within the
  type's threshold (``COVERAGE_MINUTES_BY_TYPE``, else ``COVERAGE_MINUTES_BY_CONTINUUM``; None =
  unlimited, e.g. phone lines). ``max_minutes`` replaces every finite threshold.
- **Open.** At an instant ``at``: open at that instant by the hours engine (24/7 flag honoured,
  site hours replacing service hours). Unknown or unreadable hours are never open. For the week
  profile, hour ``h`` (0 = Monday 00:00-00:59 local wall-clock time, as in ``UnmetNeed``) counts as
  open when the unit is open at the middle of the hour (``hh:30``) of the current week.
- **Covered.** An area is covered for a type when some unit of that type reaches it and is open;
  for a continuum element when some selected type of that element covers it. ``all_three`` is
  contact and respond and place together.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from sqlalchemy import BigInteger, Engine, cast, func, select
from sqlalchemy.orm import Session, selectinload

from .. import moments
from ..errors import InputError
from ..gaps.coverage import CRISIS_ELEMENTS
from ..geo.distance import TravelModel
from ..hours import ScheduleError, is_open_at, open_intervals
from ..models import (
    AnalysisArea,
    Attribute,
    Location,
    RoadNetworkFile,
    Service,
    ServiceAtLocation,
    ServiceStaffing,
    TravelCost,
    UnmetNeed,
)
from ..taxonomy import SERVICE_TYPE, Vocabulary, vocabulary
from .lookup import area_shapes, schedule_rules, service_facts, site_rules
from .roads import current_road_network, road_minutes, road_pairs

log = logging.getLogger(__name__)

METHODS = ("2sfca", "e2sfca", "gravity")
MAX_MINUTES_CAP = 600
MAX_SITES = 50
MAX_AT_DAYS = moments.MAX_AT_DAYS
MAX_CANDIDATES = 5000
HOURS_IN_WEEK = 168
#: Luo & Qi (2009) step weights for 0-10, 10-20 and 20-30 minutes.
E2SFCA_WEIGHTS = {10.0: 1.0, 20.0: 0.68, 30.0: 0.22}
DEFAULT_SITES = 3
SUPPLY_NOTE = (
    "supply is the capacity maximum where known (shared equally among a service's sites), "
    "else 1 per site; demand is the area population"
)


class PlanningInputError(InputError):
    """A bad planning parameter: ``field`` names it, ``message`` says what to fix."""


class NoGeographyError(LookupError):
    """No analysis areas are loaded, so there is nothing to analyse."""

    code = "no-geography"
    message = (
        "No analysis areas are loaded. Run 'flask --app pmhc_directory geography import "
        "<tracts.geojson|.shp>' first (see docs/planners.md)."
    )

    def __init__(self) -> None:
        super().__init__(self.message)


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class Areas:
    """The analysis areas as parallel arrays (one row per area, ordered by id)."""

    ids: list[str]
    names: list[str]
    population: np.ndarray  # int64
    lat: np.ndarray
    lon: np.ndarray
    geometries: list[str]  # GeoJSON text, WGS84

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def total_population(self) -> int:
        return int(self.population.sum())

    def geometry(self, index: int) -> dict[str, Any]:
        return json.loads(self.geometries[index])


@dataclass
class SupplyUnit:
    """A place or team that can cover areas: a service at one site, or a service with none."""

    service_id: str
    name: str
    types: tuple[str, ...]
    status: str
    location_id: str | None = None
    service_at_location_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    shapes: list[Any] = field(default_factory=list)
    # None: hours that cannot be read (never open).
    rules: list[Any] | None = None
    always_open: bool = False
    # Capacity maximum of the service shared among its sites (None: not reported).
    capacity: float | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"


def load_areas(session: Session) -> Areas:
    """Every analysis area; NoGeographyError when there are none."""
    rows = session.execute(
        select(
            AnalysisArea.id,
            AnalysisArea.name,
            AnalysisArea.population,
            AnalysisArea.centre_lat,
            AnalysisArea.centre_lon,
            AnalysisArea.geometry,
        ).order_by(AnalysisArea.id)
    ).all()
    if not rows:
        raise NoGeographyError()
    return Areas(
        ids=[r.id for r in rows],
        names=[r.name or r.id for r in rows],
        population=np.array([r.population or 0 for r in rows], dtype=np.int64),
        lat=np.array([r.centre_lat for r in rows], dtype=float),
        lon=np.array([r.centre_lon for r in rows], dtype=float),
        geometries=[r.geometry for r in rows],
    )


def has_geography(session: Session) -> bool:
    return (session.scalar(select(func.count()).select_from(AnalysisArea)) or 0) > 0


def _rules(schedules: Sequence[Any], service_id: str) -> list[Any] | None:
    try:
        return schedule_rules(schedules)
    except ScheduleError as exc:
        log.warning("service %s has hours that cannot be read (%s)", service_id, exc.field)
        return None


def _capacity_maximum(service: Service) -> float | None:
    if not service.capacities:
        return None
    latest = max(service.capacities, key=lambda c: c.updated)
    return None if latest.maximum is None else float(latest.maximum)


def _services(session: Session) -> list[Service]:
    return list(
        session.scalars(
            select(Service)
            .options(
                selectinload(Service.attributes).joinedload(Attribute.taxonomy_term),
                selectinload(Service.schedules),
                selectinload(Service.capacities),
                selectinload(Service.service_areas),
                selectinload(Service.service_at_locations).options(
                    selectinload(ServiceAtLocation.schedules),
                    selectinload(ServiceAtLocation.service_areas),
                    selectinload(ServiceAtLocation.location).selectinload(Location.schedules),
                ),
            )
            .order_by(Service.name, Service.id)
        )
    )


def load_units(
    session: Session, vocab: Vocabulary | None = None, *, active_only: bool = True
) -> list[SupplyUnit]:
    """Supply units of every service with a PMHC service type (active ones by default)."""
    vocab = vocab or vocabulary()
    units: list[SupplyUnit] = []
    for service in _services(session):
        if active_only and service.status != "active":
            continue
        facts = service_facts(service, vocab)
        if not facts.types:
            continue
        service_rules = _rules(service.schedules, service.id)
        always_open = "open-24-7" in facts.diversion
        service_shapes = area_shapes(service.service_areas)
        capacity = _capacity_maximum(service)
        sites = [sal for sal in service.service_at_locations if sal.location is not None]
        common: dict[str, Any] = {
            "service_id": service.id,
            "name": service.name,
            "types": facts.types,
            "status": service.status,
        }
        if not sites or service.is_national:
            units.append(
                SupplyUnit(
                    **common,
                    shapes=service_shapes,
                    rules=service_rules,
                    always_open=always_open,
                    capacity=capacity,
                )
            )
            continue
        share = None if capacity is None else capacity / len(sites)
        for sal in sites:
            location = sal.location
            rules = (
                None
                if service_rules is None
                else site_rules(service_rules, location.schedules, sal.schedules, service.id)
            )
            units.append(
                SupplyUnit(
                    **common,
                    location_id=location.id,
                    service_at_location_id=sal.id,
                    lat=location.latitude,
                    lon=location.longitude,
                    shapes=area_shapes(sal.service_areas) or service_shapes,
                    rules=rules,
                    # The service-wide 24/7 flag yields to hours published for this very site.
                    always_open=always_open and not (location.schedules or sal.schedules),
                    capacity=share,
                )
            )
    return units


def travel_model(config: Mapping[str, Any]) -> TravelModel:
    return TravelModel(
        circuity=float(config["TRAVEL_CIRCUITY"]), speed_kmh=float(config["TRAVEL_SPEED_KMH"])
    )


def geodesic_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray):
    """Exact WGS84 geodesic distances in km between arrays of points (broadcast together)."""
    from pyproj import Geod

    lat1, lon1, lat2, lon2 = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (lat1, lon1, lat2, lon2))
    )
    if lat1.size == 0:
        return np.zeros(lat1.shape)
    _, _, metres = Geod(ellps="WGS84").inv(lon1.ravel(), lat1.ravel(), lon2.ravel(), lat2.ravel())
    return np.asarray(metres, dtype=float).reshape(lat1.shape) / 1000.0


def estimated_minutes(
    model: TravelModel, lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """``TravelModel.minutes`` of the geodesic distance, for whole arrays."""
    km = geodesic_km(lat1, lon1, lat2, lon2)
    return km * model.circuity / model.speed_kmh * 60.0


#: Area-site pairs per block when estimating a travel-time matrix (bounds temporary memory).
MATRIX_BLOCK_PAIRS = 2_000_000


def minutes_matrix(
    session: Session, config: Mapping[str, Any], areas: Areas, units: Sequence[SupplyUnit]
) -> np.ndarray:
    """Travel minutes (n_areas, n_units): supplied TravelCost, else the road network where both
    ends are on it, else the estimate, else inf (no place)."""
    n_areas, n_units = len(areas), len(units)
    minutes = np.full((n_areas, n_units), np.inf)
    placed = [j for j, u in enumerate(units) if u.lat is not None and u.lon is not None]
    if placed and n_areas:
        lat = np.array([units[j].lat for j in placed], dtype=float)
        lon = np.array([units[j].lon for j in placed], dtype=float)
        model = travel_model(config)
        # A block of columns at a time: the geodesic's temporary arrays stay near
        # MATRIX_BLOCK_PAIRS values instead of several times the whole matrix.
        step = max(1, MATRIX_BLOCK_PAIRS // n_areas)
        for start in range(0, len(placed), step):
            block = slice(start, start + step)
            minutes[:, placed[block]] = estimated_minutes(
                model, areas.lat[:, None], areas.lon[:, None], lat[None, block], lon[None, block]
            )
        network = current_road_network(session)
        if network is not None:  # over the roads where both ends are on them (docs/roads.md)
            road = road_minutes(network, config, (areas.lat, areas.lon), (lat, lon))
            minutes[:, placed] = np.where(road.by_road, road.minutes, minutes[:, placed])
    by_location: dict[str, list[int]] = defaultdict(list)
    for j, unit in enumerate(units):
        if unit.location_id is not None:
            by_location[unit.location_id].append(j)
    if by_location:
        row_of = {area_id: i for i, area_id in enumerate(areas.ids)}
        costs = session.execute(
            select(TravelCost.area_id, TravelCost.location_id, TravelCost.minutes).where(
                TravelCost.location_id.in_(list(by_location))
            )
        )
        for area_id, location_id, value in costs:
            i = row_of.get(area_id)
            if i is not None:
                minutes[i, by_location[location_id]] = float(value)
    return minutes


def in_area_matrix(areas: Areas, units: Sequence[SupplyUnit]) -> tuple[np.ndarray, np.ndarray]:
    """(in_area (n_areas, n_units), has_area (n_units,)): demand points inside service areas."""
    in_area = np.zeros((len(areas), len(units)), dtype=bool)
    has_area = np.zeros(len(units), dtype=bool)
    cache: dict[int, np.ndarray] = {}
    for j, unit in enumerate(units):
        if not unit.shapes:
            continue
        has_area[j] = True
        key = id(unit.shapes)
        if key not in cache:
            inside = np.zeros(len(areas), dtype=bool)
            for geom in unit.shapes:
                inside |= shapely.intersects_xy(geom, areas.lon, areas.lat)
            cache[key] = inside
        in_area[:, j] = cache[key]
    return in_area, has_area


def type_threshold(
    config: Mapping[str, Any], service_type: str, max_minutes: float | None, vocab: Vocabulary
) -> float:
    """Minutes within which a site of this type covers an area (inf = unlimited)."""
    by_type = config.get("COVERAGE_MINUTES_BY_TYPE") or {}
    by_continuum = config.get("COVERAGE_MINUTES_BY_CONTINUUM") or {}
    if service_type in by_type:
        value = by_type[service_type]
    else:
        value = by_continuum.get(vocab.continuum_of(service_type))
    if value is None:
        return math.inf
    return float(max_minutes) if max_minutes is not None else float(value)


# --------------------------------------------------------------------------- hours


def _open_at(unit: SupplyUnit, at: datetime, zone: ZoneInfo) -> bool:
    if not unit.active or unit.rules is None:
        return False
    return bool(is_open_at(unit.rules, at, zone, always_open=unit.always_open))


def week_start(moment: datetime, zone: ZoneInfo) -> date:
    """The Monday of the local week holding ``moment``."""
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def hour_midpoints(monday: date, zone: ZoneInfo) -> list[datetime]:
    """Local wall-clock ``hh:30`` of each of the 168 hours of the week starting ``monday``."""
    return [
        datetime.combine(monday + timedelta(days=h // 24), time(h % 24, 30), tzinfo=zone)
        for h in range(HOURS_IN_WEEK)
    ]


def _open_week(unit: SupplyUnit, midpoints: Sequence[datetime], zone: ZoneInfo) -> np.ndarray:
    mask = np.zeros(len(midpoints), dtype=bool)
    if not unit.active or unit.rules is None:
        return mask
    start, end = midpoints[0] - timedelta(hours=1), midpoints[-1] + timedelta(hours=1)
    intervals = open_intervals(unit.rules, start, end, zone, always_open=unit.always_open)
    stamps = np.array([m.timestamp() for m in midpoints])
    for opens, closes in intervals:
        mask |= (stamps >= opens.timestamp()) & (stamps < closes.timestamp())
    return mask


# --------------------------------------------------------------------------- coverage
#
# Coverage is computed sparsely and cached (docs/scale.md, "Coverage"): the supply units come
# from the officer lookup's per-process cache (``services.lookup.CandidateCache``, kept current
# by the change sequence), only the area-unit pairs within a type's reach are found (a KD-tree
# radius query, then the exact minutes of those pairs; supplied travel times and service areas
# as in the dense definition above), each unit's 168-hour open bitmap is computed once per
# inventory version and week, and every answer is kept per inventory version and question. The
# page, ``/api/v1/gaps/coverage[/week]``, ``gaps report`` and the scorecard's Q4 all call
# :func:`coverage_at` / :func:`coverage_week` / :func:`coverage_summary`.

#: Answers kept per inventory version (least recently used dropped first).
RESULTS_KEPT = 48


#: A supply unit as coverage reads it: the lookup cache's ``SiteEntry`` (an active service at
#: one site, or without one): ``types``, ``lat``/``lon``, ``shapes``, ``rules`` (None: hours that
#: cannot be read, never open), ``always_open`` and ``common["service_at_location_id"]``.
_Unit = Any


@dataclass
class _Inventory:
    """Everything coverage needs for one inventory version, built once and then reused."""

    key: tuple[Any, ...]
    vocab: Vocabulary
    zone: ZoneInfo
    areas: Areas
    units: list[_Unit]
    by_type: dict[str, np.ndarray]  # type -> unit indices (ascending)
    # Per unit: its hours group, 0 for hours that cannot be read (never open), k + 1 for
    # ``hours[k]``. Units of one group are open at the same instants.
    hours_group: np.ndarray
    hours: list[tuple[Any, bool]]  # distinct (rules, always_open)
    lat: np.ndarray  # per unit, NaN without a site
    lon: np.ndarray
    # Per unit: its distinct set of service-area shapes (-1: none), a set of ``sets``.
    shape_set: np.ndarray
    sets: _AreaSets
    supplied: tuple[np.ndarray, np.ndarray, np.ndarray]  # (area rows, units, minutes)
    features: list[dict[str, Any]] | None = None
    tree: Any = None  # coverage.area_tree of the areas, once a reach needs it
    # (type, max_minutes) -> coverage.GroupReach over the hours groups (len(hours) + 1)
    reach: dict[tuple[str, float | None], Any] = field(default_factory=dict)
    weeks: dict[date, np.ndarray] = field(default_factory=dict)  # monday -> (groups, 168)
    results: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    # One computation at a time per version (threaded servers): the caches above are shared.
    lock: Any = field(default_factory=threading.RLock)
    # The road network in use (geo.roads.RoadNetwork), or None (docs/roads.md).
    roads: Any = None

    def remember(self, key: tuple[Any, ...], make: Any) -> Any:
        with self.lock:
            value = self.results.pop(key) if key in self.results else make()
            self.results[key] = value  # most recently used last
            while len(self.results) > RESULTS_KEPT:
                self.results.pop(next(iter(self.results)))
            return value

    @property
    def has_area(self) -> np.ndarray:
        """Per unit: declares a service area."""
        return self.shape_set >= 0

    @property
    def n_groups(self) -> int:
        """Hours groups: unreadable hours first, then each distinct set of opening hours."""
        return len(self.hours) + 1

    def in_area_pairs(self, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(area rows, positions in ``units``) of the demand points inside the service areas
        of ``units`` (unit indices)."""
        sets = self.shape_set[units]
        shaped = np.flatnonzero(sets >= 0)
        starts = self.sets.indptr[sets[shaped]]
        lengths = self.sets.indptr[sets[shaped] + 1] - starts
        offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        rows = self.sets.rows[np.arange(int(lengths.sum()), dtype=np.int64) + offsets]
        return rows, np.repeat(shaped, lengths)

    def area_features(self) -> list[dict[str, Any]]:
        if self.features is None:
            self.features = [self.areas.geometry(i) for i in range(len(self.areas))]
        return self.features


class _Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.inventory: _Inventory | None = None
        self.builds = 0


_stores: dict[str, _Store] = {}
_stores_lock = threading.Lock()


def _store(session: Session) -> _Store:
    bind = session.get_bind()
    key = str((bind if isinstance(bind, Engine) else bind.engine).url)
    with _stores_lock:
        return _stores.setdefault(key, _Store())


def _config_key(config: Mapping[str, Any]) -> str:
    return json.dumps(
        [
            config.get("COVERAGE_MINUTES_BY_TYPE") or {},
            config.get("COVERAGE_MINUTES_BY_CONTINUUM") or {},
            float(config["TRAVEL_CIRCUITY"]),
            float(config["TRAVEL_SPEED_KMH"]),
            str(config["TIMEZONE"]),
        ],
        sort_keys=True,
        default=str,
    )


def _geography_key(session: Session) -> tuple[Any, ...]:
    """A fingerprint of the analysis areas and supplied travel times (two aggregate queries)."""

    # Sums of integers (micro-degrees, milli-minutes): exact in any order, so a parallel
    # aggregate on PostgreSQL gives the same key every time.
    def micro(column: Any, scale: float) -> Any:
        return func.sum(cast(column * scale, BigInteger))

    areas = session.execute(
        select(
            func.count(),
            func.sum(AnalysisArea.population),
            micro(AnalysisArea.centre_lat, 1e6),
            micro(AnalysisArea.centre_lon, 1e6),
            func.min(AnalysisArea.id),
            func.max(AnalysisArea.id),
        )
    ).one()
    costs = session.execute(select(func.count(), micro(TravelCost.minutes, 1e3))).one()
    roads = session.scalar(select(RoadNetworkFile.id))
    return (*areas, *costs, roads)


def _inventory(session: Session, config: Mapping[str, Any]) -> _Inventory:
    """The coverage inputs of the inventory as this session sees it (cached per version).

    The version is the lookup cache's position in the change sequence (every edit, import,
    deletion and status change of a service moves it), a fingerprint of the areas and supplied
    travel times, and the coverage settings.
    """
    from .lookup import candidate_cache

    vocab = vocabulary()
    cache = candidate_cache(session)
    with cache._lock:  # the lookup's own lock: catch up, then copy the entries' list
        cache.catch_up(session, vocab)
        entries = [e for found in cache.entries.values() for e in found]
        position = (id(cache), cache.rebuilds, json.dumps(cache.state.to_json(), sort_keys=True))
    geography = _geography_key(session)
    if not geography[0]:
        raise NoGeographyError()
    key = (position, geography, _config_key(config))
    store = _store(session)
    with store.lock:
        if store.inventory is not None and store.inventory.key == key:
            return store.inventory
        inventory = _build_inventory(session, config, key, vocab, entries, store.inventory)
        store.inventory = inventory
        store.builds += 1
        return inventory


def _build_inventory(
    session: Session,
    config: Mapping[str, Any],
    key: tuple[Any, ...],
    vocab: Vocabulary,
    entries: Sequence[Any],
    previous: _Inventory | None = None,
) -> _Inventory:
    """The inventory of version ``key``. What ``previous`` (the last version) computed is
    reused where its inputs are the very same: the service-area sets of unchanged shapes when
    the areas are the same, and the reach of every type whose units are all unchanged (the
    lookup cache keeps the entry objects of services that did not change)."""
    areas = load_areas(session)
    units = [e for e in entries if e.types and e.common.get("status") == "active"]
    same_areas = previous is not None and previous.key[1:] == key[1:]
    earlier = previous if same_areas else None
    hours, hours_group = _hours_groups(units, earlier.hours if earlier else [])
    shape_set, sets = _service_area_sets(areas, units, earlier.sets if earlier else None)
    lat = np.array(list(map(attrgetter("lat"), units)), dtype=float)  # None -> NaN
    lon = np.array(list(map(attrgetter("lon"), units)), dtype=float)
    lat[np.isnan(lon)] = np.nan
    lon[np.isnan(lat)] = np.nan
    inventory = _Inventory(
        key=key,
        vocab=vocab,
        zone=ZoneInfo(config["TIMEZONE"]),
        areas=areas,
        units=units,
        by_type=_units_by_type(units),
        hours_group=hours_group,
        hours=hours,
        lat=lat,
        lon=lon,
        shape_set=shape_set,
        sets=sets,
        supplied=_supplied_minutes(session, areas, units),
        roads=current_road_network(session),
    )
    if earlier is not None:
        _reuse(inventory, earlier)
    return inventory


def _unit_ids(units: Sequence[_Unit]) -> np.ndarray:
    return np.fromiter(map(id, units), dtype=np.uint64, count=len(units))


def _reuse(inventory: _Inventory, earlier: _Inventory) -> None:
    """Take the areas' tree and features, and the reach of every type whose units are the
    same objects, from ``earlier`` (same areas, travel times and settings; hours groups
    numbered alike, ``earlier``'s first). ``earlier`` is alive, so no id is reused."""
    inventory.tree, inventory.features = earlier.tree, earlier.features
    if inventory.hours[: len(earlier.hours)] != earlier.hours:
        return
    now_ids, then_ids = _unit_ids(inventory.units), _unit_ids(earlier.units)
    for (service_type, max_minutes), reach in list(earlier.reach.items()):
        empty = np.zeros(0, np.int64)
        mine = now_ids[inventory.by_type.get(service_type, empty)]
        if np.array_equal(mine, then_ids[earlier.by_type.get(service_type, empty)]):
            inventory.reach[(service_type, max_minutes)] = reach.widened(inventory.n_groups)


def _codes(keys: Iterable[Any]) -> tuple[np.ndarray, list[int]]:
    """A code per key (0, 1, ... in order of first appearance) and the first position of each."""
    index: dict[Any, int] = {}
    codes = np.array([index.setdefault(k, len(index)) for k in keys], dtype=np.int64)
    return codes, np.unique(codes, return_index=True)[1].tolist()


def _identity_codes(values: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """:func:`_codes` of an array of integers (object ids), with numpy: a code per value (in
    the order of the values) and the first position of each."""
    _, first, codes = np.unique(values, return_index=True, return_inverse=True)
    return codes.reshape(-1).astype(np.int64), first.tolist()


def _ids_of(units: Sequence[_Unit], attribute: str) -> np.ndarray:
    """``id(unit.<attribute>)`` of every unit (the lookup cache interns repeated values)."""
    return np.fromiter(
        map(id, map(attrgetter(attribute), units)), dtype=np.uint64, count=len(units)
    )


def _units_by_type(units: Sequence[_Unit]) -> dict[str, np.ndarray]:
    """Type -> the units (ascending indices) that have it. The lookup cache interns each
    combination of types, so units are grouped by that object first."""
    combo, first = _identity_codes(_ids_of(units, "types"))
    holders: dict[str, list[int]] = defaultdict(list)
    for code, position in enumerate(first):
        for service_type in dict.fromkeys(units[position].types):
            holders[service_type].append(code)
    return {t: np.flatnonzero(np.isin(combo, codes)) for t, codes in holders.items()}


#: Sets of hours kept from earlier versions but no longer used: beyond this many (and as many
#: as are used) the numbering starts again.
HOURS_UNUSED_KEPT = 64


def _hours_groups(
    units: Sequence[_Unit], earlier: Sequence[tuple[Any, bool]] = ()
) -> tuple[list[tuple[Any, bool]], np.ndarray]:
    """The distinct (rules, always_open) of the units with readable hours, and each unit's
    hours group: 0 for unreadable hours (never open), ``k + 1`` for ``hours[k]``. Interned
    rules are grouped by identity, then equal ones merged. ``earlier`` (the last version's
    hours) keeps its numbers, so a reach computed then still holds."""
    rules, _ = _identity_codes(_ids_of(units, "rules"))
    always = np.fromiter(map(attrgetter("always_open"), units), dtype=bool, count=len(units))
    by_object, first = _identity_codes(rules * 2 + always)
    by_value: dict[tuple[Any, bool], int] = {h: k + 1 for k, h in enumerate(earlier)}
    merged = np.zeros(len(first), dtype=np.int64)
    for code, position in enumerate(first):
        unit = units[position]
        if unit.rules is not None:
            merged[code] = by_value.setdefault(
                (unit.rules, bool(unit.always_open)), len(by_value) + 1
            )
    used = np.unique(merged[merged > 0]).size
    if earlier and len(by_value) > 2 * used + HOURS_UNUSED_KEPT:
        return _hours_groups(units)
    return list(by_value), merged[by_object]


@dataclass(frozen=True)
class _AreaSets:
    """The distinct sets of service-area shapes of an inventory: ``keys`` (the ids of a set's
    shapes) -> set number; the demand points inside set k are area rows
    ``rows[indptr[k]:indptr[k + 1]]``."""

    keys: dict[tuple[int, ...], int]
    indptr: np.ndarray
    rows: np.ndarray

    def rows_of(self, k: int) -> np.ndarray:
        return self.rows[self.indptr[k] : self.indptr[k + 1]]


def _service_area_sets(
    areas: Areas, units: Sequence[_Unit], earlier: _AreaSets | None = None
) -> tuple[np.ndarray, _AreaSets]:
    """(set per unit, -1 for none; the sets): the demand points inside each distinct set of
    service-area shapes. The sets ``earlier`` holds (same areas, shape objects still alive)
    are copied; the others are found with one bulk STRtree query."""
    shape_set = np.full(len(units), -1, dtype=np.int64)
    has = np.fromiter(map(bool, map(attrgetter("shapes"), units)), dtype=bool, count=len(units))
    shaped = np.flatnonzero(has).tolist()
    keys = [tuple(map(id, units[j].shapes)) for j in shaped]
    codes, first = _codes(keys)
    shape_set[shaped] = codes
    distinct = [keys[position] for position in first]
    known = {} if earlier is None else earlier.keys
    new = [k for k, key in enumerate(distinct) if key not in known]
    found = _shapes_rows(areas, [units[shaped[first[k]]].shapes for k in new])
    rows = [earlier.rows_of(known[key]) if earlier and key in known else None for key in distinct]
    for k, rows_k in zip(new, found, strict=True):
        rows[k] = rows_k
    lengths = np.array([r.size for r in rows if r is not None], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = np.concatenate([r for r in rows if r is not None] or [np.zeros(0, np.int64)])
    return shape_set, _AreaSets(
        dict(zip(distinct, range(len(distinct)), strict=True)), indptr, flat
    )


def _shapes_rows(areas: Areas, sets: Sequence[Sequence[Any]]) -> list[np.ndarray]:
    """For each set of shapes, the area rows whose demand point is inside one of them (one
    bulk STRtree query over the distinct shape objects)."""
    if not sets:
        return []
    geometry_code: dict[int, int] = {}
    geometries: list[Any] = []
    member_set: list[int] = []  # (set, geometry) memberships
    member_geometry: list[int] = []
    for k, shapes in enumerate(sets):
        for geometry in shapes:
            g = geometry_code.setdefault(id(geometry), len(geometries))
            if g == len(geometries):
                geometries.append(geometry)
            member_set.append(k)
            member_geometry.append(g)
    tree = shapely.STRtree(np.asarray(shapely.points(areas.lon, areas.lat)))
    found = tree.query(np.array(geometries, dtype=object), predicate="intersects")
    # Every (set, area row) pair: each found (geometry, row) once per set holding the geometry.
    by_geometry = np.argsort(np.array(member_geometry, dtype=np.int64), kind="stable")
    sets_sorted = np.array(member_set, dtype=np.int64)[by_geometry]
    counts = np.bincount(member_geometry, minlength=len(geometries))
    starts = np.cumsum(counts) - counts
    n = counts[found[0]]
    offsets = np.repeat(starts[found[0]] - (np.cumsum(n) - n), n)
    pair_set = sets_sorted[np.arange(int(n.sum()), dtype=np.int64) + offsets]
    pair_row = np.repeat(found[1].astype(np.int64), n)
    order = np.argsort(pair_set, kind="stable")
    indptr = np.searchsorted(pair_set[order], np.arange(1, len(sets), dtype=np.int64))
    return np.split(pair_row[order], indptr)


def _supplied_minutes(
    session: Session, areas: Areas, units: Sequence[_Unit]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(area rows, unit indices, minutes) of the supplied ``TravelCost`` rows of the units'
    sites (none read when the table is empty)."""
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if not session.scalar(select(func.count()).select_from(TravelCost)):
        return empty
    by_link: dict[str, list[int]] = defaultdict(list)
    for j, unit in enumerate(units):
        link = unit.common.get("service_at_location_id")
        if link is not None:
            by_link[link].append(j)
    row_of = {area_id: i for i, area_id in enumerate(areas.ids)}
    rows, cols, minutes = [], [], []
    result = session.execute(
        select(ServiceAtLocation.id, TravelCost.area_id, TravelCost.minutes).join(
            TravelCost, TravelCost.location_id == ServiceAtLocation.location_id
        )
    )
    for link_id, area_id, value in result:
        i = row_of.get(area_id)
        if i is None:
            continue
        for j in by_link.get(link_id, ()):
            rows.append(i)
            cols.append(j)
            minutes.append(float(value))
    if not rows:
        return empty
    return np.array(rows, np.int64), np.array(cols, np.int64), np.array(minutes, dtype=float)


def _type_reach(
    inv: _Inventory, config: Mapping[str, Any], service_type: str, max_minutes: float | None
) -> Any:
    """The sparse reach of the units of one type (cached per inventory version)."""
    key = (service_type, max_minutes)
    with inv.lock:
        if key not in inv.reach:
            inv.reach[key] = _sparse_type_reach(inv, config, service_type, max_minutes)
        return inv.reach[key]


def _sparse_type_reach(
    inv: _Inventory, config: Mapping[str, Any], service_type: str, max_minutes: float | None
) -> Any:
    """The units of one type merged by hours group (``coverage.GroupReach``): which areas the
    units of each set of opening hours reach. Only the area-unit pairs within reach are found;
    units of one service area and one set of hours add their areas once."""
    from ..gaps import coverage

    cols = inv.by_type.get(service_type, np.zeros(0, np.int64))
    threshold = type_threshold(config, service_type, max_minutes, inv.vocab)
    position = np.full(len(inv.units), -1, dtype=np.int64)
    position[cols] = np.arange(cols.size)
    groups = inv.hours_group[cols]
    # One unit for each (service-area set, hours group): the others add the same pairs.
    sets = inv.shape_set[cols]
    shaped = np.flatnonzero(sets >= 0)
    kept = shaped[np.unique(sets[shaped] * inv.n_groups + groups[shaped], return_index=True)[1]]
    in_rows, in_kept = inv.in_area_pairs(cols[kept])
    sup_rows, sup_units, sup_minutes = inv.supplied
    mine = position[sup_units] >= 0 if sup_units.size else np.zeros(0, dtype=bool)
    sup_rows, sup_cols, sup_minutes = sup_rows[mine], position[sup_units[mine]], sup_minutes[mine]
    if inv.roads is not None:
        # Road times where both ends are on the network; supplied times still win (they come
        # last, and the last value of a pair wins).
        r_rows, r_cols, r_minutes = road_pairs(
            inv.roads,
            config,
            (inv.areas.lat, inv.areas.lon),
            (inv.lat[cols], inv.lon[cols]),
            threshold,
        )
        sup_rows = np.concatenate([r_rows, sup_rows])
        sup_cols = np.concatenate([r_cols, sup_cols])
        sup_minutes = np.concatenate([r_minutes, sup_minutes])
    model = travel_model(config)
    if inv.tree is None:
        inv.tree = coverage.area_tree(inv.areas.lat, inv.areas.lon)
    pairs = coverage.reach_pairs(
        inv.areas.lat,
        inv.areas.lon,
        inv.lat[cols],
        inv.lon[cols],
        np.full(cols.size, threshold),
        sets >= 0,
        (in_rows, kept[in_kept]),
        circuity=model.circuity,
        speed_kmh=model.speed_kmh,
        supplied=(sup_rows, sup_cols, sup_minutes),
        area_tree=inv.tree,
    )
    return coverage.group_reach(len(inv.areas), pairs, groups, inv.n_groups)


def _open_now(inv: _Inventory, at: datetime) -> np.ndarray:
    """Whether each hours group is open at the instant ``at`` (the hours engine once per
    distinct set of hours; the first group, unreadable hours, never)."""
    return np.array(
        [False]
        + [
            bool(is_open_at(rules, at, inv.zone, always_open=always)) for rules, always in inv.hours
        ],
        dtype=bool,
    )


def _open_week_of(inv: _Inventory, monday: date) -> np.ndarray:
    """Each hours group's open bitmap for the 168 hours of the week from ``monday`` (cached)."""
    with inv.lock:
        if monday not in inv.weeks:
            # one week kept: the page and the API ask for one at a time
            inv.weeks = {monday: _week_bitmaps(inv, monday)}
        return inv.weeks[monday]


def _week_bitmaps(inv: _Inventory, monday: date) -> np.ndarray:
    midpoints = hour_midpoints(monday, inv.zone)
    stamps = np.array([m.timestamp() for m in midpoints])
    start, end = midpoints[0] - timedelta(hours=1), midpoints[-1] + timedelta(hours=1)
    answers = np.zeros((inv.n_groups, HOURS_IN_WEEK), dtype=bool)  # first: never open
    for k, (rules, always) in enumerate(inv.hours, start=1):
        for opens, closes in open_intervals(rules, start, end, inv.zone, always_open=always):
            answers[k] |= (stamps >= opens.timestamp()) & (stamps < closes.timestamp())
    return answers


def crisis_types(vocab: Vocabulary | None = None) -> list[str]:
    vocab = vocab or vocabulary()
    return [t for element in CRISIS_ELEMENTS for t in vocab.service_types_in(element)]


def _elements(types: Sequence[str], vocab: Vocabulary) -> list[str]:
    used = {vocab.continuum_of(t) for t in types}
    return list(CRISIS_ELEMENTS) + [
        e for e in vocab.continuum if e in used and e not in CRISIS_ELEMENTS
    ]


def _covered(
    inv: _Inventory,
    config: Mapping[str, Any],
    types: Sequence[str],
    max_minutes: float | None,
    open_groups: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(covered per type, covered per element, elements): boolean ``(n_areas, k[, hours])``.

    ``open_groups`` is ``(n_groups,)`` for one instant or ``(n_groups, hours)``, per hours
    group of the inventory. An element is covered where any selected type of that element is.
    """
    from ..gaps import coverage

    shape = (len(inv.areas),) + open_groups.shape[1:]
    by_type = np.zeros((shape[0], len(types)) + shape[1:], dtype=bool)
    for k, t in enumerate(types):
        cols = inv.by_type.get(t)
        if cols is None or not cols.size:
            continue
        by_type[:, k] = coverage.group_covered(
            _type_reach(inv, config, t, max_minutes), open_groups
        )
    elements = _elements(types, inv.vocab)
    by_element = np.zeros((shape[0], len(elements)) + shape[1:], dtype=bool)
    for k, t in enumerate(types):
        by_element[:, elements.index(inv.vocab.continuum_of(t))] |= by_type[:, k]
    return by_type, by_element, elements


def _share(covered: np.ndarray, population: np.ndarray) -> dict[str, Any]:
    total = int(population.sum())
    people = int(population[covered].sum()) if covered.size else 0
    return {"covered_population": people, "share": people / total if total else 0.0}


def _types_or_crisis(types: Sequence[str] | None, vocab: Vocabulary) -> list[str]:
    return list(dict.fromkeys(types)) if types else crisis_types(vocab)


def _at_answer(
    session: Session,
    config: Mapping[str, Any],
    types: Sequence[str] | None,
    at: datetime | None,
    max_minutes: float | None,
) -> tuple[_Inventory, datetime, list[str], tuple[np.ndarray, np.ndarray, list[str]]]:
    inv = _inventory(session, config)
    types = _types_or_crisis(types, inv.vocab)
    at = (at or datetime.now(UTC)).astimezone(inv.zone)
    key = ("at", at.timestamp(), tuple(types), max_minutes)
    covered = inv.remember(
        key, lambda: _covered(inv, config, types, max_minutes, _open_now(inv, at))
    )
    return inv, at, types, covered


def _summary(
    inv: _Inventory,
    config: Mapping[str, Any],
    at: datetime,
    types: Sequence[str],
    max_minutes: float | None,
    covered: tuple[np.ndarray, np.ndarray, list[str]],
) -> dict[str, Any]:
    covered_type, covered_element, elements = covered
    pop = inv.areas.population
    crisis = [elements.index(e) for e in CRISIS_ELEMENTS]
    all_three = np.asarray(covered_element[:, crisis].all(axis=1))
    everyone = _share(all_three, pop)
    return {
        "at": at.isoformat(),
        "population": inv.areas.total_population,
        "types": list(types),
        "max_minutes": max_minutes,
        "thresholds": {
            t: _json_minutes(type_threshold(config, t, max_minutes, inv.vocab)) for t in types
        },
        "by_type": {t: _share(covered_type[:, k], pop) for k, t in enumerate(types)},
        "by_continuum": {e: _share(covered_element[:, k], pop) for k, e in enumerate(elements)},
        "all_three_share": everyone["share"],
        "all_three_population": everyone["covered_population"],
        "elements_without_selected_types": [
            e for e in CRISIS_ELEMENTS if e not in {inv.vocab.continuum_of(t) for t in types}
        ],
    }


def coverage_summary(
    session: Session,
    config: Mapping[str, Any],
    types: Sequence[str] | None = None,
    at: datetime | None = None,
    max_minutes: float | None = None,
) -> dict[str, Any]:
    """The ``summary`` of :func:`coverage_at` alone (no per-area features): the scorecard's Q4
    and the page's headline."""
    inv, at, types, covered = _at_answer(session, config, types, at, max_minutes)
    return _summary(inv, config, at, types, max_minutes, covered)


def coverage_at(
    session: Session,
    config: Mapping[str, Any],
    types: Sequence[str] | None = None,
    at: datetime | None = None,
    max_minutes: float | None = None,
) -> dict[str, Any]:
    """Which areas each type and continuum element covers at the instant ``at`` (api.md 6)."""
    inv, at, types, covered = _at_answer(session, config, types, at, max_minutes)
    covered_type, covered_element, elements = covered
    crisis = [elements.index(e) for e in CRISIS_ELEMENTS]
    all_three = np.asarray(covered_element[:, crisis].all(axis=1))
    areas = inv.areas
    geometries = inv.area_features()
    features = []
    for i, area_id in enumerate(areas.ids):
        features.append(
            {
                "type": "Feature",
                "geometry": geometries[i],
                "properties": {
                    "area_id": area_id,
                    "name": areas.names[i],
                    "population": int(areas.population[i]),
                    "covered": {t: bool(covered_type[i, k]) for k, t in enumerate(types)},
                    "continuum": {e: bool(covered_element[i, k]) for k, e in enumerate(elements)},
                    "all_three": bool(all_three[i]),
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "summary": _summary(inv, config, at, types, max_minutes, covered),
    }


def _json_minutes(value: float) -> float | None:
    return None if math.isinf(value) else value


def _worst_hours(
    covered_element: np.ndarray,
    elements: Sequence[str],
    population: np.ndarray,
    monday: date,
    zone: ZoneInfo,
) -> dict[str, Any]:
    """The hour of the week with the fewest people covered, for all three elements together
    and for each crisis element: ``{"hour", "local_time", "share", "covered_population",
    "people_without"}`` (the first such hour on ties)."""
    total = int(population.sum())
    pop = population.astype(np.int64)
    crisis = [elements.index(e) for e in CRISIS_ELEMENTS]
    series = {"all_three": covered_element[:, crisis, :].all(axis=1)}
    for k in crisis:
        series[elements[k]] = covered_element[:, k, :]
    worst: dict[str, Any] = {}
    for name, covered in series.items():
        people = pop @ covered.astype(np.int64)  # (168,)
        hour = int(np.argmin(people))
        local = datetime.combine(monday, time(), zone) + timedelta(hours=hour)
        worst[name] = {
            "hour": hour,
            "local_time": local.replace(tzinfo=None).isoformat(timespec="minutes"),
            "share": int(people[hour]) / total if total else 0.0,
            "covered_population": int(people[hour]),
            "people_without": total - int(people[hour]),
        }
    return worst


def coverage_week(
    session: Session,
    config: Mapping[str, Any],
    types: Sequence[str] | None = None,
    *,
    max_minutes: float | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Population share covered in each hour of the local week holding ``now`` (Monday 00:00
    first), and the worst hour of that week (``worst``)."""
    inv = _inventory(session, config)
    types = _types_or_crisis(types, inv.vocab)
    zone = inv.zone
    monday = week_start(now or datetime.now(UTC), zone)

    def compute() -> dict[str, Any]:
        covered_type, covered_element, elements = _covered(
            inv, config, types, max_minutes, _open_week_of(inv, monday)
        )
        crisis = [elements.index(e) for e in CRISIS_ELEMENTS]
        all_three = np.asarray(covered_element[:, crisis, :].all(axis=1))  # (n_areas, 168)
        pop = inv.areas.population.astype(float)
        total = pop.sum()

        def shares(covered: np.ndarray) -> list[float]:  # (n_areas, 168) -> 168 shares
            if not total:
                return [0.0] * HOURS_IN_WEEK
            # Sums of whole people: exact in any order; einsum needs no float copy (or BLAS).
            return (np.einsum("i,ih->h", pop, covered) / total).tolist()

        return {
            "start": "Monday 00:00",
            "week_of": monday.isoformat(),
            "zone": str(zone),
            "hours": HOURS_IN_WEEK,
            "population": inv.areas.total_population,
            "types": list(types),
            "by_type": {t: shares(covered_type[:, k, :]) for k, t in enumerate(types)},
            "by_continuum": {e: shares(covered_element[:, k, :]) for k, e in enumerate(elements)},
            "all_three": shares(all_three),
            "worst": _worst_hours(covered_element, elements, inv.areas.population, monday, zone),
        }

    return inv.remember(("week", monday, tuple(types), max_minutes), compute)


# --------------------------------------------------------------------------- accessibility


def _sites_of_type(units: Sequence[SupplyUnit], service_type: str) -> list[SupplyUnit]:
    return [u for u in units if service_type in u.types and u.active]


def quantile_classes(values: Iterable[float], n: int = 5) -> list[float]:
    """Upper bounds of ``n`` quantile classes of the finite values, increasing and distinct
    (fewer when values repeat; empty when there are none)."""
    finite = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if finite.size == 0:
        return []
    breaks: list[float] = []
    for q in np.quantile(finite, [(k + 1) / n for k in range(n)]):
        if not breaks or float(q) > breaks[-1]:
            breaks.append(float(q))
    return breaks


def accessibility(
    session: Session,
    config: Mapping[str, Any],
    service_type: str,
    method: str = "e2sfca",
    max_minutes: float | None = None,
) -> dict[str, Any]:
    """Spatial accessibility score per area (supply per person) by 2SFCA, E2SFCA or gravity.

    Sites are the active type's units with a place (coordinates or supplied travel times);
    teams and lines without a site are left out. Catchment: ``max_minutes`` or the type's
    threshold (30 minutes when unlimited). E2SFCA uses Luo & Qi's 10/20/30-minute weights,
    stretched in proportion when the catchment is not 30 minutes.
    """
    from ..gaps import fca

    vocab = vocabulary()
    if method not in METHODS:
        raise PlanningInputError("method", f"method must be one of {', '.join(METHODS)}.")
    areas = load_areas(session)
    sites = [
        u
        for u in _sites_of_type(load_units(session, vocab), service_type)
        if u.location_id is not None
    ]
    catchment = type_threshold(config, service_type, max_minutes, vocab)
    if math.isinf(catchment):
        catchment = 30.0
    demand = areas.population.astype(float)
    supply = np.array([1.0 if u.capacity is None else u.capacity for u in sites], dtype=float)
    cost = minutes_matrix(session, config, areas, sites)
    if not sites:
        scores = np.full(len(areas), np.nan if method == "2sfca" else 0.0)
    elif method == "2sfca":
        scores = fca.two_step_fca(demand, supply, cost, catchment)
    elif method == "e2sfca":
        factor = catchment / 30.0
        weights = {edge * factor: w for edge, w in E2SFCA_WEIGHTS.items()}
        scores = fca.enhanced_two_step_fca(demand, supply, cost, weights=weights)
    else:
        scores = fca.gravity(demand, supply, cost, beta=1.0, max_cost=max_minutes)
    scores = np.asarray(scores, dtype=float)
    values = [None if not math.isfinite(s) else float(s) for s in scores]
    features = [
        {
            "type": "Feature",
            "geometry": areas.geometry(i),
            "properties": {
                "area_id": area_id,
                "name": areas.names[i],
                "population": int(areas.population[i]),
                "score": values[i],
                "score_per_100k": None if (value := values[i]) is None else value * 100_000,
            },
        }
        for i, area_id in enumerate(areas.ids)
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "method": method,
        "service_type": service_type,
        "type_label": vocab.term(SERVICE_TYPE, service_type).name,
        "catchment_minutes": catchment,
        "sites": len(sites),
        "supply_total": float(supply.sum()),
        "supply_note": SUPPLY_NOTE,
        "classes": quantile_classes(v for v in values if v is not None),
    }


# --------------------------------------------------------------------------- need


def need_parameters(params: Mapping[str, Any]) -> Any:
    """``need.NeedParameters`` from text values (query string or JSON); others keep defaults."""
    from ..gaps import need

    defaults = need.NeedParameters()
    values: dict[str, Any] = {}
    for f in dataclasses.fields(defaults):
        if f.name not in params or params[f.name] in (None, ""):
            continue
        raw = params[f.name]
        default = getattr(defaults, f.name)
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise PlanningInputError(f.name, f"{f.name} must be a number.")
        try:
            number = float(raw)
        except ValueError:
            raise PlanningInputError(f.name, f"{f.name} must be a number, not {raw!r}.") from None
        if not math.isfinite(number) or number < 0:
            raise PlanningInputError(f.name, f"{f.name} must be a finite number of 0 or more.")
        if isinstance(default, int) and not isinstance(default, bool):
            if number != int(number):
                raise PlanningInputError(f.name, f"{f.name} must be a whole number.")
            number = int(number)
        values[f.name] = number
    try:
        return dataclasses.replace(defaults, **values)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        first = message.split(" ", 1)[0]
        name = first if first in values else next((n for n in values if n in message), None)
        raise PlanningInputError(name, message + ".") from None


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def inventory_by_type(session: Session) -> dict[str, float]:
    """Capacity maximum of active services per type; mobile crisis counts services (teams).

    Read from the lookup's per-process cache (types and the latest capacity row of each
    service, kept current by the change sequence), not by loading every service.
    """
    from .lookup import candidate_cache

    vocab = vocabulary()
    cache = candidate_cache(session)
    with cache._lock:
        cache.catch_up(session, vocab)
        services = [(found[0].common, found[0].types) for found in cache.entries.values() if found]
        capacities = dict(cache.capacities)
    totals: dict[str, float] = defaultdict(float)
    for common, types in services:
        if common.get("status") != "active":
            continue
        fact = capacities.get(common["service_id"])
        maximum = None if fact is None or fact.maximum is None else float(fact.maximum)
        for t in dict.fromkeys(types):
            if t == "mobile-crisis":
                totals[t] += 1
            elif maximum is not None:
                totals[t] += maximum
    return dict(totals)


def need_table(session: Session, params: Any = None) -> dict[str, Any]:
    """The Crisis Now style calculator against the inventory, plus provider ratios."""
    from ..gaps import need

    params = params if params is not None else need.NeedParameters()
    areas = load_areas(session)
    population = areas.total_population
    inventory = inventory_by_type(session)
    rows = []
    for row in need.crisis_need(population, params):
        have = float(inventory.get(row.service_type, 0.0))
        needed = float(row.needed)
        rows.append(
            {
                "service_type": row.service_type,
                "label": row.label,
                "unit": row.unit,
                "monthly_flow": _jsonable(float(row.monthly_flow)),
                "needed": _jsonable(needed),
                "needed_rounded_up": row.needed_rounded_up,
                "in_inventory": have,
                "shortfall": max(0.0, needed - have),
            }
        )
    staffing = session.execute(
        select(
            func.coalesce(func.sum(ServiceStaffing.core_fte), 0.0),
            func.coalesce(func.sum(ServiceStaffing.psychiatrist_fte), 0.0),
        )
        .join(Service, Service.id == ServiceStaffing.service_id)
        .where(Service.status == "active")
    ).one()
    ratios = need.provider_ratios(population, float(staffing[0]), float(staffing[1]))
    return {
        "population": population,
        "parameters": _jsonable(params),
        "rows": rows,
        "ratios": {**_jsonable(ratios), "meets_any": bool(ratios.meets_any)},
    }


# --------------------------------------------------------------------------- siting


@dataclass(frozen=True)
class Candidate:
    id: str
    lat: float
    lon: float


def parse_candidates(raw: Any) -> list[Candidate]:
    """``[{"id", "lat", "lon"}, ...]`` from a JSON body; PlanningInputError when malformed."""
    if not isinstance(raw, list) or not raw:
        raise PlanningInputError("candidates", "candidates must be a non-empty list.")
    if len(raw) > MAX_CANDIDATES:
        raise PlanningInputError("candidates", f"At most {MAX_CANDIDATES} candidates.")
    found: list[Candidate] = []
    seen: set[str] = set()
    for n, item in enumerate(raw):
        where = f"candidates[{n}]"
        if not isinstance(item, dict):
            raise PlanningInputError("candidates", f"{where} must be an object with id, lat, lon.")
        ident = str(item.get("id") if item.get("id") is not None else n)
        if ident in seen:
            raise PlanningInputError("candidates", f"{where}: id {ident!r} appears twice.")
        seen.add(ident)
        coords = []
        for name, limit in (("lat", 90), ("lon", 180)):
            value = item.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise PlanningInputError("candidates", f"{where}: {name} must be a number.")
            if not (math.isfinite(value) and -limit <= value <= limit):
                raise PlanningInputError(
                    "candidates", f"{where}: {name} must be between -{limit} and {limit}."
                )
            coords.append(float(value))
        found.append(Candidate(ident, coords[0], coords[1]))
    return found


def suggest_sites(
    session: Session,
    config: Mapping[str, Any],
    service_type: str,
    p: int = DEFAULT_SITES,
    max_minutes: float | None = None,
    candidates: Sequence[Candidate] | None = None,
) -> dict[str, Any]:
    """Maximal covering location: ``p`` new sites of a type that newly cover the most people.

    Existing active sites of the type (or their service areas) count as covering already,
    whatever their hours: siting is about where, not when. Candidates default to the areas'
    demand points; travel from an area to a candidate is always the estimate (no matrix exists
    for points that are not yet sites).
    """
    if not 1 <= p <= MAX_SITES:
        raise PlanningInputError("p", f"p must be between 1 and {MAX_SITES}.")
    inv = _inventory(session, config)
    if candidates is None:
        key = ("sites", service_type, p, max_minutes)
        return inv.remember(key, lambda: _suggest(inv, config, service_type, p, max_minutes, None))
    return _suggest(inv, config, service_type, p, max_minutes, list(candidates))


def _suggest(
    inv: _Inventory,
    config: Mapping[str, Any],
    service_type: str,
    p: int,
    max_minutes: float | None,
    candidates: list[Candidate] | None,
) -> dict[str, Any]:
    from ..gaps import coverage, siting

    areas = inv.areas
    if candidates is None:
        candidates = [
            Candidate(area_id, float(areas.lat[i]), float(areas.lon[i]))
            for i, area_id in enumerate(areas.ids)
        ]
    threshold = type_threshold(config, service_type, max_minutes, inv.vocab)
    existing = inv.by_type.get(service_type, np.zeros(0, np.int64))
    already = np.zeros(len(areas), dtype=bool)
    if existing.size:
        reach = _type_reach(inv, config, service_type, max_minutes)
        already = np.asarray(reach.matrix.sum(axis=1)).ravel() > 0
        if reach.everywhere.any():
            already[:] = True
    cand_lat = np.array([c.lat for c in candidates], dtype=float)
    cand_lon = np.array([c.lon for c in candidates], dtype=float)
    if math.isinf(threshold):
        candidate_reach = np.ones((len(areas), len(candidates)), dtype=bool)
    else:
        # Only the pairs within the threshold's distance (KD-tree), then their exact minutes.
        model = travel_model(config)
        radius = threshold / 60.0 * model.speed_kmh / model.circuity
        rows, cols = coverage.candidate_pairs(areas.lat, areas.lon, cand_lat, cand_lon, radius)
        minutes = coverage.estimated_minutes(
            model.circuity,
            model.speed_kmh,
            areas.lat[rows],
            areas.lon[rows],
            cand_lat[cols],
            cand_lon[cols],
        )
        within = minutes <= threshold
        candidate_reach = np.zeros((len(areas), len(candidates)), dtype=bool)
        if inv.roads is not None:
            # Over the roads where both ends are on them, the estimate for the other pairs.
            r_rows, r_cols, r_minutes = road_pairs(
                inv.roads, config, (areas.lat, areas.lon), (cand_lat, cand_lon), threshold
            )
            by_road = np.zeros((len(areas), len(candidates)), dtype=bool)
            by_road[r_rows, r_cols] = True
            within &= ~by_road[rows, cols]
            candidate_reach[r_rows[r_minutes <= threshold], r_cols[r_minutes <= threshold]] = True
        candidate_reach[rows[within], cols[within]] = True
    weights = areas.population.astype(float)
    p_used = min(p, len(candidates))
    result = siting.maximal_covering(weights, candidate_reach, p_used, already_covered=already)
    # Attribute people to sites greedily (largest marginal gain first); the sum is the
    # solver's newly covered population whatever the order.
    remaining = [int(k) for k in result.chosen]
    covered = already.copy()
    sites = []
    while remaining:
        gains = [int(areas.population[candidate_reach[:, k] & ~covered].sum()) for k in remaining]
        k = remaining.pop(int(np.argmax(gains)))
        new = candidate_reach[:, k] & ~covered
        covered |= candidate_reach[:, k]
        sites.append(
            {
                "area_id": candidates[k].id,
                "id": candidates[k].id,
                "lat": candidates[k].lat,
                "lon": candidates[k].lon,
                "newly_covered_population": int(areas.population[new].sum()),
                "newly_covered_areas": [areas.ids[i] for i in np.flatnonzero(new)],
            }
        )
    return {
        "type": service_type,
        "p": p,
        "threshold_minutes": _json_minutes(threshold),
        "existing_sites": int(existing.size),
        "candidates": len(candidates),
        "sites": sites,
        "population": areas.total_population,
        "covered_before": int(areas.population[already].sum()),
        "covered_after": int(areas.population[covered].sum()),
        "optimal": bool(result.optimal),
        "solver_status": str(result.status),
    }


# --------------------------------------------------------------------------- layers

#: Town labels on the maps: at most one per cell of a TOWN_GRID x TOWN_GRID grid over the
#: places, so a state-wide gazetteer does not bury the map in names.
TOWN_GRID = 8


def town_labels(session: Session) -> list[list[Any]]:
    """``[name, lat, lon]`` of the jurisdiction's towns (gazetteer entries of kind ``place``),
    thinned to one per grid cell (the first by name), for labelling maps without tiles."""
    from ..models import Place

    rows = session.execute(
        select(Place.name, Place.latitude, Place.longitude)
        .where(Place.kind == "place", Place.latitude.is_not(None), Place.longitude.is_not(None))
        .order_by(Place.name)
    ).all()
    if not rows:
        return []
    lats = [float(r.latitude) for r in rows]
    lons = [float(r.longitude) for r in rows]
    lat0, lon0 = min(lats), min(lons)
    cell_lat = max((max(lats) - lat0) / TOWN_GRID, 1e-9)
    cell_lon = max((max(lons) - lon0) / TOWN_GRID, 1e-9)
    chosen: dict[tuple[int, int], list[Any]] = {}
    for row, lat, lon in zip(rows, lats, lons, strict=True):
        cell = (int((lat - lat0) / cell_lat), int((lon - lon0) / cell_lon))
        chosen.setdefault(cell, [row.name, round(lat, 5), round(lon, 5)])
    return sorted(chosen.values())


def unmet_layer(session: Session, since: date | None = None) -> dict[str, Any]:
    """Unmet-need records per area (since a date, when given) as a FeatureCollection."""
    areas = load_areas(session)
    query = select(UnmetNeed.area_id, UnmetNeed.need, func.count()).group_by(
        UnmetNeed.area_id, UnmetNeed.need
    )
    if since is not None:
        query = query.where(UnmetNeed.occurred_on >= since)
    by_area: dict[str | None, Counter[str]] = defaultdict(Counter)
    for area_id, need_code, count in session.execute(query):
        by_area[area_id][need_code] += int(count)
    known = set(areas.ids)
    outside = sum(sum(c.values()) for a, c in by_area.items() if a not in known)
    features: list[dict[str, Any]] = []
    for i, area_id in enumerate(areas.ids):
        counts = by_area.get(area_id, Counter())
        features.append(
            {
                "type": "Feature",
                "geometry": areas.geometry(i),
                "properties": {
                    "area_id": area_id,
                    "name": areas.names[i],
                    "population": int(areas.population[i]),
                    "unmet": sum(counts.values()),
                    "by_need": dict(sorted(counts.items())),
                },
            }
        )
    unmet = [f["properties"]["unmet"] for f in features]
    return {
        "type": "FeatureCollection",
        "features": features,
        "since": since.isoformat() if since else None,
        "total": sum(unmet) + outside,
        "outside_areas": outside,
        "classes": quantile_classes(float(u) for u in unmet if u),
    }


def services_layer(session: Session, types: Sequence[str] | None = None) -> dict[str, Any]:
    """Every service site with coordinates as a Point feature (all statuses; filter by types)."""
    vocab = vocabulary()
    wanted = set(types or ())
    features = []
    for unit in load_units(session, vocab, active_only=False):
        if unit.lat is None or unit.lon is None:
            continue
        if wanted and not wanted.intersection(unit.types):
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [unit.lon, unit.lat]},
                "properties": {
                    "service_id": unit.service_id,
                    "service_at_location_id": unit.service_at_location_id,
                    "location_id": unit.location_id,
                    "name": unit.name,
                    "service_types": list(unit.types),
                    "continuum": vocab.continuum_of(unit.types[0]),
                    "continua": sorted({vocab.continuum_of(t) for t in unit.types}),
                    "status": unit.status,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


# --------------------------------------------------------------------------- parameters


def parse_types(raw: Any, *, field_name: str = "types") -> list[str] | None:
    """Service-type codes from ``a,b`` text or a list; None when none given."""
    vocab = vocabulary()
    if raw is None or raw == "" or raw == []:
        return None
    parts = raw if isinstance(raw, list | tuple) else [raw]
    codes: list[str] = []
    for part in parts:
        if not isinstance(part, str):
            raise PlanningInputError(field_name, f"{field_name} must be service-type codes.")
        codes.extend(c.strip() for c in part.split(",") if c.strip())
    codes = list(dict.fromkeys(codes))
    for code in codes:
        if vocab.find(SERVICE_TYPE, code) is None:
            raise PlanningInputError(
                field_name,
                f"Unknown service type {code!r}. Known: {', '.join(vocab.codes(SERVICE_TYPE))}.",
                "unknown-code",
            )
    return codes or None


def parse_type(raw: Any, *, field_name: str = "type") -> str:
    codes = parse_types(raw, field_name=field_name)
    if not codes or len(codes) != 1:
        raise PlanningInputError(field_name, f"Give one service type in {field_name}.")
    return codes[0]


def parse_minutes(raw: Any, *, field_name: str = "max_minutes") -> float | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise PlanningInputError(field_name, f"{field_name} must be a number of minutes.")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise PlanningInputError(field_name, f"{field_name} must be a number of minutes.") from None
    if not math.isfinite(value) or not 0 < value <= MAX_MINUTES_CAP:
        raise PlanningInputError(
            field_name, f"{field_name} must be more than 0 and at most {MAX_MINUTES_CAP}."
        )
    return value


def parse_sites(raw: Any) -> int:
    if raw is None or raw == "":
        return DEFAULT_SITES
    if isinstance(raw, bool):
        raise PlanningInputError("p", "p must be a whole number.")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise PlanningInputError("p", "p must be a whole number.") from None
    if not math.isfinite(value) or value != int(value):
        raise PlanningInputError("p", "p must be a whole number.")
    if not 1 <= value <= MAX_SITES:
        raise PlanningInputError("p", f"p must be between 1 and {MAX_SITES}.")
    return int(value)


def parse_at(raw: Any, zone: ZoneInfo, now: datetime) -> datetime:
    """An ISO 8601 instant (local time of ``zone`` when no offset); now when not given.

    :func:`pmhc_directory.moments.parse_at` with its error as a PlanningInputError.
    """
    try:
        return moments.parse_at(raw, zone, now, max_days=MAX_AT_DAYS)
    except moments.MomentError as exc:
        raise PlanningInputError(exc.field, exc.message) from None


def parse_since(raw: Any) -> date | None:
    if raw is None or raw == "":
        return None
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise PlanningInputError("since", "since must be a date, YYYY-MM-DD.") from None


def parse_method(raw: Any) -> str:
    if raw is None or raw == "":
        return "e2sfca"
    method = str(raw).strip().lower()
    if method not in METHODS:
        raise PlanningInputError("method", f"method must be one of {', '.join(METHODS)}.")
    return method
