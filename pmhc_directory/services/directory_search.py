"""The public directory's search box: words typed by a person, with the browse filters.

The words go to the search index (stemming, typo tolerance, relevance: ``services.search``);
the filters (type, continuum element, active only) are read from the database in the same
transaction and restrict which hits count, so totals and pages hold only services that pass
both. Results come back in relevance order as the browse list's rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..models import Location, Service, ServiceAtLocation
from ..search.index import SearchIndex
from . import search as search_service
from .directory import (
    PAGE_SIZE,
    BrowseFilters,
    FilterError,
    ServiceRow,
    _cities,
    _filter_conditions,
)
from .directory import _type_names as type_names
from .paging import PagedResult

MAX_QUERY_CHARS = search_service.MAX_QUERY_CHARS


@dataclass(frozen=True)
class DirectorySearchPage(PagedResult):
    """One page of a directory search, best match first."""

    rows: list[ServiceRow]
    filters: BrowseFilters
    total: int
    q: str
    # "all": every word matched; "any": no service had every word, these have some.
    match: str
    page_size: int = PAGE_SIZE

    @property
    def matched_some_words(self) -> bool:
        return self.match == "any"


def search_directory(
    session: Session, index: SearchIndex, filters: BrowseFilters, q: str
) -> DirectorySearchPage:
    """Services passing ``filters`` that match ``q``, best first, one page of ``PAGE_SIZE``.

    :raises FilterError: an unknown type or continuum element, a page below 1, or ``q`` over
        200 characters.
    :raises search_service.SearchUnavailableError: the index cannot be read even after a rebuild.
    """
    q = q.strip()
    if filters.page < 1:
        raise FilterError("page", "Page numbers start at 1.")
    if len(q) > MAX_QUERY_CHARS:
        raise FilterError("q", f"Search words are limited to {MAX_QUERY_CHARS} characters.")
    allowed = set(session.scalars(select(Service.id).where(*_filter_conditions(filters))))
    found = search_service.search_services(
        session, index, q, page=filters.page, per_page=PAGE_SIZE, only=allowed
    )
    ids = [item.id for item in found.items]
    services = {
        s.id: s
        for s in session.scalars(
            select(Service)
            .where(Service.id.in_(ids))
            .options(
                joinedload(Service.organization),
                selectinload(Service.attributes),
                selectinload(Service.service_at_locations)
                .selectinload(ServiceAtLocation.location)
                .selectinload(Location.addresses),
            )
        ).unique()
    }
    rows = [
        ServiceRow(
            id=s.id,
            name=s.name,
            organization=s.organization.name,
            types=type_names(s),
            status=s.status,
            cities=_cities(s),
            assured_date=s.assured_date,
            is_national=s.is_national,
        )
        for service_id in ids
        if (s := services.get(service_id)) is not None
    ]
    return DirectorySearchPage(
        rows=rows, filters=filters, total=found.total_items, q=q, match=found.match
    )
