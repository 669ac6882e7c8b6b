"""Hits are checked against the database: once per index version and newest change row.

``search_services`` asks the index to check every indexed service once per (index version,
newest change row) instead of each hit of each search; these tests hold that to the answers a
check per search gave.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from pmhc_directory.models import Service
from pmhc_directory.search import SearchIndex
from pmhc_directory.search.schema import ServiceText, service_document
from pmhc_directory.services import search as search_service
from tests.factories import make_organization, make_service


def found(session, index: SearchIndex, q: str, **kwargs) -> tuple[list[str], int]:
    result = search_service.search_services(session, index, q, **kwargs)
    return [item.name for item in result.items], result.total_items


@pytest.fixture
def harbors(session):
    org = make_organization(session, name="Harbor Health")
    return [
        make_service(session, name=name, organization=org, types=types)
        for name, types in (
            ("Harbor House", ("sobering-center", "mobile-crisis")),
            ("Harbor Annex", ("crisis-line",)),
        )
    ]


def test_a_document_indexed_without_a_change_row_is_still_checked(session, harbors):
    index = SearchIndex.in_memory()
    assert found(session, index, "harbor") == (["Harbor Annex", "Harbor House"], 2)
    ghost = ServiceText(id="7d7f2f8e-0000-4000-8000-000000000002", name="Harbor Ghost")
    index.add_or_update([service_document(ghost)])  # no change row: same newest seq
    assert found(session, index, "harbor") == (["Harbor Annex", "Harbor House"], 2)
    assert found(session, index, "ghost") == ([], 0)


def test_a_service_deleted_while_the_index_is_busy_is_neither_listed_nor_counted(session, harbors):
    index = SearchIndex.in_memory(lock_timeout=0.05)
    assert found(session, index, "harbor") == (["Harbor Annex", "Harbor House"], 2)
    session.delete(harbors[1])
    session.flush()
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with index.writing():
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(5)
        # The catch-up is skipped (busy): the index still has the annex, the answer does not.
        assert found(session, index, "harbor") == (["Harbor House"], 1)
        assert found(session, index, "annex") == ([], 0)
    finally:
        release.set()
        thread.join()
    assert found(session, index, "harbor") == (["Harbor House"], 1)


def test_items_carry_the_rows_columns_organization_and_type_codes_in_order(session, harbors):
    index = SearchIndex.in_memory()
    result = search_service.search_services(session, index, "harbor house")
    [item] = result.items
    house = harbors[0]
    assert (item.id, item.name, item.organization, item.organization_id, item.status) == (
        house.id,
        "Harbor House",
        "Harbor Health",
        house.organization_id,
        "active",
    )
    assert item.service_types == ["sobering-center", "mobile-crisis"]
    assert item.score == 1.0


def test_existing_service_ids_reads_all_ids_for_long_lists_with_the_same_answer(
    session, harbors, monkeypatch
):
    everyone = list(session.scalars(select(Service.id)))
    asked = [*everyone, "7d7f2f8e-0000-4000-8000-000000000003", harbors[0].id]
    chunked = search_service.existing_service_ids(session, asked)
    monkeypatch.setattr(search_service, "_SCAN_ABOVE", 1)
    scanned = search_service.existing_service_ids(session, asked)
    assert chunked == scanned == set(everyone)
