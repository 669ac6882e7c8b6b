"""The planning service's sparse, cached coverage equals the dense definition on random
inventories, and its cache follows every change of the inventory.

Dense reference: the supply units read through the ORM (``load_units``), the full travel-time
matrix (``minutes_matrix``), ``in_area_matrix``, ``reach_matrix`` and ``covered`` with each
unit's 168-hour bitmap from the hours engine, as the planning service computed before
coverage was made sparse.
"""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from pmhc_directory.gaps import coverage
from pmhc_directory.services import planning
from pmhc_directory.taxonomy import vocabulary
from tests.integration.test_planning_service import STEP, cell_centre, config, grid  # noqa: F401
from tests.scenario_builders import ROUND_THE_CLOCK, build_service, square

ZONE = ZoneInfo("America/Denver")
NOW = datetime(2026, 1, 13, 12, 0, tzinfo=ZONE)
TYPES = ["crisis-line", "mobile-crisis", "crisis-receiving", "crisis-stabilization"]
HOURS = [
    ROUND_THE_CLOCK,
    ({"byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "17:00"},),
    ({"byday": "MO,TU,WE,TH,FR,SA,SU", "opens_at": "22:00", "closes_at": "06:00"},),
    ({"byday": "SA,SU", "opens_at": "08:00", "closes_at": "20:00"},),
    None,  # hours unknown: never open
]


def _random_inventory(session, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 (test data)
    for n in range(rng.randint(3, 14)):
        types = tuple(rng.sample(TYPES, rng.randint(1, 2)))
        row, col = rng.randint(0, 2), rng.randint(0, 2)
        lat, lon = cell_centre(row, col)
        placed = rng.random() < 0.8
        area = None
        if rng.random() < 0.25:
            area = square(lat + rng.uniform(-0.05, 0.05), lon, STEP * rng.uniform(0.3, 1.2))
        build_service(
            session,
            f"Random {seed}-{n}",
            types=types,
            lat=lat + rng.uniform(-0.04, 0.04) if placed else None,
            lon=lon + rng.uniform(-0.04, 0.04) if placed else None,
            schedules=rng.choice(HOURS),
            service_area=area,
            status=rng.choice(["active", "active", "active", "inactive"]),
        )
    session.flush()


def _dense_week(session, config, types):  # noqa: F811
    vocab = vocabulary()
    areas = planning.load_areas(session)
    units = planning.load_units(session, vocab)
    cols = [(j, t) for j, u in enumerate(units) for t in u.types if t in types]
    col_units = [units[j] for j, _ in cols]
    minutes = planning.minutes_matrix(session, config, areas, col_units)
    in_area, has_area = planning.in_area_matrix(areas, col_units)
    thresholds = np.array(
        [planning.type_threshold(config, t, None, vocab) for _, t in cols], dtype=float
    )
    reach = coverage.reach_matrix(len(areas), minutes, thresholds, in_area, has_area)
    midpoints = planning.hour_midpoints(planning.week_start(NOW, ZONE), ZONE)
    week = np.array([planning._open_week(u, midpoints, ZONE) for u in col_units], dtype=bool)
    week = week.reshape(len(cols), 168)
    groups = np.array([types.index(t) for _, t in cols], dtype=np.int64)
    return areas, coverage.covered(reach, week, groups, len(types))


@pytest.mark.parametrize("seed", range(6))
def test_sparse_week_equals_the_dense_computation(session, grid, config, seed):  # noqa: F811
    config = {**config, "TIMEZONE": "America/Denver"}
    _random_inventory(session, seed)
    areas, dense = _dense_week(session, config, TYPES)
    week = planning.coverage_week(session, config, TYPES, now=NOW)
    pop = areas.population.astype(float)
    for k, t in enumerate(TYPES):
        expected = (pop @ dense[:, k, :].astype(float)) / pop.sum()
        np.testing.assert_allclose(week["by_type"][t], expected, rtol=0, atol=1e-12)
    # Per area, at every hour: coverage_at at each hour's middle matches the dense bitmap.
    monday = planning.week_start(NOW, ZONE)
    for hour, moment in enumerate(planning.hour_midpoints(monday, ZONE)):
        if hour % 7:  # every seventh hour: each weekday and most hours of the day
            continue
        answer = planning.coverage_at(session, config, TYPES, moment)
        for i, feature in enumerate(answer["features"]):
            got = [feature["properties"]["covered"][t] for t in TYPES]
            assert got == dense[i, :, hour].tolist(), (hour, feature["properties"]["area_id"])


def test_worst_hour_is_the_lowest_all_three_hour(session, grid, config):  # noqa: F811
    config = {**config, "TIMEZONE": "America/Denver"}
    _random_inventory(session, 3)
    week = planning.coverage_week(session, config, None, now=NOW)
    worst = week["worst"]["all_three"]
    assert week["all_three"][worst["hour"]] == min(week["all_three"])
    assert worst["people_without"] == week["population"] - worst["covered_population"]
    for element in ("contact", "respond", "place"):
        series = week["by_continuum"][element]
        assert series[week["worst"][element]["hour"]] == min(series)


def test_cache_answers_again_and_follows_an_edit(session, grid, config):  # noqa: F811
    config = {**config, "TIMEZONE": "America/Denver"}
    lat, lon = cell_centre(1, 1)
    centre = build_service(
        session, "Centre", types=("crisis-receiving",), lat=lat, lon=lon, schedules=ROUND_THE_CLOCK
    )
    session.flush()
    first = planning.coverage_summary(session, config, ["crisis-receiving"], NOW)
    store = planning._store(session)
    builds = store.builds
    again = planning.coverage_summary(session, config, ["crisis-receiving"], NOW)
    assert again == first and store.builds == builds  # answered from the cache
    assert first["by_type"]["crisis-receiving"]["covered_population"] > 0
    centre.status = "inactive"
    session.flush()
    after = planning.coverage_summary(session, config, ["crisis-receiving"], NOW)
    assert after["by_type"]["crisis-receiving"]["covered_population"] == 0
    assert store.builds == builds + 1
    # A change of the areas (a re-import of populations) is a new version too.
    from pmhc_directory.models import AnalysisArea

    area = session.get(AnalysisArea, "cell-11")
    area.population += 500
    session.flush()
    moved = planning.coverage_summary(session, config, ["crisis-receiving"], NOW)
    assert moved["population"] == after["population"] + 500
    assert store.builds == builds + 2


def test_service_areas_shared_by_several_sites_give_each_its_areas(session, grid, config):  # noqa: F811
    """Sites of one service share its shapes (one STRtree query); each gets the pairs."""
    from types import SimpleNamespace

    import shapely

    lat, lon = cell_centre(1, 1)
    shared = (shapely.geometry.shape(square(lat, lon, STEP * 0.6)),)
    own = (shapely.geometry.shape(square(lat - STEP, lon - STEP, STEP * 0.4)),)

    def entry(n, shapes):
        return SimpleNamespace(
            types=("mobile-crisis",),
            common={"status": "active", "service_id": f"s{n}"},
            lat=None,
            lon=None,
            shapes=shapes,
            rules=None,
            always_open=False,
        )

    entries = [entry(0, shared), entry(1, ()), entry(2, shared), entry(3, own), entry(4, shared)]
    inv = planning._build_inventory(session, config, ("k",), vocabulary(), entries)
    areas = inv.areas
    rows, units = inv.in_area_pairs(np.arange(len(inv.units)))
    got = set(zip(rows.tolist(), units.tolist(), strict=True))
    expected = set()
    for j, e in enumerate(entries):
        for geometry in e.shapes:
            inside = shapely.intersects_xy(geometry, areas.lon, areas.lat)
            expected |= {(int(i), j) for i in np.flatnonzero(inside)}
    assert got == expected
    assert {j for _, j in got} == {0, 2, 3, 4}


@pytest.mark.parametrize("seed", range(4))
def test_a_new_version_reuses_unchanged_types_and_answers_as_from_scratch(
    session,
    grid,  # noqa: F811
    config,  # noqa: F811
    seed,
    monkeypatch,
):
    """After an edit that brings a new set of hours (numbered after the earlier ones), the
    types the edited service does not have keep their reach, and every answer equals a
    computation from nothing."""
    config = {**config, "TIMEZONE": "America/Denver"}
    _random_inventory(session, seed)
    lat, lon = cell_centre(0, 0)
    edited = build_service(
        session, f"Edited {seed}", types=("mobile-crisis",), lat=lat, lon=lon, schedules=HOURS[1]
    )
    session.flush()
    planning._stores.clear()  # no hours numbered by an earlier test's version
    planning.coverage_week(session, config, TYPES, now=NOW)
    before = planning._store(session).inventory
    assert before is not None
    from pmhc_directory.models import Schedule

    # New hours: Sundays 10-11 only.
    for schedule in list(edited.schedules):
        session.delete(schedule)
    session.flush()
    session.add(
        Schedule(
            service_id=edited.id,
            byday="SU",
            opens_at="10:00",
            closes_at="11:00",
            freq="WEEKLY",
        )
    )
    edited.name = f"Edited {seed} again"
    session.flush()
    computed = []
    compute = planning._sparse_type_reach

    def counted(inv, config, service_type, max_minutes):
        computed.append(service_type)
        return compute(inv, config, service_type, max_minutes)

    monkeypatch.setattr(planning, "_sparse_type_reach", counted)
    week = planning.coverage_week(session, config, TYPES, now=NOW)
    assert computed == ["mobile-crisis"]  # the only type of the edited service
    answer = planning.coverage_at(session, config, TYPES, NOW)
    after = planning._store(session).inventory
    assert after is not before
    assert after.hours[: len(before.hours)] == before.hours
    assert len(after.hours) > len(before.hours)
    for t in TYPES:
        if t != "mobile-crisis" and (t, None) in before.reach:
            got = after.reach[(t, None)]
            assert got.matrix.shape[1] == after.n_groups
            np.testing.assert_array_equal(
                got.dense()[:, : before.n_groups], before.reach[(t, None)].dense()
            )
    planning._stores.clear()
    monkeypatch.undo()
    assert planning.coverage_week(session, config, TYPES, now=NOW) == week
    assert planning.coverage_at(session, config, TYPES, NOW) == answer
