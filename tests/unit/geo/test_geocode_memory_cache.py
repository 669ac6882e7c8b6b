"""The online geocoder's answers: memory only, short-lived, keyed by a secret HMAC (#17 item 4)."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import pytest

from pmhc_directory.geo.addresses import normalize_address
from pmhc_directory.geo.geocoding import GeocodeResult, GeopyGeocoder, MemoryGeocodeCache

LOCATION = SimpleNamespace(latitude=35.0838, longitude=-106.6456, address="400 Central Ave SE")
ANSWER = GeocodeResult(35.0838, -106.6456, "address", "400 Central Ave SE")


class Backend:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def geocode(self, query, exactly_one=True, **_kwargs):
        self.calls.append(query)
        return LOCATION


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def geocoder(cache, backend) -> GeopyGeocoder:
    return GeopyGeocoder("nominatim", "tests", min_delay_seconds=0.0, cache=cache, backend=backend)


def test_an_answer_is_reused_within_its_life_and_asked_again_after():
    clock, backend = Clock(), Backend()
    cache = MemoryGeocodeCache(ttl_seconds=60, clock=clock)
    assert geocoder(cache, backend).geocode("400 Central SE") == ANSWER
    clock.now += 59
    assert geocoder(cache, backend).geocode("400 central se") == ANSWER
    assert len(backend.calls) == 1
    clock.now += 2
    assert len(cache) == 0
    assert geocoder(cache, backend).geocode("400 Central SE") == ANSWER
    assert len(backend.calls) == 2


def test_the_oldest_entries_go_when_the_cache_is_full():
    cache = MemoryGeocodeCache(ttl_seconds=60, max_entries=2, clock=Clock())
    for key in ("a", "b", "c"):
        cache[key] = None
    assert list(cache) == ["b", "c"]


def test_keys_are_a_secret_hmac_not_a_hash_anyone_can_recompute():
    cache = MemoryGeocodeCache()
    geocoder(cache, Backend()).geocode("400 Central SE")
    (key,) = cache
    guessed = hashlib.sha256(f"nominatim\n{normalize_address('400 Central SE')}".encode())
    assert key != guessed.hexdigest()
    assert "central" not in key.lower()
    # Another process (another cache, another secret) cannot find the entry either.
    assert geocoder(MemoryGeocodeCache(), Backend()).cache_key("400 Central SE") != key
    assert geocoder(cache, Backend()).cache_key("400 Central SE") == key


@pytest.mark.parametrize("settings", [{"ttl_seconds": -1}, {"max_entries": 0}])
def test_impossible_settings_are_refused(settings):
    with pytest.raises(ValueError):
        MemoryGeocodeCache(**settings)
