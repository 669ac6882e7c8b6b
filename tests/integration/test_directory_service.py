"""Directory read use cases against the real database: browse filters, paging, detail assembly."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pmhc_directory.models import (
    Address,
    Attribute,
    Language,
    Phone,
    Schedule,
    ServiceArea,
    ServiceAtLocation,
    ServiceCapacity,
    TaxonomyTerm,
    Unit,
)
from pmhc_directory.services import directory as directory_service
from pmhc_directory.services.directory import (
    PAGE_SIZE,
    BrowseFilters,
    FilterError,
    browse_services,
    describe_hours,
    get_service_detail,
    list_national_lines,
    phone_href,
    raw_window,
    safe_web_url,
)
from pmhc_directory.taxonomy import vocabulary
from tests.factories import make_location, make_organization, make_service

ZONE = ZoneInfo("America/Denver")
NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)  # 12:00 in Denver (MDT)


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


def detail(session, service_id: str, **overrides):
    options = {"zone": ZONE, "reverify_days": 180, "capacity_fresh_hours": 12, "now": NOW}
    options.update(overrides)
    return get_service_detail(session, service_id, **options)


def names(page) -> list[str]:
    return [row.name for row in page.rows]


# Browse ----------------------------------------------------------------------------------------


def test_browse_filters_by_service_type(session):
    make_service(session, name="Zeta Mobile", types=("mobile-crisis",))
    make_service(session, name="Receiving Centre", types=("crisis-receiving",))
    make_service(session, name="Both", types=("crisis-receiving", "mobile-crisis"))

    page = browse_services(session, BrowseFilters(service_type="mobile-crisis"))

    assert names(page) == ["Both", "Zeta Mobile"]
    assert page.total == 2
    both = page.rows[0]
    assert both.types == ("Crisis receiving center", "Mobile crisis team")


def test_browse_filters_by_continuum_element(session):
    make_service(session, name="Co-responders", types=("co-responder",))
    make_service(session, name="Mobile team", types=("mobile-crisis",))
    make_service(session, name="Shelter", types=("emergency-shelter",))

    respond = browse_services(session, BrowseFilters(continuum="respond"))
    housing = browse_services(session, BrowseFilters(continuum="housing"))

    assert names(respond) == ["Co-responders", "Mobile team"]
    assert "Shelter" in names(housing)
    assert "Mobile team" not in names(housing)


def test_type_and_continuum_must_both_hold(session):
    make_service(session, name="Mobile team", types=("mobile-crisis",))

    mismatch = BrowseFilters(service_type="mobile-crisis", continuum="place")
    match = BrowseFilters(service_type="mobile-crisis", continuum="respond")

    assert browse_services(session, mismatch).rows == []
    assert names(browse_services(session, match)) == ["Mobile team"]


def test_browse_shows_only_active_unless_asked(session):
    for status in ("active", "inactive", "defunct", "temporarily closed"):
        make_service(session, name=f"Court {status}", types=("treatment-court",), status=status)

    default = browse_services(session, BrowseFilters(service_type="treatment-court"))
    everything = browse_services(
        session, BrowseFilters(service_type="treatment-court", include_inactive=True)
    )

    assert names(default) == ["Court active"]
    assert len(everything.rows) == 4
    assert {row.status for row in everything.rows} == {
        "active",
        "inactive",
        "defunct",
        "temporarily closed",
    }


def test_browse_orders_by_name_ignoring_case(session):
    for name in ("banana court", "Apple court", "cherry court"):
        make_service(session, name=name, types=("treatment-court",))

    page = browse_services(session, BrowseFilters(service_type="treatment-court"))

    assert names(page) == ["Apple court", "banana court", "cherry court"]


def test_browse_row_has_organization_city_and_verification(session):
    org = make_organization(session, name="County Behavioral Health")
    service = make_service(
        session,
        name="Walk-in clinic",
        types=("outpatient-mental-health",),
        organization=org,
        assured_date=date(2026, 1, 5),
    )
    location = make_location(session, service)
    location.addresses.append(
        Address(
            address_1="1 Main St",
            city="Riverton",
            state_province="NM",
            postal_code="87000",
            country="US",
        )
    )
    session.flush()

    row = browse_services(session, BrowseFilters(service_type="outpatient-mental-health")).rows[0]

    assert row.organization == "County Behavioral Health"
    assert row.cities == ("Riverton",)
    assert row.assured_date == date(2026, 1, 5)
    assert row.is_active


def test_browse_pages_by_fifty(session):
    org = make_organization(session, name="Many courts")
    for i in range(PAGE_SIZE + 5):
        make_service(session, name=f"Court {i:03d}", types=("treatment-court",), organization=org)

    first = browse_services(session, BrowseFilters(service_type="treatment-court"))
    second = browse_services(session, BrowseFilters(service_type="treatment-court", page=2))
    beyond = browse_services(session, BrowseFilters(service_type="treatment-court", page=3))

    assert first.total == second.total == PAGE_SIZE + 5
    assert first.pages == 2
    assert len(first.rows) == PAGE_SIZE and first.has_next and not first.has_prev
    assert names(second) == [f"Court {i:03d}" for i in range(PAGE_SIZE, PAGE_SIZE + 5)]
    assert (second.first_index, second.last_index) == (51, 55)
    assert second.has_prev and not second.has_next
    assert beyond.rows == [] and beyond.total == PAGE_SIZE + 5


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (BrowseFilters(service_type="not-a-type"), "type"),
        (BrowseFilters(service_type="veterans"), "type"),  # a population code, not a type
        (BrowseFilters(continuum="everything"), "continuum"),
        (BrowseFilters(page=0), "page"),
    ],
)
def test_browse_refuses_unknown_filters(session, filters, field):
    with pytest.raises(FilterError) as info:
        browse_services(session, filters)
    assert info.value.field == field


def test_national_lines_lists_only_active_national_services(session):
    line = make_service(
        session, name="Test national line", types=("crisis-line",), is_national=True
    )
    line.phones.append(Phone(number="988", type="voice", description="Call 988."))
    line.phones.append(Phone(number="988", type="text", description="Text 988.", position=1))
    make_service(
        session,
        name="Closed national line",
        types=("crisis-line",),
        is_national=True,
        status="inactive",
    )
    make_service(session, name="Local line", types=("crisis-line",))
    session.flush()

    lines = {line.name: line for line in list_national_lines(session)}

    assert "Test national line" in lines
    assert "Closed national line" not in lines
    assert "Local line" not in lines
    phones = lines["Test national line"].phones
    assert [p.href for p in phones] == ["tel:988", "sms:988"]
    assert phones[1].description == "Text 988."


# Detail ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "", "1234", str(uuid.uuid4())])
def test_detail_is_none_for_bad_or_unknown_ids(session, bad_id):
    assert detail(session, bad_id) is None


def test_detail_accepts_upper_case_ids(session):
    service = make_service(session, name="Upper")
    assert detail(session, service.id.upper()).name == "Upper"


def test_detail_types_carry_continuum_elements(session):
    service = make_service(session, types=("crisis-stabilization", "withdrawal-management"))

    types = detail(session, service.id).types

    assert [(t.code, t.continuum) for t in types] == [
        ("crisis-stabilization", "place"),
        ("withdrawal-management", "place"),
    ]
    assert types[0].name == "Crisis stabilization unit"
    assert types[0].continuum_name == vocabulary().continuum["place"]


def test_detail_eligibility_splits_restriction_from_audience(session):
    service = make_service(
        session, minimum_age=18, eligibility_description="Adults in crisis, any county."
    )
    add_attribute(session, service, "population", "veterans", "eligibility")
    add_attribute(session, service, "population", "women", "eligibility")
    add_attribute(session, service, "population", "lgbtq", "audience")

    eligibility = detail(session, service.id).eligibility

    assert eligibility.ages == "Ages 18 and over"
    assert eligibility.only_for == ["Veterans"]
    assert eligibility.gender_restriction == "Women only"
    assert eligibility.specialises_in == ["LGBTQ+ people"]
    assert eligibility.description == "Adults in crisis, any county."


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [
        (None, None, None),
        (12, 17, "Ages 12 to 17"),
        (None, 17, "Ages up to 17"),
        (0, 5, "Ages up to 5"),
    ],
)
def test_age_wording(session, low, high, text):
    service = make_service(session, minimum_age=low, maximum_age=high)
    assert detail(session, service.id).eligibility.ages == text


def test_detail_payment_languages_and_diversion(session):
    service = make_service(
        session,
        attributes=("accepts-law-enforcement-dropoff", "open-24-7"),
        interpretation_services="Phone interpreters for any language.",
    )
    add_attribute(session, service, "payment", "medicaid", "payment")
    add_attribute(session, service, "payment", "uninsured", "payment")
    service.languages.append(Language(code="es", name="Spanish"))
    service.languages.append(Language(code="vi", position=1))
    session.flush()

    d = detail(session, service.id)

    assert d.payment == ["Medicaid", "Serves uninsured people"]
    assert d.languages == ["Spanish", "VI"]
    assert d.interpretation == "Phone interpreters for any language."
    assert d.diversion == ["Accepts law enforcement drop-off", "Open 24 hours, 7 days"]


def test_detail_capacity_is_stale_after_the_fresh_window(session):
    service = make_service(session)
    bed = Unit(name="bed", scheme="PMHC")
    chair = Unit(name="chair", scheme="PMHC")
    session.add_all([bed, chair])
    session.flush()
    session.add_all(
        [
            ServiceCapacity(
                service=service, unit=bed, available=3, maximum=10, updated=NOW - timedelta(hours=2)
            ),
            ServiceCapacity(
                service=service, unit=chair, available=1, updated=NOW - timedelta(hours=13)
            ),
        ]
    )
    session.flush()

    capacities = {c.unit: c for c in detail(session, service.id).capacities}

    assert not capacities["bed"].is_stale
    assert (capacities["bed"].available, capacities["bed"].maximum) == (3, 10)
    assert capacities["chair"].is_stale
    # Shown in the instance zone: 16:00 UTC is 10:00 in Denver (MDT on 2026-03-10).
    assert capacities["bed"].updated_local.hour == 10
    assert capacities["bed"].updated_local.utcoffset() == timedelta(hours=-6)


def test_detail_capacity_freshness_follows_the_setting(session):
    service = make_service(session)
    unit = Unit(name="bed")
    session.add(unit)
    session.flush()
    session.add(
        ServiceCapacity(service=service, unit=unit, available=2, updated=NOW - timedelta(hours=5))
    )
    session.flush()

    assert not detail(session, service.id).capacities[0].is_stale
    assert detail(session, service.id, capacity_fresh_hours=4).capacities[0].is_stale


@pytest.mark.parametrize(
    ("days_ago", "overdue"), [(0, False), (180, False), (181, True), (None, True)]
)
def test_detail_verification_overdue_after_reverify_days(session, days_ago, overdue):
    today = NOW.astimezone(ZONE).date()
    assured = None if days_ago is None else today - timedelta(days=days_ago)
    service = make_service(session, assured_date=assured)

    d = detail(session, service.id)

    assert d.assured_date == assured
    assert d.verification_overdue is overdue


def test_detail_locations_addresses_phones_hours_and_areas(session):
    service = make_service(session, name="Crisis centre")
    service.service_areas.append(ServiceArea(name="North County"))
    service.schedules.append(
        Schedule(freq="WEEKLY", byday="MO,TU,WE,TH,FR", opens_at="08:00", closes_at="17:00")
    )
    location = make_location(session, name="Main campus", transportation="Bus 7 to Elm St.")
    location.addresses.append(
        Address(
            address_1="200 Elm St",
            address_2="Suite 4",
            city="Riverton",
            state_province="NM",
            postal_code="87001",
            country="US",
        )
    )
    location.phones.append(Phone(number="(505) 555-0100", extension="12"))
    location.schedules.append(Schedule(freq="WEEKLY", opens_at="07:00", closes_at="19:00"))
    sal = ServiceAtLocation(service=service, location=location)
    sal.schedules.append(
        Schedule(freq="WEEKLY", byday="SA,SU", opens_at="00:00", closes_at="23:59")
    )
    sal.service_areas.append(ServiceArea(name="Riverton city limits"))
    session.add(sal)
    session.flush()

    d = detail(session, service.id)

    assert d.service_areas == ["North County"]
    assert d.hours.listed
    [loc] = d.locations
    assert loc.name == "Main campus"
    assert loc.address_lines == [["200 Elm St", "Suite 4", "Riverton, NM 87001"]]
    assert loc.phones[0].href == "tel:5055550100;ext=12"
    assert loc.transportation == "Bus 7 to Elm St."
    assert loc.service_areas == ["Riverton city limits"]
    # The service-at-location schedule is more specific than the location's own.
    assert loc.hours.listed
    text = " ".join(loc.hours.lines) + " ".join(f"{w.days} {w.times}" for w in loc.hours.raw)
    assert "Sat" in text
    assert "7:00" not in text


def test_detail_refuses_unsafe_links(session):
    org = make_organization(session, website="javascript:alert(1)")
    service = make_service(session, organization=org, url="https://example.org/crisis")

    d = detail(session, service.id)

    assert d.organization_url is None
    assert d.url == "https://example.org/crisis"


# Hours fallbacks -------------------------------------------------------------------------------


def _weekday_schedule() -> Schedule:
    return Schedule(freq="WEEKLY", byday="MO,TU,WE,TH,FR", opens_at="08:00", closes_at="17:00")


def test_hours_use_the_hours_engine_when_present(monkeypatch):
    seen = []

    def fake_describe(rules):
        seen.extend(rules)
        return ["Mon-Fri 8:00 AM-5:00 PM"]

    monkeypatch.setattr(directory_service, "_hours_describer", lambda: fake_describe)

    hours = describe_hours([_weekday_schedule()])

    assert hours.lines == ["Mon-Fri 8:00 AM-5:00 PM"]
    assert seen[0].byday == "MO,TU,WE,TH,FR"


def test_hours_fall_back_to_raw_windows_without_the_engine(monkeypatch):
    monkeypatch.setattr(directory_service, "_hours_describer", lambda: None)

    hours = describe_hours([_weekday_schedule()])

    assert hours.lines == []
    assert [(w.days, w.times) for w in hours.raw] == [("Mon\u2013Fri", "08:00\u201317:00")]


def test_hours_fall_back_to_raw_windows_when_a_rule_is_invalid(monkeypatch):
    monkeypatch.setattr(directory_service, "_hours_describer", lambda: lambda rules: ["never"])
    broken = Schedule(freq="WEEKLY", byday="XX", opens_at="08:00", closes_at="17:00")

    hours = describe_hours([broken])

    assert hours.raw and hours.problem


def test_no_schedules_means_hours_not_listed():
    assert not describe_hours([]).listed


EN_DASH = "\u2013"
RAW_CASES = [
    (
        {"byday": "MO,WE,FR", "opens_at": "09:00", "closes_at": "12:00"},
        ("Mon, Wed, Fri", f"09:00{EN_DASH}12:00", None),
    ),
    (
        {"freq": "WEEKLY", "opens_at": "00:00", "closes_at": "23:59"},
        ("Every day", "24 hours", None),
    ),
    (
        {"byday": "FR,SA", "opens_at": "22:00", "closes_at": "06:00"},
        ("Fri, Sat", f"22:00{EN_DASH}06:00 (next day)", None),
    ),
    (
        {"freq": "MONTHLY", "byday": "2MO,-1FR", "opens_at": "09:00", "closes_at": "11:00"},
        ("2nd Mon of the month, last Fri of the month", f"09:00{EN_DASH}11:00", None),
    ),
    (
        {"valid_from": date(2026, 12, 25), "valid_to": date(2026, 12, 25)},
        ("Every day in the dates below", "Closed", "on 2026-12-25"),
    ),
    (
        {
            "byday": "SA",
            "opens_at": "10:00",
            "closes_at": "14:00",
            "valid_from": date(2026, 6, 1),
            "valid_to": date(2026, 8, 31),
        },
        ("Sat", f"10:00{EN_DASH}14:00", "from 2026-06-01 to 2026-08-31"),
    ),
]


@pytest.mark.parametrize(("fields", "expected"), RAW_CASES)
def test_raw_window_wording(fields, expected):
    window = raw_window(Schedule(**fields))
    assert (window.days, window.times, window.valid) == expected


# Links -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "extension", "kind", "href"),
    [
        ("988", None, "voice", "tel:988"),
        ("988", None, "text", "sms:988"),
        ("1-800-662-4357", None, None, "tel:18006624357"),
        ("+1 (505) 555-0100", "204", "voice", "tel:+15055550100;ext=204"),
        ("(505) 555-0100", None, "fax", None),
        ("1-800-273-TALK", None, "voice", None),
        ("", None, "voice", None),
    ],
)
def test_phone_href(number, extension, kind, href):
    assert phone_href(number, extension, kind) == href


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.org", "https://example.org"),
        ("http://example.org/x", "http://example.org/x"),
        ("javascript:alert(1)", None),
        ("data:text/html,hi", None),
        ("//example.org", None),
        (None, None),
    ],
)
def test_safe_web_url(url, safe):
    assert safe_web_url(url) == safe
