"""The planning layers, each declared once: what it is called, how it is computed, its CSV
columns, its GeoJSON feature properties and its legend.

Read by the planning page and its downloads (``views/planning.py``, ``planning.js`` through the
page's ``data-layers``), the gaps API (``views/api_gaps.py``), the OpenAPI document
(``openapi.py``), the ``gaps report`` command (``services/planning_report.py``) and
docs/planners.md. The web download and the command write the same CSV (:func:`write_csv`,
formulas made inert by :mod:`pmhc_directory.csv_safe`).

A new layer: its computation in ``services/planning.py`` (the maths in the pure ``gaps/``), a
table function and one :class:`Layer` in :data:`LAYERS` here. The page's download list and route
follow from the registry; ``views/planning.py:_layer_query`` reads its parameters from the query
string (a branch when it needs new ones), ``services/planning_report.py`` writes its file for
``gaps report`` (one ``_write_csv`` line and :data:`REPORT_FILES`), an API endpoint in
``views/api_gaps.py`` calls ``LAYERS[name].run`` (its OpenAPI summary and feature schema come
from here), and docs/planners.md's column table and ``tests/unit/test_csv_safe.py``'s
``LAYER_ANSWERS`` gain a row (tests fail until they do). A layer drawn on the map also needs
its style in ``static/js/planning.js`` and a name in ``views/planning.py:MAP_LAYERS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import ModuleType
from typing import Any, TextIO

from sqlalchemy.orm import Session

from .. import csv_safe
from ..gaps.coverage import CRISIS_ELEMENTS
from ..hours.describe import DAY_NAMES
from . import planning

DAYS = DAY_NAMES
#: Default type of the accessibility and suggested-sites layers.
DEFAULT_ACCESS_TYPE = "crisis-receiving"
#: Shares in CSV files are rounded to this many decimals (a millionth of the population).
SHARE_DECIMALS = 6

#: Plain names of the headline's groups (page, report, CSV readers).
ELEMENT_NAMES = {
    "all_three": "All three crisis elements",
    "contact": "Someone to contact",
    "respond": "Someone to respond",
    "place": "A safe place for help",
}

Row = list[Any]
Table = tuple[list[str], list[Row]]


@dataclass(frozen=True)
class LayerQuery:
    """The parsed parameters a layer's computation may read (each layer reads some)."""

    types: Sequence[str] | None = None
    at: datetime | None = None
    max_minutes: float | None = None
    service_type: str | None = None
    method: str = "e2sfca"
    since: date | None = None
    need: Any = None
    p: int = planning.DEFAULT_SITES
    candidates: Sequence[planning.Candidate] | None = None


@dataclass(frozen=True)
class Property:
    """A GeoJSON feature property: its JSON type (an OpenAPI schema), whether every feature has
    it, and what it means."""

    schema: Mapping[str, Any]
    required: bool
    meaning: str


@dataclass(frozen=True)
class Layer:
    """One planning layer.

    ``compute(service, session, config, query)`` answers in the JSON shape of ``api_path``
    (``service`` is the planning use-case module, replaced by a fake in page tests);
    ``table(data)`` is the CSV (header, rows) of one answer; ``columns`` documents the header
    (``<type>``, ``<element>`` and ``<need>`` stand for one column each);
    ``properties`` are the GeoJSON feature properties (empty: CSV only).
    """

    name: str
    title: str
    holds: str
    api_path: str
    compute: Callable[[ModuleType, Session, Mapping[str, Any], LayerQuery], dict[str, Any]]
    table: Callable[[Mapping[str, Any]], Table]
    columns: tuple[str, ...]
    legend: str = ""
    properties: Mapping[str, Property] = field(default_factory=dict)

    @property
    def formats(self) -> tuple[str, ...]:
        """Download formats: GeoJSON for map layers, CSV for all."""
        return ("geojson", "csv") if self.properties else ("csv",)

    def run(
        self,
        session: Session,
        config: Mapping[str, Any],
        query: LayerQuery,
        service: ModuleType = planning,
    ) -> dict[str, Any]:
        """This layer's answer for ``query``."""
        return self.compute(service, session, config, query)


# -- cells ----------------------------------------------------------------------------------


def cell(value: Any) -> Any:
    """A CSV cell: booleans as ``true``/``false``, lists joined with ``;``, None as empty.
    (Formula escaping is the writer's: :mod:`pmhc_directory.csv_safe`.)"""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return value


def _share(value: Any) -> Any:
    return round(float(value), SHARE_DECIMALS) if isinstance(value, int | float) else None


def _props(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [f.get("properties") or {} for f in data.get("features") or []]


def _keys(dicts: Iterable[Mapping[str, Any] | None]) -> list[str]:
    seen: dict[str, None] = {}
    for d in dicts:
        for key in d or {}:
            seen.setdefault(key, None)
    return list(seen)


def _at(values: Sequence[Any], index: int) -> Any:
    return values[index] if index < len(values) else None


def week_of(week: Mapping[str, Any]) -> date | None:
    """The Monday a week profile starts on (``week_of``), or None."""
    value = week.get("week_of")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


# -- tables ---------------------------------------------------------------------------------


def coverage_table(data: Mapping[str, Any]) -> Table:
    """One row per area: covered per type, per continuum element, and all three."""
    props = _props(data)
    types = _keys(p.get("covered") for p in props)
    elements = _keys(p.get("continuum") for p in props)
    header = (
        ["area_id", "name", "population"]
        + [f"covered_{t}" for t in types]
        + [f"continuum_{e}" for e in elements]
        + ["all_three"]
    )
    rows = []
    for p in props:
        covered = p.get("covered") or {}
        continuum = p.get("continuum") or {}
        rows.append(
            [p.get("area_id"), p.get("name"), p.get("population")]
            + [covered.get(t) for t in types]
            + [continuum.get(e) for e in elements]
            + [p.get("all_three")]
        )
    return header, rows


def access_table(data: Mapping[str, Any]) -> Table:
    """One row per area and type: the accessibility score (capacity per person) and per
    100,000 people."""
    header = [
        "area_id",
        "name",
        "population",
        "service_type",
        "method",
        "score",
        "score_per_100k",
    ]
    rows = []
    for p in _props(data):
        score = p.get("score")
        rows.append(
            [
                p.get("area_id"),
                p.get("name"),
                p.get("population"),
                data.get("service_type"),
                data.get("method"),
                score,
                None if score is None else score * 100_000,
            ]
        )
    return header, rows


def unmet_table(data: Mapping[str, Any]) -> Table:
    """One row per area: unmet needs recorded, in all and per need."""
    props = _props(data)
    needs = _keys(p.get("by_need") for p in props)
    header = ["area_id", "name", "population", "unmet"] + [f"need_{n}" for n in needs]
    rows = [
        [p.get("area_id"), p.get("name"), p.get("population"), p.get("unmet")]
        + [(p.get("by_need") or {}).get(n, 0) for n in needs]
        for p in props
    ]
    return header, rows


def services_table(data: Mapping[str, Any]) -> Table:
    """One row per service site with coordinates."""
    header = [
        "service_id",
        "name",
        "service_types",
        "continuum",
        "status",
        "latitude",
        "longitude",
    ]
    rows = []
    for feature in data.get("features") or []:
        p = feature.get("properties") or {}
        coordinates = (feature.get("geometry") or {}).get("coordinates") or [None, None]
        rows.append(
            [
                p.get("service_id"),
                p.get("name"),
                p.get("service_types"),
                p.get("continuum"),
                p.get("status"),
                coordinates[1],
                coordinates[0],
            ]
        )
    return header, rows


NEED_COLUMNS = (
    "service_type",
    "label",
    "unit",
    "monthly_flow",
    "needed",
    "in_inventory",
    "shortfall",
)


def need_table(data: Mapping[str, Any]) -> Table:
    """One row per service type of the need calculator."""
    rows = [[row.get(k) for k in NEED_COLUMNS] for row in data.get("rows") or []]
    return list(NEED_COLUMNS), rows


def week_table(data: Mapping[str, Any]) -> Table:
    """One row per hour of the week (hour 0 = Monday 00:00-00:59 local wall-clock time): the
    share of people covered per element and for all three."""
    by_continuum = data.get("by_continuum") or {}
    elements = list(by_continuum)
    all_three = data.get("all_three") or []
    monday = week_of(data)
    header = ["hour_of_week", "local_time", "weekday", "hour", *elements, "all_three"]
    rows = []
    for h in range(int(data.get("hours") or len(all_three))):
        local = datetime.combine(monday, time()) + timedelta(hours=h) if monday else None
        rows.append(
            [h, local.isoformat(timespec="minutes") if local else "", DAYS[h // 24 % 7], h % 24]
            + [_share(_at(by_continuum[e], h)) for e in elements]
            + [_share(_at(all_three, h))]
        )
    return header, rows


def areas_by_gap(features: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Areas missing a crisis element, the largest gap first (most elements missing, then most
    people, then by name): ``{"area_id", "name", "population", "missing", "have"}`` with
    ``missing`` the plain names of the elements out of reach or closed."""
    rows: list[dict[str, Any]] = []
    for feature in features:
        props = feature.get("properties") or {}
        continuum = props.get("continuum") or {}
        have = [e for e in CRISIS_ELEMENTS if continuum.get(e)]
        missing = [ELEMENT_NAMES[e] for e in CRISIS_ELEMENTS if e not in have]
        if missing:
            rows.append(
                {
                    "area_id": str(props.get("area_id")),
                    "name": str(props.get("name") or props.get("area_id")),
                    "population": int(props.get("population") or 0),
                    "missing": missing,
                    "have": len(have),
                }
            )
    rows.sort(key=lambda r: (r["have"], -r["population"], r["name"]))
    return rows


GAPS_COLUMNS = ("area_id", "name", "population", "elements_missing", "missing")


def gaps_table(data: Mapping[str, Any]) -> Table:
    """The areas by gap (:func:`areas_by_gap`): every area missing a crisis element."""
    rows = [
        [r["area_id"], r["name"], r["population"], len(r["missing"]), r["missing"]]
        for r in areas_by_gap(data.get("features") or [])
    ]
    return list(GAPS_COLUMNS), rows


WORST_COLUMNS = (
    "element",
    "hour_of_week",
    "local_time",
    "weekday",
    "hour",
    "share",
    "covered_population",
    "people_without",
)


def worst_table(data: Mapping[str, Any]) -> Table:
    """The worst hour of the week for all three elements and for each element."""
    rows = []
    for key, entry in (data.get("worst") or {}).items():
        hour = int(entry.get("hour") or 0)
        rows.append(
            [
                key,
                hour,
                entry.get("local_time"),
                DAYS[hour // 24 % 7],
                hour % 24,
                _share(entry.get("share")),
                entry.get("covered_population"),
                entry.get("people_without"),
            ]
        )
    return list(WORST_COLUMNS), rows


SITES_COLUMNS = (
    "service_type",
    "rank",
    "area_id",
    "latitude",
    "longitude",
    "newly_covered_population",
    "newly_covered_areas",
)


def sites_table(data: Mapping[str, Any]) -> Table:
    """One row per suggested new site, most people newly covered first."""
    rows = [
        [
            data.get("type"),
            rank,
            site.get("area_id"),
            site.get("lat"),
            site.get("lon"),
            site.get("newly_covered_population"),
            site.get("newly_covered_areas"),
        ]
        for rank, site in enumerate(data.get("sites") or [], start=1)
    ]
    return list(SITES_COLUMNS), rows


# -- computations ---------------------------------------------------------------------------


def _coverage(s: ModuleType, session: Session, config: Mapping[str, Any], q: LayerQuery) -> Any:
    return s.coverage_at(session, config, q.types, q.at, q.max_minutes)


def _week(s: ModuleType, session: Session, config: Mapping[str, Any], q: LayerQuery) -> Any:
    return s.coverage_week(session, config, q.types, max_minutes=q.max_minutes, now=q.at)


def _access(s: ModuleType, session: Session, config: Mapping[str, Any], q: LayerQuery) -> Any:
    service_type = q.service_type or DEFAULT_ACCESS_TYPE
    return s.accessibility(session, config, service_type, q.method, q.max_minutes)


def _unmet(s: ModuleType, session: Session, _config: Mapping[str, Any], q: LayerQuery) -> Any:
    return s.unmet_layer(session, q.since)


def _services(s: ModuleType, session: Session, _config: Mapping[str, Any], q: LayerQuery) -> Any:
    return s.services_layer(session, q.types)


def _need(s: ModuleType, session: Session, _config: Mapping[str, Any], q: LayerQuery) -> Any:
    return s.need_table(session, q.need)


def _sites(s: ModuleType, session: Session, config: Mapping[str, Any], q: LayerQuery) -> Any:
    service_type = q.service_type or DEFAULT_ACCESS_TYPE
    if q.candidates is not None:
        return s.suggest_sites(session, config, service_type, q.p, q.max_minutes, q.candidates)
    return s.suggest_sites(session, config, service_type, q.p, q.max_minutes)


# -- the registry ---------------------------------------------------------------------------

_STRING = {"type": "string"}
_NUMBER = {"type": ["number", "null"]}
_OBJECT = {"type": "object"}
_AREA = {
    "area_id": Property(_STRING, True, "the analysis area's id (e.g. a census tract GEOID)"),
    "name": Property({"type": ["string", "null"]}, False, "the area's name"),
    "population": Property(_NUMBER, True, "people living in the area"),
}

LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            name="coverage",
            title="Coverage at the chosen hour",
            holds="per area: covered per type and per crisis element, and all three",
            api_path="/api/v1/gaps/coverage",
            compute=_coverage,
            table=coverage_table,
            columns=("area_id", "name", "population", "covered_<type>", "continuum_<element>")
            + ("all_three",),
            legend="Crisis elements within reach and open",
            properties={
                **_AREA,
                "covered": Property(
                    {"type": "object", "additionalProperties": {"type": "boolean"}},
                    True,
                    "per service type: some site of the type reaches the area and is open",
                ),
                "continuum": Property(_OBJECT, False, "per continuum element: covered"),
                "all_three": Property(
                    {"type": "boolean"}, False, "contact, respond and place all covered"
                ),
            },
        ),
        Layer(
            name="gaps",
            title="Areas by gap",
            holds="areas missing a crisis element at the hour, the largest gap first",
            api_path="/api/v1/gaps/coverage",
            compute=_coverage,
            table=gaps_table,
            columns=GAPS_COLUMNS,
        ),
        Layer(
            name="access",
            title="Accessibility",
            holds="per area: accessibility score of one service type (2SFCA, E2SFCA, gravity)",
            api_path="/api/v1/gaps/access",
            compute=_access,
            table=access_table,
            columns=("area_id", "name", "population", "service_type", "method", "score")
            + ("score_per_100k",),
            legend="Capacity per 100,000 people within reach",
            properties={
                **_AREA,
                "score": Property(_NUMBER, True, "capacity per person within reach"),
                "score_per_100k": Property(_NUMBER, False, "the score per 100,000 people"),
            },
        ),
        Layer(
            name="unmet",
            title="Unmet needs recorded",
            holds="per area: lookups that found no service, in all and per need",
            api_path="/api/v1/gaps/unmet",
            compute=_unmet,
            table=unmet_table,
            columns=("area_id", "name", "population", "unmet", "need_<need>"),
            legend="Unmet needs recorded per area",
            properties={
                **_AREA,
                "unmet": Property({"type": "integer"}, True, "unmet needs recorded"),
                "by_need": Property(_OBJECT, False, "per need: unmet needs recorded"),
            },
        ),
        Layer(
            name="services",
            title="Services",
            holds="every service site with coordinates",
            api_path="/api/v1/gaps/services",
            compute=_services,
            table=services_table,
            columns=("service_id", "name", "service_types", "continuum", "status", "latitude")
            + ("longitude",),
            legend="Services",
            properties={
                "service_id": Property(_STRING, True, "the service's id"),
                "name": Property(_STRING, True, "the service's name"),
                "service_types": Property(
                    {"type": "array", "items": _STRING}, True, "its service-type codes"
                ),
            },
        ),
        Layer(
            name="need",
            title="Need versus capacity",
            holds="the need calculator: needed, in inventory and shortfall per service type",
            api_path="/api/v1/gaps/need",
            compute=_need,
            table=need_table,
            columns=NEED_COLUMNS,
        ),
        Layer(
            name="week",
            title="Coverage hour by hour over the week",
            holds="share of people covered per crisis element and for all three, per hour",
            api_path="/api/v1/gaps/coverage/week",
            compute=_week,
            table=week_table,
            columns=("hour_of_week", "local_time", "weekday", "hour", "<element>", "all_three"),
        ),
        Layer(
            name="worst",
            title="Worst hour of the week",
            holds="the hour with the fewest people covered, for all three and for each element",
            api_path="/api/v1/gaps/coverage/week",
            compute=_week,
            table=worst_table,
            columns=WORST_COLUMNS,
        ),
        Layer(
            name="sites",
            title="Suggested new sites",
            holds="maximal covering: new sites of one type and the people each newly covers",
            api_path="/api/v1/gaps/sites",
            compute=_sites,
            table=sites_table,
            columns=SITES_COLUMNS,
        ),
    )
}


def layer(name: str) -> Layer:
    """The layer called ``name`` (KeyError for an unknown one)."""
    return LAYERS[name]


# -- the one CSV writer for layers ----------------------------------------------------------


def write_csv(handle: TextIO, name: str, answers: Iterable[Mapping[str, Any]]) -> int:
    """Write layer ``name``'s CSV of one or more answers (e.g. the accessibility of several
    types) to ``handle``: one header, then every answer's rows; returns the rows written.

    :raises ValueError: two answers have different headers (e.g. coverage of other types).
    """
    writer = csv_safe.writer(handle, lineterminator="\r\n")
    header: list[str] | None = None
    count = 0
    for answer in answers:
        columns, rows = LAYERS[name].table(answer)
        if header is None:
            header = columns
            writer.writerow(header)
        elif columns != header:
            raise ValueError(f"{name}: answers with different columns cannot share a CSV")
        for row in rows:
            writer.writerow([cell(v) for v in row])
        count += len(rows)
    if header is None and not any("<" in c for c in LAYERS[name].columns):
        writer.writerow(LAYERS[name].columns)  # no answers (e.g. no sites): the header alone
    return count


def csv_text(name: str, answers: Iterable[Mapping[str, Any]]) -> str:
    """:func:`write_csv` into a string (the web download)."""
    import io

    buffer = io.StringIO()
    write_csv(buffer, name, answers)
    return buffer.getvalue()
