"""The change sequence and the index's catch-up, against the database under test."""

from __future__ import annotations

import copy
import gc
import logging
import shutil
import threading

import pytest
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from pmhc_directory.models import (
    Address,
    Attribute,
    Location,
    Phone,
    SearchChange,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from pmhc_directory.search import SearchIndex
from pmhc_directory.search.schema import ServiceText, service_document
from pmhc_directory.search.sync import ALL_SERVICES, record_changes
from pmhc_directory.services import search as search_service
from pmhc_directory.services.imports import import_services
from pmhc_directory.taxonomy import SERVICE_TYPE, vocabulary
from tests.factories import make_location, make_organization, make_service
from tests.unit.test_hsds_parsing import full_service_dict

SERVICES = Service.__table__
ATTRIBUTES = Attribute.__table__


def newest_seq(session: Session) -> int:
    return session.scalar(select(func.max(SearchChange.seq))) or 0


def changed_since(session: Session, seq: int) -> list[str]:
    """Service ids of the change rows after ``seq``, in order (flushes pending writes first)."""
    session.flush()
    rows = session.scalars(
        select(SearchChange.service_id).where(SearchChange.seq > seq).order_by(SearchChange.seq)
    )
    return [str(r) for r in rows]


def found(session: Session, index: SearchIndex, q: str, **kwargs) -> list[str]:
    result = search_service.search_services(session, index, q, **kwargs)
    return [item.name for item in result.items]


@pytest.fixture
def index() -> SearchIndex:
    return SearchIndex.in_memory()


# Recording: ORM flushes -----------------------------------------------------------------------


def test_creating_changing_and_deleting_a_service_record_it(session):
    start = newest_seq(session)
    service = make_service(session, name="Harbor House")
    assert set(changed_since(session, start)) == {service.id}

    mark = newest_seq(session)
    service.name = "Harbor House East"
    assert changed_since(session, mark) == [service.id]

    mark = newest_seq(session)
    session.delete(service)
    assert changed_since(session, mark) == [service.id]


def test_one_row_per_service_per_flush(session):
    service = make_service(session, name="Harbor House")
    term = session.get(TaxonomyTerm, vocabulary().id_for_code("attribute", "open-24-7"))
    mark = newest_seq(session)
    service.name = "Harbor House East"
    service.description = "Beds for the night."
    service.attributes.append(
        Attribute(link_id=service.id, link_type="diversion", taxonomy_term=term, position=9)
    )
    assert changed_since(session, mark) == [service.id]


def test_unrelated_or_unchanged_rows_record_nothing(session):
    service = make_service(session, name="Harbor House")
    mark = newest_seq(session)
    service.name = "Harbor House"  # same value
    session.add(Phone(service=service, number="505-555-0100"))
    assert changed_since(session, mark) == []


def test_an_organization_change_records_each_of_its_services(session):
    org = make_organization(session, name="Juniper Health")
    first = make_service(session, name="First", organization=org)
    second = make_service(session, name="Second", organization=org)
    make_service(session, name="Elsewhere")
    mark = newest_seq(session)
    org.name = "Juniper Health Partners"
    assert sorted(changed_since(session, mark)) == sorted([first.id, second.id])


def test_attribute_changes_record_the_service_they_belong_to(session):
    service = make_service(session, types=("crisis-receiving", "sobering-center"))
    mark = newest_seq(session)
    service.attributes.pop()
    assert changed_since(session, mark) == [service.id]


def test_location_address_and_link_changes_record_the_services_offered_there(session):
    service = make_service(session, name="Harbor House")
    other = make_service(session, name="Other")
    mark = newest_seq(session)
    location = make_location(session, service, name="Westside Center")
    assert changed_since(session, mark) == [service.id]  # the new link

    mark = newest_seq(session)
    location.name = "Westside Campus"
    assert changed_since(session, mark) == [service.id]

    mark = newest_seq(session)
    address = Address(
        location=location,
        address_1="1 Main St",
        city="Albuquerque",
        state_province="NM",
        postal_code="87102",
        country="US",
    )
    session.add(address)
    assert changed_since(session, mark) == [service.id]

    mark = newest_seq(session)
    address.city = "Los Ranchos"
    assert changed_since(session, mark) == [service.id]

    mark = newest_seq(session)
    session.delete(service.service_at_locations[0])
    assert changed_since(session, mark) == [service.id]
    make_location(session, other, name="Eastside Center")
    assert other.id


def test_deleting_a_location_records_the_services_that_were_there(session):
    service = make_service(session, name="Harbor House")
    other = make_service(session, name="Other")
    location = make_location(session, service, name="Westside Center")
    make_location(session, other, name="Eastside Center")
    mark = newest_seq(session)
    locations = Location.__table__
    session.execute(delete(locations).where(locations.c.id == location.id))
    assert changed_since(session, mark) == [service.id]


# Recording: bulk statements (as the importer writes) ------------------------------------------


def test_bulk_statements_record_the_rows_they_touch(session):
    first = make_service(session, name="First")
    second = make_service(session, name="Second", types=("mobile-crisis",))
    mark = newest_seq(session)
    statement = (
        update(SERVICES).where(SERVICES.c.id == bindparam("_id")).values(name=bindparam("name"))
    )
    session.execute(statement, [{"_id": first.id, "name": "A"}, {"_id": second.id, "name": "B"}])
    assert sorted(changed_since(session, mark)) == sorted([first.id, second.id])

    mark = newest_seq(session)
    session.execute(delete(ATTRIBUTES).where(ATTRIBUTES.c.link_id.in_([second.id])))
    assert changed_since(session, mark) == [second.id]

    mark = newest_seq(session)
    session.execute(update(Service).where(Service.name == "A").values(description="Changed"))
    assert changed_since(session, mark) == [first.id]

    mark = newest_seq(session)
    new_id = "5b0c8e2a-3f6d-4e8a-9c1b-2d7e4f6a8b90"
    row = {"id": new_id, "organization_id": first.organization_id, "name": "C", "version": 1}
    session.execute(insert(SERVICES).values(**row))
    assert changed_since(session, mark) == [new_id]


def test_a_bulk_statement_whose_rows_cannot_be_told_asks_for_a_full_reindex(session):
    service = make_service(session, name="First")
    mark = newest_seq(session)
    statement = update(SERVICES).where(SERVICES.c.name == bindparam("old"))
    session.execute(statement.values(description="x"), [{"old": "First"}, {"old": "Nope"}])
    assert changed_since(session, mark) == [ALL_SERVICES]
    assert service.id  # unchanged object, just to use it


def test_imports_are_recorded_and_searchable(session, index):
    record = full_service_dict()
    mark = newest_seq(session)
    import_services(session, [copy.deepcopy(record)], source="test.json")
    assert record["id"] in changed_since(session, mark)
    assert found(session, index, "juniper crisis") == ["Crisis Line"]

    record["organization"]["name"] = "Saguaro Health"
    import_services(session, [copy.deepcopy(record)], source="test.json")
    assert found(session, index, "saguaro") == ["Crisis Line"]
    assert found(session, index, "juniper") == []


def test_raw_sql_writers_record_changes_explicitly(session):
    service = make_service(session, name="First")
    mark = newest_seq(session)
    record_changes(session, [service.id])
    assert changed_since(session, mark) == [service.id]


# Catching up ----------------------------------------------------------------------------------


def test_an_empty_index_is_built_from_the_database_on_first_use(session, index, caplog):
    make_service(session, name="Harbor House Sobering Center", types=("sobering-center",))
    caplog.set_level(logging.WARNING)
    report = search_service.catch_up(session, index)
    assert report.rebuilt
    assert "rebuilding it from the database" in caplog.text
    assert found(session, index, "sobring") == ["Harbor House Sobering Center"]
    assert not search_service.catch_up(session, index).rebuilt


def test_catch_up_applies_exactly_the_changes_after_the_last_seq(session, index, monkeypatch):
    first = make_service(session, name="Harbor House")
    second = make_service(session, name="Juniper Place")
    search_service.catch_up(session, index)
    assert search_service.catch_up(session, index) == search_service.CatchUpReport()

    loaded: list[str] = []
    real = search_service.service_texts

    def spy(session, ids):
        loaded.extend(ids)
        return real(session, ids)

    monkeypatch.setattr(search_service, "service_texts", spy)
    second.name = "Juniper Commons"
    session.flush()
    report = search_service.catch_up(session, index)
    assert report.applied == 1 and not report.rebuilt
    assert loaded == [second.id]
    assert [h.id for h in index.search("commons").hits] == [second.id]
    assert index.search("place").hits == []
    assert [h.id for h in index.search("harbor").hits] == [first.id]


def test_a_deleted_service_leaves_the_index(session, index):
    service = make_service(session, name="Harbor House")
    search_service.catch_up(session, index)
    assert [h.id for h in index.search("harbor").hits] == [service.id]
    session.delete(service)
    session.flush()
    assert search_service.catch_up(session, index).applied == 1
    assert index.search("harbor").hits == []  # gone from the index, not only filtered out


def test_documents_of_services_not_in_the_database_are_never_answered(session, index):
    make_service(session, name="Harbor House")
    search_service.catch_up(session, index)
    ghost = ServiceText(id="7d7f2f8e-0000-4000-8000-000000000001", name="Harbor Ghost")
    index.add_or_update([service_document(ghost)])
    result = search_service.search_services(session, index, "harbor")
    assert [item.name for item in result.items] == ["Harbor House"]
    assert result.total_items == 1


def test_a_change_committed_late_fills_its_gap(session, index):
    """PostgreSQL can commit seq 11 after seq 12; the index waits for 11 instead of skipping."""
    late = make_service(session, name="Harbor House")
    early = make_service(session, name="Juniper Place")
    search_service.catch_up(session, index)
    last = newest_seq(session)
    # Written on the connection, past the session's events: only the rows inserted by hand
    # below say what changed.
    conn = session.connection()
    conn.execute(update(SERVICES).where(SERVICES.c.id == late.id).values(name="Harbor Late"))
    conn.execute(update(SERVICES).where(SERVICES.c.id == early.id).values(name="Juniper Early"))
    session.expire_all()
    changes = SearchChange.__table__
    session.execute(insert(changes).values(seq=last + 2, service_id=early.id))
    search_service.catch_up(session, index)
    assert found(session, index, "early") == ["Juniper Early"]
    assert found(session, index, "late") == []  # seq last+1 not committed yet
    # (On PostgreSQL, numbers used by earlier, rolled-back tests are gaps too.)
    assert str(last + 1) in index.read_state()["gaps"]

    session.execute(insert(changes).values(seq=last + 1, service_id=late.id))
    assert search_service.catch_up(session, index).applied == 1
    assert found(session, index, "late") == ["Harbor Late"]
    assert str(last + 1) not in index.read_state()["gaps"]


def test_a_change_sequence_that_lost_the_last_applied_change_rebuilds(session, index, caplog):
    make_service(session, name="Harbor House")
    search_service.catch_up(session, index)
    session.execute(delete(SearchChange).where(SearchChange.seq == newest_seq(session)))
    caplog.set_level(logging.WARNING)
    assert search_service.catch_up(session, index).rebuilt
    assert "no longer contains" in caplog.text


def test_two_processes_each_catch_up_to_changes_made_through_the_other(session):
    process_a, process_b = SearchIndex.in_memory(), SearchIndex.in_memory()
    assert found(session, process_a, "harbor") == []
    assert found(session, process_b, "harbor") == []

    service = make_service(session, name="Harbor House")  # written through process A
    assert found(session, process_a, "harbor") == ["Harbor House"]
    assert found(session, process_b, "harbor") == ["Harbor House"]

    service.name = "Juniper Place"  # written through process B
    session.flush()
    assert found(session, process_b, "juniper") == ["Juniper Place"]
    assert found(session, process_a, "juniper") == ["Juniper Place"]
    assert found(session, process_a, "harbor") == []


def test_a_busy_index_still_answers_from_what_it_has(session, caplog):
    index = SearchIndex.in_memory(lock_timeout=0.05)
    make_service(session, name="Harbor House")
    search_service.catch_up(session, index)
    make_service(session, name="Harbor Annex")
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with index.writing():
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(5)
        caplog.set_level(logging.WARNING)
        assert found(session, index, "harbor") == ["Harbor House"]
        assert "answering from it as it is" in caplog.text
    finally:
        release.set()
        thread.join()
    assert found(session, index, "harbor") == ["Harbor Annex", "Harbor House"]


# A folder that goes missing or bad ------------------------------------------------------------


def test_a_missing_index_folder_is_rebuilt_from_the_database(session, tmp_path, caplog):
    folder = tmp_path / "search-index"
    make_service(session, name="Harbor House")
    index = SearchIndex.in_folder(folder)
    assert found(session, index, "harbor") == ["Harbor House"]
    shutil.rmtree(folder)  # deleted under a running process
    caplog.set_level(logging.WARNING)
    assert found(session, index, "harbor") == ["Harbor House"]
    assert "rebuilding it from the database" in caplog.text
    assert found(session, SearchIndex.in_folder(tmp_path / "never-made"), "harbor") == [
        "Harbor House"
    ]


def overwrite(path):
    path.write_bytes(b"not an index")


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


@pytest.mark.parametrize("damage", [overwrite, truncate])
def test_a_corrupted_index_folder_is_rebuilt_from_the_database(session, tmp_path, caplog, damage):
    folder = tmp_path / "search-index"
    make_service(session, name="Harbor House")
    running = SearchIndex.in_folder(folder)
    assert found(session, running, "harbor") == ["Harbor House"]
    for path in folder.iterdir():
        if path.suffix in {".toc", ".seg"}:
            damage(path)
    caplog.set_level(logging.WARNING)
    assert found(session, running, "harbor") == ["Harbor House"]  # damaged under it
    assert found(session, SearchIndex.in_folder(folder), "harbor") == ["Harbor House"]  # restart
    assert "rebuilding it from the database" in caplog.text


# Reindex --------------------------------------------------------------------------------------


def test_reindex_indexes_every_service_and_reports_progress(session, index):
    make_service(session, name="Harbor House", types=("sobering-center",))
    make_service(session, name="Juniper Place", types=("mobile-crisis",))
    index.add_or_update([service_document(ServiceText(id="stale", name="Stale Harbor"))])
    steps: list[tuple[str, int | None, int]] = []
    collecting: list[bool] = []

    from contextlib import contextmanager

    @contextmanager
    def progress(label, total):
        done = [0]

        def advance(n):
            done[0] += n
            collecting.append(gc.isenabled())

        yield advance
        steps.append((label, total, done[0]))

    total = session.scalar(select(func.count(Service.id)))
    assert gc.isenabled()
    assert search_service.reindex(session, index, progress) == total
    assert steps == [("Indexing services", total, total)]
    # Indexing runs with the cyclic collector paused (pmhc_directory.collector), then resumes it.
    assert collecting and not any(collecting)
    assert gc.isenabled()
    assert index.doc_count() == total
    assert [h.name for h in index.search("harbor").hits] == ["Harbor House"]
    assert [h.name for h in index.search("crisis", types=["mobile-crisis"]).hits] == [
        "Juniper Place"
    ]


def add_address(location: Location, city: str) -> None:
    """A physical address in ``city`` (postal code 87000) for ``location``."""
    location.addresses.append(
        Address(
            address_1="1 Main St",
            city=city,
            state_province="NM",
            postal_code="87000",
            country="US",
        )
    )


def test_a_rebuilds_id_ranges_read_the_same_texts_as_lists_of_ids(session):
    """``all_between``: every service from the first id to the last in the database's order is
    read by range (a rebuild); the texts equal those read by the list of ids, and a service
    between them that is not asked for is left out."""
    org = make_organization(session, name="Harbor Health", alternate_name="HH Network")
    services = [
        make_service(session, name=f"Service {n}", types=types, organization=org)
        for n, types in enumerate(
            [("sobering-center", "mobile-crisis"), (), ("crisis-receiving",), ("crisis-respite",)]
        )
    ]
    services.append(make_service(session, name="Own Organization"))
    shared = make_location(session, services[0], name="Shared Place", alternate_name="Old Name")
    session.add(ServiceAtLocation(service=services[2], location=shared))
    for city in ("Riverton", "Lakeview"):
        add_address(shared, city)
    make_location(session, services[0], name="Second Place")  # no address
    session.flush()
    ids = list(session.scalars(select(Service.id).order_by(Service.id)))
    by_list = search_service.service_texts(session, ids)
    assert search_service.service_texts(session, ids, all_between=True) == by_list
    assert [t.id for t in by_list] == ids
    [first] = [t for t in by_list if t.id == services[0].id]
    assert set(first.places) == {
        "Shared Place",
        "Old Name",
        "Riverton",
        "87000",
        "Lakeview",
        "Second Place",
    }
    # Each link's location is followed by its addresses (links and addresses in id order).
    at = first.places.index("Shared Place")
    assert set(first.places[at : at + 5]) == {
        "Shared Place",
        "Old Name",
        "Riverton",
        "87000",
        "Lakeview",
    }
    # Asked for the first and the last: the services between them are not given.
    ends = [ids[0], ids[-1]]
    assert search_service.service_texts(session, ends, all_between=True) == [
        by_list[0],
        by_list[-1],
    ]


def test_service_types_and_places_reach_the_document(session):
    service = make_service(session, name="Harbor House", types=("sobering-center",))
    make_location(session, service, name="Westside Center")
    [text_] = search_service.service_texts(session, [service.id])
    assert text_.type_codes == ("sobering-center",)
    assert text_.type_names == (vocabulary().term(SERVICE_TYPE, "sobering-center").name,)
    assert text_.places == ("Westside Center",)
    assert text_.organization == "Test Organization"


def test_plain_rows_give_the_text_of_the_service_loaded_through_the_orm(session):
    org = make_organization(session, name="Harbor Health", alternate_name="HH Network")
    first = make_service(
        session,
        name="Harbor House",
        alternate_name="The Harbor",
        description="Sobering beds.",
        eligibility_description="Adults 18+",
        types=("sobering-center", "mobile-crisis"),
        attributes=("open-24-7",),
        organization=org,
    )
    for name, city in (("Westside Center", "Riverton"), ("Eastside Annex", "Lakeview")):
        location = make_location(session, first, name=name, alternate_name=f"{name} (old)")
        add_address(location, city)
    second = make_service(session, name="Juniper Place", types=(), organization=org)
    session.flush()
    ids = [second.id, first.id, "00000000-0000-0000-0000-00000000abcd", first.id]

    texts = search_service.service_texts(session, ids)

    session.expire_all()
    loaded = [session.get(Service, service_id) for service_id in (second.id, first.id)]
    assert texts == [search_service.service_text(s) for s in loaded if s is not None]
    # Locations come in link order (by link id), each followed by its addresses.
    assert set(texts[1].places) == {
        "Westside Center",
        "Westside Center (old)",
        "Riverton",
        "87000",
        "Eastside Annex",
        "Eastside Annex (old)",
        "Lakeview",
    }
