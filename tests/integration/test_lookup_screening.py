"""The screened lookup gives the answer the matcher gives on every candidate.

A synthetic state (benchmarks/synthetic.py: 2,500 services over 200 areas, the mix of a state
directory) is loaded once; for varied lookups the shortlist that screening hands the matcher
(``build_candidates``) is compared with a candidate for every relevant site
(``all_candidates``), both from the same candidate cache.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks import run as bench
from benchmarks import synthetic
from pmhc_directory.db import make_engine
from pmhc_directory.matching import match
from pmhc_directory.matching.rules import DYNAMIC_RULES
from pmhc_directory.models import Service
from pmhc_directory.schema import upgrade
from pmhc_directory.search import sync
from pmhc_directory.services import lookup
from pmhc_directory.services.reference_data import load_reference_data
from pmhc_directory.taxonomy import vocabulary
from tests.conftest import temporary_database

pytestmark = pytest.mark.slow

SERVICES, AREAS, QUERIES = 2500, 200, 160
RARE_TYPES = ("sobering-center", "crisis-receiving", "crisis-respite", "treatment-court")
ZONE = ZoneInfo(bench.TIMEZONE)


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    folder = tmp_path_factory.mktemp("screening")
    sync.install()  # edits record their changes, as in the app
    with temporary_database(folder) as url:
        engine = make_engine(url)
        upgrade(engine)
        with Session(engine) as session:
            load_reference_data(session)
            session.commit()
            synthetic.load_state(session, folder, services_count=SERVICES, areas=AREAS)
        session = Session(engine)
        try:
            yield session
        finally:
            session.close()
            engine.dispose()


def _varied(queries: list[synthetic.MatchQuery]) -> Iterator[dict[str, str]]:
    """The benchmark's lookups, some with other limits, travel caps, open-now and people."""
    rng = random.Random(20261126)  # noqa: S311 (test data, not secrets)
    for query in queries:
        params = dict(query.params)
        if rng.random() < 0.25:  # one rare type nearby: few sites, all of them listed
            params.pop("needs")
            params["types"] = rng.choice(RARE_TYPES)
            params["max_minutes"] = str(rng.choice((10, 20, 30)))
        if rng.random() < 0.3:
            params["limit"] = str(rng.choice((1, 3, 25, 50)))
        elif rng.random() < 0.2:
            params["max_minutes"] = str(rng.choice((5, 20, 90, 600)))
        if rng.random() < 0.15:
            params["open_now"] = rng.choice(("true", "false"))
        if rng.random() < 0.15:
            params["gender"] = rng.choice(("woman", "man"))
        yield params


def _key(candidate) -> tuple[str, str]:
    return candidate.key


def test_screened_answers_equal_the_full_match(state: Session) -> None:
    vocab = vocabulary()
    settings = lookup.LookupSettings(
        zone=ZONE,
        travel=lookup.TravelModel(circuity=1.3, speed_kmh=50.0),
        capacity_fresh_hours=12.0,
    )
    columns, capacity, capacities = lookup.candidate_cache(state).current(state, vocab)
    assert len(columns.entries) > SERVICES  # sites, lines and teams
    now = bench.BENCH_NOW
    seen = {"over": 0, "under": 0, "more": 0, "gaps": 0}
    codes: dict[str, int] = {}
    queries = synthetic.match_queries(QUERIES, AREAS, bench.AT_BASE)
    for params in _varied(queries):
        request = lookup.parse_lookup_params(params, zone=ZONE, now=now)
        lat, lon = request.lat, request.lon
        assert lat is not None and lon is not None  # every benchmark lookup gives a point
        query = lookup.query_of(request, now)
        shortlist = lookup.build_candidates(
            columns, capacity, capacities, request, lat, lon, settings, now, vocab
        )
        fast = match(query, shortlist.candidates, vocabulary=vocab)
        every = lookup.all_candidates(columns, capacities, request, lat, lon, settings, now, vocab)
        full = match(query, every, vocabulary=vocab)

        assert [(m.candidate, m.score, m.reasons) for m in fast.results] == [
            (m.candidate, m.score, m.reasons) for m in full.results
        ], params
        assert shortlist.eligible - len(fast.results) == full.more, params
        # A gap's notice names what blocked the places listed as left out (the nearest
        # EXCLUDED_LISTED): the same as the full match's while every one is listed.
        assert [(g.need, g.service_type, g.message) for g in fast.gaps] == [
            (g.need, g.service_type, g.message) for g in full.gaps
        ], params
        if shortlist.excluded <= lookup.EXCLUDED_LISTED:
            assert fast.gaps == full.gaps, params
        assert [_key(c) for c in fast.contact_lines] == [_key(c) for c in full.contact_lines]

        sites_excluded = {
            _key(e.candidate): e for e in full.excluded if not e.candidate.is_national
        }
        listed = [e for e in fast.excluded if not e.candidate.is_national]
        assert shortlist.excluded == len(sites_excluded), params
        assert shortlist.listed == len(listed)
        for item in listed:
            assert sites_excluded[_key(item.candidate)] == item, params
        for item in sites_excluded.values():
            for reason in item.reasons:
                codes[reason.code] = codes.get(reason.code, 0) + 1
        if shortlist.excluded <= lookup.EXCLUDED_LISTED:
            assert fast.excluded == full.excluded, params
            seen["under"] += 1
        else:
            assert len(listed) == lookup.EXCLUDED_LISTED
            # The nearest are listed: none left off is nearer than the farthest listed.
            farthest = max(
                (e.candidate.travel_minutes for e in listed if e.candidate.travel_minutes),
                default=0.0,
            )
            listed_keys = {_key(e.candidate) for e in listed}
            nearer_left_off = [
                key
                for key, e in sites_excluded.items()
                if key not in listed_keys
                and e.candidate.travel_minutes is not None
                and e.candidate.travel_minutes < farthest * 0.99
            ]
            assert nearer_left_off == [], params
            seen["over"] += 1
        seen["more"] += full.more > 0
        seen["gaps"] += bool(full.gaps)
    # The lookups reach every branch, and every rule on a per-lookup fact that screening runs
    # (``rules.DYNAMIC_RULES``, registered with its code as its name) excludes some sites.
    assert all(count > 5 for count in seen.values()), seen
    registered = {entry.rule.__name__.replace("_", "-") for entry in DYNAMIC_RULES}
    assert {code for code, count in codes.items() if count > 5} >= registered, codes


def _answer(columns, capacity, capacities, request, settings, now, vocab):
    shortlist = lookup.build_candidates(
        columns, capacity, capacities, request, request.lat, request.lon, settings, now, vocab
    )
    result = match(lookup.query_of(request, now), shortlist.candidates, vocabulary=vocab)
    return (
        [(m.candidate, m.score, m.reasons) for m in result.results],
        result.excluded,
        result.gaps,
        [c.key for c in result.contact_lines],
        (shortlist.eligible, shortlist.excluded, shortlist.listed),
    )


def test_edits_update_the_columns_as_a_fresh_build_would(state: Session) -> None:
    """Changed and deleted services are masked and their new entries appended; the answers
    equal those of columns built from scratch (runs last: it rolls its edits back)."""
    vocab = vocabulary()
    settings = lookup.LookupSettings(
        zone=ZONE, travel=lookup.TravelModel(circuity=1.3, speed_kmh=50.0)
    )
    cache = lookup.candidate_cache(state)
    before, _capacity, _capacities = cache.current(state, vocab)
    services = state.scalars(select(Service).order_by(Service.id).limit(400)).all()
    try:
        for service in services[:150]:
            service.status = "inactive" if service.status == "active" else "active"
        for service in services[150:300]:
            service.minimum_age = 21
        for service in services[300:]:
            state.delete(service)
        state.flush()
        columns, capacity, capacities = cache.current(state, vocab)
        assert columns is not before and columns.dead > 0  # updated, not rebuilt
        assert len(columns.entries) > len(before.entries)
        fresh = lookup.Columns.of(cache.entries)
        fresh_capacity = lookup.CapacityColumns.of(fresh, capacities)
        now = bench.BENCH_NOW
        changed = 0
        for params in _varied(synthetic.match_queries(60, AREAS, bench.AT_BASE)):
            request = lookup.parse_lookup_params(params, zone=ZONE, now=now)
            updated = _answer(columns, capacity, capacities, request, settings, now, vocab)
            rebuilt = _answer(fresh, fresh_capacity, capacities, request, settings, now, vocab)
            assert updated == rebuilt, params
            old = _answer(before, _capacity, _capacities, request, settings, now, vocab)
            changed += old != updated
        assert changed > 10  # the edits show in the answers
    finally:
        state.rollback()
        lookup._caches.clear()
