"""Queries behind the HSDS 3.1 API at ``/hsds`` (spec/api.md 7): filters, paging and counts.

Every list is one page of a stable order, counted and cut in the database: only the ids of the
page are read, then those objects are loaded with their relationships in a fixed number of
queries. Two filters cannot be done in SQL alone and work on ids instead (never on whole
objects): ``search`` (the whoosh index ranks service ids) and ``postcode`` (a service area
polygon is tested with shapely after an indexed bounding-box query). Filters combine with AND.

Parameters arrive as text (:func:`parse_list_params`); a bad value raises
:class:`FeedInputError` naming the parameter, before anything is read.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Executable, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..db import normalize_uuid
from ..errors import InputError, SearchUnavailableError
from ..geo.addresses import looks_like_zip
from ..geo.distance import bounding_box, distance_km
from ..hsds.profile import (
    DEFAULT_PER_PAGE,
    MAX_MINIMAL_PER_PAGE,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_PROXIMITY_METRES,
    MAX_SEARCH_CHARS,
)
from ..hsds.serialize import SERVICE_LOAD_OPTIONS
from ..models import (
    Address,
    Attribute,
    Location,
    Organization,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

LOG = logging.getLogger(__name__)
T = TypeVar("T")

#: Objects loaded per round trip when a list is streamed as ndjson.
STREAM_BATCH = 100
_CHUNK = 500
FORMATS = ("json", "ndjson")

# Which filters each list takes; any other HSDS filter is refused rather than ignored, so a
# client never mistakes an unfiltered answer for a filtered one.
ENDPOINT_PARAMS: dict[str, frozenset[str]] = {
    "services": frozenset(
        {
            "search",
            "taxonomy_term_id",
            "taxonomy_id",
            "organization_id",
            "modified_after",
            "full",
            "minimal",
        }
    ),
    "service_at_locations": frozenset(
        {
            "search",
            "taxonomy_term_id",
            "taxonomy_id",
            "organization_id",
            "modified_after",
            "full",
            "postcode",
            "proximity",
        }
    ),
    "organizations": frozenset(
        {"search", "taxonomy_term_id", "taxonomy_id", "full", "full_service"}
    ),
    "taxonomies": frozenset({"search"}),
    "taxonomy_terms": frozenset({"search", "taxonomy_id", "parent_id", "top_only"}),
}
ALL_FILTERS = frozenset().union(*ENDPOINT_PARAMS.values())
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")
# "2026-10-01T00:00:00 07:00": a "+" sent unencoded in a URL arrives as a space.
_SPACED_OFFSET = re.compile(r"^(.*\d) (\d\d(:?\d\d)?)$")


class FeedInputError(InputError):
    """A query parameter that cannot be used; ``field`` names it, ``code`` is the error slug
    (``unsupported-parameter`` is answered with 400, the others with 422)."""

    def __init__(self, field: str | None, message: str, code: str | None = None) -> None:
        super().__init__(field, message, code)
        if self.code == "unsupported-parameter":
            self.status = 400


# ---------------------------------------------------------------------------------------------
# Parameters


@dataclass(frozen=True)
class ListParams:
    """Validated query parameters of one list request (None: not given)."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    format: str = "json"
    search: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    parent_id: str | None = None
    modified_after: datetime | None = None
    postcode: str | None = None
    #: Metres from the postcode's centroid (HSDS ``proximity``).
    proximity: float | None = None
    full: bool = True
    full_service: bool = False
    top_only: bool = False
    #: HSDS ``minimal``: services as ``id`` and ``last_modified`` only, all in one call.
    minimal: bool = False


#: Parameters every list takes besides its filters.
_PAGING = frozenset({"page", "per_page", "format"})


def _text(args: Mapping[str, Any], name: str) -> str | None:
    raw = args.get(name)
    if raw is None:
        return None
    raw = str(raw).strip()
    return raw or None


def _int(args: Mapping[str, Any], name: str, default: int, low: int, high: int | None) -> int:
    raw = _text(args, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise FeedInputError(name, f"{name} must be a whole number.") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise FeedInputError(name, f"{name} must be {bound}.")
    return value


def _flag(args: Mapping[str, Any], name: str, default: bool) -> bool:
    raw = _text(args, name)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise FeedInputError(name, f"{name} must be true or false.")


def _uuid(args: Mapping[str, Any], name: str) -> str | None:
    raw = _text(args, name)
    if raw is None:
        return None
    try:
        return normalize_uuid(raw)
    except ValueError:
        raise FeedInputError(name, f"{name} must be a UUID.") from None


def parse_datetime(raw: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 date-time (or date) as an aware datetime.

    Without an offset the value is a wall-clock time of ``zone`` (the instance's time zone);
    a date alone means its midnight there. ``Z`` means UTC.
    :raises ValueError: the text is not ISO 8601.
    """
    text = raw.strip()
    spaced = _SPACED_OFFSET.match(text)
    if spaced and "T" in text:
        text = f"{spaced.group(1)}+{spaced.group(2)}"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.combine(date.fromisoformat(text), time(0), tzinfo=zone)
    if "T" not in text and " " not in text:
        raise ValueError(f"not an ISO 8601 date-time: {raw!r}")
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def parse_list_params(endpoint: str, args: Mapping[str, Any], zone: ZoneInfo) -> ListParams:
    """Validate the query parameters of a list endpoint (``services``, ``taxonomies``...).

    :param args: parameter name -> text (the first value of each, e.g. Flask's
        ``request.args``). Names outside HSDS's list are ignored.
    :param zone: time zone of a ``modified_after`` given without an offset.
    :raises FeedInputError: a bad value, or a filter this endpoint does not take.
    """
    _check_names(endpoint, args)
    minimal = _flag(args, "minimal", False)
    fmt = (_text(args, "format") or "json").lower()
    if fmt not in FORMATS:
        raise FeedInputError("format", "format must be json or ndjson.")
    search = _text(args, "search")
    if search is not None and len(search) > MAX_SEARCH_CHARS:
        raise FeedInputError("search", f"search is limited to {MAX_SEARCH_CHARS} characters.")
    modified_after = _modified_after(args, zone)
    postcode = _postcode(args)
    proximity = _proximity(args, postcode)
    return ListParams(
        page=_int(args, "page", 1, 1, MAX_PAGE),
        per_page=(
            _int(args, "per_page", MAX_MINIMAL_PER_PAGE, 1, MAX_MINIMAL_PER_PAGE)
            if minimal
            else _int(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        ),
        format=fmt,
        search=search,
        taxonomy_term_id=_uuid(args, "taxonomy_term_id"),
        taxonomy_id=_uuid(args, "taxonomy_id"),
        organization_id=_uuid(args, "organization_id"),
        parent_id=_uuid(args, "parent_id"),
        modified_after=modified_after,
        postcode=postcode,
        proximity=proximity,
        full=_flag(args, "full", True),
        full_service=_flag(args, "full_service", False),
        top_only=_flag(args, "top_only", False),
        minimal=minimal,
    )


def _check_names(endpoint: str, args: Mapping[str, Any]) -> None:
    """FeedInputError for a filter ``endpoint`` does not take, then for an empty value (both
    in the order of the parameter names)."""
    allowed = ENDPOINT_PARAMS[endpoint]
    for name in sorted(ALL_FILTERS - allowed):
        if _text(args, name) is not None:
            raise FeedInputError(
                name, f"/{endpoint} does not take the {name} parameter.", "unsupported-parameter"
            )
    for name in sorted(allowed | _PAGING):
        # An empty value is refused, never read as "no filter": a client that lost a value
        # must not mistake an unfiltered answer for a filtered one.
        if name in args and _text(args, name) is None:
            raise FeedInputError(name, f"{name} is empty: give a value or leave it out.")


def _modified_after(args: Mapping[str, Any], zone: ZoneInfo) -> datetime | None:
    """``modified_after`` in UTC (read in ``zone`` when it has no offset), or None."""
    raw_modified = _text(args, "modified_after")
    if raw_modified is None:
        return None
    try:
        # In UTC here: a date-time at the ends of the calendar cannot be moved there.
        return parse_datetime(raw_modified, zone).astimezone(UTC)
    except (ValueError, OverflowError):
        raise FeedInputError(
            "modified_after",
            "modified_after must be an ISO 8601 date-time such as 2026-10-01T00:00:00Z.",
        ) from None


def _postcode(args: Mapping[str, Any]) -> str | None:
    """``postcode`` as a US ZIP code, or None."""
    raw_postcode = _text(args, "postcode")
    if raw_postcode is None:
        return None
    postcode = looks_like_zip(raw_postcode)
    if postcode is None:
        raise FeedInputError("postcode", "postcode must be a US ZIP code such as 87102.")
    return postcode


def _proximity(args: Mapping[str, Any], postcode: str | None) -> float | None:
    """``proximity`` in metres (it needs a postcode to be measured from), or None."""
    raw_proximity = _text(args, "proximity")
    if raw_proximity is None:
        return None
    try:
        proximity = float(raw_proximity)
    except ValueError:
        proximity = math.nan
    if not (math.isfinite(proximity) and 0 < proximity <= MAX_PROXIMITY_METRES):
        raise FeedInputError(
            "proximity",
            f"proximity must be a distance in metres above 0 and at most {MAX_PROXIMITY_METRES}.",
        )
    if postcode is None:
        raise FeedInputError(
            "proximity", "proximity is measured from a postcode: give postcode too."
        )
    return proximity


# ---------------------------------------------------------------------------------------------
# Pages


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with what the HSDS ``Page`` envelope says about it."""

    items: list[T]
    total_items: int
    page_number: int
    per_page: int
    #: Extra facts per item id (``distance_km`` for a proximity search).
    extras: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def total_pages(self) -> int:
        return -(-self.total_items // self.per_page)

    def envelope(self, contents: list[Any]) -> dict[str, Any]:
        """The HSDS 3.1 ``Page`` object around ``contents`` (``page_number`` counts from 1)."""
        return {
            "total_items": self.total_items,
            "total_pages": self.total_pages,
            "page_number": self.page_number,
            "size": len(contents),
            "per_page": self.per_page,
            "first_page": self.page_number == 1,
            "last_page": self.page_number >= self.total_pages,
            "empty": not contents,
            "contents": contents,
        }


@dataclass(frozen=True)
class _Ids:
    """Ids of one page (or of everything, for a stream) in order, and the total."""

    ids: list[str]
    total: int
    extras: dict[str, dict[str, Any]] = field(default_factory=dict)


def _offset(params: ListParams) -> int:
    return (params.page - 1) * params.per_page


def _db_page(session: Session, ordered: Select[Any], params: ListParams, stream: bool) -> _Ids:
    """Count ``ordered`` (a select of ids) and read one page of it, both in the database."""
    if stream:
        ids = [str(i) for i in session.scalars(ordered)]
        return _Ids(ids, len(ids))
    total = session.scalar(select(func.count()).select_from(ordered.order_by(None).subquery()))
    total = total or 0
    if _offset(params) >= total:
        return _Ids([], total)
    page_ids = session.scalars(ordered.offset(_offset(params)).limit(params.per_page)).all()
    return _Ids([str(i) for i in page_ids], total)


def _list_page(ids: Sequence[str], params: ListParams, stream: bool) -> _Ids:
    """One page of an id list that had to be ordered outside SQL."""
    if stream:
        return _Ids(list(ids), len(ids))
    start = _offset(params)
    return _Ids(list(ids[start : start + params.per_page]), len(ids))


def _chunks(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _batches(ids: Sequence[str], load: Callable[[Sequence[str]], list[T]]) -> Iterator[T]:
    for chunk in _chunks(ids, STREAM_BATCH):
        yield from load(chunk)


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column: Any, text: str) -> Any:
    return func.lower(column).like(_like(text), escape="\\")


# ---------------------------------------------------------------------------------------------
# Services


def _term_condition(link_entity: str, link_id: Any, params: ListParams) -> list[Any]:
    """Attribute conditions for ``taxonomy_term_id`` and ``taxonomy_id`` (each an EXISTS)."""
    conditions = []
    if params.taxonomy_term_id:
        conditions.append(
            exists().where(
                Attribute.link_entity == link_entity,
                Attribute.link_id == link_id,
                Attribute.taxonomy_term_id == params.taxonomy_term_id,
            )
        )
    if params.taxonomy_id:
        conditions.append(
            exists()
            .where(
                Attribute.link_entity == link_entity,
                Attribute.link_id == link_id,
                TaxonomyTerm.taxonomy_id == params.taxonomy_id,
            )
            .where(Attribute.taxonomy_term_id == TaxonomyTerm.id)
        )
    return conditions


def _service_conditions(params: ListParams) -> list[Any]:
    conditions = _term_condition("service", Service.id, params)
    if params.organization_id:
        conditions.append(Service.organization_id == params.organization_id)
    if params.modified_after is not None:
        conditions.append(Service.updated_at >= params.modified_after.astimezone(UTC))
    return conditions


def _ranked_service_ids(session: Session, index: Any, text: str) -> list[str]:
    """Ids of the services the index finds for ``text``, best first (ties by name, id)."""
    from ..search.index import IndexBusyError, IndexUnavailableError
    from . import search as search_service

    search_service.catch_up(session, index)

    def keep(ids: Sequence[str]) -> set[str]:
        return search_service.existing_service_ids(session, ids)

    def ask() -> list[str]:
        found = index.search(text, (), 1, max(1, index.doc_count()), keep=keep)
        return [hit.id for hit in found.hits]

    try:
        return ask()
    except IndexUnavailableError:
        try:
            search_service.reindex(session, index, lock_timeout=index.lock_timeout)
        except (IndexBusyError, IndexUnavailableError) as exc:
            LOG.warning("search index rebuild failed: %s", exc)
        try:
            return ask()
        except IndexUnavailableError as exc:
            raise SearchUnavailableError(str(exc)) from exc


def _keep_ranked(
    session: Session, ranked: Sequence[str], query: Callable[[Sequence[str]], Executable]
) -> list[tuple[Any, ...]]:
    """Rows of ``query(chunk)`` for the ranked ids, in rank order (first column: the rank key)."""
    rows: list[tuple[Any, ...]] = []
    for chunk in _chunks(list(ranked)):
        rows.extend(tuple(row) for row in session.execute(query(chunk)))
    rank = {service_id: n for n, service_id in enumerate(ranked)}
    rows.sort(key=lambda row: (rank[str(row[1])], str(row[0])))
    return rows


def _service_ids(session: Session, index: Any, params: ListParams, stream: bool) -> _Ids:
    conditions = _service_conditions(params)
    if params.search:
        ranked = _ranked_service_ids(session, index, params.search)
        rows = _keep_ranked(
            session,
            ranked,
            lambda chunk: select(Service.id, Service.id.label("service_id")).where(
                Service.id.in_(chunk), *conditions
            ),
        )
        return _list_page([str(r[0]) for r in rows], params, stream)
    ordered = select(Service.id).where(*conditions).order_by(func.lower(Service.name), Service.id)
    return _db_page(session, ordered, params, stream)


def load_services(session: Session, ids: Sequence[str]) -> list[Service]:
    """Services with everything HSDS nests in them, in the order of ``ids`` (missing skipped)."""
    if not ids:
        return []
    rows = session.scalars(
        select(Service).where(Service.id.in_(list(ids))).options(*SERVICE_LOAD_OPTIONS)
    ).all()
    by_id = {s.id: s for s in rows}
    return [by_id[i] for i in ids if i in by_id]


def minimal_services(session: Session, ids: Sequence[str]) -> list[dict[str, Any]]:
    """HSDS ``minimal`` items, ``{"id", "last_modified"}``, in the order of ``ids``."""
    from ..hsds.serialize import utc_text

    stamps: dict[str, Any] = {}
    for chunk_start in range(0, len(ids), _CHUNK):
        chunk = list(ids[chunk_start : chunk_start + _CHUNK])
        rows = session.execute(
            select(Service.id, Service.updated_at).where(Service.id.in_(chunk))
        ).all()
        stamps.update({str(row[0]): row[1] for row in rows})
    return [
        {"id": i, "last_modified": utc_text(stamps[i])} if stamps[i] else {"id": i}
        for i in ids
        if i in stamps
    ]


def minimal_service_page(session: Session, index: Any, params: ListParams) -> Page[dict[str, Any]]:
    """One page of ``minimal`` services (id and last_modified), by name."""
    found = _service_ids(session, index, params, stream=False)
    return Page(minimal_services(session, found.ids), found.total, params.page, params.per_page)


def stream_minimal_services(
    session: Session, index: Any, params: ListParams
) -> Iterator[dict[str, Any]]:
    found = _service_ids(session, index, params, stream=True)
    return _batches(found.ids, lambda chunk: minimal_services(session, chunk))


def service_page(session: Session, index: Any, params: ListParams) -> Page[Service]:
    """One page of services, by name (best first with ``search``)."""
    found = _service_ids(session, index, params, stream=False)
    return Page(load_services(session, found.ids), found.total, params.page, params.per_page)


def stream_services(session: Session, index: Any, params: ListParams) -> Iterator[Service]:
    """Every matching service in page order, loaded :data:`STREAM_BATCH` at a time."""
    found = _service_ids(session, index, params, stream=True)
    return _batches(found.ids, lambda chunk: load_services(session, chunk))


def get_service(session: Session, service_id: str) -> Service | None:
    return next(iter(load_services(session, [service_id])), None)


# ---------------------------------------------------------------------------------------------
# Service at locations


@dataclass(frozen=True)
class PostcodePoint:
    postcode: str
    latitude: float
    longitude: float


def postcode_point(session: Session, postcode: str) -> PostcodePoint:
    """Centroid of a US ZIP code (offline ``zipcodes`` data), else the mean position of our
    own locations with an address in it.

    :raises FeedInputError: the ZIP is unknown to both.
    """
    from ..geo.geocoding import ZipCentroids

    found = ZipCentroids().lookup(postcode)
    if found is not None:
        return PostcodePoint(postcode, found.lat, found.lon)
    row = session.execute(
        select(func.avg(Location.latitude), func.avg(Location.longitude))
        .join(Address, Address.location_id == Location.id)
        .where(
            func.substr(Address.postal_code, 1, 5) == postcode,
            Location.latitude.is_not(None),
            Location.longitude.is_not(None),
        )
    ).first()
    if row is None or row[0] is None:
        raise FeedInputError("postcode", f"The ZIP code {postcode} is not known.")
    return PostcodePoint(postcode, float(row[0]), float(row[1]))


def _covers(extent: str | None, extent_type: str | None, point: PostcodePoint) -> bool:
    if not extent or (extent_type or "geojson").lower() != "geojson":
        return False
    from shapely.geometry import Point

    from ..geo.shapes import ShapeError, polygonal_shape

    try:
        shape = polygonal_shape(json.loads(extent))
    except (ShapeError, ValueError):
        return False
    return bool(shape.covers(Point(point.longitude, point.latitude)))


def _readable(areas: list[tuple[str | None, str | None]]) -> list[tuple[str | None, str | None]]:
    """The areas given as GeoJSON; others (``text`` and the like) cannot be tested."""
    return [(e, k) for e, k in areas if e and (k or "geojson").lower() == "geojson"]


def _in_box(point: PostcodePoint, area: Any) -> Any:
    """The area's cached bounds contain the point, or it has none (then shapely decides)."""
    return or_(
        area.min_lat.is_(None),
        area.max_lat.is_(None),
        area.min_lon.is_(None),
        area.max_lon.is_(None),
        and_(
            area.min_lat <= point.latitude,
            area.max_lat >= point.latitude,
            area.min_lon <= point.longitude,
            area.max_lon >= point.longitude,
        ),
    )


def _postcode_filter(
    session: Session, rows: list[tuple[Any, ...]], point: PostcodePoint
) -> list[tuple[Any, ...]]:
    """Rows (sal id, service id, ...) whose service area covers the postcode's centroid, or,
    where neither the service_at_location nor the service has a GeoJSON service area, whose
    location has an address in the postcode (the HSDS ``postcode`` rule)."""
    sal_ids = [str(r[0]) for r in rows]
    service_ids = sorted({str(r[1]) for r in rows})
    own: dict[str, list[tuple[str | None, str | None]]] = {}
    inherited: dict[str, list[tuple[str | None, str | None]]] = {}
    for chunk in _chunks(sal_ids):
        for owner, extent, kind in session.execute(
            select(ServiceArea.service_at_location_id, ServiceArea.extent, ServiceArea.extent_type)
            .where(ServiceArea.service_at_location_id.in_(chunk))
            .order_by(ServiceArea.id)
        ):
            own.setdefault(str(owner), []).append((extent, kind))
    for chunk in _chunks(service_ids):
        for owner, extent, kind in session.execute(
            select(ServiceArea.service_id, ServiceArea.extent, ServiceArea.extent_type)
            .where(ServiceArea.service_id.in_(chunk))
            .order_by(ServiceArea.id)
        ):
            inherited.setdefault(str(owner), []).append((extent, kind))
    in_postcode: set[str] = set()
    for chunk in _chunks(sal_ids):
        in_postcode.update(
            str(i)
            for i in session.scalars(
                select(ServiceAtLocation.id)
                .join(Address, Address.location_id == ServiceAtLocation.location_id)
                .where(
                    ServiceAtLocation.id.in_(chunk),
                    func.substr(Address.postal_code, 1, 5) == point.postcode,
                )
            )
        )
    kept = []
    for row in rows:
        areas = _readable(own.get(str(row[0]), [])) or _readable(inherited.get(str(row[1]), []))
        if areas:
            if any(_covers(extent, kind, point) for extent, kind in areas):
                kept.append(row)
        elif str(row[0]) in in_postcode:
            kept.append(row)
    return kept


def _sal_ids(session: Session, index: Any, params: ListParams, stream: bool) -> _Ids:
    conditions = _service_conditions(params)
    point = postcode_point(session, params.postcode) if params.postcode else None
    base = (
        select(ServiceAtLocation.id, ServiceAtLocation.service_id)
        .join(Service, Service.id == ServiceAtLocation.service_id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(*conditions)
    )
    radius_km = params.proximity / 1000.0 if params.proximity is not None else None
    if point is not None and radius_km is not None:
        box = bounding_box(point.latitude, point.longitude, radius_km)
        lon = (
            or_(Location.longitude >= box.min_lon, Location.longitude <= box.max_lon)
            if box.crosses_antimeridian
            else Location.longitude.between(box.min_lon, box.max_lon)
        )
        base = base.where(Location.latitude.between(box.min_lat, box.max_lat), lon).add_columns(
            Location.latitude, Location.longitude
        )
    elif point is not None:
        # Cheap SQL pre-filter; _postcode_filter decides exactly.
        sal_area, service_area = ServiceArea.__table__.alias(), ServiceArea.__table__.alias()
        base = base.where(
            or_(
                exists().where(
                    Address.location_id == ServiceAtLocation.location_id,
                    func.substr(Address.postal_code, 1, 5) == point.postcode,
                ),
                exists().where(
                    sal_area.c.service_at_location_id == ServiceAtLocation.id,
                    _in_box(point, sal_area.c),
                ),
                exists().where(
                    service_area.c.service_id == ServiceAtLocation.service_id,
                    _in_box(point, service_area.c),
                ),
            )
        )
    if not params.search and point is None:
        ordered = (
            select(ServiceAtLocation.id)
            .join(Service, Service.id == ServiceAtLocation.service_id)
            .where(*conditions)
            .order_by(func.lower(Service.name), Service.id, ServiceAtLocation.id)
        )
        return _db_page(session, ordered, params, stream)
    if params.search:
        ranked = _ranked_service_ids(session, index, params.search)
        rows = _keep_ranked(session, ranked, lambda chunk: base.where(Service.id.in_(chunk)))
    else:
        rows = [
            tuple(r)
            for r in session.execute(
                base.order_by(func.lower(Service.name), Service.id, ServiceAtLocation.id)
            )
        ]
    extras: dict[str, dict[str, Any]] = {}
    if point is not None and radius_km is not None:
        near = []
        for row in rows:
            km = distance_km(point.latitude, point.longitude, row[2], row[3])
            if km <= radius_km:
                near.append((km, row))
                extras[str(row[0])] = {"distance_km": round(km, 3)}
        if not params.search:  # nearest first; with search, relevance stays first
            near.sort(key=lambda pair: (pair[0], str(pair[1][0])))
        rows = [row for _km, row in near]
    elif point is not None:
        rows = _postcode_filter(session, rows, point)
    found = _list_page([str(r[0]) for r in rows], params, stream)
    return _Ids(found.ids, found.total, {i: extras[i] for i in found.ids if i in extras})


def load_service_at_locations(
    session: Session, ids: Sequence[str]
) -> list[tuple[ServiceAtLocation, Service]]:
    """(service_at_location, its fully loaded service) in the order of ``ids``."""
    if not ids:
        return []
    pairs = session.execute(
        select(ServiceAtLocation.id, ServiceAtLocation.service_id).where(
            ServiceAtLocation.id.in_(list(ids))
        )
    ).all()
    owner = {str(sal_id): str(service_id) for sal_id, service_id in pairs}
    services = {s.id: s for s in load_services(session, sorted(set(owner.values())))}
    out = []
    for sal_id in ids:
        service = services.get(owner.get(sal_id, ""))
        if service is None:
            continue
        sal = next((s for s in service.service_at_locations if s.id == sal_id), None)
        if sal is not None:
            out.append((sal, service))
    return out


def service_at_location_page(
    session: Session, index: Any, params: ListParams
) -> Page[tuple[ServiceAtLocation, Service]]:
    """One page of service_at_locations: by service name, nearest first with ``proximity``,
    best first with ``search``."""
    found = _sal_ids(session, index, params, stream=False)
    items = load_service_at_locations(session, found.ids)
    return Page(items, found.total, params.page, params.per_page, found.extras)


def stream_service_at_locations(
    session: Session, index: Any, params: ListParams
) -> Iterator[tuple[ServiceAtLocation, Service, dict[str, Any]]]:
    """Every matching service_at_location in page order, with its extras (ids read first, so a
    bad postcode raises here, before anything is streamed)."""
    found = _sal_ids(session, index, params, stream=True)

    def items() -> Iterator[tuple[ServiceAtLocation, Service, dict[str, Any]]]:
        for sal, service in _batches(
            found.ids, lambda chunk: load_service_at_locations(session, chunk)
        ):
            yield sal, service, found.extras.get(sal.id, {})

    return items()


def get_service_at_location(
    session: Session, sal_id: str
) -> tuple[ServiceAtLocation, Service] | None:
    return next(iter(load_service_at_locations(session, [sal_id])), None)


# ---------------------------------------------------------------------------------------------
# Organizations


@dataclass
class OrganizationBundle:
    """An organization with the services and locations HSDS nests in it."""

    organization: Organization
    services: list[Service] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)


def _organization_ids(session: Session, params: ListParams, stream: bool) -> _Ids:
    conditions = []
    if params.search:
        provides = exists().where(
            Service.organization_id == Organization.id,
            or_(
                _contains(Service.name, params.search),
                _contains(Service.alternate_name, params.search),
            ),
        )
        conditions.append(
            or_(
                _contains(Organization.name, params.search),
                _contains(Organization.alternate_name, params.search),
                _contains(Organization.description, params.search),
                provides,
            )
        )
    if params.taxonomy_term_id or params.taxonomy_id:
        # The organization's own attributes, or those of a service it provides.
        own = and_(*_term_condition("organization", Organization.id, params))
        service_ids = select(Service.id).where(
            Service.organization_id == Organization.id,
            *_term_condition("service", Service.id, params),
        )
        conditions.append(or_(own, service_ids.exists()))
    ordered = (
        select(Organization.id)
        .where(*conditions)
        .order_by(func.lower(Organization.name), Organization.id)
    )
    return _db_page(session, ordered, params, stream)


def load_organizations(
    session: Session, ids: Sequence[str], with_services: bool
) -> list[OrganizationBundle]:
    """Organizations in the order of ``ids``; their services (fully loaded, by name) and
    locations when ``with_services``."""
    if not ids:
        return []
    rows = session.scalars(
        select(Organization)
        .where(Organization.id.in_(list(ids)))
        .options(
            selectinload(Organization.phones),
            selectinload(Organization.attributes)
            .joinedload(Attribute.taxonomy_term)
            .joinedload(TaxonomyTerm.taxonomy_detail),
        )
    ).all()
    bundles = {o.id: OrganizationBundle(o) for o in rows}
    if with_services and bundles:
        service_ids = session.scalars(
            select(Service.id)
            .where(Service.organization_id.in_(list(bundles)))
            .order_by(func.lower(Service.name), Service.id)
        ).all()
        for service in load_services(session, [str(i) for i in service_ids]):
            bundles[service.organization_id].services.append(service)
        locations = session.scalars(
            select(Location)
            .where(Location.organization_id.in_(list(bundles)))
            .order_by(func.lower(Location.name), Location.id)
            .options(
                selectinload(Location.addresses),
                selectinload(Location.phones),
                selectinload(Location.schedules),
                selectinload(Location.languages),
            )
        ).all()
        for location in locations:
            if location.organization_id is not None:
                bundles[location.organization_id].locations.append(location)
    return [bundles[i] for i in ids if i in bundles]


def organization_page(session: Session, params: ListParams) -> Page[OrganizationBundle]:
    found = _organization_ids(session, params, stream=False)
    items = load_organizations(session, found.ids, with_services=params.full)
    return Page(items, found.total, params.page, params.per_page)


def stream_organizations(session: Session, params: ListParams) -> Iterator[OrganizationBundle]:
    found = _organization_ids(session, params, stream=True)
    return _batches(found.ids, lambda chunk: load_organizations(session, chunk, params.full))


def get_organization(session: Session, organization_id: str) -> OrganizationBundle | None:
    return next(iter(load_organizations(session, [organization_id], with_services=True)), None)


# ---------------------------------------------------------------------------------------------
# Taxonomies and terms


def _taxonomy_ids(session: Session, params: ListParams, stream: bool) -> _Ids:
    conditions = []
    if params.search:
        conditions.append(
            or_(
                _contains(Taxonomy.name, params.search),
                _contains(Taxonomy.description, params.search),
            )
        )
    ordered = (
        select(Taxonomy.id).where(*conditions).order_by(func.lower(Taxonomy.name), Taxonomy.id)
    )
    return _db_page(session, ordered, params, stream)


def load_taxonomies(session: Session, ids: Sequence[str]) -> list[Taxonomy]:
    if not ids:
        return []
    rows = {t.id: t for t in session.scalars(select(Taxonomy).where(Taxonomy.id.in_(list(ids))))}
    return [rows[i] for i in ids if i in rows]


def taxonomy_page(session: Session, params: ListParams) -> Page[Taxonomy]:
    found = _taxonomy_ids(session, params, stream=False)
    return Page(load_taxonomies(session, found.ids), found.total, params.page, params.per_page)


def stream_taxonomies(session: Session, params: ListParams) -> Iterator[Taxonomy]:
    found = _taxonomy_ids(session, params, stream=True)
    return _batches(found.ids, lambda chunk: load_taxonomies(session, chunk))


def get_taxonomy(session: Session, taxonomy_id: str) -> Taxonomy | None:
    return session.get(Taxonomy, taxonomy_id)


def _term_ids(session: Session, params: ListParams, stream: bool) -> _Ids:
    conditions = []
    if params.search:
        conditions.append(
            or_(
                _contains(TaxonomyTerm.name, params.search),
                _contains(TaxonomyTerm.code, params.search),
                _contains(TaxonomyTerm.description, params.search),
            )
        )
    if params.taxonomy_id:
        conditions.append(TaxonomyTerm.taxonomy_id == params.taxonomy_id)
    if params.parent_id:
        conditions.append(TaxonomyTerm.parent_id == params.parent_id)
    if params.top_only:
        conditions.append(TaxonomyTerm.parent_id.is_(None))
    ordered = (
        select(TaxonomyTerm.id)
        .where(*conditions)
        .order_by(func.lower(TaxonomyTerm.name), TaxonomyTerm.id)
    )
    return _db_page(session, ordered, params, stream)


def load_terms(session: Session, ids: Sequence[str]) -> list[TaxonomyTerm]:
    if not ids:
        return []
    rows = {
        t.id: t
        for t in session.scalars(
            select(TaxonomyTerm)
            .where(TaxonomyTerm.id.in_(list(ids)))
            .options(joinedload(TaxonomyTerm.taxonomy_detail))
        )
    }
    return [rows[i] for i in ids if i in rows]


def taxonomy_term_page(session: Session, params: ListParams) -> Page[TaxonomyTerm]:
    found = _term_ids(session, params, stream=False)
    return Page(load_terms(session, found.ids), found.total, params.page, params.per_page)


def stream_taxonomy_terms(session: Session, params: ListParams) -> Iterator[TaxonomyTerm]:
    found = _term_ids(session, params, stream=True)
    return _batches(found.ids, lambda chunk: load_terms(session, chunk))


def get_taxonomy_term(session: Session, term_id: str) -> TaxonomyTerm | None:
    return next(iter(load_terms(session, [term_id])), None)
