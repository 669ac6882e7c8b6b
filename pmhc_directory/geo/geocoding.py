"""Turning what an officer typed into a WGS84 point (latitude, longitude in degrees).

Offline by default (product.md 3.2):

- :class:`ZipCentroids` - US ZIP code centroids from the ``zipcodes`` package;
- :class:`StaticGazetteer` - the jurisdiction's place/landmark list and address points, and
  the inventory's own addresses, matched on normalised keys, with small typo tolerance for
  place names;
- :class:`GeopyGeocoder` - optional online geocoder (Nominatim or another geopy service),
  rate limited and cached;
- :class:`ChainGeocoder` - asks the others in a fixed order of confidence.

The typed text is personal data (it is often where the person in crisis is). Nothing here
logs it, and failures are logged by exception type only. No geocoder raises on a bad query:
each answers ``None`` so the chain can fall back.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import logging
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from .addresses import (
    looks_like_zip,
    normalize_address,
    parse_coordinates,
    place_key,
    trailing_zip,
)

logger = logging.getLogger(__name__)

Source = Literal["zip", "address", "place", "coordinates"]

#: Longest query passed on to any geocoder; longer text is refused (``None``).
MAX_QUERY_LENGTH = 300

#: ``difflib`` similarity (2 x matching characters / total characters) a place name must reach
#: to count as a typo of a known place. 0.8 accepts one wrong letter in a 5-letter name
#: ("tjeras" for "tijeras", "albuqerque" for "albuquerque") and refuses a different word of
#: similar shape ("santa ana" for "santa fe" scores 0.71).
FUZZY_CUTOFF = 0.8


@dataclass(frozen=True)
class GeocodeResult:
    """A located query: WGS84 ``lat``/``lon`` in degrees, what kind of match, and a label.

    ``label`` is what the officer should see to confirm the match ("ZIP 87102 (Albuquerque,
    NM)", the gazetteer's spelling of a place, the online geocoder's display name).
    """

    lat: float
    lon: float
    source: Source
    label: str

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lat) and -90.0 <= self.lat <= 90.0):
            raise ValueError(f"latitude {self.lat!r} is outside -90..90")
        if not (math.isfinite(self.lon) and -180.0 <= self.lon <= 180.0):
            raise ValueError(f"longitude {self.lon!r} is outside -180..180")


class Geocoder(Protocol):
    """Anything that locates free text; ``None`` when it cannot (never raises for bad text)."""

    def geocode(self, text: str) -> GeocodeResult | None: ...


@runtime_checkable
class TwoStageGeocoder(Protocol):
    """A geocoder with a reliable exact stage and a guessing (fuzzy/fallback) stage.

    :class:`ChainGeocoder` asks every geocoder's exact stage before any guess.
    """

    def geocode(self, text: str) -> GeocodeResult | None: ...

    def geocode_exact(self, text: str) -> GeocodeResult | None: ...

    def geocode_fuzzy(self, text: str) -> GeocodeResult | None: ...


def _clean_query(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text or len(text) > MAX_QUERY_LENGTH:
        return None
    return text


def _safe_result(lat: Any, lon: Any, source: Source, label: str) -> GeocodeResult | None:
    try:
        return GeocodeResult(float(lat), float(lon), source, label)
    except (TypeError, ValueError):
        return None


class CoordinateGeocoder:
    """Typed decimal degrees, "35.08, -106.65" (latitude first); see ``parse_coordinates``."""

    def geocode(self, text: str) -> GeocodeResult | None:
        query = _clean_query(text)
        point = parse_coordinates(query) if query else None
        if point is None:
            return None
        lat, lon = point
        return GeocodeResult(lat, lon, "coordinates", f"{lat:.5f}, {lon:.5f}")


class ZipCentroids:
    """US ZIP codes located at their centroid, offline, from the ``zipcodes`` package.

    Exact stage: the text is a ZIP or ZIP+4. Fallback stage: an address that ends with a ZIP
    ("..., Albuquerque, NM 87102") is located at that ZIP's centroid when nothing better
    matched. ZIPs without a position in the data (military APO/FPO and some unique ZIPs carry
    0, 0) answer ``None``. Retired ZIPs are still located unless ``include_inactive=False``:
    people keep using old ZIPs, and the position is still right.
    """

    def __init__(self, *, include_inactive: bool = True) -> None:
        self.include_inactive = include_inactive

    def geocode(self, text: str) -> GeocodeResult | None:
        return self.geocode_exact(text) or self.geocode_fuzzy(text)

    def geocode_exact(self, text: str) -> GeocodeResult | None:
        query = _clean_query(text)
        zip_code = looks_like_zip(query) if query else None
        return self.lookup(zip_code) if zip_code else None

    def geocode_fuzzy(self, text: str) -> GeocodeResult | None:
        query = _clean_query(text)
        zip_code = trailing_zip(query) if query else None
        return self.lookup(zip_code) if zip_code else None

    def lookup(self, zip_code: str) -> GeocodeResult | None:
        """The centroid of a 5-digit ZIP, or ``None`` when unknown or without a position."""
        import zipcodes  # loads its data file on first use

        try:
            rows = zipcodes.matching(zip_code)
        except (TypeError, ValueError):
            return None
        for row in rows:
            if not self.include_inactive and not row.get("active", True):
                continue
            try:
                lat, lon = float(row.get("lat") or "nan"), float(row.get("long") or "nan")
            except (TypeError, ValueError):
                continue
            if lat == 0.0 and lon == 0.0:  # the data's "no position"
                continue
            where = ", ".join(part for part in (row.get("city"), row.get("state")) if part)
            label = f"ZIP {row.get('zip_code', zip_code)}" + (f" ({where})" if where else "")
            result = _safe_result(lat, lon, "zip", label)
            if result is not None:
                return result
        return None


class StaticGazetteer:
    """Places/landmarks and address points held in memory, matched on normalised keys.

    ``places`` and ``addresses`` are ``(name, lat, lon)`` triples (WGS84 degrees). Places are
    keyed with ``place_key`` (case, punctuation, accents), addresses with
    ``normalize_address`` (also USPS abbreviations). When two entries share a key the first
    one wins, so pass the most authoritative list first. Entries with a blank name or an
    impossible position are skipped.

    Exact stage: a place name, then an address. Fuzzy stage: place names only, with
    ``difflib.get_close_matches`` at :data:`FUZZY_CUTOFF`; if the two best candidates score the
    same the text is ambiguous and nothing is returned. Addresses are never matched fuzzily:
    "123 Main St" and "132 Main St" differ by one character and lie blocks apart.
    """

    def __init__(
        self,
        places: Iterable[tuple[str, float, float]] = (),
        addresses: Iterable[tuple[str, float, float]] = (),
        *,
        fuzzy_cutoff: float = FUZZY_CUTOFF,
        address_key: Callable[[str], str] = normalize_address,
    ) -> None:
        """``address_key`` must give what ``normalize_address`` gives (a memo of it, say)."""
        if not 0.0 < fuzzy_cutoff <= 1.0:
            raise ValueError(f"fuzzy_cutoff must be in (0, 1], got {fuzzy_cutoff}")
        self.fuzzy_cutoff = fuzzy_cutoff
        self._places = self._index(places, "place", place_key)
        self._addresses = self._index(addresses, "address", address_key)

    @staticmethod
    def _index(
        entries: Iterable[tuple[str, float, float]],
        source: Source,
        key_of: Callable[[str], str],
    ) -> dict[str, GeocodeResult]:
        index: dict[str, GeocodeResult] = {}
        for name, lat, lon in entries:
            key = key_of(name)
            if not key or key in index:
                continue
            result = _safe_result(lat, lon, source, str(name).strip())
            if result is not None:
                index[key] = result
        return index

    def __len__(self) -> int:
        return len(self._places) + len(self._addresses)

    def geocode(self, text: str) -> GeocodeResult | None:
        return self.geocode_exact(text) or self.geocode_fuzzy(text)

    def geocode_exact(self, text: str) -> GeocodeResult | None:
        query = _clean_query(text)
        if query is None:
            return None
        return self._places.get(place_key(query)) or self._addresses.get(normalize_address(query))

    def geocode_fuzzy(self, text: str) -> GeocodeResult | None:
        query = _clean_query(text)
        key = place_key(query) if query else ""
        if not key or not self._places:
            return None
        candidates = difflib.get_close_matches(key, self._places, n=2, cutoff=self.fuzzy_cutoff)
        if not candidates:
            return None
        if len(candidates) == 2 and _ratio(key, candidates[0]) == _ratio(key, candidates[1]):
            return None  # ambiguous: two places fit the typo equally well
        return self._places[candidates[0]]


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


class GeopyGeocoder:
    """An online geocoder through geopy (Nominatim by default), rate limited and cached.

    ``name`` is a geopy service name (``geopy.geocoders.get_geocoder_for_service``:
    "nominatim", "photon", "arcgis", ...); ``options`` go to its constructor (an API key,
    a domain); ``geocode_kwargs`` to each ``geocode`` call (``{"country_codes": "us"}``).
    Calls are spaced by ``min_delay_seconds`` with ``geopy.extra.rate_limiter.RateLimiter``
    (Nominatim's public service allows one per second) and are not retried: an officer is
    waiting, and the chain has offline fallbacks.

    ``cache`` is any mapping the caller supplies (the app passes a :class:`MemoryGeocodeCache`:
    memory only, short-lived). Keys are an HMAC-SHA256 under ``key_secret`` (the cache's own
    random ``key_secret`` when it has one, else a random one per geocoder) of the service name
    and the normalised query, so the typed text is not kept in clear and cannot be recovered by
    hashing guessed addresses; values are a :class:`GeocodeResult`, or ``None`` for "the
    service found nothing" (not asking again is what the service's usage policy wants). Errors
    are not cached.

    Never raises from :meth:`geocode`: any failure is logged as "<service> failed
    (<exception type>)" - without the query or the exception text, which may echo it - and
    answers ``None``. ``backend`` replaces the geopy geocoder object (for tests).
    """

    def __init__(
        self,
        name: str = "nominatim",
        user_agent: str = "",
        min_delay_seconds: float = 1.0,
        cache: MutableMapping[str, GeocodeResult | None] | None = None,
        *,
        timeout: float = 10.0,
        options: Mapping[str, Any] | None = None,
        geocode_kwargs: Mapping[str, Any] | None = None,
        backend: Any = None,
        key_secret: bytes | None = None,
    ) -> None:
        if not math.isfinite(min_delay_seconds) or min_delay_seconds < 0:
            raise ValueError(f"min_delay_seconds must be >= 0, got {min_delay_seconds!r}")
        self.name = name.strip().lower()
        self.cache: MutableMapping[str, GeocodeResult | None] = {} if cache is None else cache
        self.key_secret: bytes = (
            key_secret or getattr(cache, "key_secret", None) or secrets.token_bytes(32)
        )
        self.geocode_kwargs = dict(geocode_kwargs or {})
        if backend is None:
            backend = _make_backend(self.name, user_agent, timeout, options or {})
        self.backend = backend

        from geopy.extra.rate_limiter import RateLimiter

        # max_retries=0 and swallow_exceptions=False: RateLimiter's own retry/swallow warnings
        # include the call arguments, i.e. the typed location. We catch and log ourselves.
        self._geocode = RateLimiter(
            backend.geocode,
            min_delay_seconds=min_delay_seconds,
            max_retries=0,
            error_wait_seconds=min_delay_seconds,
            swallow_exceptions=False,
        )

    def cache_key(self, text: str) -> str:
        """Cache key of a query: HMAC-SHA256 hex, under the secret key, of the service name and
        the normalised text (without the key, guessing addresses does not find the entry)."""
        normalised = normalize_address(text)
        message = f"{self.name}\n{normalised}".encode()
        return hmac.new(self.key_secret, message, hashlib.sha256).hexdigest()

    def geocode(self, text: str) -> GeocodeResult | None:
        query = _clean_query(text)
        if query is None or not normalize_address(query):
            return None
        key = self.cache_key(query)
        try:
            if key in self.cache:
                return self.cache[key]
        except Exception as exc:  # a broken cache must not stop the look-up
            logger.warning("geocoder cache read failed (%s)", type(exc).__name__)
        try:
            location = self._geocode(query, exactly_one=True, **self.geocode_kwargs)
        except Exception as exc:  # geopy raises many types; the chain falls back
            logger.warning("online geocoder %s failed (%s)", self.name, type(exc).__name__)
            return None
        result = None
        if location is not None:
            label = getattr(location, "address", None) or "Location found online"
            result = _safe_result(
                getattr(location, "latitude", None),
                getattr(location, "longitude", None),
                "address",
                str(label),
            )
            if result is None:
                logger.warning("online geocoder %s returned an invalid position", self.name)
                return None
        try:
            self.cache[key] = result
        except Exception as exc:
            logger.warning("geocoder cache write failed (%s)", type(exc).__name__)
        return result


class MemoryGeocodeCache(MutableMapping[str, "GeocodeResult | None"]):
    """Online geocoder answers kept in this process's memory only, for a short time.

    An entry lives ``ttl_seconds`` (monotonic clock) and at most ``max_entries`` are kept (the
    oldest go first). Nothing is written to disk or the database, so a looked-up place is gone
    when it expires or the process ends. ``key_secret`` is random per cache (32 bytes) and never
    leaves the process: :class:`GeopyGeocoder` keys entries by an HMAC under it. Thread-safe.
    """

    def __init__(
        self,
        ttl_seconds: float = 900.0,
        max_entries: int = 2000,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (math.isfinite(ttl_seconds) and ttl_seconds >= 0):
            raise ValueError(f"ttl_seconds must be >= 0, got {ttl_seconds!r}")
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries!r}")
        self.ttl_seconds = float(ttl_seconds)
        self.max_entries = max_entries
        self.key_secret = secrets.token_bytes(32)
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, GeocodeResult | None]] = OrderedDict()

    def _expire(self, now: float) -> None:
        while self._entries:
            _key, (stored_at, _value) = next(iter(self._entries.items()))
            if now - stored_at < self.ttl_seconds and len(self._entries) <= self.max_entries:
                return
            self._entries.popitem(last=False)

    def __getitem__(self, key: str) -> GeocodeResult | None:
        with self._lock:
            self._expire(self._clock())
            return self._entries[key][1]

    def __setitem__(self, key: str, value: GeocodeResult | None) -> None:
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (self._clock(), value)
            self._expire(self._clock())

    def __delitem__(self, key: str) -> None:
        with self._lock:
            del self._entries[key]

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            self._expire(self._clock())
            return iter(list(self._entries))

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._entries)


def _make_backend(name: str, user_agent: str, timeout: float, options: Mapping[str, Any]):
    from geopy.exc import GeocoderNotFound
    from geopy.geocoders import get_geocoder_for_service

    if not user_agent.strip():
        raise ValueError(
            "an online geocoder needs a user agent naming this deployment and a contact "
            "(Nominatim's usage policy)"
        )
    try:
        cls = get_geocoder_for_service(name)
    except GeocoderNotFound:
        raise ValueError(f"unknown geopy geocoder {name!r}") from None
    return cls(user_agent=user_agent.strip(), timeout=timeout, **options)


def online_geocoder(
    setting: str | None,
    *,
    user_agent: str = "",
    cache: MutableMapping[str, GeocodeResult | None] | None = None,
    min_delay_seconds: float = 1.0,
) -> GeopyGeocoder | None:
    """The online geocoder named by the ``PMHC_GEOCODER`` setting, or ``None`` (offline).

    Empty, ``"off"``, ``"none"`` and ``"offline"`` mean offline. Anything else is a geopy
    service name; an unknown name or a missing user agent raises ``ValueError`` at start-up.
    """
    name = (setting or "").strip().lower()
    if name in ("", "off", "none", "offline", "false", "0"):
        return None
    return GeopyGeocoder(
        name, user_agent=user_agent, min_delay_seconds=min_delay_seconds, cache=cache
    )


class ChainGeocoder:
    """Asks geocoders in order of confidence; the first answer wins.

    1. typed coordinates ("35.08, -106.65"), always first;
    2. the exact stage of every geocoder, in the order given (``geocode_exact`` when it has
       one, else ``geocode``): pass :class:`ZipCentroids` first, then the gazetteers, then any
       online geocoder, so ZIPs and exact local names never leave the machine;
    3. the guessing stage (``geocode_fuzzy``) of every geocoder that has one, in the order
       given: an address's trailing ZIP, then place-name typos.

    A geocoder that raises is logged (exception type only) and skipped, unless the exception
    is one of ``propagate`` (the app's own database being down is not a geocoder's failure).
    """

    def __init__(
        self, *geocoders: Geocoder, propagate: tuple[type[BaseException], ...] = ()
    ) -> None:
        self.geocoders = geocoders
        self.propagate = propagate
        self._coordinates = CoordinateGeocoder()

    def geocode(self, text: str) -> GeocodeResult | None:
        query = _clean_query(text)
        if query is None:
            return None
        result = self._coordinates.geocode(query)
        if result is not None:
            return result
        for geocoder in self.geocoders:
            exact = getattr(geocoder, "geocode_exact", None) or geocoder.geocode
            result = _ask(geocoder, exact, query, self.propagate)
            if result is not None:
                return result
        for geocoder in self.geocoders:
            fuzzy = getattr(geocoder, "geocode_fuzzy", None)
            if fuzzy is not None:
                result = _ask(geocoder, fuzzy, query, self.propagate)
                if result is not None:
                    return result
        return None


def _ask(
    geocoder: object, method: Any, query: str, propagate: tuple[type[BaseException], ...] = ()
) -> GeocodeResult | None:
    try:
        result = method(query)
    except propagate:
        raise
    except Exception as exc:
        logger.warning("geocoder %s failed (%s)", type(geocoder).__name__, type(exc).__name__)
        return None
    return result if isinstance(result, GeocodeResult) else None
