"""Place resolution: the geocoder chain (coordinates, ZIP centroids, the local gazetteer, the
optional online geocoder), the gazetteer's per-process cache, place names and analysis areas."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from shapely.geometry import Point, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...geo.addresses import normalize_address
from ...geo.distance import haversine_km_to_many
from ...geo.geocoding import (
    ChainGeocoder,
    CoordinateGeocoder,
    Geocoder,
    GeocodeResult,
    MemoryGeocodeCache,
    StaticGazetteer,
    ZipCentroids,
    online_geocoder,
)
from ...models import (
    Address,
    AnalysisArea,
    Attribute,
    Location,
    Place,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from ...taxonomy import SERVICE_TYPE, vocabulary
from .caches import held

# Online geocoder answers: in this process's memory only, per database and lifetime setting.
_online_answers: dict[tuple[str, float], MemoryGeocodeCache] = {}


def online_answer_cache(config: Mapping[str, Any]) -> MemoryGeocodeCache:
    """This process's short-lived memory cache of online geocoder answers (never the database:
    a looked-up place is kept ``GEOCODER_CACHE_SECONDS`` at most, then forgotten)."""
    ttl = float(config.get("GEOCODER_CACHE_SECONDS", 900))
    key = (str(config.get("DATABASE_URL")), ttl)
    return held("online-answers", key, lambda: MemoryGeocodeCache(ttl_seconds=ttl), _online_answers)


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

    from ..search import newest_change

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


#: The gazetteers of code run outside an app context (see :mod:`.caches`).
_gazetteers: dict[str, _GazetteerCache] = {}


def gazetteer_cache(config: Mapping[str, Any]) -> _GazetteerCache:
    """The gazetteer cache of the configured database (one per app and database URL)."""
    key = str(config.get("DATABASE_URL"))
    return held("gazetteers", key, _GazetteerCache, _gazetteers)


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
        if lat is None or lon is None:  # filtered out above; this tells the type checker
            continue
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
            km = float(haversine_km_to_many(lat, lon, [site_lat], [site_lon])[0])
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
    cache = gazetteer_cache(config)
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
