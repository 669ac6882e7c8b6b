"""The directory pages over HTTP: landing page, browse, detail, banners, CSP and access."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from pmhc_directory.models import (
    Address,
    Attribute,
    Phone,
    Role,
    Schedule,
    ServiceArea,
    ServiceCapacity,
    TaxonomyTerm,
    Unit,
)
from pmhc_directory.services import directory as directory_service
from pmhc_directory.services.site import mark_demo_loaded
from pmhc_directory.taxonomy import vocabulary
from tests.factories import TEST_PASSWORD, make_location, make_organization, make_service, make_user

NATIONAL_LINES_TEXT = "In danger now: call 911. Crisis: call or text 988."
DEMO_TEXT = "Demo data: fictional jurisdiction, not real services"
RESULT_RE = re.compile(r'<li class="card result">')
# A <script> element with anything but whitespace between its tags.
INLINE_SCRIPT_RE = re.compile(r"<script\b[^>]*>\s*[^<\s]", re.IGNORECASE)
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def text_of(response) -> str:
    return response.get_data(as_text=True)


def result_count(response) -> int:
    return len(RESULT_RE.findall(text_of(response)))


def add_attribute(session, service, taxonomy: str, code: str, link_type: str) -> None:
    term = session.get(TaxonomyTerm, vocabulary().id_for_code(taxonomy, code))
    service.attributes.append(
        Attribute(
            link_id=service.id,
            link_entity="service",
            link_type=link_type,
            taxonomy_term=term,
            position=len(service.attributes),
        )
    )
    session.flush()


def log_in(client, session, role: Role = Role.OFFICER) -> None:
    user = make_user(session, role, email=f"{role.value}-pages@example.org")
    session.commit()
    html = text_of(client.get("/login"))
    token = CSRF_RE.search(html).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "email": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


# Landing page ------------------------------------------------------------------------------------


def test_index_lists_national_lines_with_call_and_text_links(client, session):
    line = make_service(
        session,
        name="Test National Line",
        types=("crisis-line",),
        is_national=True,
        description="Answered day and night.",
    )
    line.phones.append(Phone(number="988", type="voice", description="Press 1 for veterans."))
    line.phones.append(
        Phone(number="988", type="text", description="Text AYUDA for Spanish.", position=1)
    )
    session.commit()

    response = client.get("/")
    html = text_of(response)

    assert response.status_code == 200
    assert "<h1>Find help now</h1>" in html
    assert "Test National Line" in html
    assert 'href="tel:988"' in html
    assert 'href="sms:988"' in html
    assert "Press 1 for veterans." in html
    assert "Text AYUDA for Spanish." in html
    assert 'href="/directory"' in html


def test_index_leaves_out_local_services(client, session):
    make_service(session, name="Local Only Line", types=("crisis-line",))
    session.commit()

    assert "Local Only Line" not in text_of(client.get("/"))


# Every page --------------------------------------------------------------------------------------


@pytest.fixture
def every_page(client, session) -> list[str]:
    service = make_service(session, name="Any service")
    session.commit()
    return [
        "/",
        "/directory",
        f"/services/{service.id}",
        "/login",
        "/directory?type=nonsense",
        f"/services/{uuid.uuid4()}",
        "/no-such-page",
    ]


def test_every_page_has_national_lines_landmarks_and_no_inline_code(client, every_page):
    for path in every_page:
        response = client.get(path)
        html = text_of(response)
        assert NATIONAL_LINES_TEXT in html, path
        assert '<html lang="en">' in html, path
        assert '<meta name="viewport"' in html, path
        assert 'class="skip-link" href="#main"' in html, path
        assert '<main id="main"' in html and "<footer" in html and "<nav" in html, path
        assert INLINE_SCRIPT_RE.search(html) is None, path
        assert " style=" not in html.lower() and "<style" not in html.lower(), path
        assert "Content-Security-Policy" in response.headers, path
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp, path


def test_logged_in_pages_have_no_inline_code_either(client, session):
    log_in(client, session)
    for path in ("/", "/directory", "/account"):
        html = text_of(client.get(path))
        assert INLINE_SCRIPT_RE.search(html) is None, path
        assert " style=" not in html.lower(), path


def test_stylesheet_is_served_from_the_app(client):
    response = client.get("/static/css/app.css")

    assert response.status_code == 200
    assert "http" not in text_of(response)  # no CDN, no remote fonts
    response.close()


def test_demo_banner_only_when_demo_data_is_loaded(client, session):
    assert DEMO_TEXT not in text_of(client.get("/"))

    mark_demo_loaded(session)
    session.commit()

    for path in ("/", "/directory", "/login", "/no-such-page"):
        assert DEMO_TEXT in text_of(client.get(path)), path


def test_nav_shows_login_to_anonymous_users(client):
    html = text_of(client.get("/"))

    assert 'href="/login"' in html
    assert "Log out" not in html


# Browse ------------------------------------------------------------------------------------------


def test_browse_filters_by_service_type(client, session):
    make_service(session, name="Mobile Alpha", types=("mobile-crisis",))
    make_service(session, name="Receiving Beta", types=("crisis-receiving",))
    session.commit()

    html = text_of(client.get("/directory?type=mobile-crisis"))

    assert "Mobile Alpha" in html
    assert "Receiving Beta" not in html
    assert '<option value="mobile-crisis" selected>' in html


def test_browse_filters_by_continuum_element(client, session):
    make_service(session, name="Responder Gamma", types=("co-responder",))
    make_service(session, name="Shelter Delta", types=("emergency-shelter",))
    session.commit()

    html = text_of(client.get("/directory?continuum=housing"))

    assert "Shelter Delta" in html
    assert "Responder Gamma" not in html
    assert '<option value="housing" selected>' in html


def test_browse_row_shows_the_listing_facts(client, session):
    org = make_organization(session, name="Riverton Health")
    service = make_service(
        session,
        name="Stabilization Epsilon",
        types=("crisis-stabilization",),
        organization=org,
        assured_date=date(2026, 2, 3),
    )
    location = make_location(session, service)
    location.addresses.append(
        Address(
            address_1="9 Oak St",
            city="Riverton",
            state_province="NM",
            postal_code="1",
            country="US",
        )
    )
    session.commit()

    html = text_of(client.get("/directory?type=crisis-stabilization"))

    assert f'href="/services/{service.id}"' in html
    assert "Riverton Health" in html
    assert "Crisis stabilization unit" in html
    assert "Riverton</dd>" in html
    assert '<time datetime="2026-02-03">Feb 3, 2026</time>' in html
    assert "status-active" in html


def test_browse_hides_inactive_services_unless_asked(client, session):
    make_service(session, name="Closed Zeta", types=("treatment-court",), status="inactive")
    make_service(session, name="Open Eta", types=("treatment-court",))
    session.commit()

    default = text_of(client.get("/directory?type=treatment-court"))
    everything = text_of(client.get("/directory?type=treatment-court&inactive=y"))

    assert "Open Eta" in default and "Closed Zeta" not in default
    assert "Open Eta" in everything and "Closed Zeta" in everything
    assert 'name="inactive" value="y" checked' in everything


def test_browse_pages_by_fifty(client, session):
    org = make_organization(session, name="Court system")
    for i in range(55):
        make_service(session, name=f"Court {i:03d}", types=("treatment-court",), organization=org)
    session.commit()

    first = client.get("/directory?type=treatment-court")
    second = client.get("/directory?type=treatment-court&page=2")
    beyond = client.get("/directory?type=treatment-court&page=9")

    assert result_count(first) == 50
    assert "Page 1 of 2" in text_of(first)
    assert 'rel="next" href="/directory?type=treatment-court&amp;page=2"' in text_of(first)
    assert result_count(second) == 5
    assert "Court 054" in text_of(second) and "Court 000" not in text_of(second)
    assert 'rel="prev"' in text_of(second)
    assert beyond.status_code == 200
    assert result_count(beyond) == 0
    assert "There is no page 9" in text_of(beyond)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("type=not-a-type", "is not a service type"),
        ("continuum=everywhere", "is not part of the crisis continuum"),
        ("page=0", "is not a page number"),
        ("page=two", "is not a page number"),
        ("page=-1", "is not a page number"),
        ("inactive=perhaps", "must be yes or no"),
    ],
)
def test_browse_invalid_filter_is_a_clear_400(client, query, message):
    response = client.get(f"/directory?{query}")
    html = text_of(response)

    assert response.status_code == 400
    assert message in html
    assert "Traceback" not in html
    assert NATIONAL_LINES_TEXT in html


def test_browse_escapes_the_bad_value(client):
    html = text_of(client.get("/directory?type=<b>x</b>"))

    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


# Detail ------------------------------------------------------------------------------------------


def test_detail_shows_the_service(client, session):
    service = make_service(
        session,
        name="Crisis Centre Theta",
        types=("crisis-receiving", "withdrawal-management"),
        attributes=("accepts-law-enforcement-dropoff",),
        description="A 24-hour receiving center.",
        alert="Entrance moved to the north side.",
        minimum_age=18,
        eligibility_description="Adults only.",
        interpretation_services="Interpreters by phone.",
    )
    add_attribute(session, service, "payment", "medicaid", "payment")
    add_attribute(session, service, "population", "veterans", "eligibility")
    add_attribute(session, service, "population", "lgbtq", "audience")
    add_attribute(session, service, "population", "men", "eligibility")
    service.service_areas.append(ServiceArea(name="Riverton County"))
    location = make_location(session, service, name="North campus")
    location.addresses.append(
        Address(
            address_1="10 Elm St",
            city="Riverton",
            state_province="NM",
            postal_code="87001",
            country="US",
        )
    )
    location.phones.append(Phone(number="(505) 555-0199"))
    session.commit()

    html = text_of(client.get(f"/services/{service.id}"))

    assert '<h1 id="service-name">Crisis Centre Theta</h1>' in html
    assert "A 24-hour receiving center." in html
    assert "Entrance moved to the north side." in html
    assert "Crisis receiving center" in html
    assert vocabulary().continuum["place"] in html
    assert "Accepts law enforcement drop-off" in html
    assert "Medicaid" in html
    assert "Ages 18 and over" in html
    assert "Veterans" in html and "LGBTQ+ people" in html
    assert "Men only" in html
    assert "Adults only." in html
    assert "Interpreters by phone." in html
    assert "10 Elm St" in html and "Riverton, NM 87001" in html
    assert 'href="tel:5055550199"' in html
    assert "Riverton County" in html
    assert "National line" not in html


def test_detail_shows_hours_from_the_hours_engine(client, session, monkeypatch):
    monkeypatch.setattr(
        directory_service, "_hours_describer", lambda: lambda rules: ["Weekdays, as described"]
    )
    service = make_service(session)
    service.schedules.append(
        Schedule(freq="WEEKLY", byday="MO,TU,WE,TH,FR", opens_at="08:00", closes_at="17:00")
    )
    session.commit()

    html = text_of(client.get(f"/services/{service.id}"))

    assert "<li>Weekdays, as described</li>" in html


def test_detail_shows_raw_hours_without_the_hours_engine(client, session, monkeypatch):
    monkeypatch.setattr(directory_service, "_hours_describer", lambda: None)
    service = make_service(session)
    service.schedules.append(
        Schedule(freq="WEEKLY", byday="MO,TU,WE,TH,FR", opens_at="08:00", closes_at="17:00")
    )
    service.schedules.append(
        Schedule(valid_from=date(2026, 12, 25), valid_to=date(2026, 12, 25), position=1)
    )
    session.commit()

    html = text_of(client.get(f"/services/{service.id}"))

    assert "Mon\u2013Fri" in html and "08:00\u201317:00" in html
    assert "Closed" in html and "on 2026-12-25" in html


def test_detail_with_the_real_hours_engine(client, session):
    service = make_service(session)
    service.schedules.append(
        Schedule(freq="WEEKLY", byday="MO,TU,WE,TH,FR", opens_at="08:00", closes_at="17:00")
    )
    session.commit()

    response = client.get(f"/services/{service.id}")

    assert response.status_code == 200
    assert "Hours not listed" not in text_of(response)


def test_detail_says_when_hours_are_not_listed(client, session):
    service = make_service(session)
    session.commit()

    assert "Hours not listed. Call before going." in text_of(client.get(f"/services/{service.id}"))


def test_detail_capacity_fresh_and_stale(client, session, app):
    service = make_service(session)
    bed, chair = Unit(name="bed", scheme="PMHC"), Unit(name="chair", scheme="PMHC")
    session.add_all([bed, chair])
    now = datetime.now(UTC)
    fresh_hours = app.config["CAPACITY_FRESH_HOURS"]
    session.add_all(
        [
            ServiceCapacity(
                service=service, unit=bed, available=3, maximum=10, updated=now - timedelta(hours=1)
            ),
            ServiceCapacity(
                service=service,
                unit=chair,
                available=2,
                maximum=4,
                updated=now - timedelta(hours=fresh_hours + 1),
            ),
        ]
    )
    session.commit()

    html = text_of(client.get(f"/services/{service.id}"))

    assert "3 of 10 beds available" in html
    assert "2 of 4 chairs available" in html
    assert html.count("Stale: older than") == 1
    stale_item = html[html.index("2 of 4 chairs") :]
    assert "Stale: older than" in stale_item.split("</li>")[0]


def test_detail_verification_recent_or_overdue(client, session, app):
    days = app.config["REVERIFY_DAYS"]
    recent = make_service(session, name="Recent", assured_date=date.today() - timedelta(days=3))
    overdue = make_service(
        session, name="Old", assured_date=date.today() - timedelta(days=days + 2)
    )
    never = make_service(session, name="Never")
    session.commit()

    recent_html = text_of(client.get(f"/services/{recent.id}"))
    overdue_html = text_of(client.get(f"/services/{overdue.id}"))
    never_html = text_of(client.get(f"/services/{never.id}"))

    assert f'<time datetime="{recent.assured_date.isoformat()}">' in recent_html
    assert "Overdue for re-verification" not in recent_html
    assert "Overdue for re-verification" in overdue_html
    assert "Never verified by a person." in never_html


@pytest.mark.parametrize("status", ["inactive", "temporarily closed", "defunct"])
def test_detail_makes_a_non_active_status_prominent(client, session, status):
    service = make_service(session, status=status)
    session.commit()

    html = text_of(client.get(f"/services/{service.id}"))

    assert f"<strong>This service is {status}.</strong>" in html
    assert "notice-danger" in html


def test_detail_marks_national_lines(client, session):
    service = make_service(session, types=("crisis-line",), is_national=True)
    session.commit()

    html = text_of(client.get(f"/services/{service.id}"))

    assert "National line</span>" in html
    assert "anywhere in the United States" in html


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "1", str(uuid.uuid4()), "%00"])
def test_detail_unknown_or_malformed_id_is_404(client, bad_id):
    response = client.get(f"/services/{bad_id}")

    assert response.status_code == 404
    assert "<h1>Not Found</h1>" in text_of(response)
    assert NATIONAL_LINES_TEXT in text_of(response)


# PUBLIC_DIRECTORY --------------------------------------------------------------------------------


@pytest.fixture
def private_directory(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_DIRECTORY", False)


def test_private_directory_sends_anonymous_users_to_login(client, session, private_directory):
    service = make_service(session)
    session.commit()

    for path in ("/", "/directory?type=mobile-crisis", f"/services/{service.id}"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path


def test_private_directory_keeps_the_original_page_in_next(client, private_directory):
    response = client.get("/directory?type=mobile-crisis")

    assert response.headers["Location"] == "/login?next=/directory?type%3Dmobile-crisis"


def test_private_directory_nav_offers_only_login(client, private_directory):
    html = text_of(client.get("/login"))

    assert 'href="/directory"' not in html.split("</nav>")[0]
    assert 'href="/login"' in html


def test_private_directory_is_open_to_staff(client, session, private_directory):
    service = make_service(session)
    log_in(client, session)

    for path in ("/", "/directory", f"/services/{service.id}"):
        assert client.get(path).status_code == 200, path
