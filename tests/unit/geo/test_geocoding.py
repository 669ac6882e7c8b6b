"""Geocoders: ZIP centroids, the static gazetteer, the chain and the geopy wrapper (no network)."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from geographiclib.geodesic import Geodesic
from geopy.exc import GeocoderServiceError, GeocoderTimedOut

from pmhc_directory.geo.geocoding import (
    FUZZY_CUTOFF,
    ChainGeocoder,
    CoordinateGeocoder,
    GeocodeResult,
    GeopyGeocoder,
    StaticGazetteer,
    TwoStageGeocoder,
    ZipCentroids,
    online_geocoder,
)


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2)["s12"] / 1000.0


PLACES = [
    ("Tijeras", 35.0887, -106.3867),
    ("Albuquerque Sunport", 35.0402, -106.6091),
    ("Presbyterian Hospital", 35.0809, -106.6320),
    ("Española", 35.9911, -106.0806),
    ("Santa Fe", 35.6870, -105.9378),
    ("Bosque Farms", 34.8548, -106.7053),
    ("Bosque Farmz", 10.0, 10.0),  # deliberately near-identical to make a typo ambiguous
    ("tijeras", 0.0, 0.0),  # duplicate key: the first entry wins
    ("", 1.0, 1.0),  # blank name: skipped
    ("Nowhere", 95.0, 0.0),  # impossible position: skipped
]
ADDRESSES = [
    ("400 Central Avenue Southeast", 35.0838, -106.6456),
    ("5901 Zuni Road SE, Suite 100", 35.0667, -106.5594),
]


@pytest.fixture(scope="module")
def gazetteer() -> StaticGazetteer:
    return StaticGazetteer(PLACES, ADDRESSES)


# --- GeocodeResult -----------------------------------------------------------------------


def test_geocode_result_rejects_impossible_positions():
    with pytest.raises(ValueError):
        GeocodeResult(91.0, 0.0, "place", "x")
    with pytest.raises(ValueError):
        GeocodeResult(0.0, float("nan"), "place", "x")


# --- CoordinateGeocoder ------------------------------------------------------------------


def test_coordinates_are_located_as_typed():
    result = CoordinateGeocoder().geocode("35.08, -106.65")
    assert result == GeocodeResult(35.08, -106.65, "coordinates", "35.08000, -106.65000")
    assert CoordinateGeocoder().geocode("-106.65, 35.08") is None


# --- ZipCentroids ------------------------------------------------------------------------


def test_real_zip_is_located_in_albuquerque():
    result = ZipCentroids().geocode("87102")
    assert result is not None
    assert result.source == "zip"
    assert "87102" in result.label and "Albuquerque" in result.label and "NM" in result.label
    assert km_between(result.lat, result.lon, 35.08, -106.65) < 5


def test_zip_plus_four_is_located_at_the_five_digit_zip():
    plain, plus_four = ZipCentroids().geocode("87102"), ZipCentroids().geocode("87102-3456")
    assert plain is not None and plain == plus_four


@pytest.mark.parametrize("text", ["00000", "99999", "", "   ", "8710", "hello", None])
def test_unknown_or_malformed_zip_is_none(text):
    assert ZipCentroids().geocode(text) is None


def test_zip_without_a_position_is_none():
    # APO AE 09001 is a military ZIP: the data has 0, 0 for it, which is not a place.
    assert ZipCentroids().lookup("09001") is None


def test_address_ending_with_a_zip_falls_back_to_the_centroid():
    zips = ZipCentroids()
    text = "123 Unlisted Way, Albuquerque, NM 87102"
    assert zips.geocode_exact(text) is None
    assert zips.geocode_fuzzy(text) == zips.lookup("87102")


def test_zip_centroids_is_two_stage():
    assert isinstance(ZipCentroids(), TwoStageGeocoder)


# --- StaticGazetteer ---------------------------------------------------------------------


def test_gazetteer_skips_blank_and_impossible_entries(gazetteer):
    # 10 places - 1 duplicate - 1 blank - 1 impossible = 7, plus 2 addresses.
    assert len(gazetteer) == 9


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("Tijeras", "Tijeras"),
        ("  TIJERAS  ", "Tijeras"),
        ("presbyterian hospital.", "Presbyterian Hospital"),
        ("espanola", "Española"),
    ],
)
def test_gazetteer_exact_place(gazetteer, typed, label):
    result = gazetteer.geocode_exact(typed)
    assert result is not None and (result.label, result.source) == (label, "place")


def test_gazetteer_first_entry_wins_for_a_duplicate_key(gazetteer):
    result = gazetteer.geocode("tijeras")
    assert result is not None and (result.lat, result.lon) == (35.0887, -106.3867)


@pytest.mark.parametrize(
    "typed", ["400 Central Ave SE", "400 central ave. s.e.", "400 CENTRAL AVENUE SOUTHEAST"]
)
def test_gazetteer_exact_address(gazetteer, typed):
    result = gazetteer.geocode_exact(typed)
    assert result is not None
    assert (result.source, result.lat, result.lon) == ("address", 35.0838, -106.6456)
    assert result.label == "400 Central Avenue Southeast"


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("Tjeras", "Tijeras"),
        ("albuquerque sunprt", "Albuquerque Sunport"),
        ("Sante Fe", "Santa Fe"),
    ],
)
def test_gazetteer_fuzzy_place(gazetteer, typed, label):
    assert gazetteer.geocode_exact(typed) is None
    result = gazetteer.geocode_fuzzy(typed)
    assert result is not None and (result.label, result.source) == (label, "place")
    assert gazetteer.geocode(typed) == result


def test_gazetteer_prefers_exact_to_fuzzy():
    gazetteer = StaticGazetteer([("Belen", 34.66, -106.78), ("Belem", 1.0, 1.0)])
    result = gazetteer.geocode("Belem")
    assert result is not None and result.label == "Belem"


@pytest.mark.parametrize(
    "typed",
    [
        "Santa Ana",  # a different place, not a typo
        "Bosque Farm",  # equally close to two places: ambiguous
        "Zzyzx",
        "",
        None,
    ],
)
def test_gazetteer_returns_none_when_unsure(gazetteer, typed):
    assert gazetteer.geocode(typed) is None


def test_gazetteer_never_matches_addresses_fuzzily(gazetteer):
    # Never silently: a number not known on a known street gives the nearest known number on
    # that street, and the label says so (issue #14 item 9), so the officer sees which.
    found = gazetteer.geocode("401 Central Ave SE")
    assert found is not None and found.label.startswith("400 Central Avenue Southeast")
    assert found.label.endswith("(nearest known address on the street)")
    assert gazetteer.geocode("401 Centre Ave SE") is None  # the street itself is not guessed


def test_gazetteer_cutoff_is_documented_and_adjustable():
    assert FUZZY_CUTOFF == 0.8
    strict = StaticGazetteer([("Tijeras", 35.0887, -106.3867)], fuzzy_cutoff=0.99)
    assert strict.geocode("Tjeras") is None
    with pytest.raises(ValueError):
        StaticGazetteer([], fuzzy_cutoff=0)


# --- ChainGeocoder -----------------------------------------------------------------------


class Recorder:
    """A two-stage geocoder stub that records which stage was asked."""

    def __init__(self, name: str, log: list[str], exact=None, fuzzy=None) -> None:
        self.name, self.log, self.exact, self.fuzzy = name, log, exact, fuzzy

    def geocode(self, text: str) -> GeocodeResult | None:
        return self.geocode_exact(text) or self.geocode_fuzzy(text)

    def geocode_exact(self, text: str) -> GeocodeResult | None:
        self.log.append(f"{self.name}:exact")
        return self.exact

    def geocode_fuzzy(self, text: str) -> GeocodeResult | None:
        self.log.append(f"{self.name}:fuzzy")
        return self.fuzzy


class OneStage:
    def __init__(self, name: str, log: list[str], answer=None) -> None:
        self.name, self.log, self.answer = name, log, answer

    def geocode(self, text: str) -> GeocodeResult | None:
        self.log.append(f"{self.name}:geocode")
        return self.answer


def point(label: str) -> GeocodeResult:
    return GeocodeResult(1.0, 2.0, "place", label)


def test_chain_asks_every_exact_stage_before_any_guess():
    log: list[str] = []
    chain = ChainGeocoder(
        Recorder("zip", log),
        Recorder("gazetteer", log, fuzzy=point("fuzzy")),
        OneStage("online", log),
    )
    assert chain.geocode("somewhere") == point("fuzzy")
    assert log == ["zip:exact", "gazetteer:exact", "online:geocode", "zip:fuzzy", "gazetteer:fuzzy"]


def test_chain_stops_at_the_first_answer():
    log: list[str] = []
    chain = ChainGeocoder(
        Recorder("zip", log), OneStage("online", log, point("online")), Recorder("late", log)
    )
    assert chain.geocode("somewhere") == point("online")
    assert log == ["zip:exact", "online:geocode"]


def test_chain_reads_coordinates_before_asking_anyone():
    log: list[str] = []
    result = ChainGeocoder(OneStage("online", log, point("online"))).geocode("35.1, -106.6")
    assert result is not None and result.source == "coordinates"
    assert log == []


def test_chain_skips_a_geocoder_that_raises(caplog):
    class Broken:
        def geocode(self, text: str) -> GeocodeResult | None:
            raise RuntimeError(f"boom on {text}")

    caplog.set_level(logging.WARNING)
    log: list[str] = []
    chain = ChainGeocoder(Broken(), OneStage("next", log, point("next")))
    assert chain.geocode("1 Secret Lane") == point("next")
    assert "Broken" in caplog.text and "RuntimeError" in caplog.text
    assert "Secret" not in caplog.text


@pytest.mark.parametrize("text", ["", "   ", None, "x" * 301])
def test_chain_refuses_empty_or_huge_queries(text):
    log: list[str] = []
    assert ChainGeocoder(OneStage("online", log, point("online"))).geocode(text) is None
    assert log == []


def test_real_chain_order(gazetteer):
    chain = ChainGeocoder(ZipCentroids(), gazetteer)
    assert chain.geocode("35.08, -106.65").source == "coordinates"
    assert chain.geocode("87102").source == "zip"
    assert chain.geocode("Tijeras").label == "Tijeras"
    assert chain.geocode("5901 Zuni Rd Southeast Ste 100").source == "address"
    assert chain.geocode("Tjeras").label == "Tijeras"
    # Unknown address with a ZIP: the ZIP centroid beats a fuzzy place guess.
    located = chain.geocode("77 Unknown St, Albuquerque NM 87102")
    assert located is not None and located.source == "zip"
    assert chain.geocode("Atlantis") is None


# --- GeopyGeocoder -----------------------------------------------------------------------


class FakeBackend:
    """Stands in for a geopy geocoder object; never touches the network."""

    def __init__(self, answer=None, error: Exception | None = None) -> None:
        self.answer, self.error, self.calls = answer, error, []

    def geocode(self, query, exactly_one=True, **kwargs):
        self.calls.append((query, exactly_one, kwargs))
        if self.error is not None:
            raise self.error
        return self.answer


LOCATION = SimpleNamespace(latitude=35.0838, longitude=-106.6456, address="400 Central Ave SE")


def make(backend: FakeBackend, cache=None, **kwargs) -> GeopyGeocoder:
    return GeopyGeocoder(
        "nominatim", "pmhc-tests", min_delay_seconds=0.0, cache=cache, backend=backend, **kwargs
    )


def test_geopy_result_is_an_address():
    backend = FakeBackend(LOCATION)
    result = make(backend, geocode_kwargs={"country_codes": "us"}).geocode("400 Central SE")
    assert result == GeocodeResult(35.0838, -106.6456, "address", "400 Central Ave SE")
    assert backend.calls == [("400 Central SE", True, {"country_codes": "us"})]


def test_geopy_cache_hit_avoids_a_second_call():
    backend, cache = FakeBackend(LOCATION), {}
    geocoder = make(backend, cache)
    first = geocoder.geocode("400 Central Ave SE")
    second = geocoder.geocode("  400 central avenue southeast ")  # same normalised query
    assert first == second and len(backend.calls) == 1
    assert list(cache.values()) == [first]


def test_geopy_cache_keys_do_not_hold_the_query():
    cache: dict = {}
    make(FakeBackend(LOCATION), cache).geocode("400 Central Ave SE")
    (key,) = cache
    assert len(key) == 64 and "central" not in key.lower()


def test_geopy_not_found_is_cached_as_none():
    backend, cache = FakeBackend(None), {}
    geocoder = make(backend, cache)
    assert geocoder.geocode("nowhere at all") is None
    assert geocoder.geocode("nowhere at all") is None
    assert len(backend.calls) == 1 and list(cache.values()) == [None]


@pytest.mark.parametrize(
    "error",
    [
        GeocoderTimedOut("timed out for 12 Secret Lane"),
        GeocoderServiceError("HTTP 500 for 12 Secret Lane"),
        ConnectionError("12 Secret Lane"),
    ],
)
def test_geopy_failure_is_none_and_logged_without_the_query(caplog, error):
    caplog.set_level(logging.DEBUG)
    backend, cache = FakeBackend(error=error), {}
    geocoder = make(backend, cache)
    assert geocoder.geocode("12 Secret Lane") is None
    assert cache == {}  # errors are not cached: the next look-up tries again
    assert len(backend.calls) == 1  # no retries while an officer waits
    assert caplog.records, "the failure should be logged"
    assert type(error).__name__ in caplog.text
    for record in caplog.records:
        assert "secret" not in record.getMessage().lower()
        assert record.exc_info is None and record.exc_text is None


def test_geopy_invalid_answer_is_none():
    bad = SimpleNamespace(latitude=123.0, longitude=0.0, address="x")
    assert make(FakeBackend(bad)).geocode("somewhere") is None


@pytest.mark.parametrize("text", ["", "  ", "...", None, "x" * 301])
def test_geopy_bad_query_is_none_without_a_call(text):
    backend = FakeBackend(LOCATION)
    assert make(backend).geocode(text) is None
    assert backend.calls == []


def test_geopy_broken_cache_does_not_stop_the_lookup(caplog):
    class BrokenCache(dict):
        def __contains__(self, key):
            raise OSError("db down")

        def __setitem__(self, key, value):
            raise OSError("db down")

    result = make(FakeBackend(LOCATION), BrokenCache()).geocode("400 Central Ave SE")
    assert result is not None
    assert "OSError" in caplog.text


def test_geopy_rate_limiter_spaces_calls():
    backend = FakeBackend(LOCATION)
    geocoder = GeopyGeocoder("nominatim", "pmhc-tests", min_delay_seconds=1.0, backend=backend)
    limiter = geocoder._geocode  # geopy's RateLimiter, driven by a fake clock here
    now = [100.0]
    sleeps: list[float] = []

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    limiter._clock = lambda: now[0]
    limiter._sleep = fake_sleep
    geocoder.geocode("first place")
    now[0] += 0.25
    geocoder.geocode("second place")
    assert len(backend.calls) == 2
    assert sleeps == [pytest.approx(0.75)]


def test_geopy_chain_falls_back_when_online_fails(gazetteer):
    online = make(FakeBackend(error=GeocoderTimedOut("x")))
    chain = ChainGeocoder(ZipCentroids(), gazetteer, online)
    result = chain.geocode("Tjeras")
    assert result is not None and result.label == "Tijeras"


def test_geopy_configuration_errors_are_loud():
    with pytest.raises(ValueError, match="unknown geopy geocoder"):
        GeopyGeocoder("no-such-service", "pmhc-tests")
    with pytest.raises(ValueError, match="user agent"):
        GeopyGeocoder("nominatim", "  ")
    with pytest.raises(ValueError):
        GeopyGeocoder("nominatim", "pmhc-tests", min_delay_seconds=-1, backend=FakeBackend())


@pytest.mark.parametrize("setting", [None, "", "off", "None", " offline "])
def test_online_geocoder_setting_off(setting):
    assert online_geocoder(setting, user_agent="pmhc-tests") is None
