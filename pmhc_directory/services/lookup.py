"""The officer lookup: validated inputs -> geocoded point -> candidates -> matcher -> answer.

Inputs are checked here (``parse_lookup_params``) so the JSON API and the officer page share one
set of rules and messages. The typed location is used for this one query: it is never stored or
logged; only the analysis area it falls in is kept, and only when a need goes unmet
(``UnmetNeed``). The answer is the ``GET /api/v1/match`` shape of spec/api.md section 3.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import Point, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..geo.addresses import normalize_address
from ..geo.distance import TravelModel
from ..geo.geocoding import (
    ChainGeocoder,
    CoordinateGeocoder,
    Geocoder,
    GeocodeResult,
    MemoryGeocodeCache,
    StaticGazetteer,
    ZipCentroids,
    online_geocoder,
)
from ..hours import OpenState, ScheduleError, ScheduleRule, evaluate, format_open_state
from ..hours import select_rules as select_schedule_rules
from ..matching import Candidate, Capacity, Fit, Query, match
from ..matching.model import GENDERS, MAX_LIMIT
from ..matching.policy import Policy, default_policy, make_policy
from ..matching.ranking import format_age
from ..matching.screen import (
    IN_AREA_NO,
    IN_AREA_UNKNOWN,
    IN_AREA_YES,
    LookupFacts,
    ScreenTable,
    best_positions,
    screen,
)
from ..matching.tags import eligibility_tags
from ..models import (
    Address,
    AnalysisArea,
    Attribute,
    Location,
    Place,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
    UnmetNeed,
)
from ..taxonomy import ATTRIBUTE, NEED, PAYMENT, POPULATION, SERVICE_TYPE, Vocabulary, vocabulary
from .provider_alerts import effective_status

log = logging.getLogger(__name__)

TRUE_WORDS = {"true", "1", "yes", "on", "y"}
FALSE_WORDS = {"false", "0", "no", "off", "n", ""}
LOCATION_SOURCES = ("zip", "address", "place", "coordinates", "geolocation", "map")
MAX_NEAR_LENGTH = 200
MAX_AGE = 130
MAX_MINUTES_CAP = 600
MAX_AT_DAYS = 366
#: An ``at`` this close to the present is still a question about now (a form filled in a
#: minute ago, a clock a little off).
AT_NOW_SLACK = timedelta(minutes=15)


class LookupInputError(ValueError):
    """A bad lookup input; ``field`` names it and ``message`` says what to fix."""

    def __init__(
        self,
        field: str | None,
        message: str,
        code: str = "invalid",
        choices: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code
        # "Did you mean" texts for a place not found (each one a search that finds a place).
        self.choices = list(choices)


@dataclass(frozen=True)
class LookupRequest:
    """Validated lookup inputs (no geocoding done yet)."""

    at: datetime
    lat: float | None = None
    lon: float | None = None
    near: str | None = None
    location_source: str | None = None
    needs: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    age: int | None = None
    language: str | None = None
    payment: str | None = None
    populations: frozenset[str] = frozenset()
    gender: str | None = None
    transport: bool = False
    intoxicated: bool | None = None
    involuntary: bool = False
    max_minutes: float | None = None
    limit: int = 10
    # Demand "open now" (None: the default per continuum element, see docs/matching.md).
    require_open: bool | None = None
    # Whether the question is about now (no ``at`` given, or one within AT_NOW_SLACK of now):
    # only such lookups can record unmet need.
    at_now: bool = True


@dataclass(frozen=True)
class LookupSettings:
    zone: ZoneInfo
    travel: TravelModel
    capacity_fresh_hours: float = 12.0
    # The jurisdiction's ages, hand-over types, tiers and weights (matching.policy).
    policy: Policy = field(default_factory=default_policy)
    # Unmet need: one record per lookup intent within this many hours.
    unmet_intent_hours: float = 4.0
    # The road network (geo.roads.RoadNetwork) in use, or None: set per lookup by
    # load_candidates from the database (docs/roads.md).
    roads: Any = None
    road_snap_max_km: float = 1.0
    road_snap_speed_kmh: float = 15.0


# --------------------------------------------------------------------------- input parsing


def _first(params: Mapping[str, Any], name: str) -> Any:
    value = params.get(name)
    if isinstance(value, list | tuple) and name not in ("needs", "types", "population"):
        value = value[0] if value else None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _codes(params: Mapping[str, Any], name: str, taxonomy: str, vocab: Vocabulary) -> tuple:
    raw = params.get(name)
    if raw is None or raw == "":
        return ()
    items: list[Any] = []
    for part in raw if isinstance(raw, list | tuple) else [raw]:
        if not isinstance(part, str):
            raise LookupInputError(name, f"{name} must be a comma-separated list of codes.")
        items.extend(p.strip() for p in part.split(","))
    codes = tuple(dict.fromkeys(c for c in items if c))
    unknown = [c for c in codes if vocab.find(taxonomy, c) is None]
    if unknown:
        known = ", ".join(vocab.codes(taxonomy))
        raise LookupInputError(
            name, f"Unknown {taxonomy} code {unknown[0]!r}. Known codes: {known}.", "unknown-code"
        )
    return codes


def _number(params: Mapping[str, Any], name: str) -> float | None:
    value = _first(params, name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise LookupInputError(name, f"{name} must be a number.")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise LookupInputError(name, f"{name} must be a number, not {str(value)[:40]!r}.") from None
    if not math.isfinite(number):
        raise LookupInputError(name, f"{name} must be a finite number.")
    return number


def _integer(params: Mapping[str, Any], name: str) -> int | None:
    number = _number(params, name)
    if number is None:
        return None
    if number != int(number):
        raise LookupInputError(name, f"{name} must be a whole number.")
    return int(number)


def _flag(params: Mapping[str, Any], name: str) -> bool | None:
    value = _first(params, name)
    if value is None or isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise LookupInputError(name, f"{name} must be true or false.")


def _when(params: Mapping[str, Any], zone: ZoneInfo, now: datetime) -> datetime:
    value = _first(params, "at")
    if value is None:
        return now.astimezone(zone)
    if not isinstance(value, str):
        raise LookupInputError("at", "at must be an ISO 8601 date and time.")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise LookupInputError(
            "at", f"at {value!r} is not an ISO 8601 date and time (2026-11-28T02:00-07:00)."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    # Hours, seasons and capacity only mean something near the present; a year either way
    # covers planning questions and keeps date arithmetic far from datetime's limits.
    if moment.year in (1, 9999) or abs(moment - now) > timedelta(days=MAX_AT_DAYS):
        raise LookupInputError("at", f"at must be within {MAX_AT_DAYS} days of now.")
    return moment.astimezone(zone)


def parse_lookup_params(
    params: Mapping[str, Any], *, zone: ZoneInfo, now: datetime, vocab: Vocabulary | None = None
) -> LookupRequest:
    """Check and normalise lookup inputs (query string or JSON body); LookupInputError if bad."""
    vocab = vocab or vocabulary()
    lat, lon = _number(params, "lat"), _number(params, "lon")
    near = _first(params, "near")
    if (lat is None) != (lon is None):
        missing = "lon" if lon is None else "lat"
        raise LookupInputError(missing, "Give both lat and lon, or type a place in near.")
    if lat is not None and not -90 <= lat <= 90:
        raise LookupInputError("lat", "lat must be between -90 and 90.")
    if lon is not None and not -180 <= lon <= 180:
        raise LookupInputError("lon", "lon must be between -180 and 180.")
    if near is not None and not isinstance(near, str):
        raise LookupInputError("near", "near must be text.")
    if near is not None and len(near) > MAX_NEAR_LENGTH:
        raise LookupInputError("near", f"near is longer than {MAX_NEAR_LENGTH} characters.")
    if lat is None and near is None:
        raise LookupInputError(
            "near", "Where is the person? Use your location, or type an address, ZIP or place."
        )
    source = _first(params, "location_source")
    if source is not None and source not in LOCATION_SOURCES:
        raise LookupInputError("location_source", f"location_source {source!r} is unknown.")
    if lat is None:
        source = None
    elif source not in ("geolocation", "map"):
        source = "coordinates"

    needs = _codes(params, "needs", NEED, vocab)
    types = _codes(params, "types", SERVICE_TYPE, vocab)
    if not needs and not types:
        raise LookupInputError("needs", "Choose at least one need (or a service type).")
    age = _integer(params, "age")
    if age is not None and not 0 <= age <= MAX_AGE:
        raise LookupInputError("age", f"age must be between 0 and {MAX_AGE}.")
    language = _first(params, "language")
    if language is not None:
        if not isinstance(language, str) or not language.replace("-", "").isalpha():
            raise LookupInputError("language", "language must be an ISO 639-1 code such as es.")
        language = language.split("-")[0].lower()
        if len(language) not in (2, 3):
            raise LookupInputError("language", "language must be an ISO 639-1 code such as es.")
    payment = _first(params, "payment")
    if payment is not None and vocab.find(PAYMENT, str(payment)) is None:
        known = ", ".join(vocab.codes(PAYMENT))
        raise LookupInputError("payment", f"Unknown payment {payment!r}. Known: {known}.")
    populations = frozenset(_codes(params, "population", POPULATION, vocab))
    gender = _first(params, "gender")
    if gender is not None and gender not in GENDERS:
        raise LookupInputError("gender", "gender must be woman or man, or left out.")
    max_minutes = _number(params, "max_minutes")
    if max_minutes is not None and not 0 < max_minutes <= MAX_MINUTES_CAP:
        raise LookupInputError(
            "max_minutes", f"max_minutes must be more than 0 and at most {MAX_MINUTES_CAP}."
        )
    limit = _integer(params, "limit")
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise LookupInputError("limit", f"limit must be between 1 and {MAX_LIMIT}.")
    intoxicated = _flag(params, "intoxicated")
    implied = default_policy().situations_of(needs)
    if intoxicated is False and "intoxicated" in implied:
        raise LookupInputError(
            "intoxicated",
            "The need \u201cintoxicated\u201d says the person is intoxicated; "
            "intoxicated=false contradicts it. Leave intoxicated out.",
        )
    at = _when(params, zone, now)
    return LookupRequest(
        at=at,
        at_now=_first(params, "at") is None or abs(at - now) <= AT_NOW_SLACK,
        lat=lat,
        lon=lon,
        near=near if lat is None else None,
        location_source=source,
        needs=needs,
        types=types,
        age=age,
        language=language,
        payment=payment,
        populations=populations,
        gender=gender,
        transport=bool(_flag(params, "transport")),
        intoxicated=intoxicated,
        involuntary=bool(_flag(params, "involuntary")),
        max_minutes=max_minutes,
        limit=limit or 10,
        require_open=_flag(params, "open_now"),
    )


# --------------------------------------------------------------------------- geocoding


# Online geocoder answers: in this process's memory only, per database and lifetime setting.
_online_answers: dict[tuple[str, float], MemoryGeocodeCache] = {}
_online_answers_lock = threading.Lock()


def online_answer_cache(config: Mapping[str, Any]) -> MemoryGeocodeCache:
    """This process's short-lived memory cache of online geocoder answers (never the database:
    a looked-up place is kept ``GEOCODER_CACHE_SECONDS`` at most, then forgotten)."""
    ttl = float(config.get("GEOCODER_CACHE_SECONDS", 900))
    key = (str(config.get("DATABASE_URL")), ttl)
    with _online_answers_lock:
        cache = _online_answers.get(key)
        if cache is None:
            cache = _online_answers[key] = MemoryGeocodeCache(ttl_seconds=ttl)
        return cache


class _GazetteerCache:
    """Places and inventory addresses per process and database, reloaded when they may have
    changed: when the change sequence (edits of services and their locations) has moved on, or
    the places table is not the same (count, largest id and coordinate sums).

    Normalised address keys are remembered from one load to the next, so a reload after an edit
    normalises only new or changed addresses (at 50,000 services a full load normalises about
    100,000 keys, several seconds of work).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.gazetteer: StaticGazetteer | None = None
        self.fingerprint: tuple[Any, ...] | None = None
        self.address_keys: dict[str, str] = {}
        self.loads = 0

    def get(self, session: Session) -> StaticGazetteer:
        with self._lock:
            fingerprint = _gazetteer_fingerprint(session)
            if self.gazetteer is None or fingerprint != self.fingerprint:
                known, used = self.address_keys, {}

                def address_key(text: str) -> str:
                    key = known.get(text)
                    if key is None:
                        key = normalize_address(text)
                    used[text] = key
                    return key

                self.gazetteer = load_gazetteer(session, address_key=address_key)
                self.fingerprint = fingerprint
                self.address_keys = used
                self.loads += 1
            return self.gazetteer


def _gazetteer_fingerprint(session: Session) -> tuple[Any, ...]:
    from sqlalchemy import String, cast, func

    from .search import newest_change

    newest = newest_change(session)
    places = session.execute(
        select(
            func.count(Place.id),
            func.max(cast(Place.id, String)),  # PostgreSQL has no max(uuid)
            func.sum(Place.latitude),
            func.sum(Place.longitude),
        )
    ).one()
    # The seq and what it names: a number a rolled-back write used may be used again.
    return (newest.seq if newest else None, newest.fingerprint if newest else None, *places)


class _LazyGazetteer:
    """The local gazetteer, loaded only when a typed place is looked up (coordinates and ZIP
    codes are answered before it is asked)."""

    def __init__(self, session: Session, cache: _GazetteerCache) -> None:
        self._session = session
        self._cache = cache

    def geocode(self, text: str) -> GeocodeResult | None:
        return self._cache.get(self._session).geocode(text)

    def geocode_exact(self, text: str) -> GeocodeResult | None:
        return self._cache.get(self._session).geocode_exact(text)

    def geocode_fuzzy(self, text: str) -> GeocodeResult | None:
        return self._cache.get(self._session).geocode_fuzzy(text)

    def suggest(self, text: str, limit: int = 6) -> list[str]:
        return self._cache.get(self._session).suggest(text, limit)


_gazetteers: dict[str, _GazetteerCache] = {}
_gazetteers_lock = threading.Lock()


def load_gazetteer(
    session: Session, *, address_key: Callable[[str], str] = normalize_address
) -> StaticGazetteer:
    """The jurisdiction's places, landmarks and address points, plus the inventory's addresses."""
    places: list[tuple[str, float, float]] = []
    points: list[tuple[str, float, float]] = []
    for place in session.scalars(select(Place)):
        entry = (place.name, place.latitude, place.longitude)
        (points if place.kind == "address" else places).append(entry)
    rows = session.execute(
        select(Address.address_1, Address.city, Location.latitude, Location.longitude)
        .join(Location, Address.location_id == Location.id)
        .where(Location.latitude.is_not(None), Location.longitude.is_not(None))
    )
    # The jurisdiction's own address points come first: they are the authority.
    addresses: list[tuple[str, float, float]] = list(points)
    for address_1, city, lat, lon in rows:
        addresses.append((address_1, lat, lon))
        if city:
            addresses.append((f"{address_1}, {city}", lat, lon))
    return StaticGazetteer(places, addresses, address_key=address_key)


def facility_choices(
    session: Session, lat: float | None = None, lon: float | None = None
) -> list[tuple[str, str]]:
    """(service id, name) of the places a person can be taken to (services of a "place" type:
    crisis receiving, stabilization, sobering...; no lines, courts or teams), nearest first
    from ``lat``/``lon`` when given, else by name. For "Log encounter" (issue #14 item 11)."""
    vocab = vocabulary()
    place_types = vocab.service_types_in("place")
    typed = (
        select(Attribute.link_id)
        .join(TaxonomyTerm, Attribute.taxonomy_term_id == TaxonomyTerm.id)
        .where(
            Attribute.link_entity == "service",
            TaxonomyTerm.taxonomy == SERVICE_TYPE,
            TaxonomyTerm.code.in_(place_types),
        )
    )
    rows = session.execute(
        select(Service.id, Service.name, Location.latitude, Location.longitude)
        .outerjoin(ServiceAtLocation, ServiceAtLocation.service_id == Service.id)
        .outerjoin(Location, Location.id == ServiceAtLocation.location_id)
        .where(
            Service.status != "inactive",
            Service.is_national.is_(False),
            Service.id.in_(typed),
        )
    ).all()
    best: dict[str, tuple[float, str]] = {}
    for service_id, name, site_lat, site_lon in rows:
        if lat is not None and lon is not None and site_lat is not None and site_lon is not None:
            km = float(_haversine_km(lat, lon, [site_lat], [site_lon])[0])
        else:
            km = math.inf
        seen = best.get(str(service_id))
        if seen is None or km < seen[0]:
            best[str(service_id)] = (km, name)
    ordered = sorted(best.items(), key=lambda item: (item[1][0], item[1][1].casefold()))
    return [(service_id, name) for service_id, (_, name) in ordered]


#: Most place names offered as the officer types (a browser datalist: no script needed).
MAX_PLACE_NAMES = 500


def place_names(session: Session, limit: int = MAX_PLACE_NAMES) -> list[str]:
    """The jurisdiction's landmark and place names (not address points), for suggestions."""
    rows = session.scalars(
        select(Place.name).where(Place.kind != "address").order_by(Place.name).limit(limit)
    )
    return list(dict.fromkeys(rows))


def build_geocoder(session: Session, config: Mapping[str, Any], today: date) -> Geocoder:
    """Coordinates, ZIP centroids, the local gazetteer, then the optional online geocoder."""
    cache_key = str(config.get("DATABASE_URL"))
    with _gazetteers_lock:
        cache = _gazetteers.setdefault(cache_key, _GazetteerCache())
    chain: list[Any] = [CoordinateGeocoder(), ZipCentroids(), _LazyGazetteer(session, cache)]
    online = online_geocoder(
        config.get("GEOCODER"),
        user_agent=config.get("GEOCODER_USER_AGENT", ""),
        cache=online_answer_cache(config),
        min_delay_seconds=float(config.get("GEOCODER_MIN_DELAY_SECONDS", 1.0)),
    )
    if online is not None:
        chain.append(online)
    from sqlalchemy.exc import SQLAlchemyError

    return ChainGeocoder(*chain, propagate=(SQLAlchemyError,))


# --------------------------------------------------------------------------- candidates


def schedule_rules(schedules: Iterable[Schedule]) -> list[ScheduleRule]:
    """Schedule rows as hours-engine rules; ScheduleError when one cannot be read."""
    return [
        ScheduleRule.from_mapping({c.key: getattr(s, c.key) for c in Schedule.__table__.columns})
        for s in schedules
    ]


@dataclass
class _ServiceFacts:
    types: tuple[str, ...] = ()
    diversion: frozenset[str] = frozenset()
    eligibility: frozenset[str] = frozenset()
    audience: frozenset[str] = frozenset()
    payments: frozenset[str] = frozenset()
    areas: list[Any] = field(default_factory=list)


def _facts(service: Service, vocab: Vocabulary) -> _ServiceFacts:
    types: list[str] = []
    diversion, eligibility, audience, payments = set(), set(), set(), set()
    for attribute in service.attributes:
        term = attribute.taxonomy_term
        taxonomy = term.taxonomy
        if term.code is None or vocab.find(taxonomy or "", term.code) is None:
            continue
        if taxonomy == SERVICE_TYPE:
            types.append(term.code)
        elif taxonomy == ATTRIBUTE:
            diversion.add(term.code)
        elif taxonomy == PAYMENT:
            payments.add(term.code)
        elif taxonomy == POPULATION:
            (eligibility if attribute.link_type == "eligibility" else audience).add(term.code)
    return _ServiceFacts(
        types=tuple(dict.fromkeys(types)),
        diversion=frozenset(diversion),
        eligibility=frozenset(eligibility),
        audience=frozenset(audience),
        payments=frozenset(payments),
    )


def _shapes(areas: Iterable[Any]) -> list[Any]:
    shapes = []
    for area in areas:
        if area.extent and (area.extent_type or "geojson").lower() == "geojson":
            try:
                import json

                shapes.append(shape(json.loads(area.extent)))
            except (ValueError, TypeError, KeyError, AttributeError):
                log.warning("service area %s has an unreadable extent; ignored", area.id)
    return shapes


def _inside_point(shapes: Sequence[Any], point: Point) -> bool:
    """Whether the point is in any of the shapes (not empty), covers: the edge counts."""
    return any(s.covers(point) for s in shapes)


def _open_state(
    rules: Sequence[ScheduleRule] | None, at: datetime, zone: ZoneInfo, always_open: bool
) -> OpenState:
    if rules is None:  # unreadable hours: never shown as open
        return OpenState(open_now=None, always_open=False, closes_at=None, opens_next=None)
    return evaluate(rules, at, zone, always_open=always_open)


def _rules_or_none(schedules: Sequence[Schedule], service_id: str) -> list[ScheduleRule] | None:
    try:
        return schedule_rules(schedules)
    except ScheduleError as exc:
        log.warning("service %s has hours that cannot be read (%s)", service_id, exc.field)
        return None


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
        from .roads import current_road_network

        network = current_road_network(session)
        if network is not None:
            settings = replace(settings, roads=network)
    return build_candidates(columns, capacity, capacities, request, lat, lon, settings, now, vocab)


def road_origin(settings: LookupSettings, lat: float, lon: float) -> Any:
    """Driving times from the person's point over the road network (``geo.roads.OriginTimes``),
    or None without a network or when the point is off it (the estimate applies then)."""
    if settings.roads is None:
        return None
    return settings.roads.from_point(
        lat, lon, max_snap_km=settings.road_snap_max_km, snap_speed_kmh=settings.road_snap_speed_kmh
    )


def _road_minutes(origin: Any, columns: Columns, positions: Any) -> Any:
    """Road minutes to the sites at ``positions`` (NaN where the estimate applies), or None."""
    if origin is None:
        return None
    return origin.minutes_to(columns.lat[positions], columns.lon[positions])


def _site_rules(
    service_rules: list[ScheduleRule],
    location_schedules: Sequence[Schedule],
    sal_schedules: Sequence[Schedule],
    service_id: str,
) -> list[ScheduleRule] | None:
    location_rules = _rules_or_none(location_schedules, service_id)
    sal_rules = _rules_or_none(sal_schedules, service_id)
    if location_rules is None or sal_rules is None:
        return None
    return select_schedule_rules(service_rules, location_rules, sal_rules)


# --------------------------------------------------------------------------- candidate cache

#: ``excluded`` lists every relevant site that breaks a rule while there are at most this
#: many; beyond, it lists this many, nearest first, and ``excluded_more`` counts the others.
EXCLUDED_LISTED = 50
#: A site whose great-circle estimate of minutes is over its limit by this factor is over it
#: by the geodesic too (the two differ by under 0.6 %).
ESTIMATE_SLACK = 1.01
_CACHE_CHUNK = 2000
_GEOD: Any = None


@dataclass(frozen=True)
class CapacityFact:
    """The latest capacity row of a service (staleness is judged per lookup)."""

    available: int | None
    maximum: int | None
    unit: str | None
    updated: datetime


@dataclass(frozen=True)
class SiteEntry:
    """The static facts of one candidate: a service at one site, or a service with none."""

    common: Mapping[str, Any]  # Candidate fields that do not depend on the lookup
    types: tuple[str, ...]
    goes_to_person: bool
    is_national: bool
    rules: tuple[ScheduleRule, ...] | None  # None: hours that cannot be read
    always_open: bool
    shapes: tuple[Any, ...]
    has_site: bool = False
    lat: float | None = None
    lon: float | None = None


def _facts_of(rows: Iterable[tuple[str | None, str | None, str | None]], vocab: Vocabulary):
    """``_ServiceFacts`` from (taxonomy, code, link_type) of a service's attributes, in order."""
    types: list[str] = []
    diversion, eligibility, audience, payments = set(), set(), set(), set()
    for taxonomy, code, link_type in rows:
        if code is None or vocab.find(taxonomy or "", code) is None:
            continue
        if taxonomy == SERVICE_TYPE:
            types.append(code)
        elif taxonomy == ATTRIBUTE:
            diversion.add(code)
        elif taxonomy == PAYMENT:
            payments.add(code)
        elif taxonomy == POPULATION:
            (eligibility if link_type == "eligibility" else audience).add(code)
    return _ServiceFacts(
        types=tuple(dict.fromkeys(types)),
        diversion=frozenset(diversion),
        eligibility=frozenset(eligibility),
        audience=frozenset(audience),
        payments=frozenset(payments),
    )


def _grouped(session: Session, statement: Any, key: Any, ids: Sequence[str] | None) -> dict:
    """Rows of ``statement`` grouped by ``key`` (for ``ids`` in chunks, or every row).

    Plain Core rows on the session's connection (the caller's earlier ORM query has flushed).
    """
    found: dict[Any, list[Any]] = {}
    if ids is None:
        chunks: Iterable[Any] = [None]
    else:
        ids = sorted({i for i in ids if i is not None})
        chunks = [ids[s : s + _CACHE_CHUNK] for s in range(0, len(ids), _CACHE_CHUNK)]
    connection = session.connection()
    for chunk in chunks:
        query = statement if chunk is None else statement.where(key.in_(chunk))
        result = connection.execute(query)
        position = list(result.keys()).index(key.key)
        for row in result:
            found.setdefault(row[position], []).append(row)
    return found


# Schedule columns that are not part of a rule (ids, owners, order).
_NOT_RULE = frozenset({"id", "service_id", "location_id", "service_at_location_id", "position"})


class _RuleReader:
    """``schedule_rules`` for plain rows, reading each distinct schedule once per load."""

    def __init__(self) -> None:
        table = Schedule.__table__
        self.columns = [c for c in table.columns if c.key not in _NOT_RULE]
        self.known: dict[tuple[Any, ...], ScheduleRule | ScheduleError] = {}

    def __call__(self, rows: Sequence[Any], service_id: str) -> list[ScheduleRule] | None:
        rules = []
        for row in rows:
            mapping = row._mapping
            key = tuple(mapping[c] for c in self.columns)
            found = self.known.get(key)
            if found is None:
                try:
                    found = ScheduleRule.from_mapping({c.key: mapping[c] for c in self.columns})
                except ScheduleError as exc:
                    found = exc
                self.known[key] = found
            if isinstance(found, ScheduleError):
                log.warning(
                    "service %s has hours that cannot be read (%s)", service_id, found.field
                )
                return None
            rules.append(found)
        return rules


def _prepared(shapes: list[Any]) -> tuple[Any, ...]:
    import shapely

    for geometry in shapes:
        shapely.prepare(geometry)
    return tuple(shapes)


def _address_of(rows: Sequence[Any]) -> str | None:
    if not rows:
        return None
    a = rows[0]
    parts = [a.address_1, a.address_2, a.city, f"{a.state_province} {a.postal_code}".strip()]
    return ", ".join(p for p in parts if p)


class _Interner:
    """One shared object per distinct value (sets of codes, type tuples, hours, names): a
    state-wide directory repeats a few hundred of them across 50,000 services."""

    def __init__(self) -> None:
        self._known: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        return self._known.setdefault(value, value)


#: A full load reads this many services at a time, so the rows of only one batch are in memory
#: at once (a worker's peak memory stays near what the cache keeps).
FULL_LOAD_BATCH = 2000


def load_site_entries(
    session: Session, service_ids: Sequence[str] | None, vocab: Vocabulary
) -> dict[str, list[SiteEntry]]:
    """Entries of these services (all when None).

    A dozen plain queries per 2,000 services (no ORM objects); the same facts, in the same order,
    as the relationships of ``Service`` give (see ``docs/scale.md``).
    """
    intern = _Interner()
    if service_ids is not None:
        return _load_site_entries(session, service_ids, vocab, intern)
    every = list(session.scalars(select(Service.id).order_by(Service.id)))
    entries: dict[str, list[SiteEntry]] = {}
    for start in range(0, len(every), FULL_LOAD_BATCH):
        entries.update(
            _load_site_entries(session, every[start : start + FULL_LOAD_BATCH], vocab, intern)
        )
    return entries


def _load_site_entries(
    session: Session, service_ids: Sequence[str], vocab: Vocabulary, intern: _Interner
) -> dict[str, list[SiteEntry]]:
    from ..models import Language, Organization, Phone, ServiceArea

    services = _grouped(
        session,
        select(
            Service.id,
            Service.name,
            Service.organization_id,
            Service.status,
            Service.minimum_age,
            Service.maximum_age,
            Service.interpretation_services,
            Service.assured_date,
            Service.is_national,
            Service.closed_until,
            Service.alert,
            Service.alert_expires_at,
            Service.application_process,
        ),
        Service.id,
        service_ids,
    )
    loaded_at = datetime.now(UTC)
    ids = list(services)
    org_ids = [rows[0].organization_id for rows in services.values()]
    organizations = _grouped(
        session, select(Organization.id, Organization.name), Organization.id, org_ids
    )
    attributes = _grouped(
        session,
        select(
            Attribute.link_id,
            Attribute.link_type,
            TaxonomyTerm.taxonomy,
            TaxonomyTerm.code,
        )
        .join(TaxonomyTerm, Attribute.taxonomy_term_id == TaxonomyTerm.id)
        .where(Attribute.link_entity == "service")
        .order_by(Attribute.position),
        Attribute.link_id,
        ids,
    )
    schedule = Schedule.__table__
    by_service = schedule.c.service_id
    schedules = _grouped(session, select(schedule).order_by(schedule.c.position), by_service, ids)
    languages = _grouped(
        session,
        select(Language.service_id, Language.code).order_by(Language.position),
        Language.service_id,
        ids,
    )
    phones = _grouped(
        session,
        select(Phone.service_id, Phone.number).order_by(Phone.position),
        Phone.service_id,
        ids,
    )
    area_columns = (
        ServiceArea.id,
        ServiceArea.service_id,
        ServiceArea.service_at_location_id,
        ServiceArea.extent,
        ServiceArea.extent_type,
    )
    areas = _grouped(
        session,
        select(*area_columns).order_by(ServiceArea.id),
        ServiceArea.service_id,
        ids,
    )
    links = _grouped(
        session,
        select(
            ServiceAtLocation.id, ServiceAtLocation.service_id, ServiceAtLocation.location_id
        ).order_by(ServiceAtLocation.id),
        ServiceAtLocation.service_id,
        ids,
    )
    link_ids = [row.id for rows in links.values() for row in rows]
    location_ids = [row.location_id for rows in links.values() for row in rows]
    link_schedules = _grouped(
        session,
        select(schedule).order_by(schedule.c.position),
        schedule.c.service_at_location_id,
        link_ids,
    )
    link_phones = _grouped(
        session,
        select(Phone.service_at_location_id, Phone.number).order_by(Phone.position),
        Phone.service_at_location_id,
        link_ids,
    )
    link_areas = _grouped(
        session,
        select(*area_columns).order_by(ServiceArea.id),
        ServiceArea.service_at_location_id,
        link_ids,
    )
    locations = _grouped(
        session,
        select(Location.id, Location.latitude, Location.longitude),
        Location.id,
        location_ids,
    )
    addresses = _grouped(
        session,
        select(
            Address.location_id,
            Address.address_1,
            Address.address_2,
            Address.city,
            Address.state_province,
            Address.postal_code,
        ).order_by(Address.id),
        Address.location_id,
        location_ids,
    )
    location_schedules = _grouped(
        session,
        select(schedule).order_by(schedule.c.position),
        schedule.c.location_id,
        location_ids,
    )
    location_phones = _grouped(
        session,
        select(Phone.location_id, Phone.number).order_by(Phone.position),
        Phone.location_id,
        location_ids,
    )

    entries: dict[str, list[SiteEntry]] = {}
    _rules_of = _RuleReader()
    for service_id, (service,) in services.items():
        attribute_rows = attributes.get(service_id, [])
        facts = _facts_of(
            ((row.taxonomy, row.code, row.link_type) for row in attribute_rows), vocab
        )
        primary = facts.types[0] if facts.types else None
        continuum = vocab.continuum_of(primary) if primary else None
        goes_to_person = continuum == "respond"
        service_rules = _rules_of(schedules.get(service_id, []), service_id)
        always_open = "open-24-7" in facts.diversion
        organization = organizations.get(service.organization_id)
        common = {
            "service_id": service_id,
            "name": service.name,
            "organization": intern(organization[0].name if organization else ""),
            "service_types": intern(facts.types),
            "attributes": intern(facts.diversion),
            "status": intern(effective_status(service.status, service.closed_until, loaded_at)),
            "minimum_age": service.minimum_age,
            "maximum_age": service.maximum_age,
            "eligibility_populations": intern(facts.eligibility),
            "audience_populations": intern(facts.audience),
            "payments": intern(facts.payments),
            "languages": intern(
                frozenset(
                    row.code.split("-")[0].lower()
                    for row in languages.get(service_id, [])
                    if row.code
                )
            ),
            "interpretation": bool((service.interpretation_services or "").strip()),
            "goes_to_person": goes_to_person,
            "assured_date": service.assured_date,
            "is_national": service.is_national,
            "alert": service.alert,
            "alert_expires_at": service.alert_expires_at,
            "application_process": service.application_process,
        }
        service_phones = tuple(row.number for row in phones.get(service_id, []))
        service_shapes = _shapes(areas.get(service_id, []))
        sites = [link for link in links.get(service_id, []) if link.location_id in locations]
        found: list[SiteEntry] = []
        if not sites or service.is_national:
            found.append(
                SiteEntry(
                    common={
                        **common,
                        "residency_restricted": bool(service_shapes) and not goes_to_person,
                        "phones": service_phones,
                    },
                    types=common["service_types"],
                    goes_to_person=goes_to_person,
                    is_national=bool(service.is_national),
                    rules=None if service_rules is None else intern(tuple(service_rules)),
                    always_open=always_open,
                    shapes=_prepared(service_shapes),
                )
            )
        for link in sites if not service.is_national else ():
            (location,) = locations[link.location_id]
            own_schedules = location_schedules.get(link.location_id, [])
            link_rows = link_schedules.get(link.id, [])
            rules = None
            if service_rules is not None:
                location_rules = _rules_of(own_schedules, service_id)
                link_rules = _rules_of(link_rows, service_id)
                if location_rules is not None and link_rules is not None:
                    rules = intern(
                        tuple(select_schedule_rules(service_rules, location_rules, link_rules))
                    )
            shapes = _shapes(link_areas.get(link.id, [])) or service_shapes
            has_point = location.latitude is not None and location.longitude is not None
            found.append(
                SiteEntry(
                    common={
                        **common,
                        "service_at_location_id": link.id,
                        "residency_restricted": bool(shapes) and not goes_to_person,
                        "phones": tuple(
                            dict.fromkeys(
                                [row.number for row in link_phones.get(link.id, [])]
                                + list(service_phones)
                                + [row.number for row in location_phones.get(link.location_id, [])]
                            )
                        ),
                        "address": _address_of(addresses.get(link.location_id, [])),
                        "lat": location.latitude if has_point else None,
                        "lon": location.longitude if has_point else None,
                    },
                    types=common["service_types"],
                    goes_to_person=goes_to_person,
                    is_national=False,
                    rules=rules,
                    # The service-wide 24/7 flag yields to hours published for this very site.
                    always_open=always_open and not (own_schedules or link_rows),
                    shapes=_prepared(list(shapes)),
                    has_site=True,
                    lat=location.latitude if has_point else None,
                    lon=location.longitude if has_point else None,
                )
            )
        entries[service_id] = found
    return entries


def load_closures(
    session: Session, service_ids: Sequence[str] | None = None
) -> dict[str, datetime]:
    """When each temporarily closed service (of these, all when None) reopens by itself."""
    query = select(Service.id, Service.closed_until).where(Service.closed_until > datetime.now(UTC))
    if service_ids is not None:
        query = query.where(Service.id.in_(service_ids))
    return {row.id: row.closed_until for row in session.execute(query)}


def load_capacities(
    session: Session, service_ids: Sequence[str] | None = None
) -> dict[str, CapacityFact]:
    """The latest capacity row of these services (all when None) that report one (ties: the
    first by id)."""
    from ..models import ServiceCapacity, Unit

    statement = (
        select(
            ServiceCapacity.service_id,
            ServiceCapacity.available,
            ServiceCapacity.maximum,
            ServiceCapacity.updated,
            Unit.name.label("unit"),
        )
        .outerjoin(Unit, ServiceCapacity.unit_id == Unit.id)
        .order_by(ServiceCapacity.id)
    )
    grouped = _grouped(session, statement, ServiceCapacity.service_id, service_ids)
    # Grouping keeps each service's rows in id order, which is all the ties need.
    rows = [row for service_rows in grouped.values() for row in service_rows]
    latest: dict[str, CapacityFact] = {}
    for row in rows:
        seen = latest.get(row.service_id)
        if seen is None or row.updated > seen.updated:
            latest[row.service_id] = CapacityFact(row.available, row.maximum, row.unit, row.updated)
    return latest


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
                updated[position] = _microseconds(fact.updated)
        return cls(available, updated, reported)


def _microseconds(moment: datetime) -> int:
    """Whole microseconds since 1970-01-01 (UTC for an aware moment, naive for a naive one)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC if moment.tzinfo is not None else None)
    return (moment - epoch) // timedelta(microseconds=1)


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
        from ..search import sync
        from .search import pending_changes, state_for_rebuild

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
        from . import lookup_snapshot  # warm starts (docs/scale.md)

        if self.state is None and lookup_snapshot.restore(self, session, vocab):
            return self.catch_up(session, vocab)
        state = state_for_rebuild(session)
        self.closures = load_closures(session)
        self.entries = load_site_entries(session, None, vocab)
        self.capacities = load_capacities(session)
        self._columns = None
        self.state = state
        self.rebuilds += 1
        lookup_snapshot.write(session, vocab, state, self.entries, self.capacities)

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


_caches: dict[str, CandidateCache] = {}
_caches_lock = threading.Lock()


def candidate_cache(session: Session) -> CandidateCache:
    """The cache for the session's database (one per database URL and process)."""
    bind = session.get_bind()
    key = str(getattr(bind, "engine", bind).url)
    with _caches_lock:
        return _caches.setdefault(key, CandidateCache())


def _geodesic_km(lat: float, lon: float, lats: Sequence[float], lons: Sequence[float]) -> Any:
    """WGS84 geodesic km from one point to many (pyproj: Karney's algorithm, as geopy)."""
    global _GEOD
    import numpy as np

    if _GEOD is None:
        from pyproj import Geod

        _GEOD = Geod(ellps="WGS84")
    count = len(lats)
    _, _, metres = _GEOD.inv(
        np.full(count, lon), np.full(count, lat), np.asarray(lons, float), np.asarray(lats, float)
    )
    return np.asarray(metres, dtype=float) / 1000.0


def _haversine_km(lat: float, lon: float, lats: Any, lons: Any) -> Any:
    """Great-circle km on a sphere of the mean Earth radius (IUGG R1 = 6371.0088 km).

    Within 0.6 % of the WGS84 geodesic (the flattening is 1/298); used only to decide which
    sites are certainly beyond a travel limit (see :data:`ESTIMATE_SLACK`).
    """
    import numpy as np

    phi, lam = np.radians(lats), np.radians(lons)
    phi0, lam0 = math.radians(lat), math.radians(lon)
    half = (
        np.sin((phi - phi0) / 2.0) ** 2
        + math.cos(phi0) * np.cos(phi) * np.sin((lam - lam0) / 2.0) ** 2
    )
    return 2.0 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(half, 1.0)))


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


def _make_candidate(
    columns: Columns,
    position: int,
    km: float | None,
    settings: LookupSettings,
    point: Point,
    states: dict[int, OpenState],
    capacities: Mapping[str, CapacityFact],
    request: LookupRequest,
    now: datetime,
    road: float | None = None,
) -> Candidate:
    """``road``: minutes over the road network (NaN or None where the estimate applies)."""
    entry = columns.entries[position]
    code = int(columns.table.hours_codes[position])
    state = states.get(code)
    if state is None:
        rules, always_open = columns.hours[code]
        state = states[code] = _open_state(
            None if rules is None else list(rules), request.at, settings.zone, always_open
        )
    extra: dict[str, Any] = {}
    if entry.has_site:
        travel = settings.travel
        extra = {
            "distance_km": km,
            "travel_minutes": None
            if km is None
            else km * travel.circuity / travel.speed_kmh * 60.0,
        }
        if km is not None and settings.roads is not None:
            by_road = road is not None and not math.isnan(road)
            extra["travel_source"] = "road" if by_road else "estimate"
            if by_road:
                extra["travel_minutes"] = road
    fields = {
        **entry.common,
        **extra,
        "open_state": state,
        "in_service_area": _inside_point(entry.shapes, point) if entry.shapes else None,
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
        km[placed] = _geodesic_km(lat, lon, lats[placed], lons[placed])
    return [None if not p else float(k) for p, k in zip(placed.tolist(), km.tolist(), strict=True)]


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

    from ..matching import fit_of

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
    km = _exact_km(columns, chosen, lat, lon)
    road = _road_minutes(road_origin(settings, lat, lon), columns, chosen)
    roads = [None] * len(km) if road is None else road.tolist()
    states: dict[int, OpenState] = {}
    point = Point(lon, lat)
    return [
        _make_candidate(columns, p, k, settings, point, states, capacities, request, now, r)
        for p, k, r in zip(chosen.tolist(), km, roads, strict=True)
    ]


_FITS_MEMO_SIZE = 512


def _fits(columns: Columns, query: Query, wanted: set[str], vocab: Vocabulary) -> list[Fit | None]:
    """``fit_of`` for every combination of service types in the cache (None where no type is
    wanted). A fit depends on the needs, types, open-now choice, travel cap and transport only,
    so the answer is kept per such question (officers ask a few kinds of question)."""
    from ..matching import fit_of

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
    table = columns.table
    wanted = set(request.types)
    for need in request.needs:
        wanted.update(vocab.service_types_for_need(need))
    empty = np.zeros(0, dtype=np.int32)
    fits = _fits(columns, query, wanted, vocab)
    relevant = np.array([f is not None for f in fits], dtype=bool)
    pool = np.flatnonzero(relevant[table.types_codes] & ~columns.national & columns.alive)

    # Service areas: the bounding box first, the exact test only for sites inside it.
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
        if _inside_point(columns.entries[int(pool[k])].shapes, point):
            in_area[k] = IN_AREA_YES

    # Travel minutes: the exact geodesic wherever the limit could be in doubt.
    travel = settings.travel
    lats, lons = columns.lat[pool], columns.lon[pool]
    placed = ~np.isnan(lats) & ~np.isnan(lons)
    minutes = np.full(len(pool), np.nan)
    estimate = _haversine_km(lat, lon, lats[placed], lons[placed])
    minutes[placed] = estimate * travel.circuity / travel.speed_kmh * 60.0  # TravelModel.minutes
    cap = np.array([np.nan if f is None or f.max_minutes is None else f.max_minutes for f in fits])[
        table.types_codes[pool]
    ]
    judged = table.goes_to_person[pool] & (in_area != IN_AREA_UNKNOWN)
    with np.errstate(invalid="ignore"):
        certainly_far = ~judged & (minutes > cap * ESTIMATE_SLACK)
    exact = np.flatnonzero(placed & ~judged & ~certainly_far)
    if len(exact):
        km = _geodesic_km(lat, lon, lats[exact], lons[exact])
        minutes[exact] = km * travel.circuity / travel.speed_kmh * 60.0
    # Over the road network where both ends are on it (docs/roads.md); the estimate elsewhere.
    origin = road_origin(settings, lat, lon)
    if origin is not None:
        road = origin.minutes_to(lats, lons)
        minutes = np.where(np.isnan(road), minutes, road)

    states: dict[int, OpenState] = {}

    def open_state(code: int) -> OpenState:
        state = states.get(code)
        if state is None:
            rules, always_open = columns.hours[code]
            state = states[code] = _open_state(
                None if rules is None else list(rules), request.at, settings.zone, always_open
            )
        return state

    fresh_us = timedelta(hours=settings.capacity_fresh_hours) // timedelta(microseconds=1)
    reported = capacity.reported[pool]
    available = capacity.available[pool]
    capacity_fresh = (
        reported
        & (_microseconds(now) - capacity.updated_us[pool] <= fresh_us)
        & ~np.isnan(available)
    )
    facts = LookupFacts(
        in_area=in_area,
        minutes=minutes,
        open_state=open_state,
        capacity_fresh=capacity_fresh,
        capacity_available=available,
    )
    screening = screen(query, table, pool, facts, fits)

    best = best_positions(screening, request.limit)
    # The gap notices ask which wanted types some eligible site offers: one site per type.
    eligible_types = table.types_codes[pool[screening.eligible]]
    per_type = [empty.astype(np.int64)]
    for service_type in sorted(wanted):
        offering = np.flatnonzero(np.isin(eligible_types, table.with_type.get(service_type, empty)))
        per_type.append(screening.eligible[offering[:1]])
    listed = _nearest(columns, pool, screening.excluded, minutes, EXCLUDED_LISTED)
    shortlist = np.unique(np.concatenate([best, *per_type, listed]))
    chosen = np.concatenate([pool[shortlist], np.flatnonzero(columns.national & columns.alive)])
    km = _exact_km(columns, chosen, lat, lon)
    road = _road_minutes(origin, columns, chosen)
    roads = [None] * len(km) if road is None else road.tolist()
    shown_states: dict[int, OpenState] = dict(states)
    candidates = [
        _make_candidate(columns, p, k, settings, point, shown_states, capacities, request, now, r)
        for p, k, r in zip(chosen.tolist(), km, roads, strict=True)
    ]
    return Shortlist(
        candidates=candidates,
        eligible=len(screening.eligible),
        excluded=len(screening.excluded),
        listed=len(listed),
    )


# --------------------------------------------------------------------------- areas, unmet needs


def area_of_point(session: Session, lat: float, lon: float) -> str | None:
    """The analysis area containing the point, or None (no geography, or outside all areas)."""
    import json

    rows = session.execute(
        select(AnalysisArea.id, AnalysisArea.geometry).where(
            AnalysisArea.min_lon <= lon,
            AnalysisArea.max_lon >= lon,
            AnalysisArea.min_lat <= lat,
            AnalysisArea.max_lat >= lat,
        )
    )
    point = Point(lon, lat)
    for area_id, geometry in rows:
        if shape(json.loads(geometry)).covers(point):
            return area_id
    return None


def hour_of_week(moment: datetime) -> int:
    """0 for Monday 00:00-00:59 local time, up to 167 for Sunday 23:00-23:59."""
    return moment.weekday() * 24 + moment.hour


# --------------------------------------------------------------------------- the answer


def _iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).isoformat() if moment else None


def _capacity_text(capacity: Capacity | None, now: datetime) -> str | None:
    if capacity is None:
        return None
    if capacity.stale or capacity.updated is None or capacity.available is None:
        return "Capacity not reported recently"
    age = format_age(capacity.updated, now)
    unit = capacity.unit or "places"
    unit_plural = unit if unit.endswith("s") else f"{unit}s"
    of = f" of {capacity.maximum}" if capacity.maximum is not None else ""
    return f"{capacity.available}{of} {unit_plural} free, {age}"


def _directions(candidate: Candidate) -> str | None:
    """A directions link every phone can open (a link, not a request the page makes)."""
    if candidate.lat is None or candidate.lon is None:
        return None
    return f"https://www.openstreetmap.org/directions?to={candidate.lat:.6f}%2C{candidate.lon:.6f}"


def _geo_uri(candidate: Candidate) -> str | None:
    """An RFC 5870 ``geo:`` URI, which Android opens in the phone's map app."""
    if candidate.lat is None or candidate.lon is None:
        return None
    return f"geo:{candidate.lat:.6f},{candidate.lon:.6f}"


def _result_json(
    m: Any, vocab: Vocabulary, zone: ZoneInfo, now: datetime, at: datetime, policy: Policy
) -> dict[str, Any]:
    from .provider_alerts import current_alert

    c: Candidate = m.candidate
    state = c.open_state
    capacity = None
    if c.capacity is not None:
        capacity = {
            "available": c.capacity.available,
            "maximum": c.capacity.maximum,
            "unit": c.capacity.unit,
            "updated": _iso(c.capacity.updated, zone),
            "stale": c.capacity.stale,
        }
    primary = c.service_types[0] if c.service_types else None
    return {
        "service_id": c.service_id,
        "service_at_location_id": c.service_at_location_id,
        "name": c.name,
        "organization": c.organization,
        "service_types": list(c.service_types),
        "matched_type": m.fit.service_type if m.fit else primary,
        "continuum": vocab.continuum_of(primary) if primary else None,
        "distance_km": round(c.distance_km, 2) if c.distance_km is not None else None,
        "travel_minutes": round(c.travel_minutes)
        if c.travel_minutes is not None and math.isfinite(c.travel_minutes)
        else None,
        # "road", "estimate" (a network is loaded, a point is off it), "unreachable" (no road
        # route; travel_minutes is null) or null (no network loaded).
        "travel_source": "unreachable"
        if c.travel_minutes is not None and math.isinf(c.travel_minutes)
        else c.travel_source,
        "open_now": state.open_now,
        "closes_at": _iso(state.closes_at, zone),
        "opens_next": _iso(state.opens_next, zone),
        "always_open": state.always_open,
        # Worded from the moment asked about ("closes 6:00 AM" for a 2 a.m. question).
        "open_status_text": format_open_state(state, at.astimezone(zone)),
        "capacity": capacity,
        "capacity_text": _capacity_text(c.capacity, now),
        "attributes": sorted(c.attributes),
        "phones": list(c.phones),
        "address": c.address,
        "lat": c.lat,
        "lon": c.lon,
        "directions_url": _directions(c),
        "geo_uri": _geo_uri(c),
        "assured_date": c.assured_date.isoformat() if c.assured_date else None,
        "score": m.score,
        "reasons": list(m.reasons),
        # Additive (issue #14): the alert in force, the tier, who the place is for.
        "alert": current_alert(c.alert, c.alert_expires_at, now),
        "tier": m.fit.tier if m.fit else 0,
        "eligibility": eligibility_tags(c, policy, vocab),
    }


def _write_after_reading(session: Session) -> None:
    """On SQLite, end the lookup's read-only transaction before its first write.

    A SQLite transaction that has read cannot wait for another writer (WAL mode): once that
    writer commits, the reader's snapshot is stale and its write fails at once with "database
    is locked". A transaction whose first statement is the write waits up to busy_timeout
    instead. Nothing is committed early when the session holds changes of its own.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        session.commit()


def run_lookup(
    session: Session,
    request: LookupRequest,
    *,
    geocoder: Geocoder,
    settings: LookupSettings,
    now: datetime,
    vocab: Vocabulary | None = None,
) -> dict[str, Any]:
    """Answer one lookup (spec/api.md 3). Reads only: recording unmet need is the caller's
    explicit call (:func:`record_unmet_needs`)."""
    vocab = vocab or vocabulary()
    if request.lat is not None and request.lon is not None:
        lat, lon, source, label = request.lat, request.lon, request.location_source, None
    else:
        found = geocoder.geocode(request.near or "")
        if found is None:
            suggest = getattr(geocoder, "suggest", None)
            choices = suggest(request.near or "") if suggest is not None else []
            if choices:
                message = "That place was not found, or several places match. Did you mean: "
                message += "; ".join(choices) + "?"
            else:
                message = (
                    "That place was not found. Try a ZIP code, a street address with the town, "
                    "or a landmark name."
                )
            raise LookupInputError("near", message, "not-found", choices)
        lat, lon, source, label = found.lat, found.lon, found.source, found.label
    shortlist = load_candidates(session, request, lat, lon, settings, now, vocab)
    query = query_of(request, now, settings.policy)
    result = match(query, shortlist.candidates, vocabulary=vocab)
    # The matcher saw the shortlist only; screening counted every site.
    more = shortlist.eligible - len(result.results)
    excluded_more = shortlist.excluded - shortlist.listed
    zone = settings.zone
    return {
        "query": {
            "lat": round(lat, 5),
            "lon": round(lon, 5),
            "location_source": source,
            "location_label": label,
            "at": request.at.astimezone(zone).isoformat(),
            "needs": list(request.needs),
            "types": list(request.types),
            "age": request.age,
            "language": request.language,
            "payment": request.payment,
            "population": sorted(request.populations),
            "gender": request.gender,
            "transport": request.transport,
            # The situation in force: the "intoxicated" need sets it (issue #14 item 1).
            "intoxicated": query.intoxicated,
            "involuntary": query.involuntary,
            "max_minutes": request.max_minutes,
            "limit": request.limit,
            "open_now": request.require_open,
        },
        "contact_lines": [
            {
                "service_id": c.service_id,
                "name": c.name,
                "phones": list(dict.fromkeys(c.phones)),
                "always_open": c.open_state.always_open,
            }
            for c in result.contact_lines
        ],
        "results": [
            _result_json(m, vocab, zone, now, request.at, settings.policy) for m in result.results
        ],
        "more_results": more,
        "excluded": [
            {
                "service_id": e.candidate.service_id,
                "service_at_location_id": e.candidate.service_at_location_id,
                "name": e.candidate.name,
                "reasons": [{"code": r.code, "message": r.message} for r in e.reasons],
            }
            for e in result.excluded
        ],
        "excluded_more": excluded_more,
        "gaps": [
            {
                "need": g.need,
                "service_type": g.service_type,
                "message": g.message,
                # Additive (issue #14): what blocked the places that exist, and whether only
                # an officer's option did (then it is not the person's unmet need).
                "detail": g.detail,
                "cause": g.cause,
                "left_out": g.left_out,
                "left_out_by_options": g.by_options,
                "blocked": [{"code": code, "count": count} for code, count in g.blocked],
            }
            for g in result.gaps
        ],
    }


def unmet_intent_key(secret: str, user_key: str, parts: Sequence[Any]) -> str:
    """HMAC-SHA256 (hex) of who asked and what: the same search by the same user gives the
    same key, and nothing can be read back from it without the app's secret key."""
    import hashlib
    import hmac
    import json

    message = json.dumps([user_key, *parts], sort_keys=True, default=str).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def record_unmet_needs(
    session: Session,
    request: LookupRequest,
    answer: Mapping[str, Any],
    *,
    user_key: str,
    secret: str,
    settings: LookupSettings,
    now: datetime,
) -> int:
    """Record the answer's unmet needs for planners, once per lookup intent; returns how many
    rows were added (the caller commits).

    Only a question about now (``request.at_now``) counts, and only the gaps on the person's
    facts (``cause == "facts"``): a gap only an officer's option made (drive them there, a
    maximum travel time) is not unmet need. The intent is the user, the analysis area, the
    need and the person's facts; within ``settings.unmet_intent_hours`` the same intent
    (a reload, the back button, the API call sent again) is not counted again. The caller
    decides who may record (signed-in staff only: anonymous lookups never write).
    """
    if not request.at_now:
        return 0
    gaps = [g for g in answer.get("gaps") or [] if g.get("cause", "facts") == "facts"]
    if not gaps:
        return 0
    query = answer["query"]
    area_id = area_of_point(session, query["lat"], query["lon"])
    local = request.at.astimezone(settings.zone)
    facts = [
        sorted(request.needs),
        sorted(request.types),
        request.age,
        request.gender,
        request.language,
        request.payment,
        sorted(request.populations),
        request.intoxicated,
        request.involuntary,
    ]
    since = now - timedelta(hours=settings.unmet_intent_hours)
    rows = []
    for gap in gaps:
        need = gap.get("need") or f"type:{gap.get('service_type')}"
        intent = unmet_intent_key(secret, user_key, [area_id, need, *facts])
        seen = session.scalar(
            select(UnmetNeed.id)
            .where(UnmetNeed.intent == intent, UnmetNeed.recorded_at >= since)
            .limit(1)
        )
        if seen is not None:
            continue
        rows.append(
            UnmetNeed(
                need=need,
                area_id=area_id,
                hour_of_week=hour_of_week(local),
                occurred_on=local.date(),
                intent=intent,
                recorded_at=now,
            )
        )
    if rows:
        _write_after_reading(session)
        session.add_all(rows)
        session.flush()
    return len(rows)


def policy_from_config(config: Mapping[str, Any]) -> Policy:
    """The jurisdiction's lookup policy from the settings (``PolicyError`` names a bad one)."""
    parts = (
        config.get("AGE_POPULATIONS"),
        config.get("HANDOVER_SERVICE_TYPES"),
        config.get("NEED_TIERS"),
        config.get("RANKING_WEIGHTS"),
    )
    if all(part is None for part in parts):
        return default_policy()
    key = json_key(parts)
    with _policies_lock:
        found = _policies.get(key)
        if found is None:
            found = _policies[key] = make_policy(
                age_populations=parts[0],
                handover_types=parts[1],
                need_tiers=parts[2],
                ranking_weights=parts[3],
            )
        return found


_policies: dict[str, Policy] = {}
_policies_lock = threading.Lock()


def json_key(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)


def settings_from_config(config: Mapping[str, Any]) -> LookupSettings:
    return LookupSettings(
        policy=policy_from_config(config),
        unmet_intent_hours=float(config.get("UNMET_NEED_INTENT_HOURS", 4)),
        zone=ZoneInfo(config["TIMEZONE"]),
        travel=TravelModel(
            circuity=float(config["TRAVEL_CIRCUITY"]), speed_kmh=float(config["TRAVEL_SPEED_KMH"])
        ),
        capacity_fresh_hours=float(config["CAPACITY_FRESH_HOURS"]),
        road_snap_max_km=float(config["ROAD_SNAP_MAX_KM"]),
        road_snap_speed_kmh=float(config["ROAD_SNAP_SPEED_KMH"]),
    )
