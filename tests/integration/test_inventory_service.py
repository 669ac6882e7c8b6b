"""The coordinators' inventory queries and writes (services.inventory) against a real database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from pmhc_directory.models import ChangeRecord, ProblemReport, Schedule, ServiceArea
from pmhc_directory.services import inventory
from pmhc_directory.services.audit import record_field_changes
from pmhc_directory.services.inventory import InventoryFilters
from pmhc_directory.services.problems import report_problem
from tests.factories import make_location, make_organization, make_service

TODAY = date(2026, 3, 10)
FRESH = TODAY - timedelta(days=10)
OLD = TODAY - timedelta(days=181)
DENVER = ZoneInfo("America/Denver")


def complete(session, name: str, **fields):
    """A service with nothing missing: verified recently, hours, a located place."""
    fields.setdefault("assured_date", FRESH)
    service = make_service(session, name=name, **fields)
    session.add(Schedule(service_id=service.id, freq="WEEKLY", byday="MO", opens_at="08:00"))
    make_location(session, service, latitude=35.2, longitude=-106.6)
    session.flush()
    return service


def names(page) -> set[str]:
    return {row.name for row in page.rows}


def listed(session, **filters) -> set[str]:
    return names(inventory.list_inventory(session, InventoryFilters(**filters), today=TODAY))


# The list ---------------------------------------------------------------------------------------


def test_list_rows_carry_flags_for_what_is_missing(session):
    complete(session, "Inv Complete")
    make_service(session, name="Inv Bare", types=("mobile-crisis",))

    page = inventory.list_inventory(session, InventoryFilters(q="Inv "), today=TODAY)

    rows = {row.name: row for row in page.rows}
    assert set(rows) == {"Inv Bare", "Inv Complete"}
    assert [row.name for row in page.rows] == ["Inv Bare", "Inv Complete"]  # by name
    bare, done = rows["Inv Bare"], rows["Inv Complete"]
    assert (bare.stale, bare.missing_hours, bare.missing_area) == (True, True, True)
    assert bare.types == ("Mobile crisis team",)
    assert (done.stale, done.missing_hours, done.missing_coordinates, done.missing_area) == (
        False,
        False,
        False,
        False,
    )
    assert done.open_problems == 0


def test_search_matches_name_alternate_name_and_organization_case_insensitively(session):
    org = make_organization(session, name="Sandia Behavioral Health")
    make_service(session, name="Walk-in Clinic", organization=org)
    make_service(session, name="Zeta Program", alternate_name="The ZETA Place")
    make_service(session, name="Unrelated")

    assert listed(session, q="sandia") == {"Walk-in Clinic"}
    assert listed(session, q="zeta place") == {"Zeta Program"}
    assert listed(session, q="WALK-IN") == {"Walk-in Clinic"}


def test_search_treats_like_wildcards_as_text(session):
    make_service(session, name="100% Recovery")
    make_service(session, name="1000 Oaks Recovery")

    assert listed(session, q="100%") == {"100% Recovery"}
    assert listed(session, q="_") == set()


def test_type_status_and_organization_filters(session):
    org = make_organization(session, name="Rio Grande Crisis Services")
    make_service(session, name="F Team", types=("mobile-crisis",), organization=org)
    make_service(session, name="F Center", types=("crisis-receiving",), organization=org)
    make_service(session, name="F Closed", status="temporarily closed")
    make_service(session, name="F Gone", status="defunct")

    assert listed(session, q="F ", service_type="mobile-crisis") == {"F Team"}
    assert listed(session, q="F ", status="temporarily closed") == {"F Closed"}
    assert listed(session, q="F ", status="defunct") == {"F Gone"}
    assert "F Gone" not in listed(session, q="F ", status="current")
    assert listed(session, q="F ", organization="rio grande") == {"F Team", "F Center"}


def test_unknown_type_or_status_is_refused(session):
    with pytest.raises(inventory.InventoryError) as exc:
        inventory.list_inventory(session, InventoryFilters(service_type="nope"))
    assert exc.value.field == "type"
    with pytest.raises(inventory.InventoryError):
        inventory.list_inventory(session, InventoryFilters(status="open"))
    with pytest.raises(inventory.InventoryError):
        inventory.list_inventory(session, InventoryFilters(page=0))


def test_stale_filter_uses_the_reverify_interval(session):
    complete(session, "S Fresh", assured_date=FRESH)
    complete(session, "S Old", assured_date=OLD)
    complete(session, "S Edge", assured_date=TODAY - timedelta(days=180))
    complete(session, "S Never", assured_date=None)

    assert listed(session, q="S ", stale=True) == {"S Old", "S Never"}
    page = inventory.list_inventory(
        session, InventoryFilters(q="S ", stale=True), today=TODAY, reverify_days=5
    )
    assert names(page) == {"S Old", "S Never", "S Edge", "S Fresh"}


def test_missing_hours_looks_at_every_level_and_open_24_7(session):
    at_service = make_service(session, name="H Service Level")
    session.add(Schedule(service_id=at_service.id, opens_at="08:00", closes_at="17:00"))
    at_location = make_service(session, name="H Location Level")
    location = make_location(session, at_location)
    session.add(Schedule(location_id=location.id, opens_at="08:00", closes_at="17:00"))
    at_link = make_service(session, name="H Link Level")
    make_location(session, at_link)
    session.add(
        Schedule(
            service_at_location_id=at_link.service_at_locations[0].id,
            opens_at="08:00",
            closes_at="17:00",
        )
    )
    make_service(session, name="H Always", attributes=("open-24-7",))
    make_service(session, name="H None")
    session.flush()

    assert listed(session, q="H ", missing_hours=True) == {"H None"}


def test_missing_coordinates_only_for_physical_locations(session):
    no_coords = make_service(session, name="C Physical")
    make_location(session, no_coords, latitude=None, longitude=None)
    virtual = make_service(session, name="C Virtual")
    make_location(session, virtual, location_type="virtual", latitude=None, longitude=None)
    located = make_service(session, name="C Located")
    make_location(session, located)
    make_service(session, name="C No Location")

    assert listed(session, q="C ", missing_coordinates=True) == {"C Physical"}


def test_missing_service_area_only_for_respond_services(session):
    make_service(session, name="A Team", types=("mobile-crisis",))
    with_area = make_service(session, name="A Covered", types=("co-responder",))
    session.add(ServiceArea(service_id=with_area.id, name="County"))
    linked_area = make_service(session, name="A Linked", types=("community-responder",))
    make_location(session, linked_area)
    session.add(
        ServiceArea(service_at_location_id=linked_area.service_at_locations[0].id, name="City")
    )
    make_service(session, name="A Center", types=("crisis-receiving",))
    session.flush()

    assert listed(session, q="A ", missing_area=True) == {"A Team"}


def test_open_problem_filter_and_count(session):
    reported = make_service(session, name="P Reported")
    closed = make_service(session, name="P Closed Report")
    make_service(session, name="P Quiet")
    report_problem(session, reported.id, "wrong-phone", "", None)
    report_problem(session, reported.id, "closed", "", None)
    old = report_problem(session, closed.id, "other", "", None)
    old.status = "dismissed"
    session.flush()

    page = inventory.list_inventory(session, InventoryFilters(q="P ", open_problems=True))

    assert names(page) == {"P Reported"}
    assert page.rows[0].open_problems == 2


def test_duplicates_filter(session):
    make_service(session, name="D Twin")
    make_service(session, name="d twin!")
    make_service(session, name="D Single")

    assert listed(session, q="twin", duplicates=True) == {"D Twin", "d twin!"}
    assert listed(session, q="D Single", duplicates=True) == set()


def test_paging(session):
    for i in range(inventory.PAGE_SIZE + 3):
        make_service(session, name=f"Pg {i:03d}")

    first = inventory.list_inventory(session, InventoryFilters(q="Pg "))
    second = inventory.list_inventory(session, InventoryFilters(q="Pg ", page=2))

    assert first.total == inventory.PAGE_SIZE + 3
    assert (first.pages, first.has_next, second.has_prev) == (2, True, True)
    assert [r.name for r in second.rows] == ["Pg 050", "Pg 051", "Pg 052"]
    assert (second.first_index, second.last_index) == (51, 53)


# Duplicates -------------------------------------------------------------------------------------


def pair_names(pairs) -> set[frozenset[str]]:
    return {frozenset((p.first.name, p.second.name)) for p in pairs}


def test_probable_duplicates_same_name_within_50_m(session):
    near_a = make_service(session, name="Hope House")
    make_location(session, near_a, latitude=35.10000, longitude=-106.60000)
    near_b = make_service(session, name="HOPE  house.")
    make_location(session, near_b, latitude=35.10030, longitude=-106.60000)  # about 33 m
    far = make_service(session, name="Hope House")
    make_location(session, far, latitude=35.10200, longitude=-106.60000)  # about 220 m

    pairs = [p for p in inventory.probable_duplicates(session) if "hope" in p.first.name.lower()]

    assert pair_names(pairs) == {frozenset({"Hope House", "HOPE  house."})}
    assert {pairs[0].first.id, pairs[0].second.id} == {near_a.id, near_b.id}
    assert 30 < pairs[0].distance_m < 36


def test_probable_duplicates_without_locations_and_defunct_left_out(session):
    make_service(session, name="Peer Line")
    make_service(session, name="Peer line")
    located = make_service(session, name="PEER LINE")
    make_location(session, located)
    make_service(session, name="peer-line", status="defunct")

    pairs = [p for p in inventory.probable_duplicates(session) if "peer" in p.first.name.lower()]

    assert pair_names(pairs) == {frozenset({"Peer Line", "Peer line"})}
    assert pairs[0].distance_m is None


# The queue --------------------------------------------------------------------------------------


def queue_names(section) -> set[str]:
    return {item.name for item in section.items}


def test_queue_has_each_category(session):
    overdue = complete(session, "Q Overdue", assured_date=OLD)
    no_hours = make_service(session, name="Q No Hours", assured_date=FRESH)
    make_location(session, no_hours)
    no_coords = complete(session, "Q No Coords")
    make_location(session, no_coords, latitude=None, longitude=None)
    no_area = complete(session, "Q No Area", types=("mobile-crisis",))
    reported = complete(session, "Q Reported")
    report_problem(session, reported.id, "wrong-hours", "Closes at 5 now", "officer@example.org")
    make_service(session, name="Q Dup", assured_date=FRESH)
    make_service(session, name="q dup", attributes=("open-24-7",))
    gone = make_service(session, name="Q Defunct", status="defunct")
    session.flush()

    queue = inventory.verification_queue(session, TODAY, 180)

    assert "Q Overdue" in queue_names(queue.overdue)
    assert "Q Reported" not in queue_names(queue.overdue)
    assert "Q No Hours" in queue_names(queue.missing_hours)
    assert overdue.id not in {i.id for i in queue.missing_hours.items}
    assert queue_names(queue.missing_coordinates) >= {"Q No Coords"}
    assert "Q Overdue" not in queue_names(queue.missing_coordinates)
    assert queue_names(queue.missing_area) >= {"Q No Area"}
    assert no_area.id not in {i.id for i in queue.missing_hours.items}
    [problem] = [p for p in queue.problems if p.service_name == "Q Reported"]
    assert (problem.kind_label, problem.details) == ("Hours are wrong", "Closes at 5 now")
    assert problem.reported_by == "officer@example.org"
    assert {frozenset({"Q Dup", "q dup"})} <= pair_names(queue.duplicates)
    everywhere = [queue.overdue, queue.missing_hours, queue.missing_coordinates, queue.missing_area]
    assert all(gone.id not in {i.id for i in s.items} for s in everywhere)
    assert not queue.empty


def test_queue_lists_never_verified_first_then_oldest(session):
    complete(session, "Q2 Old", assured_date=OLD)
    complete(session, "Q2 Older", assured_date=OLD - timedelta(days=30))
    complete(session, "Q2 Never", assured_date=None)

    queue = inventory.verification_queue(session, TODAY, 180)

    ours = [i.name for i in queue.overdue.items if i.name.startswith("Q2 ")]
    assert ours == ["Q2 Never", "Q2 Older", "Q2 Old"]
    assert queue.overdue.total >= 3


# Writes -----------------------------------------------------------------------------------------


def test_verify_sets_assured_date_and_assurer_and_logs_it(session):
    service = complete(session, "V Service", assured_date=OLD)
    session.commit()
    version, updated_at = service.version, service.updated_at

    inventory.verify_service(
        session, service.id, "coord@example.org", TODAY, assurer_email="team@example.org"
    )
    session.commit()

    session.expire_all()
    assert service.assured_date == TODAY
    assert service.assurer_email == "team@example.org"  # the published team address
    assert service.version == version  # an open edit form stays valid
    assert service.updated_at == updated_at
    changes = session.scalars(
        select(ChangeRecord).where(ChangeRecord.resource_id == service.id)
    ).all()
    by_field = {c.field_name: c for c in changes}
    assert set(by_field) == {"assured_date", "assurer_email"}
    assert by_field["assured_date"].last_action_type == "verify"
    assert by_field["assured_date"].previous_value == OLD.isoformat()
    assert by_field["assured_date"].replacement_value == TODAY.isoformat()
    assert by_field["assured_date"].updated_by == "coord@example.org"
    assert by_field["assurer_email"].replacement_value == "team@example.org"
    assert by_field["assurer_email"].updated_by == "coord@example.org"
    queue = inventory.verification_queue(session, TODAY, 180)
    assert service.id not in {i.id for i in queue.overdue.items}


def test_verify_again_with_the_same_assurer_logs_one_row(session):
    service = complete(session, "V Again", assured_date=OLD, assurer_email="team@example.org")

    inventory.verify_service(
        session, service.id, "coord@example.org", TODAY, assurer_email="team@example.org"
    )

    changes = session.scalars(
        select(ChangeRecord).where(ChangeRecord.resource_id == service.id)
    ).all()
    assert [c.field_name for c in changes] == ["assured_date"]


@pytest.mark.parametrize("service_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_verify_unknown_service(session, service_id):
    with pytest.raises(inventory.UnknownRecordError):
        inventory.verify_service(session, service_id, "coord@example.org", TODAY)


@pytest.mark.parametrize(("dismiss", "status"), [(False, "resolved"), (True, "dismissed")])
def test_resolve_or_dismiss_a_problem_with_a_note(session, dismiss, status):
    service = make_service(session, name="R Service")
    report = report_problem(session, service.id, "wrong-phone", "Rings a fax", None)
    moment = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)

    inventory.resolve_problem(
        session, report.id, "coord@example.org", "  Called them.  ", dismiss, now=moment
    )
    session.commit()

    session.expire_all()
    assert report.status == status
    assert report.resolved_by == "coord@example.org"
    assert report.resolution_note == "Called them."
    assert report.resolved_at == moment
    [change] = session.scalars(
        select(ChangeRecord).where(ChangeRecord.resource_id == service.id)
    ).all()
    assert (change.resource_type, change.field_name) == ("service", "problem_report")
    assert change.previous_value == "open: wrong-phone (Rings a fax)"
    assert change.replacement_value == f"{status}: Called them."
    assert change.updated_by == "coord@example.org"


@pytest.mark.parametrize("note", ["", "   ", None, "x" * (inventory.MAX_NOTE + 1)])
def test_closing_a_problem_needs_a_note(session, note):
    service = make_service(session, name="R Note")
    report = report_problem(session, service.id, "closed", "", None)

    with pytest.raises(inventory.InventoryError) as exc:
        inventory.resolve_problem(session, report.id, "coord@example.org", note, False)

    assert exc.value.field == "note"
    assert session.get(ProblemReport, report.id).status == "open"


def test_a_closed_problem_is_not_closed_again(session):
    service = make_service(session, name="R Twice")
    report = report_problem(session, service.id, "closed", "", None)
    inventory.resolve_problem(session, report.id, "first@example.org", "Fixed.", False)

    with pytest.raises(inventory.ProblemClosedError) as exc:
        inventory.resolve_problem(session, report.id, "second@example.org", "Nope.", True)

    assert exc.value.report.resolved_by == "first@example.org"
    assert report.resolution_note == "Fixed."


def test_unknown_problem_report(session):
    with pytest.raises(inventory.UnknownRecordError):
        inventory.resolve_problem(session, "nope", "c@example.org", "Note", False)


# History and export -----------------------------------------------------------------------------


def test_history_rows_newest_first_in_local_time(session):
    service = make_service(session, name="Hist Service")
    first = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
    record_field_changes(
        session,
        resource_type="service",
        resource_id=service.id,
        user="coord@example.org",
        before={"name": "Old Name", "email": None},
        after={"name": "Hist Service", "email": "a@example.org"},
        when=first,
    )
    inventory.verify_service(
        session,
        service.id,
        "coord@example.org",
        TODAY,
        assurer_email="team@example.org",
        now=first + timedelta(days=1),
    )
    record_field_changes(
        session,
        resource_type="organization",
        resource_id=service.organization_id,
        user="coord@example.org",
        before={"name": "x"},
        after={"name": "y"},
    )
    session.flush()

    rows = inventory.history_rows(session, service.id, zone=DENVER)

    assert [(r.action, r.field) for r in rows] == [
        ("verify", "assured_date"),
        ("verify", "assurer_email"),
        ("update", "email"),
        ("update", "name"),
    ]
    name_row = rows[-1]
    assert (name_row.old, name_row.new, name_row.who) == (
        "Old Name",
        "Hist Service",
        "coord@example.org",
    )
    assert name_row.when == first
    assert name_row.when.utcoffset() == timedelta(hours=-7)
    assert name_row.record_name == "Hist Service"


def test_history_csv_parses_and_neutralises_formulas(session):
    service = make_service(session, name="=HYPERLINK(1)")
    record_field_changes(
        session,
        resource_type="service",
        resource_id=service.id,
        user="coord@example.org",
        before={"phone": "+1 505 555 0100", "alert": None},
        after={"phone": "-2+3", "alert": 'Closed, "for now"\nback Monday'},
        when=datetime(2026, 1, 5, 18, 0, tzinfo=UTC),
    )
    session.flush()

    text = inventory.history_csv(inventory.history_rows(session, service.id, zone=DENVER))

    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(inventory.CSV_HEADER)
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [r["field"] for r in body] == ["alert", "phone"]
    alert, phone = body
    assert alert["new_value"] == 'Closed, "for now"\nback Monday'
    assert alert["old_value"] == ""
    assert alert["changed_at"] == "2026-01-05T11:00:00-07:00"
    assert alert["record_name"] == "'=HYPERLINK(1)"
    assert phone["old_value"] == "+1 505 555 0100"  # a phone number stays as it is
    assert phone["new_value"] == "'-2+3"
    assert (phone["record_type"], phone["record_id"]) == ("service", service.id)


def test_all_history_since(session):
    service = make_service(session, name="All Hist")
    for day, value in ((1, "a"), (20, "b")):
        record_field_changes(
            session,
            resource_type="service",
            resource_id=service.id,
            user="coord@example.org",
            before={"alert": None},
            after={"alert": value},
            when=datetime(2030, 1, day, 12, 0, tzinfo=UTC),
        )
    session.flush()

    since = datetime(2030, 1, 10, tzinfo=DENVER)
    rows = list(inventory.all_history_rows(session, since=since, zone=DENVER))

    assert [(r.new, r.record_name) for r in rows] == [("b", "All Hist")]
