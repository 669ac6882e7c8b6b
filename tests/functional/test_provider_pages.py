"""Provider self-service over HTTP: the /provider page, invitations, proposals in the queue,
the stale-capacity list, and that a provider never reaches another organization's services."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from pmhc_directory.models import (
    CapacityReport,
    ChangeRecord,
    ProviderInvitation,
    ProviderProposal,
    Role,
    User,
)
from pmhc_directory.services.accounts import create_user
from pmhc_directory.services.invitations import create_invitation
from tests.factories import TEST_PASSWORD, make_service, make_user
from tests.functional.test_write_route_access import csrf_token, login
from tests.scenario_builders import ORIGIN_LAT, ORIGIN_LON, build_service, offset

PROVIDER = "nurse@unit.example.org"
# Open Monday to Sunday 08:00-09:00 only: a narrow window the tests move the lookup into.
NARROW = (
    {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR,SA,SU", "opens_at": "08:00", "closes_at": "09:00"},
)
ROUND = (
    {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR,SA,SU", "opens_at": "00:00", "closes_at": "23:59"},
)


@pytest.fixture
def ours(session):
    lat, lon = offset(2, 0)
    return build_service(
        session,
        "Our Crisis Unit",
        attributes=("open-24-7", "accepts-law-enforcement-dropoff"),
        lat=lat,
        lon=lon,
        schedules=ROUND,
        phone="505-555-0101",
        address="1 Main St",
        postal_code="87102",
    )


@pytest.fixture
def theirs(session):
    lat, lon = offset(3, 0)
    return build_service(
        session,
        "Their Crisis Unit",
        attributes=("open-24-7",),
        lat=lat,
        lon=lon,
        schedules=ROUND,
        capacity={"available": 4, "maximum": 8, "unit": "bed", "updated": datetime.now(UTC)},
    )


@pytest.fixture
def provider(session, ours):
    user = create_user(session, PROVIDER, Role.PROVIDER, TEST_PASSWORD, ours.organization_id)
    session.commit()
    return user


@pytest.fixture
def as_provider(client, provider):
    login(client, PROVIDER)
    return client


def token(client) -> str:
    return csrf_token(client, "/provider/")


def match(client) -> dict:
    response = client.get(
        "/api/v1/match",
        query_string={"lat": ORIGIN_LAT, "lon": ORIGIN_LON, "types": "crisis-receiving"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def result_of(answer: dict, service_id: str) -> dict | None:
    found = [r for r in answer["results"] if r["service_id"] == service_id]
    return found[0] if found else None


def exclusion_codes(answer: dict, service_id: str) -> list[str]:
    return [
        reason["code"]
        for e in answer["excluded"]
        if e["service_id"] == service_id
        for reason in e["reasons"]
    ]


def tap(client, service_id: str, action: str, value: str | None = None, unit: str = "bed"):
    data = {"csrf_token": token(client), "unit": unit, "action": action}
    if value is not None:
        data["value"] = value
    return client.post(f"/provider/services/{service_id}/capacity", data=data)


# --------------------------------------------------------------------------- the page


def test_login_lands_a_provider_on_their_page_listing_only_their_services(
    client, provider, ours, theirs
):
    response = client.post(
        "/login",
        data={
            "email": PROVIDER,
            "password": TEST_PASSWORD,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith("/provider/")
    html = client.get("/provider/").get_data(as_text=True)
    assert "Our Crisis Unit" in html
    assert "Their Crisis Unit" not in html
    assert "No figure reported yet" in html


def test_full_then_plus_two_counts_in_match_at_once_and_enters_history(as_provider, session, ours):
    response = tap(as_provider, ours.id, "set", "3")
    assert response.status_code == 302
    assert result_of(match(as_provider), ours.id)["capacity"]["available"] == 3

    assert tap(as_provider, ours.id, "full").status_code == 302
    answer = match(as_provider)
    assert result_of(answer, ours.id) is None
    assert "full" in exclusion_codes(answer, ours.id)

    tap(as_provider, ours.id, "set", "+2")
    result = result_of(match(as_provider), ours.id)
    assert result is not None
    assert result["capacity"]["available"] == 2
    assert result["capacity_text"] == "2 beds free, just now"
    assert "2 beds free, reported just now" in result["reasons"]

    reports = session.scalars(
        select(CapacityReport)
        .where(CapacityReport.service_id == ours.id)
        .order_by(CapacityReport.updated)
    ).all()
    assert [(r.available, r.source) for r in reports] == [
        (3, f"user:{PROVIDER}"),
        (0, f"user:{PROVIDER}"),
        (2, f"user:{PROVIDER}"),
    ]
    audited = session.scalars(
        select(ChangeRecord.updated_by).where(
            ChangeRecord.resource_id == ours.id, ChangeRecord.field_name == "capacity"
        )
    ).all()
    assert audited == [f"user:{PROVIDER}"] * 3


def test_minus_and_plus_step_by_one_and_refuse_below_zero(as_provider, session, ours):
    tap(as_provider, ours.id, "set", "1")
    tap(as_provider, ours.id, "minus")
    assert result_of(match(as_provider), ours.id) is None  # 0 free: full
    response = tap(as_provider, ours.id, "minus")
    assert response.status_code == 302
    page = as_provider.get("/provider/").get_data(as_text=True)
    assert "cannot go below 0" in page
    tap(as_provider, ours.id, "plus")
    assert result_of(match(as_provider), ours.id)["capacity"]["available"] == 1


@pytest.mark.parametrize("value", ["many", "-", "1.5", "999999999"])
def test_bad_numbers_are_refused_and_change_nothing(as_provider, session, ours, value):
    tap(as_provider, ours.id, "set", "2")
    response = tap(as_provider, ours.id, "set", value)
    assert response.status_code == 302
    assert "not saved" in as_provider.get("/provider/").get_data(as_text=True)
    assert result_of(match(as_provider), ours.id)["capacity"]["available"] == 2


def test_unknown_unit_is_refused(as_provider, ours):
    tap(as_provider, ours.id, "set", "2", unit="sofa")
    assert "unknown" in as_provider.get("/provider/").get_data(as_text=True)
    assert result_of(match(as_provider), ours.id)["capacity"] is None


def test_stale_figure_asks_for_an_update(as_provider, session, ours, app):
    tap(as_provider, ours.id, "set", "2")
    session.expire_all()
    row = ours.capacities[0]
    row.updated = datetime.now(UTC) - timedelta(hours=app.config["CAPACITY_FRESH_HOURS"] + 1)
    session.commit()
    html = as_provider.get("/provider/").get_data(as_text=True)
    assert "Please update" in html


def test_closed_until_excludes_the_service_until_reopened(as_provider, session, ours):
    until = (datetime.now(UTC) + timedelta(hours=3)).astimezone().strftime("%Y-%m-%dT%H:%M")
    response = as_provider.post(
        f"/provider/services/{ours.id}/closure",
        data={"csrf_token": token(as_provider), "until": until, "action": "close"},
    )
    assert response.status_code == 302
    answer = match(as_provider)
    assert result_of(answer, ours.id) is None
    assert "inactive" in exclusion_codes(answer, ours.id)
    assert "Reopen now" in as_provider.get("/provider/").get_data(as_text=True)

    as_provider.post(
        f"/provider/services/{ours.id}/closure",
        data={"csrf_token": token(as_provider), "action": "reopen"},
    )
    assert result_of(match(as_provider), ours.id) is not None


def test_a_closure_lapses_by_itself(as_provider, session, ours):
    as_provider.post(
        f"/provider/services/{ours.id}/closure",
        data={
            "csrf_token": token(as_provider),
            "until": (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M+00:00"),
        },
    )
    assert result_of(match(as_provider), ours.id) is None
    session.expire_all()
    ours.closed_until = datetime.now(UTC) - timedelta(seconds=1)  # time has passed
    session.commit()
    assert result_of(match(as_provider), ours.id) is not None


@pytest.mark.parametrize(
    "until",
    [
        "",
        "tomorrow",
        "2001-01-01T00:00",
        (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
    ],
)
def test_bad_closure_times_are_refused(as_provider, ours, until):
    as_provider.post(
        f"/provider/services/{ours.id}/closure",
        data={"csrf_token": token(as_provider), "until": until},
    )
    assert "not saved" in as_provider.get("/provider/").get_data(as_text=True)
    assert result_of(match(as_provider), ours.id) is not None


def test_alert_is_set_shown_and_removed(as_provider, session, ours):
    expires = (datetime.now(UTC) + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M+00:00")
    response = as_provider.post(
        f"/provider/services/{ours.id}/alert",
        data={
            "csrf_token": token(as_provider),
            "text": "No beds for women until 6 a.m.",
            "expires_at": expires,
        },
    )
    assert response.status_code == 302
    session.expire_all()
    assert ours.alert == "No beds for women until 6 a.m."
    assert ours.alert_expires_at is not None
    assert "No beds for women until 6 a.m." in as_provider.get("/provider/").get_data(as_text=True)
    as_provider.post(
        f"/provider/services/{ours.id}/alert",
        data={"csrf_token": token(as_provider), "action": "clear"},
    )
    session.expire_all()
    assert ours.alert is None
    fields = session.scalars(
        select(ChangeRecord.field_name).where(
            ChangeRecord.resource_id == ours.id, ChangeRecord.updated_by == f"user:{PROVIDER}"
        )
    ).all()
    assert fields.count("alert") == 2


def test_alert_without_text_or_with_a_past_expiry_is_refused(as_provider, session, ours):
    for text, expires in [("", "2999-01-01T00:00"), ("Full tonight", "2001-01-01T00:00")]:
        as_provider.post(
            f"/provider/services/{ours.id}/alert",
            data={"csrf_token": token(as_provider), "text": text, "expires_at": expires},
        )
        session.expire_all()
        assert ours.alert is None


# --------------------------------------------------------------------------- other organizations


def provider_requests(service_id: str) -> list[tuple[str, str, dict]]:
    return [
        ("POST", f"/provider/services/{service_id}/capacity", {"unit": "bed", "action": "full"}),
        ("POST", f"/provider/services/{service_id}/closure", {"until": "2999-01-01T00:00"}),
        ("POST", f"/provider/services/{service_id}/closure", {"action": "reopen"}),
        (
            "POST",
            f"/provider/services/{service_id}/alert",
            {"text": "x", "expires_at": "2999-01-01T00:00"},
        ),
        ("POST", f"/provider/services/{service_id}/alert", {"action": "clear"}),
        ("GET", f"/provider/services/{service_id}/hours", {}),
        (
            "POST",
            f"/provider/services/{service_id}/hours",
            {"windows-0-days": "MO", "windows-0-opens_at": "08:00", "windows-0-closes_at": "09:00"},
        ),
        ("GET", f"/provider/services/{service_id}/details", {}),
        ("POST", f"/provider/services/{service_id}/details", {"phone": "505-555-0199"}),
    ]


def test_every_provider_route_answers_404_for_another_organizations_service(
    as_provider, session, theirs, app
):
    provider_rules = {
        r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("provider.")
    }
    tried = {re.sub(theirs.id, "<service_id>", path) for _, path, _ in provider_requests(theirs.id)}
    # Every provider route about a service is tried here (the page itself and the invitation
    # link are about no service).
    assert provider_rules - tried == {"/provider/", "/provider/invitation/<token>"}
    version = theirs.version
    for method, path, data in provider_requests(theirs.id):
        if method == "POST":
            data = {**data, "csrf_token": token(as_provider)}
        response = as_provider.open(path, method=method, data=data)
        assert response.status_code == 404, (method, path, response.status_code)
        assert "Their Crisis Unit" not in response.get_data(as_text=True)
    session.expire_all()
    assert theirs.version == version
    assert theirs.alert is None and theirs.closed_until is None
    assert session.scalars(select(ProviderProposal)).all() == []
    assert result_of(match(as_provider), theirs.id)["capacity"]["available"] == 4


def test_a_provider_is_kept_out_of_staff_pages(as_provider, app, monkeypatch):
    for path in ("/inventory/", "/inventory/queue", "/outcomes/", "/inventory/stale-capacity"):
        assert as_provider.get(path).status_code == 403, path
    monkeypatch.setitem(app.config, "PUBLIC_DIRECTORY", False)
    assert as_provider.get("/api/v1/match?lat=35&lon=-106").status_code == 403
    assert as_provider.get("/").status_code == 403


def test_a_provider_without_an_organization_sees_no_services(client, session, ours):
    user = create_user(
        session, "lost@example.org", Role.PROVIDER, TEST_PASSWORD, ours.organization_id
    )
    user.organization_id = None  # e.g. the organization was merged away
    session.commit()
    login(client, "lost@example.org")
    html = client.get("/provider/").get_data(as_text=True)
    assert "Our Crisis Unit" not in html
    assert client.get(f"/provider/services/{ours.id}/hours").status_code == 404


# --------------------------------------------------------------------------- invitations


@pytest.fixture
def coordinator(client, session):
    make_user(session, "coordinator")
    session.commit()
    login(client, "coordinator@example.org")
    return client


def invite(client, organization_id: str, email: str = "new@unit.example.org", hours: str = "72"):
    page = f"/inventory/organizations/{organization_id}/providers"
    return client.post(
        page, data={"csrf_token": csrf_token(client, page), "email": email, "valid_hours": hours}
    )


def link_in(html: str) -> str:
    match_ = re.search(
        r'<code class="invitation-link">[^<]*(/provider/invitation/[^<]+)</code>', html
    )
    assert match_, html[:2000]
    return match_.group(1)


def test_coordinator_invites_and_the_link_makes_a_provider_account_once(
    coordinator, app, session, ours
):
    response = invite(coordinator, ours.organization_id)
    assert response.status_code == 200
    link = link_in(response.get_data(as_text=True))
    stored = session.scalars(select(ProviderInvitation)).one()
    assert stored.token_hash not in link and link.rsplit("/", 1)[1] not in stored.token_hash

    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200
    assert "new@unit.example.org" in page.get_data(as_text=True)
    form = {"csrf_token": csrf_token(visitor, link), "password": TEST_PASSWORD}
    mismatch = visitor.post(link, data={**form, "confirm": "something else entirely"})
    assert mismatch.status_code == 422
    weak = visitor.post(link, data={**form, "password": "short", "confirm": "short"})
    assert weak.status_code == 422
    done = visitor.post(link, data={**form, "confirm": form["password"]})
    assert done.status_code == 302 and "/login" in done.headers["Location"]
    login(visitor, "new@unit.example.org")
    assert "Our Crisis Unit" in visitor.get("/provider/").get_data(as_text=True)
    user = session.scalars(select(User).where(User.email == "new@unit.example.org")).one()
    assert (user.role, user.organization_id) == (Role.PROVIDER, ours.organization_id)

    again = app.test_client()
    used = again.get(link)
    assert used.status_code == 410
    assert "already been used" in used.get_data(as_text=True)
    assert (
        again.post(
            link,
            data={
                "csrf_token": csrf_token(again, "/login"),
                "password": "x" * 20,
                "confirm": "x" * 20,
            },
        ).status_code
        == 410
    )


def test_an_expired_or_unknown_link_is_refused(app, session, ours):
    now = datetime.now(UTC)
    _, secret = create_invitation(
        session,
        ours.organization_id,
        "late@unit.example.org",
        "c@example.org",
        now - timedelta(hours=2),
        1,
    )
    session.commit()
    visitor = app.test_client()
    expired = visitor.get(f"/provider/invitation/{secret}")
    assert expired.status_code == 410
    assert "expired" in expired.get_data(as_text=True)
    posted = visitor.post(
        f"/provider/invitation/{secret}",
        data={
            "csrf_token": csrf_token(visitor, "/login"),
            "password": "p" * 14,
            "confirm": "p" * 14,
        },
    )
    assert posted.status_code == 410
    assert session.scalars(select(User).where(User.email == "late@unit.example.org")).all() == []
    assert visitor.get("/provider/invitation/not-a-real-link").status_code == 410


@pytest.mark.parametrize(
    ("email", "hours"),
    [
        ("not an email", "72"),
        ("ok@example.org", "0"),
        ("ok@example.org", "1000"),
        ("ok@example.org", "soon"),
    ],
)
def test_bad_invitations_are_refused(coordinator, session, ours, email, hours):
    response = invite(coordinator, ours.organization_id, email, hours)
    assert response.status_code == 422
    assert session.scalars(select(ProviderInvitation)).all() == []


def test_inviting_an_existing_account_is_refused(coordinator, session, ours, provider):
    assert invite(coordinator, ours.organization_id, PROVIDER).status_code == 422


def test_provider_accounts_page_lists_accounts_and_open_invitations(coordinator, ours, provider):
    invite(coordinator, ours.organization_id, "second@unit.example.org")
    html = coordinator.get(f"/inventory/organizations/{ours.organization_id}/providers").get_data(
        as_text=True
    )
    assert PROVIDER in html
    assert "second@unit.example.org" in html
    assert "invitation-link" not in html  # the link is shown once only


def test_unknown_organization_is_404(coordinator):
    assert coordinator.get("/inventory/organizations/nope/providers").status_code == 404


# --------------------------------------------------------------------------- proposals


def propose_overnight(client, service_id: str):
    page = f"/provider/services/{service_id}/hours"
    return client.post(
        page,
        data={
            "csrf_token": csrf_token(client, page),
            "version": "0",
            "windows-0-days": ["MO", "TU", "WE", "TH", "FR", "SA", "SU"],
            "windows-0-opens_at": "20:00",
            "windows-0-closes_at": "08:00",
        },
    )


def queue_form(client) -> tuple[str, str, str]:
    html = client.get("/inventory/queue").get_data(as_text=True)
    action = re.search(r'action="(/inventory/proposals/[^"]+)"', html)
    version = re.search(r'name="version" value="(\d+)"', html[action.start() :])
    return action.group(1), version.group(1), html


def test_proposed_overnight_hours_go_live_only_when_accepted(app, session, ours, provider):
    provider_client = app.test_client()
    login(provider_client, PROVIDER)
    response = propose_overnight(provider_client, ours.id)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    assert "Waiting for your coordinator" in provider_client.get("/provider/").get_data(
        as_text=True
    )
    session.expire_all()
    assert [s.opens_at for s in ours.schedules] == ["00:00"]  # nothing live yet

    make_user(session, "coordinator")
    session.commit()
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.org")
    action, version, html = queue_form(coordinator)
    assert "Proposed by providers" in html and "Our Crisis Unit" in html
    assert "Every day 8:00 PM-8:00 AM (next day)" in html  # proposed, beside the current one
    token_ = csrf_token(coordinator, "/inventory/queue")
    decided = coordinator.post(
        action, data={"csrf_token": token_, "version": version, "decision": "accept"}
    )
    assert decided.status_code == 303
    session.expire_all()
    assert [(s.opens_at, s.closes_at) for s in ours.schedules] == [("20:00", "08:00")]
    proposal = session.scalars(select(ProviderProposal)).one()
    assert (proposal.status, proposal.decided_by) == ("accepted", "coordinator@example.org")
    by = session.scalars(
        select(ChangeRecord.updated_by).where(
            ChangeRecord.resource_id == ours.id, ChangeRecord.field_name == "schedules"
        )
    ).all()
    assert by == ["coordinator@example.org"]
    # Now it counts in the lookup: closed at noon, open at 22:00 local time.
    here = datetime.now(ZoneInfo(app.config["TIMEZONE"]))
    noon = here.replace(hour=12, minute=0).isoformat()
    late = here.replace(hour=22, minute=0).isoformat()
    for at, expected_open in ((noon, False), (late, True)):
        answer = coordinator.get(
            "/api/v1/match",
            query_string={
                "lat": ORIGIN_LAT,
                "lon": ORIGIN_LON,
                "types": "crisis-receiving",
                "at": at,
            },
        ).get_json()
        assert (result_of(answer, ours.id) is not None) is expected_open, at
    # Decided: gone from the queue, and a second decision is refused.
    assert "No proposals waiting" in coordinator.get("/inventory/queue").get_data(as_text=True)
    again = coordinator.post(
        action, data={"csrf_token": token_, "version": version, "decision": "reject"}
    )
    assert again.status_code == 404


def test_a_rejected_proposal_changes_nothing(app, session, ours, provider):
    provider_client = app.test_client()
    login(provider_client, PROVIDER)
    propose_overnight(provider_client, ours.id)
    session.expire_all()
    version = ours.version
    make_user(session, "coordinator")
    session.commit()
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.org")
    action, shown_version, _ = queue_form(coordinator)
    token_ = csrf_token(coordinator, "/inventory/queue")
    decided = coordinator.post(
        action, data={"csrf_token": token_, "version": shown_version, "decision": "reject"}
    )
    assert decided.status_code == 303
    session.expire_all()
    assert ours.version == version
    assert [s.opens_at for s in ours.schedules] == ["00:00"]
    assert session.scalars(select(ProviderProposal.status)).one() == "rejected"


def test_accepting_after_the_service_changed_is_a_conflict(app, session, ours, provider):
    provider_client = app.test_client()
    login(provider_client, PROVIDER)
    propose_overnight(provider_client, ours.id)
    make_user(session, "coordinator")
    session.commit()
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.org")
    action, version, _ = queue_form(coordinator)
    tap(provider_client, ours.id, "set", "2")  # the service moves on meanwhile
    token_ = csrf_token(coordinator, "/inventory/queue")
    response = coordinator.post(
        action, data={"csrf_token": token_, "version": version, "decision": "accept"}
    )
    assert response.status_code == 303
    assert "changed since you loaded" in coordinator.get("/inventory/queue").get_data(as_text=True)
    session.expire_all()
    assert [s.opens_at for s in ours.schedules] == ["00:00"]
    assert session.scalars(select(ProviderProposal.status)).one() == "pending"


def test_unreadable_proposed_hours_are_refused_with_the_field_named(as_provider, session, ours):
    page = f"/provider/services/{ours.id}/hours"
    response = as_provider.post(
        page,
        data={
            "csrf_token": csrf_token(as_provider, page),
            "windows-0-days": ["MO"],
            "windows-0-opens_at": "25:00",
            "windows-0-closes_at": "08:00",
        },
    )
    assert response.status_code == 422
    assert 'id="windows-0-opens_at-error"' in response.get_data(as_text=True)
    assert session.scalars(select(ProviderProposal)).all() == []


def test_proposed_phone_and_address_are_accepted_as_a_coordinator_edit(
    app, session, ours, provider
):
    provider_client = app.test_client()
    login(provider_client, PROVIDER)
    page = f"/provider/services/{ours.id}/details"
    assert (
        provider_client.post(
            page, data={"csrf_token": csrf_token(provider_client, page)}
        ).status_code
        == 422
    )
    bad = provider_client.post(
        page, data={"csrf_token": csrf_token(provider_client, page), "address_1": "2 Elm St"}
    )
    assert bad.status_code == 422
    response = provider_client.post(
        page,
        data={
            "csrf_token": csrf_token(provider_client, page),
            "phone": "505-555-0177",
            "address_1": "2 Elm St",
            "city": "Albuquerque",
            "state_province": "NM",
            "postal_code": "87102",
        },
    )
    assert response.status_code == 302
    make_user(session, "coordinator")
    session.commit()
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.org")
    action, version, html = queue_form(coordinator)
    assert "505-555-0101" in html and "505-555-0177" in html
    token_ = csrf_token(coordinator, "/inventory/queue")
    coordinator.post(action, data={"csrf_token": token_, "version": version, "decision": "accept"})
    session.expire_all()
    assert ours.phones[0].number == "505-555-0177"
    address = ours.service_at_locations[0].location.addresses[0]
    assert (address.address_1, address.city) == ("2 Elm St", "Albuquerque")


# --------------------------------------------------------------------------- stale capacity list


def test_stale_list_names_facilities_that_have_not_reported(
    coordinator, session, ours, theirs, provider
):
    old = datetime.now(UTC) - timedelta(hours=30)
    lat, lon = offset(5, 0)
    build_service(
        session,
        "Old Report Unit",
        lat=lat,
        lon=lon,
        capacity={"available": 1, "maximum": 4, "unit": "chair", "updated": old},
    )
    session.commit()
    html = coordinator.get("/inventory/stale-capacity").get_data(as_text=True)
    assert "Old Report Unit" in html
    assert "Our Crisis Unit" in html  # a provider account, never reported
    assert "Their Crisis Unit" not in html  # reported just now
    response = coordinator.get("/inventory/stale-capacity.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_name = {r["service"]: r for r in rows}
    assert by_name["Our Crisis Unit"]["last_reported"] == "never"
    assert float(by_name["Old Report Unit"]["hours_ago"]) == pytest.approx(30, abs=0.1)
    assert "Their Crisis Unit" not in by_name


def test_stale_list_csv_makes_formulas_inert(coordinator, session):
    """Service names come from providers and imports: one starting with '=' is text."""
    old = datetime.now(UTC) - timedelta(hours=30)
    lat, lon = offset(5, 0)
    build_service(
        session,
        '=HYPERLINK("http://evil.example","Unit")',
        lat=lat,
        lon=lon,
        capacity={"available": 1, "maximum": 4, "unit": "chair", "updated": old},
    )
    session.commit()
    response = coordinator.get("/inventory/stale-capacity.csv")
    services = [r["service"] for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))]
    assert """'=HYPERLINK("http://evil.example","Unit")""" in services
    assert not any(name.startswith("=") for name in services)


def test_every_provider_form_carries_a_csrf_token_and_no_inline_script(
    as_provider, session, ours, provider
):
    from tests.functional.test_security_controls import PageParser

    tap(as_provider, ours.id, "set", "2")
    for path in (
        "/provider/",
        f"/provider/services/{ours.id}/hours",
        f"/provider/services/{ours.id}/details",
    ):
        parser = PageParser()
        parser.feed(as_provider.get(path).get_data(as_text=True))
        posts = [f for f in parser.forms if f["method"] == "post"]
        assert posts, path
        assert all(f["csrf"] for f in posts), path
        assert parser.inline_scripts == 0 and not parser.event_handlers, path


def test_a_provider_alert_is_first_on_the_officers_card_until_it_expires(
    as_provider, session, ours
):
    expires = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M+00:00")
    as_provider.post(
        f"/provider/services/{ours.id}/alert",
        data={
            "csrf_token": token(as_provider),
            "text": "No beds for women until 6 a.m.",
            "expires_at": expires,
        },
    )
    assert result_of(match(as_provider), ours.id)["alert"] == "No beds for women until 6 a.m."
    query = {"lat": ORIGIN_LAT, "lon": ORIGIN_LON, "types": "crisis-receiving"}
    html = as_provider.get("/", query_string=query).get_data(as_text=True)
    link = html.index(f'href="/services/{ours.id}"')
    card = html[html.rindex('<li class="card result-card"', 0, link) : link]
    assert "No beds for women until 6 a.m." in card  # first: before the name

    session.expire_all()
    ours.alert_expires_at = datetime.now(UTC) - timedelta(seconds=1)  # time has passed
    session.commit()
    assert result_of(match(as_provider), ours.id)["alert"] is None
    html = as_provider.get("/", query_string=query).get_data(as_text=True)
    assert "No beds for women" not in html
    assert "No beds for women" not in as_provider.get(f"/services/{ours.id}").get_data(as_text=True)


def test_only_services_that_count_places_are_asked_for_a_figure(as_provider, session, ours):
    make_service(session, name="Our Warmline", types=("warmline",), organization=ours.organization)
    session.commit()
    html = as_provider.get("/provider/").get_data(as_text=True)
    line = html[html.index("Our Warmline") :]
    unit = html[html.index("Our Crisis Unit") : html.index("Our Warmline")]
    assert "No figure reported yet" in unit
    assert "No figure reported yet" not in line
    assert "If this service has beds" in line


def test_a_closure_ends_by_itself_with_no_write_at_all(as_provider, session, ours):
    """The lookup's cache reloads a closed service when its closure ends: nothing else in the
    database changes, only the clock moves on."""
    import time

    session.expire_all()
    ends = datetime.now(UTC) + timedelta(seconds=1.5)
    ours.closed_until = ends
    session.commit()
    answer = match(as_provider)
    assert result_of(answer, ours.id) is None
    assert "inactive" in exclusion_codes(answer, ours.id)
    time.sleep(max((ends - datetime.now(UTC)).total_seconds(), 0) + 0.1)
    assert result_of(match(as_provider), ours.id) is not None


def test_a_provider_alert_is_on_the_handout_until_it_expires(as_provider, session, ours):
    expires = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M+00:00")
    as_provider.post(
        f"/provider/services/{ours.id}/alert",
        data={"csrf_token": token(as_provider), "text": "Side door only", "expires_at": expires},
    )
    handout = as_provider.get(f"/handout?services={ours.id}&lang=en").get_data(as_text=True)
    assert "Side door only" in handout
    session.expire_all()
    ours.alert_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    handout = as_provider.get(f"/handout?services={ours.id}&lang=en").get_data(as_text=True)
    assert "Side door only" not in handout


def test_a_withdrawn_invitation_link_is_refused(coordinator, app, session, ours):
    link = link_in(invite(coordinator, ours.organization_id).get_data(as_text=True))
    invitation = session.scalars(select(ProviderInvitation)).one()
    page = f"/inventory/organizations/{ours.organization_id}/providers"
    withdraw = f"{page.rsplit('/', 1)[0]}/invitations/{invitation.id}/withdraw"
    response = coordinator.post(withdraw, data={"csrf_token": csrf_token(coordinator, page)})
    assert response.status_code == 303
    assert "withdrawn" in coordinator.get(page).get_data(as_text=True)
    assert app.test_client().get(link).status_code == 410
    again = coordinator.post(withdraw, data={"csrf_token": csrf_token(coordinator, page)})
    assert again.status_code == 404
