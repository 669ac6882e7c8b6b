"""A deterministic synthetic state for benchmarks: N services and M analysis areas.

Same inputs, same output (byte for byte): every random choice comes from ``random.Random``
seeded with a fixed string and the sizes, every id is ``uuid5(NAMESPACE, "<readable key>")``,
and "today" is :data:`REFERENCE`, never the clock. The mixes of service types, opening hours,
eligibility, languages, payments, statuses, capacity reports and service areas are modelled on
the demo county (``seed/generate.py``), scaled to a state of about 560 x 560 km centred on
:data:`CENTRE_LAT`, :data:`CENTRE_LON`.

* :func:`areas_collection` gives M areas as a GeoJSON FeatureCollection (grid cells with a
  population and a population-weighted centre), the shape ``import_areas_geojson`` reads;
* :func:`services` gives N services in compiled HSDS 3.1 form, the shape ``import_services``
  reads; they cluster around towns in proportion to population, like real directories;
* :func:`load_state` writes both into a database through the app's own import services.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

NAMESPACE = uuid.UUID("5d0f8f1e-1f43-4f5b-9d5f-1c2b8a3e7b10")
SEED = "pmhc-benchmark-state-v1"
REFERENCE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CENTRE_LAT = 34.5
CENTRE_LON = -106.0
STATE_KM = 560.0
KM_PER_DEG_LAT = 110.95
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(CENTRE_LAT))
TAXONOMY_JSON = Path(__file__).resolve().parents[1] / "pmhc_directory" / "data" / "taxonomy.json"

# Relative frequency of each primary service type (about what a state 211 directory holds).
TYPE_WEIGHTS: dict[str, float] = {
    "outpatient-mental-health": 14,
    "outpatient-substance-use": 9,
    "case-management": 8,
    "peer-support": 6,
    "recovery-support": 5,
    "psychiatric-medication": 5,
    "supportive-housing": 5,
    "transitional-housing": 4,
    "recovery-housing": 4,
    "emergency-shelter": 4,
    "opioid-treatment": 3,
    "mobile-crisis": 2.5,
    "information-referral": 2,
    "reentry-services": 2,
    "assertive-community-treatment": 1.5,
    "crisis-receiving": 1.5,
    "crisis-stabilization": 1.5,
    "withdrawal-management": 1.5,
    "co-responder": 1.5,
    "psychiatric-emergency": 1.2,
    "crisis-respite": 1,
    "inpatient-psychiatric": 1,
    "community-responder": 1,
    "crisis-line": 1,
    "warmline": 1,
    "pre-arrest-diversion": 1,
    "pretrial-diversion": 1,
    "treatment-court": 1,
    "specialized-probation": 1,
    "sobering-center": 0.8,
}
SYLLABLES = [
    "al",
    "ba",
    "ce",
    "da",
    "el",
    "fa",
    "ga",
    "ha",
    "in",
    "ja",
    "ka",
    "lo",
    "ma",
    "ne",
    "or",
    "pa",
    "qui",
    "ro",
    "sa",
    "ta",
    "ul",
    "ve",
    "wa",
    "xe",
    "yo",
    "za",
    "bel",
    "cor",
    "dun",
    "fen",
    "gil",
    "har",
    "jun",
    "kes",
    "lar",
    "mon",
    "nor",
    "pel",
    "ros",
    "sil",
    "tor",
    "val",
    "wil",
]
QUALIFIERS = (
    "Northside",
    "Southside",
    "Eastside",
    "Westside",
    "Valley",
    "Mesa",
    "Riverside",
    "Hope",
    "Harbor",
    "Sunrise",
    "Bridge",
    "Pathways",
    "Summit",
    "Cedar",
    "Juniper",
    "Piñon",
    "Canyon",
    "Community",
    "Family",
    "Horizon",
)
ORG_KINDS = ("Behavioral Health", "Counseling Center", "Recovery Network", "Health Services")
STREETS = ("Main St", "Central Ave", "Mesa Rd", "Oak St", "Rio Grande Blvd", "2nd St", "Elm Ave")
LANGUAGES = {"en": "English", "es": "Spanish", "vi": "Vietnamese", "nv": "Navajo", "zh": "Chinese"}
WEEKDAYS = "MO,TU,WE,TH,FR"
ALL_DAYS = "MO,TU,WE,TH,FR,SA,SU"


def uid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def km_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """Kilometres east/north of the centre -> (lon, lat), rounded to 5 decimals (~1 m)."""
    return (
        round(CENTRE_LON + x / KM_PER_DEG_LON, 5),
        round(CENTRE_LAT + y / KM_PER_DEG_LAT, 5),
    )


# --------------------------------------------------------------------------- areas


@dataclass(frozen=True)
class Town:
    name: str
    x: float
    y: float
    weight: float  # share of the state's population (relative)


def towns(count: int, seed: str = SEED) -> list[Town]:
    """Population centres: a few cities and many small towns (Zipf-like weights)."""
    rng = random.Random(f"{seed}:towns:{count}")
    half = STATE_KM / 2 * 0.9
    result = []
    for rank in range(count):
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).title()
        result.append(
            Town(
                name=f"{name} {rank}" if rank >= 50 else name,
                x=rng.uniform(-half, half),
                y=rng.uniform(-half, half),
                weight=1.0 / (rank + 1),
            )
        )
    return result


def _grid(areas: int) -> tuple[int, int, float, float]:
    cols = max(1, math.ceil(math.sqrt(areas)))
    rows = max(1, math.ceil(areas / cols))
    return cols, rows, STATE_KM / cols, STATE_KM / rows


def areas_collection(areas: int, seed: str = SEED) -> dict[str, Any]:
    """M grid-cell areas covering the state; populations follow the towns (GeoJSON)."""
    rng = random.Random(f"{seed}:areas:{areas}")
    places = towns(max(5, areas // 40), seed)
    cols, rows, width, height = _grid(areas)
    features = []
    for index in range(areas):
        row, col = divmod(index, cols)
        x0 = -STATE_KM / 2 + col * width
        y0 = -STATE_KM / 2 + row * height
        cx, cy = x0 + width / 2, y0 + height / 2
        density = sum(t.weight * math.exp(-math.hypot(cx - t.x, cy - t.y) / 25.0) for t in places)
        population = int(200 + 60_000 * density * rng.uniform(0.6, 1.4))
        ring = [
            km_to_lonlat(x0, y0),
            km_to_lonlat(x0 + width, y0),
            km_to_lonlat(x0 + width, y0 + height),
            km_to_lonlat(x0, y0 + height),
        ]
        ring.append(ring[0])
        centre_lon, centre_lat = km_to_lonlat(
            cx + rng.uniform(-0.3, 0.3) * width, cy + rng.uniform(-0.3, 0.3) * height
        )
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
                "properties": {
                    "area_id": f"99{index:09d}",
                    "name": f"Area {index + 1}",
                    "population": population,
                    "centre_lat": centre_lat,
                    "centre_lon": centre_lon,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


# --------------------------------------------------------------------------- services


class _Terms:
    def __init__(self) -> None:
        data = json.loads(TAXONOMY_JSON.read_text(encoding="utf-8"))
        self.taxonomy_ids = {t["key"]: t["id"] for t in data["taxonomies"]}
        self.terms = {(t["taxonomy"], t["code"]): t for t in data["terms"]}
        self.continuum = {
            t["code"]: t.get("continuum") for t in data["terms"] if t["taxonomy"] == "service-type"
        }

    def attribute(self, sid: str, taxonomy: str, code: str, link_type: str) -> dict[str, Any]:
        term = self.terms[(taxonomy, code)]
        return {
            "id": uid("attribute", sid, link_type, code),
            "link_id": sid,
            "link_entity": "service",
            "link_type": link_type,
            "taxonomy_term_id": term["id"],
            "taxonomy_term": {
                "id": term["id"],
                "code": term["code"],
                "name": term["name"],
                "description": term["description"],
                "taxonomy": taxonomy,
                "taxonomy_id": self.taxonomy_ids[taxonomy],
            },
        }


def _weekly(owner: str, owner_id: str, key: str, byday: str, opens: str, closes: str) -> dict:
    return {
        "id": uid("schedule", key, byday, opens),
        owner: owner_id,
        "freq": "WEEKLY",
        "byday": byday,
        "opens_at": opens,
        "closes_at": closes,
        "description": f"{byday} {opens}-{closes}",
    }


def _hours(rng: random.Random, continuum: str, service_type: str) -> str:
    """An hours profile: 24/7, office, split, extended, evening (past midnight) or unknown."""
    roll = rng.random()
    if continuum in ("contact", "place"):
        return "24/7" if roll < 0.7 else ("extended" if roll < 0.9 else "unknown")
    if continuum == "respond":
        return "24/7" if roll < 0.6 else ("office" if roll < 0.95 else "unknown")
    if service_type == "emergency-shelter":
        return "24/7" if roll < 0.5 else "evening"
    if roll < 0.6:
        return "office"
    if roll < 0.75:
        return "split"
    if roll < 0.87:
        return "extended"
    if roll < 0.95:
        return "evening"
    return "unknown"


def _schedules(profile: str, owner: str, owner_id: str, key: str) -> list[dict[str, Any]]:
    if profile == "24/7":
        return [_weekly(owner, owner_id, key, ALL_DAYS, "00:00", "23:59")]
    if profile == "office":
        return [_weekly(owner, owner_id, key, WEEKDAYS, "08:00", "17:00")]
    if profile == "split":
        return [
            _weekly(owner, owner_id, key, "MO,TU,WE,TH", "09:00", "12:00"),
            _weekly(owner, owner_id, key, "MO,TU,WE,TH", "13:00", "17:00"),
        ]
    if profile == "extended":
        return [
            _weekly(owner, owner_id, key, WEEKDAYS, "07:00", "22:00"),
            _weekly(owner, owner_id, key, "SA,SU", "10:00", "18:00"),
        ]
    if profile == "evening":
        return [_weekly(owner, owner_id, key, ALL_DAYS, "18:00", "08:00")]
    return []


def _organization(index: int, town: Town) -> dict[str, Any]:
    qualifier = QUALIFIERS[index % len(QUALIFIERS)]
    kind = ORG_KINDS[(index // len(QUALIFIERS)) % len(ORG_KINDS)]
    return {
        "id": uid("organization", str(index)),
        "name": f"{town.name} {qualifier} {kind}",
        "description": f"Nonprofit provider serving {town.name} and nearby communities.",
        "email": f"info@org{index}.example.org",
        "website": f"https://org{index}.example.org/",
    }


def _location(key: str, rng: random.Random, town: Town, spread_km: float) -> dict[str, Any]:
    lon, lat = km_to_lonlat(
        max(-STATE_KM / 2, min(STATE_KM / 2, town.x + rng.gauss(0, spread_km))),
        max(-STATE_KM / 2, min(STATE_KM / 2, town.y + rng.gauss(0, spread_km))),
    )
    loc_id = uid("location", key)
    return {
        "id": loc_id,
        "location_type": "physical",
        "name": f"{town.name} {rng.choice(('Center', 'Clinic', 'Office', 'Campus', 'House'))}",
        "latitude": lat,
        "longitude": lon,
        "addresses": [
            {
                "id": uid("address", key),
                "location_id": loc_id,
                "address_1": f"{rng.randrange(100, 9900)} {rng.choice(STREETS)}",
                "city": town.name,
                "state_province": "NM",
                "postal_code": f"87{rng.randrange(0, 1000):03d}",
                "country": "US",
                "address_type": "physical",
            }
        ],
    }


def _square(key: str, sid: str, lon: float, lat: float, half_km: float) -> dict[str, Any]:
    dlon, dlat = half_km / KM_PER_DEG_LON, half_km / KM_PER_DEG_LAT
    ring = [
        [round(lon - dlon, 5), round(lat - dlat, 5)],
        [round(lon + dlon, 5), round(lat - dlat, 5)],
        [round(lon + dlon, 5), round(lat + dlat, 5)],
        [round(lon - dlon, 5), round(lat + dlat, 5)],
    ]
    ring.append(ring[0])
    return {
        "id": uid("service_area", key),
        "service_id": sid,
        "name": f"Within about {half_km:.0f} km",
        "extent": json.dumps({"type": "Polygon", "coordinates": [ring]}, separators=(",", ":")),
        "extent_type": "geojson",
    }


def _attributes(rng: random.Random, service_type: str, continuum: str, profile: str) -> list[str]:
    found = []
    if profile == "24/7":
        found.append("open-24-7")
    chance = {
        "accepts-law-enforcement-dropoff": 0.9 if service_type == "crisis-receiving" else 0.4,
        "law-enforcement-no-refusal": 0.3 if service_type == "crisis-receiving" else 0.02,
        "walk-in": 0.5,
        "no-medical-clearance": 0.5 if continuum == "place" else 0.05,
        "accepts-involuntary": 0.8 if service_type in ("psychiatric-emergency",) else 0.1,
        "voluntary-only": 0.8 if service_type == "crisis-respite" else 0.1,
        "accepts-intoxicated": 1.0 if service_type == "sobering-center" else 0.3,
        "co-occurring": 0.3,
        "telehealth": 0.2,
    }
    if continuum in ("contact", "respond"):
        chance = {"co-occurring": 0.3, "telehealth": 0.3}
    for code, probability in chance.items():
        if rng.random() < probability:
            found.append(code)
    return found


def _eligibility(rng: random.Random) -> tuple[tuple[int | None, int | None], list[str], list[str]]:
    ages: tuple[int | None, int | None] = (None, None)
    roll = rng.random()
    if roll < 0.05:
        ages = (None, 17)
    elif roll < 0.12:
        ages = (18, None)
    elif roll < 0.15:
        ages = (16, 25)
    elif roll < 0.17:
        ages = (60, None)
    only: list[str] = []
    roll = rng.random()
    if roll < 0.03:
        only = ["veterans"]
    elif roll < 0.05:
        only = [rng.choice(("women", "men"))]
    elif roll < 0.06:
        only = ["tribal-members"]
    audience = [
        code
        for code in ("veterans", "youth", "lgbtq", "people-experiencing-homelessness")
        if rng.random() < 0.04
    ]
    return ages, only, audience


def _capacity(rng: random.Random, sid: str, key: str) -> dict[str, Any]:
    unit = rng.choice(("bed", "chair"))
    maximum = rng.randint(4, 40)
    updated = REFERENCE - timedelta(minutes=rng.randint(10, 48 * 60))
    unit_obj = {"id": uid("unit", unit), "name": unit, "scheme": "PMHC", "identifier": unit}
    return {
        "id": uid("capacity", key),
        "service_id": sid,
        "unit_id": unit_obj["id"],
        "unit": unit_obj,
        "available": rng.randint(0, maximum // 2),
        "maximum": maximum,
        "description": f"{unit.capitalize()}s available now",
        "updated": updated.isoformat(timespec="seconds"),
    }


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def services(count: int, areas: int = 5000, seed: str = SEED) -> Iterator[dict[str, Any]]:
    """``count`` compiled HSDS 3.1 services (generated one at a time)."""
    terms = _Terms()
    places = towns(max(5, areas // 40), seed)
    town_weights = [t.weight for t in places]
    payments = [c for (tax, c) in terms.terms if tax == "payment"]
    for index in range(count):
        key = f"{seed}:{count}:{index}"
        rng = random.Random(key)
        sid = uid("service", key)
        town = rng.choices(places, weights=town_weights)[0]
        org_index = index // 4
        org = _organization(org_index, places[org_index % len(places)])
        primary = _pick(rng, TYPE_WEIGHTS)
        types = [primary]
        if rng.random() < 0.2:
            second = _pick(rng, TYPE_WEIGHTS)
            if second != primary:
                types.append(second)
        continuum = terms.continuum[primary] or "treatment"
        profile = _hours(rng, continuum, primary)
        type_name = terms.terms[("service-type", primary)]["name"]
        status = "active"
        roll = rng.random()
        if roll < 0.025:
            status = "temporarily closed"
        elif roll < 0.035:
            status = "inactive"
        service: dict[str, Any] = {
            "id": sid,
            "organization_id": org["id"],
            "organization": org,
            "name": f"{rng.choice(QUALIFIERS)} {type_name} of {town.name}",
            "description": (
                f"{type_name} for people in {town.name} County. "
                f"{rng.choice(('Counselors', 'Peer specialists', 'Nurses', 'Clinicians'))} "
                f"{rng.choice(('offer assessment', 'provide support', 'help with recovery'))} "
                f"{rng.choice(('and referrals.', 'in English and Spanish.', 'for families.'))}"
            ),
            "status": status,
            "assured_date": (REFERENCE.date() - timedelta(days=rng.randint(2, 400))).isoformat(),
            "last_modified": REFERENCE.isoformat().replace("+00:00", "Z"),
            "phones": [
                {
                    "id": uid("phone", key),
                    "service_id": sid,
                    "number": f"505-555-{index % 10000:04d}",
                    "type": "voice",
                    "description": "Main line",
                }
            ],
        }
        ages, only, audience = _eligibility(rng)
        if ages[0] is not None:
            service["minimum_age"] = ages[0]
        if ages[1] is not None:
            service["maximum_age"] = ages[1]
        if rng.random() < 0.3:
            service["interpretation_services"] = "Telephone interpreters on request."
        langs = ["en"] + [
            c for c, p in (("es", 0.35), ("vi", 0.03), ("nv", 0.04)) if rng.random() < p
        ]
        service["languages"] = [
            {"id": uid("language", key, c), "service_id": sid, "name": LANGUAGES[c], "code": c}
            for c in langs
        ]
        service["schedules"] = _schedules(profile, "service_id", sid, f"service:{key}")
        if continuum == "contact":
            if rng.random() < 0.5:
                lon, lat = km_to_lonlat(town.x, town.y)
                service["service_areas"] = [_square(key, sid, lon, lat, rng.uniform(60, 200))]
        else:
            count_sites = 2 if rng.random() < 0.15 else 1
            sals = []
            spread = 4.0 + 20.0 * math.sqrt(town.weight)  # big cities sprawl
            for site in range(count_sites):
                location = _location(f"{key}:{site}", rng, town, spread)
                sals.append(
                    {
                        "id": uid("service_at_location", key, str(site)),
                        "service_id": sid,
                        "location_id": location["id"],
                        "location": location,
                    }
                )
            service["service_at_locations"] = sals
            if continuum == "respond" and rng.random() < 0.7:
                location = sals[0]["location"]
                service["service_areas"] = [
                    _square(
                        key, sid, location["longitude"], location["latitude"], rng.uniform(20, 60)
                    )
                ]
        if continuum == "place" and status == "active" and rng.random() < 0.6:
            service["capacities"] = [_capacity(rng, sid, key)]
        diversion = _attributes(rng, primary, continuum, profile)
        pays = rng.sample(payments, rng.randint(0, 4))
        links = (
            ("service-type", "service_type", types),
            ("attribute", "diversion", diversion),
            ("payment", "payment", pays),
            ("population", "eligibility", only),
            ("population", "audience", audience),
        )
        service["attributes"] = [
            terms.attribute(sid, tax, code, link) for tax, link, codes in links for code in codes
        ]
        yield service


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class MatchQuery:
    """One officer question (lookup parameters as strings, the API's query string)."""

    params: dict[str, str]


NEED_MIX = {
    "crisis-now": 5,
    "suicide-risk": 2,
    "intoxicated": 2,
    "withdrawal": 1,
    "mental-health-care": 2,
    "substance-use-care": 1,
    "housing": 2,
    "someone-to-talk-to": 1,
    "diversion": 1,
    "reentry": 1,
    "peer-support": 1,
}


def match_queries(count: int, areas: int, at_base: datetime, seed: str = SEED) -> list[MatchQuery]:
    """``count`` varied lookups near where people live, at every hour of one week."""
    rng = random.Random(f"{seed}:queries:{count}:{areas}")
    places = towns(max(5, areas // 40), seed)
    weights = [t.weight for t in places]
    queries = []
    for _ in range(count):
        town = rng.choices(places, weights=weights)[0]
        lon, lat = km_to_lonlat(town.x + rng.gauss(0, 8), town.y + rng.gauss(0, 8))
        needs = [_pick(rng, NEED_MIX)]
        if rng.random() < 0.2:
            needs.append(_pick(rng, NEED_MIX))
        at = at_base + timedelta(minutes=rng.randrange(0, 7 * 24 * 60, 7))
        params = {
            "lat": f"{lat:.5f}",
            "lon": f"{lon:.5f}",
            "needs": ",".join(dict.fromkeys(needs)),
            "at": at.isoformat(),
        }
        if rng.random() < 0.5:
            params["transport"] = "true"
        if rng.random() < 0.3:
            params["age"] = str(rng.randint(12, 80))
        if rng.random() < 0.15:
            params["language"] = "es"
        if rng.random() < 0.2:
            params["payment"] = rng.choice(("medicaid", "uninsured", "private-insurance"))
        if rng.random() < 0.15:
            params["intoxicated"] = "true"
        if rng.random() < 0.05:
            params["involuntary"] = "true"
        if rng.random() < 0.05:
            params["population"] = "veterans"
        queries.append(MatchQuery(params))
    return queries


SEARCH_WORDS = (
    "crisis",
    "sobering",
    "mobile crisis team",
    "shelter",
    "peer support",
    "opioid treatment",
    "housing",
    "counselors spanish",
    "recovery",
    "withdrawl",  # a typo: fuzzy matching
    "psychiatric emergency",
    "case management",
)


def search_queries(count: int, areas: int, seed: str = SEED) -> list[str]:
    """``count`` search phrases: service words, town names and typos."""
    rng = random.Random(f"{seed}:search:{count}:{areas}")
    places = towns(max(5, areas // 40), seed)
    result = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.5:
            result.append(rng.choice(SEARCH_WORDS))
        elif roll < 0.8:
            result.append(f"{rng.choice(SEARCH_WORDS)} {rng.choice(places[:50]).name}")
        else:
            result.append(rng.choice(places[:50]).name.lower())
    return result


# --------------------------------------------------------------------------- loading


Progress = Callable[[str], None]


def write_areas(path: Path, areas: int, seed: str = SEED) -> Path:
    path.write_text(json.dumps(areas_collection(areas, seed)), encoding="utf-8")
    return path


def load_state(
    session: Any,
    folder: Path,
    *,
    services_count: int,
    areas: int,
    seed: str = SEED,
    batch: int = 5000,
    say: Progress | None = None,
) -> dict[str, float]:
    """Import the state through ``import_services`` and ``import_areas_geojson``; commits.

    Returns timings: ``import_seconds`` (services) and ``areas_seconds``.
    """
    import time

    from pmhc_directory.services.geography import import_areas_geojson
    from pmhc_directory.services.imports import import_services

    say = say or (lambda _text: None)
    started = time.perf_counter()
    generated = list(services(services_count, areas, seed))
    generate_seconds = time.perf_counter() - started
    say(f"generated {len(generated)} services in {generate_seconds:.1f} s")
    started = time.perf_counter()
    for start in range(0, len(generated), batch):
        chunk = generated[start : start + batch]
        import_services(session, chunk, source="benchmark")
        session.commit()
        say(f"imported {start + len(chunk)} / {len(generated)} services")
    import_seconds = time.perf_counter() - started
    path = write_areas(Path(folder) / "areas.geojson", areas, seed)
    started = time.perf_counter()
    import_areas_geojson(
        session,
        path,
        id_field="area_id",
        population_field="population",
        centre_lat_field="centre_lat",
        centre_lon_field="centre_lon",
    )
    session.commit()
    areas_seconds = time.perf_counter() - started
    say(f"imported {areas} areas in {areas_seconds:.1f} s")
    return {
        "generate_seconds": generate_seconds,
        "import_seconds": import_seconds,
        "areas_seconds": areas_seconds,
    }
