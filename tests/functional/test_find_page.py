"""The officer page at ``/``: the form, result cards, what was left out, gaps, errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from pmhc_directory.models import Address, Phone, Schedule, UnmetNeed
from pmhc_directory.services.lookup import LookupAnswer
from pmhc_directory.taxonomy import NEED, vocabulary
from pmhc_directory.views import find
from tests.factories import make_location, make_service

NATIONAL_LINES_TEXT = "In danger now: call 911. Crisis: call or text 988."
INLINE_SCRIPT_RE = re.compile(r"<script\b[^>]*>\s*[^<\s]", re.IGNORECASE)
CARD_RE = re.compile(r'<li class="card result-card" id="result-')

# A point in the middle of the test services (Albuquerque, NM; the factories' default).
HERE = {"lat": "35.0844", "lon": "-106.6504"}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def card_count(html: str) -> int:
    return len(CARD_RE.findall(html))


def fake_answer(**changes: Any) -> dict[str, Any]:
    """A lookup answer in the shape of spec/api.md 3 plus the page fields."""
    answer: dict[str, Any] = {
        "query": {
            "lat": 35.1,
            "lon": -106.6,
            "location_source": "zip",
            "location_label": "ZIP 87110 (Albuquerque, NM)",
            "at": "2026-11-28T02:00:00-07:00",
            "needs": ["crisis-now"],
            "types": [],
            "transport": True,
            "intoxicated": None,
            "involuntary": False,
            "limit": 10,
        },
        "contact_lines": [],
        "results": [
            {
                "service_id": "11111111-1111-4111-8111-111111111111",
                "service_at_location_id": "22222222-2222-4222-8222-222222222222",
                "name": "Far Crisis Center",
                "organization": "County Health",
                "service_types": ["crisis-receiving"],
                "matched_type": "crisis-receiving",
                "continuum": "place",
                "distance_km": 14.2,
                "travel_minutes": 22,
                "open_now": True,
                "always_open": True,
                "open_status_text": "Open 24/7",
                "capacity": {"available": 3, "maximum": 16, "unit": "chair", "stale": False},
                "capacity_text": "3 of 16 chairs free, 2 h ago",
                "attributes": ["accepts-law-enforcement-dropoff", "no-medical-clearance"],
                "phones": ["505-555-0100"],
                "address": "1 Main St, Cedar Bluff, NM 87110",
                "lat": 35.1,
                "lon": -106.6,
                "directions_url": "geo:35.100000,-106.600000",
                "reasons": ["Crisis receiving center: first choice for In crisis now", "Open 24/7"],
            },
            {
                "service_id": "33333333-3333-4333-8333-333333333333",
                "service_at_location_id": "44444444-4444-4444-8444-444444444444",
                "name": "Near Walk-in Clinic",
                "organization": "Clinic Org",
                "service_types": ["crisis-stabilization"],
                "matched_type": "crisis-stabilization",
                "continuum": "place",
                "distance_km": 2.0,
                "travel_minutes": 4,
                "open_now": True,
                "always_open": False,
                "open_status_text": "Open, closes 5:00 PM",
                "capacity": {"available": 1, "maximum": 4, "unit": "bed", "stale": True},
                "capacity_text": "Capacity not reported recently",
                "attributes": ["voluntary-only", "walk-in"],
                "phones": ["(505) 555-0101"],
                "address": "2 Side St, Cedar Bluff, NM 87110",
                "lat": 35.11,
                "lon": -106.61,
                "directions_url": "geo:35.110000,-106.610000",
                "reasons": ["Closes 5:00 PM", "4 min away"],
            },
        ],
        "more_results": 0,
        "excluded": [
            {
                "service_id": "55555555-5555-4555-8555-555555555555",
                "name": "Daytime Only Center",
                "reasons": [
                    {"code": "closed", "message": "Closed until Mon 8:00 AM"},
                    {
                        "code": "no-law-enforcement-dropoff",
                        "message": "Does not take police drop-offs",
                    },
                ],
            }
        ],
        "gaps": [{"need": "intoxicated", "message": "No open sobering center within 45 minutes"}],
    }
    answer.update(changes)
    return answer


@pytest.fixture
def fake_lookup(monkeypatch):
    """Replace the lookup with a recorder that answers ``fake_answer()``."""
    calls: list[Any] = []

    def lookup(session, request):
        calls.append(request)
        return LookupAnswer.from_json(calls_answer[0])  # the answer as the API writes it

    calls_answer = [fake_answer()]
    monkeypatch.setattr(find, "lookup_from_app", lookup)
    lookup.calls = calls  # type: ignore[attr-defined]
    lookup.answer = calls_answer  # type: ignore[attr-defined]
    return lookup


@pytest.fixture
def national_line(session):
    line = make_service(
        session,
        name="Test National Line",
        types=("crisis-line",),
        is_national=True,
        description="Answered day and night.",
    )
    line.phones.append(Phone(number="988", type="voice", description="Press 1 for veterans."))
    line.phones.append(Phone(number="988", type="text", description="Text line.", position=1))
    session.commit()
    return line


# First visit -------------------------------------------------------------------------------------


def test_first_visit_shows_the_empty_form(client):
    response = client.get("/")
    html = text_of(response)

    assert response.status_code == 200
    assert "<h1>Find help now</h1>" in html
    assert 'method="get" action="/"' in html
    assert 'name="near"' in html and "data-geolocate hidden" in html
    for term in vocabulary().terms:
        if term.taxonomy == NEED:
            assert f'name="needs" value="{term.code}"' in html
            assert term.name in html
    # Officer transports by default; the other flags start off. One control per fact: the
    # "Intoxicated" need is the only intoxicated control (issue #14 item 1).
    assert re.search(r'id="transport" name="transport" value="true" checked', html)
    assert 'id="intoxicated"' not in html
    assert re.search(r'id="involuntary" name="involuntary" value="true">', html)
    assert 'name="age"' in html and 'name="payment"' in html and 'name="population"' in html
    assert "Not shown, and why" not in html  # no search yet
    assert card_count(html) == 0
    assert '<script src="/static/js/find.js" defer></script>' in html


def test_national_lines_are_shown_on_every_state_of_the_page(client, national_line, fake_lookup):
    first = text_of(client.get("/"))
    results = text_of(client.get("/?near=87110&needs=crisis-now"))
    error = text_of(client.get("/?near=&needs=crisis-now"))

    for html in (first, results, error):
        assert "Someone to contact, any time" in html
        assert "Test National Line" in html
        assert 'href="tel:988"' in html and 'href="sms:988"' in html
        assert "Press 1 for veterans." in html
        assert NATIONAL_LINES_TEXT in html


def test_pages_have_no_inline_code(client, fake_lookup):
    for path in ("/", "/?near=87110&needs=crisis-now", "/?near=&needs="):
        html = text_of(client.get(path))
        assert INLINE_SCRIPT_RE.search(html) is None, path
        assert " style=" not in html.lower() and "<style" not in html.lower(), path
        assert not re.search(r"\son[a-z]+=", html), path


# Results -----------------------------------------------------------------------------------------


def test_results_render_cards_left_out_and_gaps(client, fake_lookup):
    response = client.get("/?near=87110&needs=crisis-now&transport=true")
    html = text_of(response)

    assert response.status_code == 200
    assert card_count(html) == 2
    assert "2 places, best match first" in html
    # Where and what was searched, so the officer can check the match.
    assert "ZIP 87110 (Albuquerque, NM)" in html and "In crisis now" in html
    assert "Sat Nov 28, 2:00 AM" in html
    # Open status, travel, capacity with its age, flags.
    assert "Open 24/7" in html and "Open, closes 5:00 PM" in html
    assert "22 min drive, 8.8 mi" in html and "4 min drive, 1.2 mi" in html
    assert "3 of 16 chairs free, 2 h ago" in html
    assert "Capacity not reported recently" in html
    assert "Police drop-off" in html and "No medical clearance" in html
    assert 'class="flag flag-warning">Voluntary only' in html
    # Tap to call and directions.
    assert 'href="tel:5055550100"' in html and "Call 505-555-0100" in html
    assert 'href="tel:5055550101"' in html
    assert 'href="geo:35.100000,-106.600000"' in html
    # Why each was chosen, and what was left out.
    assert "Why this one" in html
    assert "Crisis receiving center: first choice for In crisis now" in html
    assert "Why these" in html
    assert "Officer will drive them: crisis places where you hand the person over must" in html
    assert "Not shown, and why" in html and "1 left out" in html
    assert "Daytime Only Center" in html
    assert "Closed until Mon 8:00 AM; Does not take police drop-offs" in html
    # Gap notice.
    assert "No open sobering center within 45 minutes." in html
    # Best match first: the lookup's order is kept.
    assert html.index("Far Crisis Center") < html.index("Near Walk-in Clinic")


def test_left_out_count_includes_those_not_listed(client, fake_lookup):
    fake_lookup.answer[0] = fake_answer(excluded_more=73)
    html = text_of(client.get("/?near=87110&needs=crisis-now&transport=true"))

    assert "74 left out" in html
    assert "The 1 nearest are listed; 73 more further away are not." in html


def test_cards_have_handout_and_report_forms(client, fake_lookup):
    html = text_of(client.get("/?near=87110&needs=crisis-now"))

    assert '<form id="handout-form" class="handout-form" method="get" action="/handout">' in html
    assert html.count('name="services"') == 2
    assert (
        'name="services" value="11111111-1111-4111-8111-111111111111" form="handout-form"' in html
    )
    # The handout form sends only the ticked ids and a language: nothing about the person.
    handout_form = html[html.index('<form id="handout-form"') :]
    handout_form = handout_form[: handout_form.index("</form>")]
    assert "<input" not in handout_form
    assert 'name="lang" value="en"' in handout_form and 'name="lang" value="es"' in handout_form
    # One report form per card, CSRF-protected, posting back to the results.
    assert html.count('action="/services/11111111-1111-4111-8111-111111111111/problems"') == 1
    assert html.count('name="csrf_token" type="hidden" value="') >= 2
    assert "About the listing only. Do not write anything about the person." in html
    assert 'maxlength="500"' in html
    assert 'name="next" value="/?near=87110&amp;needs=crisis-now"' in html
    assert 'name="anchor" value="result-22222222-2222-4222-8222-222222222222"' in html
    for label in ("Phone number is wrong", "They turned someone away", "It was closed"):
        assert label in html


def test_nearest_first_reorders_by_travel_time(client, fake_lookup):
    html = text_of(client.get("/?near=87110&needs=crisis-now&sort=nearest"))

    assert "2 places, nearest first" in html
    assert html.index("Near Walk-in Clinic") < html.index("Far Crisis Center")
    assert '<option value="nearest" selected>' in html


def test_no_results_says_so(client, fake_lookup):
    fake_lookup.answer[0] = fake_answer(results=[])

    html = text_of(client.get("/?near=87110&needs=crisis-now"))

    assert "No place fits right now" in html
    assert card_count(html) == 0
    assert 'id="handout-form"' not in html
    assert "Not shown, and why" in html


def test_more_results_link_raises_the_limit(client, fake_lookup):
    fake_lookup.answer[0] = fake_answer(more_results=3)

    html = text_of(client.get("/?near=87110&needs=crisis-now"))

    assert "Show 3 more" in html
    assert 'href="/?near=87110&amp;needs=crisis-now&amp;limit=13"' in html


def test_form_is_kept_as_typed(client, fake_lookup):
    html = text_of(
        client.get(
            "/?near=Main+St&needs=crisis-now&needs=intoxicated&intoxicated=true&age=34"
            "&gender=woman&language=es&payment=medicaid&population=veterans&max_minutes=30"
        )
    )

    assert 'value="Main St"' in html
    assert 'name="needs" value="crisis-now" checked' in html
    assert 'name="needs" value="intoxicated" checked' in html
    assert 'name="needs" value="housing">' in html
    # The transport box was not ticked in this search, so it stays unticked.
    assert re.search(r'id="transport" name="transport" value="true" aria-describedby', html)
    assert 'id="intoxicated"' not in html  # the need is the one control
    assert 'name="age" value="34"' in html
    assert '<option value="woman" selected>' in html
    assert '<option value="es" selected>' in html
    assert '<option value="medicaid" selected>' in html
    assert 'name="population" value="veterans" checked' in html
    assert 'name="max_minutes" value="30"' in html
    assert "<summary>Change search</summary>" in html


def test_form_values_reach_the_lookup(client, fake_lookup):
    client.get(
        "/?near=Main+St&needs=crisis-now&needs=intoxicated&transport=true&intoxicated=true"
        "&involuntary=true&age=34&gender=woman&language=es&payment=medicaid"
        "&population=veterans&population=youth&max_minutes=30&at=2026-11-28T02:00"
    )

    (request,) = fake_lookup.calls
    assert request.near == "Main St"
    assert request.needs == ("crisis-now", "intoxicated")
    # An older link's intoxicated=true is the "Intoxicated" need, which implies the situation.
    assert request.transport is True and request.intoxicated is None and request.involuntary
    assert request.age == 34 and request.gender == "woman" and request.language == "es"
    assert request.payment == "medicaid"
    assert request.populations == frozenset({"veterans", "youth"})
    assert request.max_minutes == 30
    assert request.at.isoformat() == "2026-11-28T02:00:00-07:00"


def test_unticked_flags_mean_no_and_unknown(client, fake_lookup):
    client.get("/?near=87110&needs=crisis-now")

    (request,) = fake_lookup.calls
    assert request.transport is False
    assert request.intoxicated is None  # not known: no intoxication rule applies
    assert request.involuntary is False


def test_geolocation_point_is_used_when_no_place_is_typed(client, fake_lookup):
    client.get("/?near=&lat=35.1&lon=-106.6&location_source=geolocation&needs=crisis-now")

    (request,) = fake_lookup.calls
    assert (request.lat, request.lon, request.near) == (35.1, -106.6, None)
    assert request.location_source == "geolocation"


def test_a_typed_place_wins_over_an_old_point(client, fake_lookup):
    html = text_of(
        client.get("/?near=87110&lat=35.1&lon=-106.6&location_source=geolocation&needs=crisis-now")
    )

    (request,) = fake_lookup.calls
    assert request.lat is None and request.near == "87110"
    assert 'name="lat" value=""' in html


# Input errors ------------------------------------------------------------------------------------


def test_missing_location_is_shown_beside_the_field(client, fake_lookup):
    response = client.get("/?near=&needs=crisis-now")
    html = text_of(response)

    assert response.status_code == 200
    assert fake_lookup.calls == []
    assert 'id="near-error">Where is the person?' in html
    assert 'aria-invalid="true" aria-describedby="near-error"' in html
    assert 'href="#field-near"' in html  # the summary at the top links to the field
    assert 'name="needs" value="crisis-now" checked' in html  # the form is kept


def test_missing_need_is_shown_beside_the_chips(client, fake_lookup):
    response = client.get("/?near=87110")
    html = text_of(response)

    assert response.status_code == 200
    assert 'id="needs-error">Choose at least one need' in html
    assert 'value="87110"' in html


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("age=old", "age", "age must be a number"),
        ("age=200", "age", "age must be between"),
        ("max_minutes=0", "max_minutes", "max_minutes must be more than 0"),
        ("at=tomorrow", "at", "is not an ISO 8601 date"),
        ("gender=other", "gender", "gender must be woman or man"),
        ("payment=gold", "payment", "Unknown payment"),
    ],
)
def test_bad_person_facts_are_shown_beside_their_field(client, fake_lookup, query, field, words):
    response = client.get(f"/?near=87110&needs=crisis-now&{query}")
    html = text_of(response)

    assert response.status_code == 200
    assert fake_lookup.calls == []
    error = re.search(r'<p class="field-errors" id="[a-z_]+-error">([^<]*)</p>', html)
    assert error and words in error.group(1).replace("&#39;", "'")
    section = html[html.index(f'id="field-{field}"') :]
    assert words in section[: section.index("</div>")].replace("&#39;", "'")
    folded = html[: html.index(f'id="field-{field}"')].rsplit("<details", 1)[1]
    assert folded.startswith(' class="find-more" open>')  # the folded section opens


def test_bad_input_is_escaped(client, fake_lookup):
    html = text_of(client.get("/?near=%3Cb%3Ex%3C%2Fb%3E&needs=%3Cscript%3E"))

    assert "<b>x</b>" not in html and "<script>" not in html


# Through the real lookup -------------------------------------------------------------------------


def _place(session, name, *, attributes=(), types=("crisis-receiving",), lat=35.09, lon=-106.65):
    service = make_service(session, name=name, types=types, attributes=attributes)
    location = make_location(session, service, latitude=lat, longitude=lon)
    location.addresses.append(
        Address(
            address_1="9 Oak St",
            city="Riverton",
            state_province="NM",
            postal_code="87102",
            country="US",
        )
    )
    service.phones.append(Phone(number="(505) 555-0142"))
    return service


def test_real_lookup_shows_open_places_and_says_why_others_are_not(client, session):
    _place(
        session,
        "Riverton Receiving Center",
        attributes=("open-24-7", "accepts-law-enforcement-dropoff", "no-medical-clearance"),
    )
    _place(session, "No Police Drop-off Center", attributes=("open-24-7",))
    weekday = _place(session, "Weekday Clinic", attributes=("accepts-law-enforcement-dropoff",))
    weekday.schedules.append(
        Schedule(freq="WEEKLY", byday="MO,TU,WE,TH,FR", opens_at="08:00", closes_at="17:00")
    )
    session.commit()

    response = client.get(
        "/",
        query_string={
            **HERE,
            "needs": "crisis-now",
            "transport": "true",
            "at": "2026-11-28T02:00",
        },  # a Saturday, 2 a.m.
    )
    html = text_of(response)

    assert response.status_code == 200, html
    assert card_count(html) == 1
    card = html[html.index('class="card result-card"') :].split("</li>\n</ol>")[0]
    assert "Riverton Receiving Center" in card
    assert "Open 24/7" in card
    assert "min drive" in card
    assert 'href="tel:5055550142"' in card
    assert "Police drop-off" in card
    assert 'href="https://www.openstreetmap.org/directions?to=' in card
    not_shown = html[html.index('id="not-shown"') :]
    assert "No Police Drop-off Center" in not_shown
    assert "Weekday Clinic" in not_shown
    assert "Closed until Mon 8:00 AM" in not_shown


def test_real_lookup_gap_is_shown_and_counted_once(client, session):
    from tests.factories import make_user
    from tests.functional.test_directory_pages import log_in

    _place(session, "Open Receiving", attributes=("open-24-7",))
    session.commit()
    before = session.scalar(select(func.count()).select_from(UnmetNeed))
    query = {**HERE, "needs": "intoxicated"}

    anonymous = text_of(client.get("/", query_string=query))
    after_anonymous = session.scalar(select(func.count()).select_from(UnmetNeed))
    assert make_user  # the helper below makes the officer
    log_in(client, session)
    html = text_of(client.get("/", query_string=query))
    after_search = session.scalar(select(func.count()).select_from(UnmetNeed))
    text_of(client.get("/", query_string=query))  # a reload
    text_of(client.get("/", query_string={**query, "again": "1"}))
    after_again = session.scalar(select(func.count()).select_from(UnmetNeed))

    assert "gap-notice" in anonymous and "No open" in html
    assert after_anonymous == before  # anonymous lookups never write (#14 item 4, #17 item 5)
    assert after_search == before + 1
    assert after_again == after_search


def test_real_lookup_zip_code(client, session):
    _place(session, "Zip Center", attributes=("open-24-7",))
    session.commit()

    html = text_of(client.get("/?near=87102&needs=crisis-now"))

    assert "ZIP 87102" in html
    assert "Zip Center" in html


def test_real_lookup_unknown_place_is_a_field_error(client):
    response = client.get("/?near=Nowhere+Special+Qqq&needs=crisis-now")
    html = text_of(response)

    assert response.status_code == 200
    assert 'id="near-error">That place was not found.' in html


# Errors and access -------------------------------------------------------------------------------


def test_unexpected_error_is_a_plain_500(app, client, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(find, "lookup_from_app", explode)
    response = client.get("/?near=87110&needs=crisis-now")

    assert response.status_code == 500
    assert b"secret internals" not in response.data and b"Traceback" not in response.data


def test_private_directory_sends_anonymous_officers_to_login(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_DIRECTORY", False)

    response = client.get("/?near=87110&needs=crisis-now")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_find_help_is_the_current_nav_item(client):
    html = text_of(client.get("/"))

    assert '<a href="/" aria-current="page">Find help</a>' in html
