"""The coordinators' inventory pages over HTTP, with CSRF switched on."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from pmhc_directory.models import ChangeRecord, ProblemReport, Role, Schedule, Service
from pmhc_directory.services.audit import record_field_changes
from pmhc_directory.services.problems import report_problem
from tests.factories import TEST_PASSWORD, make_location, make_organization, make_service, make_user

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
DENVER = ZoneInfo("America/Denver")
NOTE_NEEDED = "Write a note saying what you checked or changed."


def today() -> date:
    return datetime.now(DENVER).date()


def text_of(response) -> str:
    return response.get_data(as_text=True)


def csrf_token(client, path: str = "/login") -> str:
    match = CSRF_RE.search(text_of(client.get(path)))
    assert match, f"no csrf_token field on {path}"
    return match.group(1)


def log_in(client, session, role: Role) -> str:
    email = f"{role.value}.inv@example.org"
    make_user(session, role, email=email)
    session.commit()
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(client), "email": email, "password": TEST_PASSWORD},
    )
    assert response.status_code == 302
    return email


@pytest.fixture
def coordinator(client, session) -> str:
    return log_in(client, session, Role.COORDINATOR)


def complete(session, name: str, **fields) -> Service:
    """A service with nothing missing."""
    fields.setdefault("assured_date", today() - timedelta(days=3))
    service = make_service(session, name=name, **fields)
    session.add(Schedule(service_id=service.id, opens_at="08:00", closes_at="17:00"))
    make_location(session, service)
    session.flush()
    return service


# Access -----------------------------------------------------------------------------------------

READ_PAGES = ["/inventory/", "/inventory/queue", "/inventory/history.csv"]


@pytest.mark.parametrize("path", READ_PAGES)
def test_pages_need_a_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# Provider accounts are not staff: they see only /provider (test_provider_pages).
@pytest.mark.parametrize("role", [r for r in Role if r is not Role.PROVIDER])
def test_pages_are_readable_by_every_staff_role(client, session, role):
    service = make_service(session, name="Readable Service")
    log_in(client, session, role)

    for path in [
        *READ_PAGES,
        f"/inventory/services/{service.id}/history",
        f"/inventory/services/{service.id}/history.csv",
    ]:
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PLANNER])
def test_readers_see_no_write_buttons(client, session, role):
    make_service(session, name="Reader View", assured_date=None)
    report = report_problem(session, make_service(session, name="Reader Rep").id, "other", "", None)
    log_in(client, session, role)

    listing = text_of(client.get("/inventory/?q=Reader"))
    queue = text_of(client.get("/inventory/queue"))

    assert "Reader View" in listing
    assert '/verify"' not in listing + queue
    assert "/edit" not in listing
    assert "Reader Rep" in queue
    assert f"/inventory/problems/{report.id}/resolve" not in queue


def test_editors_see_verify_edit_and_history_links(client, session, coordinator):
    service = make_service(session, name="Editor View")
    session.commit()

    html = text_of(client.get("/inventory/?q=Editor+View"))

    assert f'href="/services/{service.id}"' in html
    assert f'href="/inventory/services/{service.id}/history"' in html
    assert f'href="/inventory/services/{service.id}/edit"' in html
    assert f'action="/inventory/services/{service.id}/verify"' in html


def test_nav_has_inventory_for_logged_in_users(client, session):
    assert 'href="/inventory/"' not in text_of(client.get("/directory"))
    log_in(client, session, Role.OFFICER)

    assert 'href="/inventory/">Inventory' in text_of(client.get("/directory"))
    assert re.search(
        r'href="/inventory/"\s+aria-current="page">Inventory',
        text_of(client.get("/inventory/queue")),
    )


def change_count(session) -> int:
    """Change records in the database (the reference data brings some of its own)."""
    return session.scalar(select(func.count()).select_from(ChangeRecord))


def write_routes(session) -> list[tuple[str, dict[str, str]]]:
    service = make_service(session, name="Write Target")
    report = report_problem(session, service.id, "closed", "", None)
    session.commit()
    return [
        (f"/inventory/services/{service.id}/verify", {}),
        (f"/inventory/problems/{report.id}/resolve", {"note": "Checked."}),
        (f"/inventory/problems/{report.id}/dismiss", {"note": "Checked."}),
    ]


def assert_nothing_written(session, before: int) -> None:
    session.expire_all()
    assert change_count(session) == before
    assert (
        session.scalar(select(Service).where(Service.name == "Write Target")).assured_date is None
    )
    assert session.scalar(select(ProblemReport.status).order_by(ProblemReport.id)) == "open"


def test_write_routes_need_a_login(client, session):
    routes = write_routes(session)
    before = change_count(session)
    for path, data in routes:
        response = client.post(path, data={**data, "csrf_token": csrf_token(client)})

        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path
    assert_nothing_written(session, before)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PLANNER])
def test_write_routes_refuse_readers(client, session, role):
    routes = write_routes(session)
    log_in(client, session, role)
    before = change_count(session)
    token = csrf_token(client, "/inventory/")

    for path, data in routes:
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert_nothing_written(session, before)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_write_routes_need_the_csrf_token(client, session, role):
    routes = write_routes(session)
    log_in(client, session, role)
    before = change_count(session)

    for path, data in routes:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "Form expired" in text_of(response)
    assert_nothing_written(session, before)


# The list ---------------------------------------------------------------------------------------


def listed(client, query: str) -> set[str]:
    response = client.get(f"/inventory/?{query}")
    assert response.status_code == 200, text_of(response)
    return set(re.findall(r'<a href="/services/[^"]+">([^<]+)</a>', text_of(response)))


def test_each_filter_works(client, session, coordinator):
    org = make_organization(session, name="Filter Org")
    complete(session, "Fx Complete")
    complete(session, "Fx Team", types=("mobile-crisis",), organization=org)
    complete(session, "Fx Closed", status="temporarily closed")
    complete(session, "Fx Stale", assured_date=today() - timedelta(days=400))
    make_service(session, name="Fx No Hours", assured_date=today())
    no_coords = complete(session, "Fx No Coords")
    make_location(session, no_coords, latitude=None, longitude=None)
    reported = complete(session, "Fx Reported")
    report_problem(session, reported.id, "wrong-phone", "", None)
    make_service(session, name="Fx Twin", attributes=("open-24-7",), assured_date=today())
    make_service(session, name="fx twin", attributes=("open-24-7",), assured_date=today())
    session.commit()

    assert listed(client, "q=fx&type=mobile-crisis") == {"Fx Team"}
    assert listed(client, "q=fx&status=temporarily+closed") == {"Fx Closed"}
    assert listed(client, "q=fx&organization=filter+org") == {"Fx Team"}
    assert listed(client, "q=fx&stale=y") == {"Fx Stale"}
    assert listed(client, "q=fx&no_hours=y") == {"Fx No Hours"}
    assert listed(client, "q=fx&no_coords=y") == {"Fx No Coords"}
    assert listed(client, "q=fx&no_area=y") == {"Fx Team"}
    assert listed(client, "q=fx&problems=y") == {"Fx Reported"}
    assert listed(client, "q=fx&duplicates=y") == {"Fx Twin", "fx twin"}
    assert len(listed(client, "q=fx")) == 9


def test_search_matches_names_and_organizations(client, session, coordinator):
    org = make_organization(session, name="Bernalillo Outreach")
    make_service(session, name="Street Team", organization=org)
    make_service(session, name="Quiet Service", alternate_name="Calm Corner")
    session.commit()

    assert listed(client, "q=BERNALILLO") == {"Street Team"}
    assert listed(client, "q=calm+corner") == {"Quiet Service"}


def test_filters_are_kept_in_the_form(client, session, coordinator):
    html = text_of(client.get("/inventory/?q=abc&stale=y&status=defunct"))

    assert 'value="abc"' in html
    assert re.search(r'id="filter-stale" name="stale" value="y" checked', html)
    assert '<option value="defunct" selected>' in html


@pytest.mark.parametrize(
    "query", ["type=nope", "status=closed", "page=0", "stale=maybe", "q=" + "x" * 201]
)
def test_bad_filters_are_a_clear_400(client, session, coordinator, query):
    response = client.get(f"/inventory/?{query}")

    assert response.status_code == 400
    assert "Traceback" not in text_of(response)


def test_paging_links_keep_the_filters(client, session, coordinator):
    for i in range(51):
        make_service(session, name=f"Paged {i:02d}")
    session.commit()

    html = text_of(client.get("/inventory/?q=Paged"))

    assert "51 services." in html
    assert 'href="/inventory/?q=Paged&amp;page=2"' in html
    assert listed(client, "q=Paged&page=2") == {"Paged 50"}


# The queue --------------------------------------------------------------------------------------


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else None]


def test_queue_shows_each_category(client, session, coordinator):
    complete(session, "Qp Overdue", assured_date=None)
    make_service(session, name="Qp No Hours", assured_date=today())
    no_coords = complete(session, "Qp No Coords")
    make_location(session, no_coords, latitude=None, longitude=None)
    complete(session, "Qp No Area", types=("co-responder",))
    reported = complete(session, "Qp Reported")
    report_problem(session, reported.id, "refused", "Turned us away", None)
    make_service(session, name="Qp Twin", attributes=("open-24-7",), assured_date=today())
    make_service(session, name="QP twin", attributes=("open-24-7",), assured_date=today())
    session.commit()

    html = text_of(client.get("/inventory/queue"))

    assert "Qp Overdue" in section(html, "queue-overdue")
    assert "Qp No Hours" not in section(html, "queue-overdue")
    assert "Qp No Hours" in section(html, "queue-hours")
    assert "Qp No Coords" in section(html, "queue-coords")
    assert "Qp No Area" in section(html, "queue-area")
    problems = section(html, "queue-problems")
    assert "Qp Reported" in problems
    assert "They turned someone away" in problems
    assert "Turned us away" in problems
    assert re.search(r"reported <time [^>]+>[^<]+ M[SD]T</time> anonymously", problems)
    duplicates = section(html, "queue-duplicates")
    assert "Qp Twin" in duplicates
    assert "QP twin" in duplicates
    assert "Neither has a location" in duplicates


def test_verify_marks_the_service_and_it_leaves_the_queue(client, session, coordinator):
    service = complete(session, "Verify Me", assured_date=today() - timedelta(days=365))
    session.commit()
    version = service.version
    assert "Verify Me" in section(text_of(client.get("/inventory/queue")), "queue-overdue")

    response = client.post(
        f"/inventory/services/{service.id}/verify",
        data={"csrf_token": csrf_token(client, "/inventory/queue"), "next": "/inventory/?q=x"},
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/inventory/?q=x"
    session.expire_all()
    assert service.assured_date == today()
    assert service.assurer_email is None  # no ASSURER_EMAIL set: no login is published
    assert service.version == version
    change = session.scalar(
        select(ChangeRecord).where(
            ChangeRecord.resource_id == service.id, ChangeRecord.field_name == "assured_date"
        )
    )
    assert (change.last_action_type, change.updated_by) == ("verify", coordinator)
    assert change.replacement_value == today().isoformat()
    html = text_of(client.get("/inventory/queue"))
    assert "is marked verified today" in html
    assert "Verify Me" not in section(html, "queue-overdue")


def test_verify_does_not_follow_an_offsite_next(client, session, coordinator):
    service = make_service(session, name="Offsite")
    session.commit()

    response = client.post(
        f"/inventory/services/{service.id}/verify",
        data={"csrf_token": csrf_token(client, "/inventory/"), "next": "//evil.example"},
    )

    assert response.headers["Location"] == "/inventory/queue"


def test_verify_unknown_service_is_404(client, session, coordinator):
    response = client.post(
        "/inventory/services/00000000-0000-0000-0000-000000000000/verify",
        data={"csrf_token": csrf_token(client, "/inventory/")},
    )

    assert response.status_code == 404


@pytest.fixture
def report(session) -> ProblemReport:
    service = make_service(session, name="Problem Listing")
    report = report_problem(session, service.id, "wrong-hours", "", "officer@example.org")
    session.commit()
    return report


@pytest.mark.parametrize(("action", "status"), [("resolve", "resolved"), ("dismiss", "dismissed")])
def test_resolve_or_dismiss_with_a_note(client, session, coordinator, report, action, status):
    response = client.post(
        f"/inventory/problems/{report.id}/{action}",
        data={"csrf_token": csrf_token(client, "/inventory/queue"), "note": "Called; fixed."},
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/inventory/queue"
    session.expire_all()
    assert (report.status, report.resolved_by) == (status, coordinator)
    assert report.resolution_note == "Called; fixed."
    assert report.resolved_at is not None
    change = session.scalar(select(ChangeRecord).where(ChangeRecord.field_name == "problem_report"))
    assert change.resource_id == report.service_id
    assert change.replacement_value == f"{status}: Called; fixed."
    html = text_of(client.get("/inventory/queue"))
    assert f"Problem report {status}." in html
    assert "Problem Listing" not in section(html, "queue-problems")


@pytest.mark.parametrize("action", ["resolve", "dismiss"])
@pytest.mark.parametrize("note", ["", "   "])
def test_resolve_and_dismiss_require_a_note(client, session, coordinator, report, action, note):
    before = change_count(session)
    response = client.post(
        f"/inventory/problems/{report.id}/{action}",
        data={"csrf_token": csrf_token(client, "/inventory/queue"), "note": note},
    )

    assert response.status_code == 400
    html = text_of(response)
    assert NOTE_NEEDED in html
    assert f'aria-describedby="note-{report.id}-error"' in html
    session.expire_all()
    assert report.status == "open"
    assert change_count(session) == before


def test_closing_a_closed_report_says_who_did_it(client, session, coordinator, report):
    token = csrf_token(client, "/inventory/queue")
    client.post(f"/inventory/problems/{report.id}/resolve", data={"csrf_token": token, "note": "A"})

    response = client.post(
        f"/inventory/problems/{report.id}/dismiss",
        data={"csrf_token": token, "note": "B"},
        follow_redirects=True,
    )

    assert f"That report was already resolved by {coordinator}." in text_of(response)
    session.expire_all()
    assert (report.status, report.resolution_note) == ("resolved", "A")


# History and export -----------------------------------------------------------------------------


def test_history_shows_changes_newest_first(client, session, coordinator):
    service = make_service(session, name="History Service")
    record_field_changes(
        session,
        resource_type="service",
        resource_id=service.id,
        user="editor@example.org",
        before={"name": "Old <b>Name</b>"},
        after={"name": "History Service"},
        when=datetime(2026, 1, 5, 18, 30, tzinfo=UTC),
    )
    session.commit()
    client.post(
        f"/inventory/services/{service.id}/verify",
        data={"csrf_token": csrf_token(client, "/inventory/")},
    )

    html = text_of(client.get(f"/inventory/services/{service.id}/history"))

    assert "<h1>History of History Service</h1>" in html
    assert "Old &lt;b&gt;Name&lt;/b&gt;" in html
    assert "editor@example.org" in html
    assert "Jan 5, 2026 11:30 MST" in html  # local time
    assert html.index("assured_date") < html.index("Old &lt;b&gt;Name")
    assert f'href="/inventory/services/{service.id}/history.csv"' in html


@pytest.mark.parametrize("service_id", ["nope", "00000000-0000-0000-0000-000000000000"])
def test_history_of_unknown_service_is_404(client, session, coordinator, service_id):
    assert client.get(f"/inventory/services/{service_id}/history").status_code == 404
    assert client.get(f"/inventory/services/{service_id}/history.csv").status_code == 404


def parse_csv(response) -> list[dict[str, str]]:
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(text_of(response))))


def test_service_history_csv(client, session, coordinator):
    service = make_service(session, name="Csv Service")
    record_field_changes(
        session,
        resource_type="service",
        resource_id=service.id,
        user="editor@example.org",
        before={"alert": None, "email": "a@example.org"},
        after={"alert": "Closed, for now", "email": "b@example.org"},
        when=datetime(2026, 2, 1, 12, 0, tzinfo=UTC),
    )
    session.commit()

    rows = parse_csv(client.get(f"/inventory/services/{service.id}/history.csv"))

    assert [(r["field"], r["old_value"], r["new_value"]) for r in rows] == [
        ("alert", "", "Closed, for now"),
        ("email", "a@example.org", "b@example.org"),
    ]
    assert rows[0]["changed_at"] == "2026-02-01T05:00:00-07:00"
    assert rows[0]["changed_by"] == "editor@example.org"
    assert rows[0]["record_name"] == "Csv Service"


def test_all_changes_csv_since_a_date(client, session, coordinator):
    service = make_service(session, name="All Csv")
    for when, value in [(datetime(2031, 5, 1, 12, tzinfo=UTC), "old"), (None, "new")]:
        record_field_changes(
            session,
            resource_type="service",
            resource_id=service.id,
            user="editor@example.org",
            before={"alert": None},
            after={"alert": value},
            when=when or datetime(2031, 6, 1, 12, tzinfo=UTC),
        )
    session.commit()

    everything = parse_csv(client.get("/inventory/history.csv"))
    recent = parse_csv(client.get("/inventory/history.csv?since=2031-05-15"))

    assert {"old", "new"} <= {r["new_value"] for r in everything}
    assert [r["new_value"] for r in recent] == ["new"]
    assert recent[0]["record_id"] == service.id


def test_all_changes_csv_bad_date_is_400(client, session, coordinator):
    response = client.get("/inventory/history.csv?since=last-week")

    assert response.status_code == 400
    assert "is not a date" in text_of(response)
