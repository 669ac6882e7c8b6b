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
import re
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
        self._place_words = {key: tuple(key.split()) for key in self._places}
        self._acronyms: dict[str, list[str]] = {}
        for key, words in self._place_words.items():
            for acronym in _acronyms(words):
                self._acronyms.setdefault(acronym, []).append(key)
        # Street -> the numbered address points on it (house number, point), for streets typed
        # without a number, unknown numbers and intersections.
        self._streets: dict[str, list[tuple[int, GeocodeResult]]] = {}
        for key, result in self._addresses.items():
            found = _NUMBERED.match(key)
            if found:
                self._streets.setdefault(found.group(2), []).append((int(found.group(1)), result))

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
        """A place name, an address, a street typed without a number (the middle of its known
        address points) or an intersection ("Main St & 4th": where the two come closest)."""
        query = _clean_query(text)
        if query is None:
            return None
        return (
            self._places.get(place_key(query))
            or self._addresses.get(normalize_address(query))
            or self._street(normalize_address(query))
            or self._intersection(query)
        )

    def geocode_fuzzy(self, text: str) -> GeocodeResult | None:
        """Partial names ("police headquarters", "Cedar Bluff PD", "CBPD"), then typos of a
        whole place name, then a number not known on a known street (the nearest known number
        on it, said in the label). Several equally good places: None (the caller offers
        :meth:`suggest`); never a place that leaves words of the query unexplained, so "Cedar
        Bluff PD" is never silently the town of Cedar Bluff."""
        query = _clean_query(text)
        key = place_key(query) if query else ""
        if not key:
            return None
        partial = self._partial(key)
        if len(partial) == 1:
            return self._places[partial[0]]
        if len(partial) > 1:
            return None  # ambiguous: "hospital" names several places
        if self._places:
            words = len(key.split())
            candidates = [
                c
                for c in difflib.get_close_matches(key, self._places, n=2, cutoff=self.fuzzy_cutoff)
                if len(c.split()) == words
            ]
            if len(candidates) == 2 and _ratio(key, candidates[0]) == _ratio(key, candidates[1]):
                return None  # ambiguous: two places fit the typo equally well
            if candidates:
                return self._places[candidates[0]]
        return self._nearest_number(normalize_address(query or ""))

    def suggest(self, text: str, limit: int = 6) -> list[str]:
        """ "Did you mean" choices for text that found nothing or several, as texts that
        :meth:`geocode_exact` finds: places that hold every word (or a typo, a prefix, an
        abbreviation of it), close spellings of place names, and streets whose name holds the
        words."""
        query = _clean_query(text)
        key = place_key(query) if query else ""
        if not key:
            return []
        keys = list(self._partial(key, loose=True))
        keys += difflib.get_close_matches(key, self._places, n=limit, cutoff=0.6)
        found = [self._places[k].label for k in dict.fromkeys(keys)]
        words = set(normalize_address(query or "").split()) - _STREET_NOISE
        if words:
            for street, points in sorted(self._streets.items()):
                if words <= set(street.split()) and "," not in points[0][1].label:
                    found.append(_street_name(points[0][1].label))
        return list(dict.fromkeys(found))[:limit]

    def _partial(self, key: str, *, loose: bool = False) -> list[str]:
        """Place keys that explain every word of ``key`` (or its acronym); with ``loose``,
        places that explain any of its significant words."""
        words = [w for w in key.split() if w not in _STOP_WORDS]
        if not words:
            return []
        if len(words) == 1 and words[0] in self._acronyms:
            return sorted(self._acronyms[words[0]])
        matched = []
        for place, place_words in self._place_words.items():
            hits = sum(_word_in(word, place_words, self.fuzzy_cutoff) for word in words)
            if hits == len(words) or (loose and hits and len(words) > 1):
                matched.append(place)
        return sorted(matched)

    def _street(self, street: str) -> GeocodeResult | None:
        """The middle of a street's known address points ("DEPOT ST")."""
        points = self._streets.get(street)
        if not points:
            return None
        lat = sum(p.lat for _, p in points) / len(points)
        lon = sum(p.lon for _, p in points) / len(points)
        name = _street_name(points[0][1].label)
        return _safe_result(lat, lon, "address", f"{name} (street: middle of known addresses)")

    def _nearest_number(self, address: str) -> GeocodeResult | None:
        found = _NUMBERED.match(address)
        if not found or found.group(2) not in self._streets:
            return None
        number = int(found.group(1))
        _, point = min(self._streets[found.group(2)], key=lambda pair: abs(pair[0] - number))
        return GeocodeResult(
            point.lat, point.lon, "address", f"{point.label} (nearest known address on the street)"
        )

    def _street_points(self, part: str) -> list[tuple[int, GeocodeResult]]:
        street = normalize_address(part)
        if street in self._streets:
            return self._streets[street]
        prefixed = [s for s in self._streets if s.startswith(street + " ")]
        return self._streets[prefixed[0]] if len(prefixed) == 1 else []

    def _intersection(self, query: str) -> GeocodeResult | None:
        parts = _CROSSING.split(query)
        if len(parts) != 2:
            return None
        first, second = (self._street_points(p.strip()) for p in parts)
        if not first or not second:
            return None
        a, b = min(
            ((p, q) for _, p in first for _, q in second),
            key=lambda pair: (pair[0].lat - pair[1].lat) ** 2 + (pair[0].lon - pair[1].lon) ** 2,
        )
        label = (
            f"{_street_name(a.label)} & {_street_name(b.label)} "
            "(where their known addresses come closest)"
        )
        return _safe_result((a.lat + b.lat) / 2, (a.lon + b.lon) / 2, "address", label)


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


#: A normalised address with a house number: (number, street).
_NUMBERED = re.compile(r"^(\d+)(?:-\d+)?\s+(.*[A-Z].*)$")
#: What joins two streets of an intersection: "&", "and", "at", "/", "@".
_CROSSING = re.compile(r"\s*(?:&|@|/|\band\b|\bat\b)\s*", re.IGNORECASE)
#: Query words that name no particular place.
_STOP_WORDS = frozenset({"the", "of", "a", "station", "in", "near"})
#: Street suffixes that alone do not pick a street.
_STREET_NOISE = frozenset({"ST", "AVE", "RD", "DR", "BLVD", "WAY", "LN", "CT", "PKWY", "TRL"})
#: Words an officer types for a kind of place, and the words of names they stand for.
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "pd": ("police",),
    "cops": ("police",),
    "sheriff": ("sheriff", "police"),
    "jail": ("detention", "jail"),
    "hq": ("headquarters",),
    "er": ("hospital", "emergency"),
    "ed": ("hospital", "emergency"),
    "hosp": ("hospital",),
    "univ": ("university",),
}


def _word_in(word: str, name_words: tuple[str, ...], cutoff: float = FUZZY_CUTOFF) -> bool:
    """A query word explained by a name: the same word, its start (3 letters or more), a kind
    word standing for it, or one typo in a word of 5 letters or more."""
    for meant in (word, *KIND_WORDS.get(word, ())):
        for name_word in name_words:
            if name_word == meant or (len(meant) >= 3 and name_word.startswith(meant)):
                return True
            if len(meant) >= 5 and _ratio(meant, name_word) >= cutoff:
                return True
    return False


def _acronyms(words: tuple[str, ...]) -> set[str]:
    """``cbph`` for "cedar bluff police headquarters", and ``cbpd`` (police department)."""
    found = set()
    if len(words) >= 2:
        found.add("".join(w[0] for w in words))
    if "police" in words:
        before = words[: words.index("police")]
        if before:
            found.add("".join(w[0] for w in before) + "pd")
    return found


def _street_name(label: str) -> str:
    """ "Depot St" from "3683 Depot St" (the label's own spelling)."""
    return re.sub(r"^\d+(?:-\d+)?\s+", "", label.split(",")[0]).strip()


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

    def suggest(self, text: str, limit: int = 6) -> list[str]:
        """ "Did you mean" texts from every geocoder that offers them (the local gazetteer)."""
        query = _clean_query(text)
        found: list[str] = []
        for geocoder in self.geocoders if query else ():
            offer = getattr(geocoder, "suggest", None)
            if offer is None:
                continue
            try:
                offered = offer(query)
            except self.propagate:
                raise
            except Exception as exc:
                logger.warning(
                    "geocoder %s failed (%s)", type(geocoder).__name__, type(exc).__name__
                )
                continue
            found.extend(t for t in offered if isinstance(t, str))
        return list(dict.fromkeys(found))[:limit]

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
