"""The outcomes pages (``/outcomes``) over HTTP with CSRF on, against the real outcomes service.

Who may see and do what, that a logged encounter keeps only its area (the typed place and the
phone's coordinates are found nowhere in the database), small-cell suppression on the dashboard
and in the CSV export, and the scorecard's computed questions and answer history.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from pmhc_directory.db import Base
from pmhc_directory.models import Encounter, FollowUp, Role, ScorecardAnswer
from tests.factories import TEST_PASSWORD, make_service, make_user

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
DENVER = ZoneInfo("America/Denver")
NEW = "/outcomes/encounters/new"
#: Distinctive coordinates and place text: none of it may be stored anywhere.
LAT, LON = "35.08437", "-106.65123"


def text_of(response) -> str:
    return response.get_data(as_text=True)


def csrf_token(client, path: str = "/login") -> str:
    match = CSRF_RE.search(text_of(client.get(path)))
    assert match, f"no csrf_token field on {path}"
    return match.group(1)


def log_in(client, session, role: Role) -> str:
    email = f"{role.value}.outcomes@example.org"
    make_user(session, role, email=email)
    session.commit()
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(client), "email": email, "password": TEST_PASSWORD},
    )
    assert response.status_code == 302
    return email


def hour_now() -> str:
    return datetime.now(DENVER).strftime("%Y-%m-%dT%H:00")


def encounter_data(client, **overrides) -> dict:
    data = {
        "csrf_token": csrf_token(client, NEW),
        "occurred_at": hour_now(),
        "near": "",
        "lat": LAT,
        "lon": LON,
        "needs": ["mental-health-care"],
        "disposition": "connected-on-scene",
        "facility_id": "",
        "decline_reason": "",
        "use_of_force": "no",
        "injury": "no",
    }
    data.update(overrides)
    return data


def encounter_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Encounter))


def add_encounters(session, count: int, *, disposition: str, when: datetime, **fields) -> None:
    hour = when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    for _ in range(count):
        session.add(
            Encounter(
                occurred_hour=hour, disposition=disposition, needs="mental-health-care", **fields
            )
        )
    session.commit()


def last_month() -> datetime:
    """Mid last month: inside the default period (the last 12 months) whatever today is."""
    first = datetime.now(DENVER).replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    return (first - timedelta(days=10)).replace(hour=12)


# Access --------------------------------------------------------------------------------------

OUTCOME_PAGES = (
    "/outcomes/",
    "/outcomes/export.csv",
    NEW,
    "/outcomes/scorecard",
    f"/outcomes/encounters/{uuid.uuid4()}/follow-up",
)


@pytest.mark.parametrize("path", OUTCOME_PAGES)
def test_anonymous_is_sent_to_login_even_with_a_public_directory(app, client, path):
    assert app.config["PUBLIC_DIRECTORY"] is True
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_nav_shows_outcomes_to_staff_only(client, session):
    assert ">Outcomes</a>" not in text_of(client.get("/"))
    log_in(client, session, Role.PLANNER)
    assert ">Outcomes</a>" in text_of(client.get("/"))


def test_officer_logs_an_encounter_and_views_the_dashboard(client, session):
    log_in(client, session, Role.OFFICER)
    form = client.get(NEW)
    assert form.status_code == 200
    page = text_of(form)
    assert "Location is reduced to a census area and not kept" in page
    assert 'type="datetime-local"' in page
    # No key configured: no identifier field at all.
    assert 'name="person_identifier"' not in page
    before = encounter_count(session)
    response = client.post(NEW, data=encounter_data(client))
    assert response.status_code == 303, text_of(response)[:2000]
    assert response.headers["Location"].endswith(NEW)
    assert "Encounter logged" in text_of(client.get(NEW))
    assert encounter_count(session) == before + 1
    stored = session.scalars(select(Encounter)).all()[-1]
    assert stored.disposition == "connected-on-scene"
    assert stored.recorded_by == "officer.outcomes@example.org"
    assert stored.occurred_hour.minute == 0
    assert client.get("/outcomes/").status_code == 200
    assert client.get("/outcomes/scorecard").status_code == 200


def test_planner_views_but_may_not_log(client, session):
    log_in(client, session, Role.PLANNER)
    assert client.get("/outcomes/").status_code == 200
    assert client.get("/outcomes/scorecard").status_code == 200
    assert client.get("/outcomes/export.csv").status_code == 200
    assert client.get(NEW).status_code == 403
    token = csrf_token(client, "/account")
    before = encounter_count(session)
    assert client.post(NEW, data={"csrf_token": token, "disposition": "arrest"}).status_code == 403
    assert encounter_count(session) == before


def test_encounter_post_needs_a_csrf_token(client, session):
    log_in(client, session, Role.OFFICER)
    data = encounter_data(client)
    del data["csrf_token"]
    before = encounter_count(session)
    assert client.post(NEW, data=data).status_code == 400
    assert encounter_count(session) == before


def test_errors_are_shown_beside_their_fields(client, session):
    log_in(client, session, Role.OFFICER)
    data = encounter_data(client, disposition="", use_of_force="")
    del data["disposition"]
    del data["use_of_force"]
    response = client.post(NEW, data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert 'id="disposition-error"' in page
    assert "Choose what happened." in page
    assert 'id="use_of_force-error"' in page


def test_declined_needs_a_reason_and_keeps_the_facility(client, session):
    log_in(client, session, Role.OFFICER)
    facility = make_service(session, name="Receiving Center North")
    session.commit()
    data = encounter_data(client, disposition="facility-declined", facility_id=facility.id)
    response = client.post(NEW, data=data)
    assert response.status_code == 422
    assert "Choose why the facility declined." in text_of(response)
    data = encounter_data(
        client, disposition="facility-declined", facility_id=facility.id, decline_reason="full"
    )
    assert client.post(NEW, data=data).status_code == 303
    stored = session.scalar(select(Encounter).where(Encounter.disposition == "facility-declined"))
    assert stored.facility_id == facility.id
    assert stored.decline_reason == "full"


def test_referred_services_are_prefilled_by_name(client, session):
    log_in(client, session, Role.OFFICER)
    service = make_service(session, name="Mobile Crisis Team East", types=("mobile-crisis",))
    session.commit()
    page = text_of(client.get(f"{NEW}?services={service.id}&services=not-an-id"))
    assert "Mobile Crisis Team East" in page
    assert f'name="services" value="{service.id}" checked' in page
    data = encounter_data(client, services=[service.id])
    assert client.post(NEW, data=data).status_code == 303
    stored = session.scalars(select(Encounter)).all()[-1]
    assert [r.service_id for r in stored.referrals] == [service.id]


def all_text_values(session) -> list[str]:
    """Every text value of every column of every table."""
    values: list[str] = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text | sa.Unicode)]
        if not columns:
            continue
        for row in session.execute(sa.select(*columns)).all():
            values.extend(str(v) for v in row if v is not None)
    return values


def test_only_the_area_is_stored(client, session):
    """Neither the phone's coordinates nor a typed place are kept anywhere."""
    log_in(client, session, Role.OFFICER)
    assert client.post(NEW, data=encounter_data(client)).status_code == 303
    typed = "Zebulon Quarry Overlook 4417"
    response = client.post(NEW, data=encounter_data(client, near=typed, lat="", lon=""))
    assert response.status_code in (303, 422)
    session.expire_all()
    values = all_text_values(session)
    for secret in (LAT, LON, LAT[:6], LON[:7], typed, "Zebulon"):
        assert not any(secret in value for value in values), secret
    for encounter in session.scalars(select(Encounter)):
        assert encounter.occurred_hour.minute == 0


def test_identifier_field_only_with_a_key(app, client, session, monkeypatch):
    log_in(client, session, Role.OFFICER)
    monkeypatch.setitem(app.config, "OUTCOMES_KEY", "agency-held-test-key")
    page = text_of(client.get(NEW))
    assert 'name="person_identifier"' in page
    assert "one-way token" in page
    ident = "PERSON-XYZ-123456"
    assert client.post(NEW, data=encounter_data(client, person_identifier=ident)).status_code == 303
    stored = session.scalars(select(Encounter)).all()[-1]
    assert stored.person_token and ident not in stored.person_token
    assert not any(ident in v for v in all_text_values(session))


# Dashboard and export ------------------------------------------------------------------------


def test_dashboard_suppresses_small_cells(client, session):
    add_encounters(session, 3, disposition="arrest", when=last_month())
    log_in(client, session, Role.PLANNER)
    response = client.get("/outcomes/")
    assert response.status_code == 200
    page = text_of(response)
    assert "&lt;11" in page
    assert "<svg" in page and "chart-bar" in page
    assert " style=" not in page
    assert "Repeat encounters are not counted" in page
    assert 'href="/outcomes/export.csv' in page


def test_dashboard_shows_real_numbers_from_eleven(client, session):
    add_encounters(session, 14, disposition="connected-on-scene", when=last_month())
    log_in(client, session, Role.COORDINATOR)
    page = text_of(client.get("/outcomes/"))
    assert re.search(r">\s*14\s*<", page), "a count of 14 is shown as a number"


def test_dashboard_month_fields_are_checked(client, session):
    log_in(client, session, Role.PLANNER)
    response = client.get("/outcomes/?period_start=2025-13&baseline_start=soon")
    assert response.status_code == 200
    page = text_of(response)
    assert "is not a month" in page


def test_export_csv_is_suppressed(client, session):
    add_encounters(session, 3, disposition="arrest", when=last_month())
    log_in(client, session, Role.PLANNER)
    response = client.get("/outcomes/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text_of(response))))
    assert rows and rows[0], "a header row"
    cells = [cell for row in rows[1:] for cell in row]
    assert "<11" in cells
    for cell in cells:
        if cell.isdigit():
            assert int(cell) == 0 or int(cell) >= 11, cell


def test_export_csv_goes_through_the_safe_writer(client, session, monkeypatch):
    """A text cell starting with '=' (a facility name, a label) comes out inert."""
    from types import SimpleNamespace

    from pmhc_directory.views import outcomes as outcomes_view

    log_in(client, session, Role.PLANNER)
    rows = [{"facility": "=HYPERLINK(1)", "encounters": 12}]
    fake = SimpleNamespace(export_rows=lambda *_args: rows)
    monkeypatch.setattr(outcomes_view, "_service", lambda: fake)
    answer = list(csv.reader(io.StringIO(text_of(client.get("/outcomes/export.csv")))))
    assert answer == [["facility", "encounters"], ["'=HYPERLINK(1)", "12"]]


# Follow-up -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PLANNER])
def test_follow_up_is_for_coordinators_and_admins(client, session, role):
    add_encounters(session, 1, disposition="referred-only", when=last_month())
    encounter = session.scalars(select(Encounter)).first()
    log_in(client, session, role)
    path = f"/outcomes/encounters/{encounter.id}/follow-up"
    assert client.get(path).status_code == 403
    token = csrf_token(client, "/account")
    response = client.post(path, data={"csrf_token": token, "connected_7_days": "yes"})
    assert response.status_code == 403
    assert session.get(FollowUp, encounter.id) is None


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_follow_up_is_saved(client, session, role):
    add_encounters(session, 1, disposition="referred-only", when=last_month())
    encounter = session.scalars(select(Encounter)).first()
    log_in(client, session, role)
    path = f"/outcomes/encounters/{encounter.id}/follow-up"
    assert client.get(path).status_code == 200
    assert client.get(f"/outcomes/encounters/{uuid.uuid4()}/follow-up").status_code == 404
    response = client.post(
        path,
        data={"csrf_token": csrf_token(client, path), "connected_7_days": "yes"},
    )
    assert response.status_code == 303
    session.expire_all()
    saved = session.get(FollowUp, encounter.id)
    assert saved.connected_7_days is True
    assert saved.connected_30_days is None
    assert "Follow-up saved" in text_of(client.get(path))


# Scorecard -----------------------------------------------------------------------------------


def test_scorecard_computes_q4_q5_and_keeps_answer_history(client, session):
    log_in(client, session, Role.COORDINATOR)
    page = text_of(client.get("/outcomes/scorecard"))
    for number in range(1, 7):
        assert f'id="q{number}"' in page
    assert page.count("Computed from the data") == 2
    assert 'action="/outcomes/scorecard/4"' not in page
    assert 'action="/outcomes/scorecard/5"' not in page
    token = csrf_token(client, "/outcomes/scorecard")
    first = client.post(
        "/outcomes/scorecard/1",
        data={"csrf_token": token, "status": "partly", "evidence": "Two of three shifts."},
    )
    assert first.status_code == 303
    second = client.post(
        "/outcomes/scorecard/1",
        data={"csrf_token": token, "status": "yes", "evidence": "All shifts covered."},
    )
    assert second.status_code == 303
    answers = session.scalars(select(ScorecardAnswer).where(ScorecardAnswer.question == 1)).all()
    assert sorted(a.status for a in answers) == ["partly", "yes"]
    page = text_of(client.get("/outcomes/scorecard"))
    assert "All shifts covered." in page
    assert "Two of three shifts." in page
    bad = client.post("/outcomes/scorecard/2", data={"csrf_token": token, "evidence": "x"})
    assert bad.status_code == 422
    assert "Choose an answer." in text_of(bad)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PLANNER])
def test_scorecard_answers_are_for_leads(client, session, role):
    log_in(client, session, role)
    page = text_of(client.get("/outcomes/scorecard"))
    assert 'action="/outcomes/scorecard/1"' not in page
    token = csrf_token(client, "/account")
    response = client.post(
        "/outcomes/scorecard/1", data={"csrf_token": token, "status": "yes", "evidence": ""}
    )
    assert response.status_code == 403
    assert session.scalar(select(func.count()).select_from(ScorecardAnswer)) == 0


def test_coordinators_see_encounters_waiting_for_follow_up(app, client, session):
    from datetime import UTC, datetime

    from pmhc_directory.models import Encounter, FollowUp
    from tests.factories import make_user
    from tests.functional.test_write_route_access import login

    waiting = Encounter(
        occurred_hour=datetime(2026, 11, 20, 3, tzinfo=UTC), disposition="referred-only"
    )
    done = Encounter(occurred_hour=datetime(2026, 11, 21, 4, tzinfo=UTC), disposition="arrest")
    session.add_all([waiting, done])
    session.flush()
    session.add(
        FollowUp(
            encounter_id=done.id,
            connected_7_days=False,
            recorded_by="c@example.org",
            recorded_on=datetime(2026, 11, 25, tzinfo=UTC).date(),
        )
    )
    make_user(session, "coordinator")
    make_user(session, "officer")
    session.commit()

    login(client, "coordinator@example.org")
    html = client.get("/outcomes/follow-ups").get_data(as_text=True)
    assert f"/outcomes/encounters/{waiting.id}/follow-up" in html
    assert f"/outcomes/encounters/{done.id}/follow-up" not in html
    assert client.get("/outcomes/encounters/not-a-uuid/follow-up").status_code == 404

    officer = app.test_client()
    login(officer, "officer@example.org")
    assert officer.get("/outcomes/follow-ups").status_code == 403
