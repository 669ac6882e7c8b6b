"""``services/hsds_feed.py``: parameters, paging in the database, postcode rules, streams."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from pmhc_directory.models import Address, Service, ServiceArea
from pmhc_directory.search.index import SearchIndex
from pmhc_directory.services import hsds_feed as feed
from tests.factories import make_location, make_organization, make_service

DENVER = ZoneInfo("America/Denver")
SQUARE = [[-106.70, 35.05], [-106.60, 35.05], [-106.60, 35.12], [-106.70, 35.12], [-106.70, 35.05]]


def params(endpoint: str = "services", **args: str) -> feed.ListParams:
    return feed.parse_list_params(endpoint, args, DENVER)


# Parameters ------------------------------------------------------------------------------------


def test_defaults():
    p = params()
    assert (p.page, p.per_page, p.format, p.full) == (1, feed.DEFAULT_PER_PAGE, "json", True)
    assert p.search is None and p.modified_after is None


def test_ids_are_normalised_and_blank_values_are_refused():
    p = params(organization_id=" 0A1B2C3D-0000-4000-8000-00000000000F ")
    assert p.organization_id == "0a1b2c3d-0000-4000-8000-00000000000f"
    assert p.search is None
    # An empty value is never read as "no filter" (issue #16): it names the field.
    with pytest.raises(feed.FeedInputError) as refused:
        params(search="  ")
    assert refused.value.field == "search"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-10-01T08:00:00Z", datetime(2026, 10, 1, 8, tzinfo=UTC)),
        ("2026-10-01T02:00:00-06:00", datetime(2026, 10, 1, 8, tzinfo=UTC)),
        ("2026-10-01T02:00:00 06:00", datetime(2026, 9, 30, 20, tzinfo=UTC)),  # "+" unencoded
        ("2026-10-01T02:00:00", datetime(2026, 10, 1, 8, tzinfo=UTC)),  # Denver, MDT
        ("2026-10-01", datetime(2026, 10, 1, 6, tzinfo=UTC)),
    ],
)
def test_modified_after_forms(raw, expected):
    assert params(modified_after=raw).modified_after == expected


def test_proximity_is_metres_and_needs_a_postcode():
    p = params("service_at_locations", postcode="87102-0001", proximity="2500")
    assert p.postcode == "87102" and p.proximity == 2500.0
    with pytest.raises(feed.FeedInputError) as raised:
        params("service_at_locations", proximity="2500")
    assert raised.value.field == "proximity"


def test_filters_of_other_endpoints_are_refused_not_ignored():
    with pytest.raises(feed.FeedInputError) as raised:
        params("taxonomies", taxonomy_term_id="0a1b2c3d-0000-4000-8000-00000000000f")
    assert raised.value.code == "unsupported-parameter"
    assert raised.value.field == "taxonomy_term_id"


def test_page_number_has_a_ceiling():
    assert params(page=str(feed.MAX_PAGE)).page == feed.MAX_PAGE
    with pytest.raises(feed.FeedInputError):
        params(page=str(feed.MAX_PAGE + 1))


# Paging in the database ------------------------------------------------------------------------


class StatementCounter:
    def __init__(self, session):
        self.engine = session.get_bind()
        self.statements = 0

    def _count(self, _conn, _cursor, statement, *_args):
        # SELECTs only: the first statement of a test transaction may be a SAVEPOINT.
        if statement.lstrip().upper().startswith("SELECT"):
            self.statements += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


def _loaded_services(session, run):
    loaded = []

    def on_load(target, _context):
        loaded.append(target.id)

    event.listen(Service, "load", on_load)
    try:
        with StatementCounter(session) as counter:
            page = run()
    finally:
        event.remove(Service, "load", on_load)
    return page, loaded, counter.statements


def test_a_page_loads_only_its_services_in_a_fixed_number_of_queries(session):
    org = make_organization(session, name="Paging Org")
    for n in range(30):
        service = make_service(session, name=f"Paged {n:02}", organization=org)
        make_location(session, service)
    session.commit()
    org_id = org.id
    session.expunge_all()
    p = params(organization_id=org_id, per_page="5", page="2")
    page, loaded, small = _loaded_services(session, lambda: feed.service_page(session, None, p))
    assert [s.name for s in page.items] == [f"Paged {n:02}" for n in range(5, 10)]
    assert page.total_items == 30 and page.total_pages == 6
    assert sorted(loaded) == sorted(s.id for s in page.items)
    session.expunge_all()
    p = params(organization_id=org_id, per_page="25")
    page, loaded, large = _loaded_services(session, lambda: feed.service_page(session, None, p))
    assert len(page.items) == len(loaded) == 25
    assert large == small  # five times the services, the same number of queries


def test_a_page_beyond_the_last_reads_no_rows(session):
    org = make_organization(session, name="Short Org")
    make_service(session, name="Only one", organization=org)
    session.commit()
    p = params(organization_id=org.id, page="40")
    page, loaded, _statements = _loaded_services(
        session, lambda: feed.service_page(session, None, p)
    )
    assert page.items == [] and page.total_items == 1 and loaded == []
    assert page.envelope([])["last_page"] is True


def test_ties_in_name_are_ordered_by_id(session):
    org = make_organization(session, name="Twins Org")
    twins = [make_service(session, name="Same Name", organization=org) for _ in range(4)]
    session.commit()
    page = feed.service_page(session, None, params(organization_id=org.id))
    assert [s.id for s in page.items] == sorted(s.id for s in twins)


def test_search_ranks_with_the_index_and_pages_the_ids(session):
    index = SearchIndex.in_memory()
    org = make_organization(session, name="Search Org")
    make_service(
        session, name="Harbor Sobering Center", types=("sobering-center",), organization=org
    )
    make_service(session, name="Harbor House", organization=org)
    make_service(session, name="Unrelated", organization=org)
    session.commit()
    found = feed.service_page(session, index, params(search="harbor", organization_id=org.id))
    assert {s.name for s in found.items} == {"Harbor Sobering Center", "Harbor House"}
    one = feed.service_page(session, index, params(search="harbor sobering", per_page="1"))
    assert [s.name for s in one.items] == ["Harbor Sobering Center"]


# Postcodes -------------------------------------------------------------------------------------


def test_postcode_point_falls_back_to_our_own_locations(session):
    service = make_service(session, name="Unlisted ZIP")
    for lat in (35.0, 35.2):
        location = make_location(session, service, latitude=lat, longitude=-106.5)
        location.addresses.append(
            Address(
                address_1="1 A St", city="X", state_province="NM", postal_code="99999", country="US"
            )
        )
    session.flush()
    point = feed.postcode_point(session, "99999")
    assert point.latitude == pytest.approx(35.1) and point.longitude == pytest.approx(-106.5)
    with pytest.raises(feed.FeedInputError):
        feed.postcode_point(session, "00001")
    real = feed.postcode_point(session, "87102")
    assert 35.0 < real.latitude < 35.2 and -106.8 < real.longitude < -106.5


def _sal_with(session, org, name, zip_code, area=None, area_type="geojson"):
    service = make_service(session, name=name, organization=org)
    if area is not None:
        service.service_areas.append(ServiceArea(extent=area, extent_type=area_type))
    location = make_location(session, service)
    location.addresses.append(
        Address(
            address_1="1 A St", city="X", state_province="NM", postal_code=zip_code, country="US"
        )
    )
    session.flush()
    return service


def test_an_area_that_cannot_be_tested_leaves_the_address_to_decide(session):
    org = make_organization(session, name="Postcode Org")
    square = json.dumps({"type": "Polygon", "coordinates": [SQUARE]})
    _sal_with(session, org, "Text area in 87102", "87102", "Bernalillo County", "text")
    _sal_with(session, org, "Covered, elsewhere", "87199", square)
    _sal_with(session, org, "Broken area", "87199", "{not json")
    session.commit()
    found = feed.service_at_location_page(
        session, None, params("service_at_locations", postcode="87102", organization_id=org.id)
    )
    # Areas without cached bounds are tested exactly; a broken GeoJSON area covers nothing.
    assert {service.name for _sal, service in found.items} == {
        "Text area in 87102",
        "Covered, elsewhere",
    }


def test_the_stream_has_the_order_of_the_pages(session):
    org = make_organization(session, name="Stream Org")
    for n in range(7):
        service = make_service(session, name=f"Streamed {n}", organization=org)
        make_location(session, service, latitude=35.08 + n * 0.01, longitude=-106.65)
    session.commit()
    p = params("service_at_locations", postcode="87102", proximity="20000", organization_id=org.id)
    streamed = [
        sal.id for sal, _service, _extras in feed.stream_service_at_locations(session, None, p)
    ]
    paged = []
    for number in (1, 2, 3, 4):
        q = params(
            "service_at_locations",
            postcode="87102",
            proximity="20000",
            organization_id=org.id,
            per_page="2",
            page=str(number),
        )
        paged += [sal.id for sal, _service in feed.service_at_location_page(session, None, q).items]
    assert streamed == paged and len(streamed) == 7
    total = session.scalar(select(func.count(Service.id)).where(Service.organization_id == org.id))
    assert total == 7
