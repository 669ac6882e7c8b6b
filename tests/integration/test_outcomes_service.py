"""services.outcomes on the test database: logging, privacy, dashboard, export, scorecard."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from pmhc_directory.db import Base
from pmhc_directory.models import AnalysisArea, Encounter, EncounterReferral, FollowUp
from pmhc_directory.outcomes.privacy import person_token
from pmhc_directory.services import outcomes
from pmhc_directory.services.outcomes import OutcomeInputError
from tests.factories import make_service
from tests.scenario_builders import ORIGIN_LAT, ORIGIN_LON, ROUND_THE_CLOCK, build_service, square

KEY = "test-agency-key"
IDENTIFIER = "Zebediah Quux-Farnsworth 1961-04-02"
NOW = datetime(2026, 3, 15, 12, 30, tzinfo=UTC)
TYPED_PLACE = "35.0811, -106.6511"
HALF = 0.05


@pytest.fixture
def area(session):
    row = AnalysisArea(
        id="area-1",
        name="Downtown",
        population=1000,
        geometry=json.dumps(square(ORIGIN_LAT, ORIGIN_LON, HALF)),
        centre_lat=ORIGIN_LAT,
        centre_lon=ORIGIN_LON,
        min_lon=ORIGIN_LON - HALF,
        min_lat=ORIGIN_LAT - HALF,
        max_lon=ORIGIN_LON + HALF,
        max_lat=ORIGIN_LAT + HALF,
    )
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def facility(session):
    return make_service(session, name="Receiving Center", types=("crisis-receiving",))


def log(session, **fields):
    values = {
        "occurred_at": NOW - timedelta(days=1),
        "area_id": None,
        "needs": ["crisis-now"],
        "referred_service_ids": [],
        "disposition": "connected-on-scene",
        "facility_id": None,
        "decline_reason": None,
        "use_of_force": False,
        "injury": False,
        "person_identifier": None,
        "key": None,
        "recorded_by": "officer@example.org",
        "now": NOW,
    }
    values.update(fields)
    return outcomes.log_encounter(session, **values)


# --------------------------------------------------------------------------- logging


def test_log_keeps_the_hour_the_area_and_the_referred_types(session, area, facility):
    mobile = make_service(session, name="Mobile team", types=("mobile-crisis",))
    encounter = log(
        session,
        occurred_at=datetime(2026, 3, 14, 2, 47, 13, tzinfo=UTC),
        area_id=area.id,
        needs="crisis-now, suicide-risk",
        referred_service_ids=[mobile.id, facility.id],
        disposition="transported",
        facility_id=facility.id,
        use_of_force=True,
        person_identifier=IDENTIFIER,
        key=KEY,
    )
    session.expire_all()
    stored = session.get(Encounter, encounter.id)
    assert stored.occurred_hour == datetime(2026, 3, 14, 2, tzinfo=UTC)
    assert stored.area_id == "area-1"
    assert stored.needs == "crisis-now,suicide-risk"
    assert stored.referred_types == "mobile-crisis,crisis-receiving"
    assert [r.service_id for r in stored.referrals] == [mobile.id, facility.id]
    assert stored.use_of_force is True and stored.injury is False
    assert stored.person_token == person_token(KEY, IDENTIFIER)


def test_without_a_key_no_token_is_made(session):
    encounter = log(session, person_identifier=IDENTIFIER, key=None)
    assert encounter.person_token is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"needs": ["crisis-now", "astrology"]}, "needs"),
        ({"disposition": "lost"}, "disposition"),
        ({"disposition": "facility-declined", "decline_reason": "full"}, "facility_id"),
        ({"disposition": "transported"}, "facility_id"),
        (
            {"referred_service_ids": ["00000000-0000-0000-0000-000000000000"]},
            "referred_service_ids",
        ),
        ({"occurred_at": datetime(2026, 3, 14, 2)}, "occurred_at"),
        ({"occurred_at": NOW + timedelta(hours=2)}, "occurred_at"),
        ({"occurred_at": NOW - timedelta(days=1096)}, "occurred_at"),
        ({"decline_reason": "full"}, "decline_reason"),
        ({"area_id": "nowhere"}, "area_id"),
    ],
)
def test_validation(session, fields, field):
    with pytest.raises(OutcomeInputError) as caught:
        log(session, **fields)
    assert caught.value.field == field


def test_facility_declined_needs_a_known_reason(session, facility):
    for reason, ok in ((None, False), ("bored", False), ("full", True)):
        kwargs = {"disposition": "facility-declined", "facility_id": facility.id}
        if ok:
            assert log(session, decline_reason=reason, **kwargs).decline_reason == "full"
        else:
            with pytest.raises(OutcomeInputError) as caught:
                log(session, decline_reason=reason, **kwargs)
            assert caught.value.field == "decline_reason"


def test_a_facility_is_refused_for_other_dispositions(session, facility):
    with pytest.raises(OutcomeInputError) as caught:
        log(session, facility_id=facility.id)
    assert caught.value.field == "facility_id"


def test_an_hour_ahead_is_tolerated(session):
    assert log(session, occurred_at=NOW + timedelta(minutes=50)).occurred_hour == datetime(
        2026, 3, 15, 13, tzinfo=UTC
    )


def _all_text_values(session) -> list[str]:
    values = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text)]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            values.extend(str(v) for v in row if v is not None)
    return values


def test_identifier_and_typed_place_are_kept_nowhere(session, area, caplog):
    caplog.set_level(logging.DEBUG)
    found = outcomes.area_for_location(session, {"TIMEZONE": "UTC"}, near=TYPED_PLACE)
    assert found == area.id
    encounter = log(session, area_id=found, person_identifier=IDENTIFIER, key=KEY, injury=True)
    outcomes.record_follow_up(session, encounter.id, True, None, "coordinator", NOW.date())
    session.commit()

    values = _all_text_values(session)
    assert person_token(KEY, IDENTIFIER) in values, "the scan sees the encounter store"
    needles = [IDENTIFIER, IDENTIFIER.casefold(), "Zebediah", "Quux", "1961-04-02", TYPED_PLACE]
    for needle in needles:
        assert not [v for v in values if needle.casefold() in v.casefold()], needle
        assert needle.casefold() not in caplog.text.casefold(), needle
    assert "35.0811" not in caplog.text


def test_area_for_location_by_point_and_outside(session, area):
    assert outcomes.area_for_location(session, {}, lat=ORIGIN_LAT, lon=ORIGIN_LON) == area.id
    assert outcomes.area_for_location(session, {}, lat=10.0, lon=10.0) is None
    assert outcomes.area_for_location(session, {}) is None
    assert outcomes.area_for_location(session, {"TIMEZONE": "UTC"}, near="qqqq zzzz") is None


def test_follow_up_is_recorded_and_corrected(session):
    encounter = log(session)
    outcomes.record_follow_up(session, encounter.id, None, None, "c1", date(2026, 3, 16))
    follow = outcomes.record_follow_up(session, encounter.id, True, False, "c2", date(2026, 4, 20))
    assert (follow.connected_7_days, follow.connected_30_days) == (True, False)
    assert follow.recorded_by == "c2" and follow.recorded_on == date(2026, 4, 20)
    assert len(session.scalars(select(FollowUp)).all()) == 1
    with pytest.raises(OutcomeInputError):
        outcomes.record_follow_up(session, "nope", True, True, "c", date(2026, 4, 20))


# --------------------------------------------------------------------------- purge


def test_purge_removes_only_encounters_past_retention(session, facility):
    today = date(2026, 3, 15)
    old = Encounter(occurred_hour=datetime(2023, 3, 1, 10, tzinfo=UTC), disposition="no-action")
    old.referrals = [EncounterReferral(service_id=facility.id, position=0)]
    session.add(old)
    session.flush()
    outcomes.record_follow_up(session, old.id, True, True, "c", today)
    recent = log(session)

    assert outcomes.purge(session, today, 1095, dry_run=True) == 1
    assert session.get(Encounter, old.id) is not None
    assert outcomes.purge(session, today, 1095, dry_run=False) == 1
    remaining = session.scalars(select(Encounter.id)).all()
    assert remaining == [recent.id]
    assert session.scalars(select(FollowUp)).all() == []
    assert session.scalars(select(EncounterReferral)).all() == []
    assert outcomes.purge(session, today, 1095, dry_run=False) == 0


# --------------------------------------------------------------------------- dashboard


def _period_of_fifteen(session, area, **extra):
    """12 connected on scene and 3 arrests (one with force) in February 2026, area-1."""
    for day in range(1, 13):
        log(
            session,
            occurred_at=datetime(2026, 2, day, 10, tzinfo=UTC),
            area_id=area.id,
            **extra,
        )
    for day in (13, 14, 15):
        log(
            session,
            occurred_at=datetime(2026, 2, day, 10, tzinfo=UTC),
            area_id=area.id,
            disposition="arrest",
            use_of_force=day == 13,
        )


BASELINE = (date(2026, 1, 1), date(2026, 1, 31))
PERIOD = (date(2026, 2, 1), date(2026, 2, 28))


def test_dashboard_suppresses_small_cells_and_their_rates(session, area):
    _period_of_fifteen(session, area)
    board = outcomes.dashboard(
        session, baseline=BASELINE, period=PERIOD, min_cell=11, key_configured=False
    )
    totals = board["outcomes"]
    assert totals["encounters"] == 15
    assert totals["connections"] == {"count": 12, "of": 15, "rate": 12 / 15, "note": None}
    assert totals["arrests"]["count"] == "<11"
    assert totals["arrests"]["rate"] is None and "suppressed" in totals["arrests"]["note"]
    assert totals["use_of_force"]["count"] == "<11" and totals["use_of_force"]["rate"] is None
    assert totals["injuries"] == {"count": 0, "of": 15, "rate": 0.0, "note": None}
    assert board["repeat_encounters"] == {
        "available": False,
        "reason": "PMHC_OUTCOMES_KEY is not set",
    }
    assert [m["month"] for m in board["months"]] == ["2026-02"]
    assert board["months"][0]["arrests"]["count"] == "<11"
    area_row = board["by_area"][0]
    assert area_row["area_id"] == "area-1" and area_row["name"] == "Downtown"
    assert area_row["arrests"]["count"] == "<11"
    # Empty baseline: counts 0, rates unknown, no difference.
    assert board["baseline_outcomes"]["encounters"] == 0
    assert board["comparison"]["connections"]["rate_difference"] is None


def test_every_count_in_the_dashboard_is_suppressed(session, area, facility):
    _period_of_fifteen(session, area, person_identifier="same person", key=KEY)
    log(
        session,
        occurred_at=datetime(2026, 2, 20, 10, tzinfo=UTC),
        disposition="facility-declined",
        facility_id=facility.id,
        decline_reason="full",
        referred_service_ids=[facility.id],
    )
    board = outcomes.dashboard(
        session, baseline=BASELINE, period=PERIOD, min_cell=11, key_configured=True
    )

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in {"count", "of", "encounters"} or k in outcomes.DECLINE_REASONS:
                    assert v == 0 or v == "<11" or (isinstance(v, int) and v >= 11), (k, v)
                walk(v)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(board)
    declines = board["facility_declines"]
    assert declines == [
        {
            "facility_id": facility.id,
            "facility": "Receiving Center",
            "count": "<11",
            "reasons": {"full": "<11"},
        }
    ]
    assert board["by_service_type"][0]["service_type"] == "crisis-receiving"
    repeat = board["repeat_encounters"]
    # One person (12 linked encounters): the count and the denominator are both 1.
    assert repeat["available"] is True and repeat["count"] == "<11" and repeat["rate"] is None


def test_dashboard_compares_with_the_baseline(session, area):
    _period_of_fifteen(session, area)
    for day in range(1, 21):  # January: 20 encounters, 11 arrests
        log(
            session,
            occurred_at=datetime(2026, 1, day, 10, tzinfo=UTC),
            disposition="arrest" if day <= 11 else "no-action",
        )
    board = outcomes.dashboard(
        session, baseline=BASELINE, period=PERIOD, min_cell=11, key_configured=False
    )
    connections = board["comparison"]["connections"]
    assert connections["baseline"]["rate"] == 0.0
    assert connections["period"]["rate"] == pytest.approx(12 / 15)
    assert connections["rate_difference"] == pytest.approx(0.8)
    arrests = board["comparison"]["arrests"]
    assert arrests["baseline"]["rate"] == pytest.approx(11 / 20)
    assert arrests["rate_difference"] is None  # February's 3 arrests are suppressed


def test_dashboard_refuses_reversed_periods(session):
    with pytest.raises(OutcomeInputError):
        outcomes.dashboard(
            session,
            baseline=(date(2026, 2, 1), date(2026, 1, 1)),
            period=PERIOD,
            min_cell=11,
            key_configured=False,
        )


# --------------------------------------------------------------------------- export


def test_export_rows_are_aggregated_and_suppressed(session, area):
    _period_of_fifteen(session, area, person_identifier=IDENTIFIER, key=KEY)
    log(session, occurred_at=datetime(2025, 12, 1, 10, tzinfo=UTC))  # before --since
    rows = outcomes.export_rows(session, date(2026, 1, 1), date(2026, 3, 31), 11)
    assert rows == [
        {
            "month": "2026-02",
            "area_id": "area-1",
            "disposition": "arrest",
            "encounters": "<11",
            "use_of_force": "<11",
            "injuries": 0,
            "connected_7_days": 0,
            "connected_30_days": 0,
        },
        {
            "month": "2026-02",
            "area_id": "area-1",
            "disposition": "connected-on-scene",
            "encounters": 12,
            "use_of_force": 0,
            "injuries": 0,
            "connected_7_days": 0,
            "connected_30_days": 0,
        },
    ]
    assert all(set(row) == set(outcomes.EXPORT_FIELDS) for row in rows)
    assert person_token(KEY, IDENTIFIER) not in json.dumps(rows)


# --------------------------------------------------------------------------- scorecard


def _crisis_system(session):
    """A 24/7 crisis line, mobile team and receiving center covering the one area."""
    extent = square(ORIGIN_LAT, ORIGIN_LON, HALF + 0.01)
    build_service(
        session,
        "Line",
        types=("crisis-line",),
        schedules=ROUND_THE_CLOCK,
        service_area=extent,
    )
    build_service(
        session,
        "Team",
        types=("mobile-crisis",),
        schedules=ROUND_THE_CLOCK,
        service_area=extent,
    )
    build_service(
        session,
        "Center",
        types=("crisis-receiving",),
        schedules=ROUND_THE_CLOCK,
        lat=ORIGIN_LAT,
        lon=ORIGIN_LON,
    )


def test_scorecard_q4_with_a_tiny_geography(session, app, area):
    _crisis_system(session)
    card = outcomes.scorecard(session, app.config, date(2026, 3, 11))
    assert [q["question"] for q in card] == [1, 2, 3, 4, 5, 6]
    q4 = card[3]
    assert q4["computed"] is True
    assert "full array" in q4["text"]
    assert q4["result"]["value"] == pytest.approx(1.0)
    assert set(q4["result"]["shares"]) == {"Saturday 2 a.m.", "Tuesday 2 p.m."}
    assert all(s == pytest.approx(1.0) for s in q4["result"]["shares"].values())


def test_scorecard_q4_without_geography(session, app):
    q4 = outcomes.scorecard(session, app.config, date(2026, 3, 11))[3]
    assert q4["result"]["value"] is None
    assert "No analysis areas" in q4["result"]["message"]


def test_completeness_and_q5(session, app, area):
    first = log(session, area_id=area.id)
    log(session, area_id=area.id)
    log(session)
    log(session)
    outcomes.record_follow_up(session, first.id, True, None, "c", NOW.date())
    result = outcomes.completeness(session, date(2026, 1, 1))
    assert result["encounters"] == 4
    assert result["disposition"] == 1.0
    assert result["area"] == 0.5
    assert result["follow_up"] == 0.25
    unsuppressed = {**app.config, "OUTCOMES_MIN_CELL": 1}
    q5 = outcomes.scorecard(session, unsuppressed, date(2026, 3, 15))[4]
    assert q5["computed"] is True
    assert q5["result"]["value"] == 0.25
    assert q5["result"]["completeness"]["encounters"] == 4
    # Four encounters are a small cell under the default threshold of 11: as on the dashboard.
    small = outcomes.scorecard(session, app.config, date(2026, 3, 15))[4]["result"]
    assert small["value"] is None
    assert small["completeness"]["encounters"] == "<11"
    assert small["completeness"]["follow_up"] is None and small["completeness"]["area"] is None
    empty = outcomes.completeness(session, date(2027, 1, 1))
    assert empty["encounters"] == 0 and empty["area"] is None


def test_self_reported_answers_keep_history(session, app):
    outcomes.answer_question(session, 1, "partly", "Chief's memo", "chief", date(2026, 1, 5))
    outcomes.answer_question(session, 1, "yes", " Signed MOU ", "chief", date(2026, 3, 1))
    card = outcomes.scorecard(session, app.config, date(2026, 3, 15))
    q1 = card[0]
    assert q1["computed"] is False
    assert q1["latest"]["status"] == "yes" and q1["latest"]["evidence"] == "Signed MOU"
    assert [h["status"] for h in q1["history"]] == ["yes", "partly"]
    assert card[1]["latest"] is None and card[1]["history"] == []


@pytest.mark.parametrize(("question", "status"), [(0, "yes"), (7, "yes"), (2, "maybe")])
def test_answer_validation(session, question, status):
    with pytest.raises(OutcomeInputError):
        outcomes.answer_question(session, question, status, "", "u", date(2026, 3, 1))
