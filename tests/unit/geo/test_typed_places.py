"""Issue #14 item 9: places as officers type them, and never a silent fallback."""

from __future__ import annotations

import pytest

from pmhc_directory.geo.geocoding import ChainGeocoder, StaticGazetteer

PLACES = [
    ("Cedar Bluff", 35.10, -106.62),
    ("Cedar Bluff Police Headquarters", 35.0982, -106.6112),
    ("Cedar Bluff General Hospital", 35.1180, -106.6035),
    ("Juniper Valley University Hospital", 35.1045, -106.5926),
    ("Juniper County Detention Center", 34.9918, -106.7463),
]
ADDRESSES = [
    ("120 Depot St", 35.0900, -106.6150),
    ("3683 Depot St", 35.0920, -106.6100),
    ("3683 Depot St, Cedar Bluff", 35.0920, -106.6100),
    ("200 Main St", 35.0800, -106.6500),
    ("900 Main St", 35.0800, -106.6400),
    ("15 4th St", 35.0810, -106.6402),
    ("80 4th St", 35.0900, -106.6402),
]


@pytest.fixture
def gazetteer() -> StaticGazetteer:
    return StaticGazetteer(PLACES, ADDRESSES)


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("police headquarters", "Cedar Bluff Police Headquarters"),
        ("detention center", "Juniper County Detention Center"),
        ("jail", "Juniper County Detention Center"),
        ("CBPD", "Cedar Bluff Police Headquarters"),
        ("Cedar Bluff PD", "Cedar Bluff Police Headquarters"),
        ("cedar bluf police", "Cedar Bluff Police Headquarters"),
        ("Cedar Bluff", "Cedar Bluff"),
        ("Cedr Bluff", "Cedar Bluff"),
    ],
)
def test_partial_typo_and_kind_words_find_the_place(gazetteer, typed, label):
    found = ChainGeocoder(gazetteer).geocode(typed)
    assert found is not None and found.label == label


def test_a_name_with_extra_words_is_never_the_town(gazetteer):
    # "Cedar Bluff PD" once became the town centre; unexplained words refuse the guess.
    assert gazetteer.geocode_fuzzy("Cedar Bluff Animal Shelter") is None
    assert ChainGeocoder(gazetteer).geocode("Cedar Bluff Animal Shelter") is None


def test_a_kind_of_place_with_several_answers_offers_them(gazetteer):
    chain = ChainGeocoder(gazetteer)
    assert chain.geocode("hospital") is None  # two hospitals: the officer chooses
    assert chain.suggest("hospital") == [
        "Cedar Bluff General Hospital",
        "Juniper Valley University Hospital",
    ]
    for text in chain.suggest("hospital"):
        assert gazetteer.geocode_exact(text).label == text  # each choice finds its place


def test_a_street_without_a_number_is_the_middle_of_its_known_addresses(gazetteer):
    found = gazetteer.geocode_exact("Depot St")
    assert found is not None and found.label.startswith("Depot St (street")
    assert (found.lat, found.lon) == pytest.approx((35.091, -106.6125))
    assert "Depot St" in gazetteer.suggest("depot")


def test_an_unknown_number_on_a_known_street_says_which_address_was_used(gazetteer):
    found = ChainGeocoder(gazetteer).geocode("100 Depot St")
    assert found is not None
    assert found.label == "120 Depot St (nearest known address on the street)"
    assert ChainGeocoder(gazetteer).geocode("100 Nowhere Rd") is None


@pytest.mark.parametrize("typed", ["Main St & 4th", "main street and 4th st", "Main St / 4th St"])
def test_an_intersection_is_where_the_two_streets_come_closest(gazetteer, typed):
    found = gazetteer.geocode_exact(typed)
    assert found is not None and found.label.startswith("Main St & 4th St")
    assert (found.lat, found.lon) == pytest.approx((35.0805, -106.6401))


def test_nothing_like_it_offers_nothing(gazetteer):
    assert ChainGeocoder(gazetteer).geocode("Atlantis Heights Mall") is None
    assert ChainGeocoder(gazetteer).suggest("Atlantis Heights Mall") == []
