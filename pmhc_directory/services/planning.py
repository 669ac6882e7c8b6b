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
  ``TravelCost`` where present, else ``TravelModel(TRAVEL_CIRCUITY, TRAVEL_SPEED_KMH)`` applied to
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
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..geo.distance import TravelModel
from ..hours import ScheduleError, is_open_at, open_intervals
from ..models import (
    AnalysisArea,
    Attribute,
    Location,
    Service,
    ServiceAtLocation,
    ServiceStaffing,
    TravelCost,
    UnmetNeed,
)
from ..taxonomy import SERVICE_TYPE, Vocabulary, vocabulary
from .lookup import _facts, _shapes, _site_rules, schedule_rules

log = logging.getLogger(__name__)

CRISIS_ELEMENTS = ("contact", "respond", "place")
METHODS = ("2sfca", "e2sfca", "gravity")
MAX_MINUTES_CAP = 600
MAX_SITES = 50
MAX_AT_DAYS = 366
MAX_CANDIDATES = 5000
HOURS_IN_WEEK = 168
#: Luo & Qi (2009) step weights for 0-10, 10-20 and 20-30 minutes.
E2SFCA_WEIGHTS = {10.0: 1.0, 20.0: 0.68, 30.0: 0.22}
DEFAULT_SITES = 3
SUPPLY_NOTE = (
    "supply is the capacity maximum where known (shared equally among a service's sites), "
    "else 1 per site; demand is the area population"
)


class PlanningInputError(ValueError):
    """A bad planning parameter: ``field`` names it, ``message`` says what to fix."""

    def __init__(self, field: str | None, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


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
    return session.scalar(select(func.count()).select_from(AnalysisArea)) > 0


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
        facts = _facts(service, vocab)
        if not facts.types:
            continue
        service_rules = _rules(service.schedules, service.id)
        always_open = "open-24-7" in facts.diversion
        service_shapes = _shapes(service.service_areas)
        capacity = _capacity_maximum(service)
        sites = [sal for sal in service.service_at_locations if sal.location is not None]
        common = {
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
                else _site_rules(service_rules, location.schedules, sal.schedules, service.id)
            )
            units.append(
                SupplyUnit(
                    **common,
                    location_id=location.id,
                    service_at_location_id=sal.id,
                    lat=location.latitude,
                    lon=location.longitude,
                    shapes=_shapes(sal.service_areas) or service_shapes,
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
    """Travel minutes (n_areas, n_units): supplied TravelCost, else the estimate, else inf."""
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


@dataclass
class _Columns:
    """Coverage columns: one per (supply unit, selected type) pair."""

    units: list[int]
    types: list[str]
    thresholds: np.ndarray


def _columns(
    units: Sequence[SupplyUnit],
    types: Sequence[str],
    config: Mapping[str, Any],
    max_minutes: float | None,
    vocab: Vocabulary,
) -> _Columns:
    wanted = set(types)
    threshold = {t: type_threshold(config, t, max_minutes, vocab) for t in types}
    unit_idx, col_types = [], []
    for j, unit in enumerate(units):
        for t in unit.types:
            if t in wanted:
                unit_idx.append(j)
                col_types.append(t)
    return _Columns(unit_idx, col_types, np.array([threshold[t] for t in col_types], dtype=float))


def _group_cover(reach: np.ndarray, open_mask: np.ndarray, groups: np.ndarray, n_groups: int):
    from ..gaps import coverage

    n_areas = reach.shape[0]
    if reach.shape[1] == 0:
        shape = (n_areas, n_groups) + open_mask.shape[1:]
        return np.zeros(shape, dtype=bool)
    return np.asarray(coverage.covered(reach, open_mask, groups, n_groups), dtype=bool)


@dataclass
class _Setting:
    """Everything coverage needs, loaded once per request."""

    vocab: Vocabulary
    zone: ZoneInfo
    areas: Areas
    units: list[SupplyUnit]
    types: list[str]
    elements: list[str]
    columns: _Columns
    reach: np.ndarray  # (n_areas, n_columns)


def crisis_types(vocab: Vocabulary | None = None) -> list[str]:
    vocab = vocab or vocabulary()
    return [t for element in CRISIS_ELEMENTS for t in vocab.service_types_in(element)]


def _prepare(
    session: Session,
    config: Mapping[str, Any],
    types: Sequence[str] | None,
    max_minutes: float | None,
) -> _Setting:
    from ..gaps import coverage

    vocab = vocabulary()
    types = list(types) if types else crisis_types(vocab)
    areas = load_areas(session)
    units = load_units(session, vocab)
    columns = _columns(units, types, config, max_minutes, vocab)
    minutes = minutes_matrix(session, config, areas, [units[j] for j in columns.units])
    in_area, has_area = in_area_matrix(areas, [units[j] for j in columns.units])
    if columns.units:
        reach = np.asarray(
            coverage.reach_matrix(len(areas), minutes, columns.thresholds, in_area, has_area),
            dtype=bool,
        )
    else:
        reach = np.zeros((len(areas), 0), dtype=bool)
    used = {vocab.continuum_of(t) for t in types}
    elements = list(CRISIS_ELEMENTS) + [
        e for e in vocab.continuum if e in used and e not in CRISIS_ELEMENTS
    ]
    return _Setting(
        vocab, ZoneInfo(config["TIMEZONE"]), areas, units, types, elements, columns, reach
    )


def _groups(setting: _Setting) -> tuple[np.ndarray, np.ndarray]:
    type_index = {t: k for k, t in enumerate(setting.types)}
    element_index = {e: k for k, e in enumerate(setting.elements)}
    by_type = np.array([type_index[t] for t in setting.columns.types], dtype=int)
    by_element = np.array(
        [element_index[setting.vocab.continuum_of(t)] for t in setting.columns.types], dtype=int
    )
    return by_type, by_element


def _share(covered: np.ndarray, population: np.ndarray) -> dict[str, Any]:
    total = int(population.sum())
    people = int(population[covered].sum()) if covered.size else 0
    return {"covered_population": people, "share": people / total if total else 0.0}


def coverage_at(
    session: Session,
    config: Mapping[str, Any],
    types: Sequence[str] | None = None,
    at: datetime | None = None,
    max_minutes: float | None = None,
) -> dict[str, Any]:
    """Which areas each type and continuum element covers at the instant ``at`` (api.md 6)."""
    setting = _prepare(session, config, types, max_minutes)
    zone = setting.zone
    at = (at or datetime.now(UTC)).astimezone(zone)
    areas = setting.areas
    open_mask = np.array(
        [_open_at(setting.units[j], at, zone) for j in setting.columns.units], dtype=bool
    )
    by_type_groups, by_element_groups = _groups(setting)
    covered_type = _group_cover(setting.reach, open_mask, by_type_groups, len(setting.types))
    covered_element = _group_cover(
        setting.reach, open_mask, by_element_groups, len(setting.elements)
    )
    crisis = [setting.elements.index(e) for e in CRISIS_ELEMENTS]
    all_three = covered_element[:, crisis].all(axis=1)
    features = []
    for i, area_id in enumerate(areas.ids):
        features.append(
            {
                "type": "Feature",
                "geometry": areas.geometry(i),
                "properties": {
                    "area_id": area_id,
                    "name": areas.names[i],
                    "population": int(areas.population[i]),
                    "covered": {t: bool(covered_type[i, k]) for k, t in enumerate(setting.types)},
                    "continuum": {
                        e: bool(covered_element[i, k]) for k, e in enumerate(setting.elements)
                    },
                    "all_three": bool(all_three[i]),
                },
            }
        )
    pop = areas.population
    return {
        "type": "FeatureCollection",
        "features": features,
        "summary": {
            "at": at.isoformat(),
            "population": areas.total_population,
            "types": list(setting.types),
            "max_minutes": max_minutes,
            "thresholds": {
                t: _json_minutes(type_threshold(config, t, max_minutes, setting.vocab))
                for t in setting.types
            },
            "by_type": {t: _share(covered_type[:, k], pop) for k, t in enumerate(setting.types)},
            "by_continuum": {
                e: _share(covered_element[:, k], pop) for k, e in enumerate(setting.elements)
            },
            "all_three_share": _share(all_three, pop)["share"],
            "all_three_population": _share(all_three, pop)["covered_population"],
            "elements_without_selected_types": _unselected(setting),
        },
    }


def _unselected(setting: _Setting) -> list[str]:
    used = {setting.vocab.continuum_of(t) for t in setting.types}
    return [e for e in CRISIS_ELEMENTS if e not in used]


def _json_minutes(value: float) -> float | None:
    return None if math.isinf(value) else value


def coverage_week(
    session: Session,
    config: Mapping[str, Any],
    types: Sequence[str] | None = None,
    *,
    max_minutes: float | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Population share covered in each hour of the current local week (Monday 00:00 first)."""
    setting = _prepare(session, config, types, max_minutes)
    zone = setting.zone
    monday = week_start(now or datetime.now(UTC), zone)
    midpoints = hour_midpoints(monday, zone)
    unit_masks: dict[int, np.ndarray] = {}
    for j in set(setting.columns.units):
        unit_masks[j] = _open_week(setting.units[j], midpoints, zone)
    open_mask = np.array([unit_masks[j] for j in setting.columns.units], dtype=bool).reshape(
        len(setting.columns.units), HOURS_IN_WEEK
    )
    by_type_groups, by_element_groups = _groups(setting)
    covered_type = _group_cover(setting.reach, open_mask, by_type_groups, len(setting.types))
    covered_element = _group_cover(
        setting.reach, open_mask, by_element_groups, len(setting.elements)
    )
    crisis = [setting.elements.index(e) for e in CRISIS_ELEMENTS]
    all_three = covered_element[:, crisis, :].all(axis=1)  # (n_areas, 168)
    pop = setting.areas.population.astype(float)
    total = pop.sum()

    def shares(covered: np.ndarray) -> list[float]:  # (n_areas, 168) -> 168 shares
        if not total:
            return [0.0] * HOURS_IN_WEEK
        return [float(v) for v in (pop @ covered.astype(float)) / total]

    return {
        "start": "Monday 00:00",
        "week_of": monday.isoformat(),
        "zone": str(zone),
        "hours": HOURS_IN_WEEK,
        "population": setting.areas.total_population,
        "types": list(setting.types),
        "by_type": {t: shares(covered_type[:, k, :]) for k, t in enumerate(setting.types)},
        "by_continuum": {
            e: shares(covered_element[:, k, :]) for k, e in enumerate(setting.elements)
        },
        "all_three": shares(all_three),
    }


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
                "score_per_100k": None if values[i] is None else values[i] * 100_000,
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
    """Capacity maximum of active services per type; mobile crisis counts services (teams)."""
    totals: dict[str, float] = defaultdict(float)
    vocab = vocabulary()
    for service in _services(session):
        if service.status != "active":
            continue
        facts = _facts(service, vocab)
        maximum = _capacity_maximum(service)
        for t in facts.types:
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
    from ..gaps import coverage, siting

    vocab = vocabulary()
    if not 1 <= p <= MAX_SITES:
        raise PlanningInputError("p", f"p must be between 1 and {MAX_SITES}.")
    areas = load_areas(session)
    if candidates is None:
        candidates = [
            Candidate(area_id, float(areas.lat[i]), float(areas.lon[i]))
            for i, area_id in enumerate(areas.ids)
        ]
    threshold = type_threshold(config, service_type, max_minutes, vocab)
    existing = _sites_of_type(load_units(session, vocab), service_type)
    already = np.zeros(len(areas), dtype=bool)
    if existing:
        minutes = minutes_matrix(session, config, areas, existing)
        in_area, has_area = in_area_matrix(areas, existing)
        thresholds = np.full(len(existing), threshold)
        reach = coverage.reach_matrix(len(areas), minutes, thresholds, in_area, has_area)
        already = np.asarray(reach, dtype=bool).any(axis=1)
    cand_lat = np.array([c.lat for c in candidates], dtype=float)
    cand_lon = np.array([c.lon for c in candidates], dtype=float)
    cand_minutes = estimated_minutes(
        travel_model(config),
        areas.lat[:, None],
        areas.lon[:, None],
        cand_lat[None, :],
        cand_lon[None, :],
    )
    candidate_reach = cand_minutes <= threshold
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
        "existing_sites": len(existing),
        "candidates": len(candidates),
        "sites": sites,
        "population": areas.total_population,
        "covered_before": int(areas.population[already].sum()),
        "covered_after": int(areas.population[covered].sum()),
        "optimal": bool(result.optimal),
        "solver_status": str(result.status),
    }


# --------------------------------------------------------------------------- layers


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
    features = []
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
    """An ISO 8601 instant (local time of ``zone`` when no offset); now when not given."""
    if raw is None or raw == "":
        return now.astimezone(zone)
    if not isinstance(raw, str):
        raise PlanningInputError("at", "at must be an ISO 8601 date and time.")
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise PlanningInputError(
            "at", f"at {raw[:40]!r} is not an ISO 8601 date and time (2026-11-28T02:00-07:00)."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if moment.year in (1, 9999) or abs(moment - now) > timedelta(days=MAX_AT_DAYS):
        raise PlanningInputError("at", f"at must be within {MAX_AT_DAYS} days of now.")
    return moment.astimezone(zone)


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
