"""Planners' gap analysis pages (``/planning``): where and when the crisis array has gaps.

- ``GET /planning``: the interactive map (Leaflet, served by the app from the XStatic-Leaflet
  package, never a CDN) drawn by ``static/js/planning.js`` from the ``/api/v1/gaps/*`` JSON
  endpoints, with the headline, the need table and the download links rendered on the server,
  so the page is a working table-only page without JavaScript (a GET form picks the day, hour
  and type and re-renders).
- ``GET /planning/report``: a printable report with static SVG maps drawn here
  (``svg_map.render_svg_map``): coverage at the next 2 a.m. Saturday and the next 2 p.m.
  Tuesday (next occurrence, in the jurisdiction's time zone, from now: the dates are printed),
  E2SFCA accessibility to crisis receiving centers, unmet needs, the need table and headline
  numbers. No JavaScript.
- ``GET /planning/download/<layer>.<geojson|csv>``: every layer of the registry
  (``services/planning_layers.py``: coverage, access, unmet, services as GeoJSON or CSV; need,
  week, worst hour and suggested sites as CSV), with the same query parameters as the
  endpoints; the CSV is the one ``gaps report`` writes.
- ``GET /planning/vendor/leaflet/<file>``: Leaflet's files, cached for a year (the URL carries
  the package version).

Readable without login while ``PUBLIC_DIRECTORY`` is on; nothing here writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_from_directory,
)
from xstatic.pkg import leaflet as xstatic_leaflet

from ..auth import directory_reader
from ..db import get_session
from ..gaps.coverage import CRISIS_ELEMENTS
from ..hours.describe import DAY_NAMES, MONTH_ABBREVIATIONS
from ..rendering.svg_map import class_labels_for, format_number, quantile_breaks, render_svg_map
from ..services import planning as planning_service
from ..services.planning_layers import (
    DEFAULT_ACCESS_TYPE,
    ELEMENT_NAMES,
    LAYERS,
    LayerQuery,
    areas_by_gap,
    csv_text,
    week_of,
)
from ..services.roads import travel_times_used
from ..taxonomy import SERVICE_TYPE, vocabulary

bp = Blueprint("planning", __name__, url_prefix="/planning")

LEAFLET_DIR = xstatic_leaflet.BASE_DIR
LEAFLET_VERSION = xstatic_leaflet.VERSION
#: Leaflet's URL carries its version, so a year of caching is safe.
LEAFLET_MAX_AGE = 365 * 24 * 3600

ACCESS_METHOD_NAMES = {
    "e2sfca": "Enhanced two-step floating catchment (E2SFCA)",
    "2sfca": "Two-step floating catchment (2SFCA)",
    "gravity": "Gravity model",
}
#: Accessibility scores are capacity per person; people read them per 100,000.
PER_PEOPLE = 100_000
#: The layers the map draws as areas (the layer select), in the registry's words.
MAP_LAYERS = ("coverage", "access", "unmet")
#: The layers planning.js fetches from the gaps API (``data-layers``: URL, title, legend).
SCRIPT_LAYERS = (*MAP_LAYERS, "services", "week")
#: The report's two moments: (weekday, Monday = 0; hour).
REPORT_MOMENTS = ((5, 2), (1, 14))
#: Labels for the need calculator's settings (others show their field name).
PARAMETER_LABELS = {
    "episodes_per_100k_month": "Crisis episodes per 100,000 people per month",
    "triage_mobile": "Share triaged to mobile crisis",
    "triage_receiving": "Share triaged to a crisis receiving center",
    "triage_ed": "Share triaged to an emergency department",
    "mct_to_crf": "Mobile crisis to receiving center",
    "crf_to_short_term": "Receiving center to short-term bed",
    "short_term_to_inpatient": "Short-term bed to inpatient",
    "ed_to_inpatient": "Emergency department to inpatient",
    "crf_los_days": "Receiving center stay (days)",
    "crf_occupancy": "Receiving center occupancy",
    "short_term_los_days": "Short-term bed stay (days)",
    "short_term_occupancy": "Short-term bed occupancy",
    "inpatient_los_days": "Inpatient stay (days)",
    "inpatient_occupancy": "Inpatient occupancy",
    "mct_hours_per_dispatch": "Mobile team hours per dispatch",
    "mct_utilisation": "Mobile team utilisation",
    "days_per_month": "Days per month",
}
ELEMENT_CLASS_LABELS = ["None of the three", "One of three", "Two of three", "All three"]
#: Rows of the page's "areas by gap" table (the rest are in the coverage download).
AREA_ROWS = 25
#: Every symbol the interactive map draws besides the area colours (their legend is drawn by
#: planning.js with the layer): (CSS class, text).
SYMBOL_LEGEND = (
    ("planning-site-contact", "Service: someone to contact (dot)"),
    ("planning-site-respond", "Service: someone to respond (dot)"),
    ("planning-site-place", "Service: a safe place for help (dot)"),
    ("planning-site-other", "Service: other care (dot)"),
    ("planning-suggested", "Suggested new site (ringed dot)"),
    ("planning-town-key", "Town (name)"),
)


def _service() -> ModuleType:
    """The planning use cases (``services.planning``); tests replace this function."""
    from ..services import planning

    return planning


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _now() -> datetime:
    return datetime.now(_zone())


def crisis_types() -> list[str]:
    """Service types of the three crisis elements, in taxonomy order."""
    return planning_service.crisis_types()


def analysed_types(chosen: str | None) -> list[str]:
    """Every crisis type plus the chosen one: the headline (all three elements) stays
    meaningful whichever type the planner looks at."""
    types = crisis_types()
    return types + [chosen] if chosen and chosen not in types else types


def next_weekday_hour(now: datetime, weekday: int, hour: int) -> datetime:
    """The first moment at or after ``now`` (same zone) falling on ``weekday`` at ``hour``:00."""
    days = (weekday - now.weekday()) % 7
    day = now.date() + timedelta(days=days)
    moment = datetime.combine(day, time(hour), now.tzinfo)
    if moment < now.replace(minute=0, second=0, microsecond=0):
        moment = datetime.combine(day + timedelta(days=7), time(hour), now.tzinfo)
    return moment


def describe_moment(moment: datetime) -> str:
    """``Saturday 2 a.m. (Jun 7, 2025)``."""
    hour = moment.hour % 12 or 12
    suffix = "a.m." if moment.hour < 12 else "p.m."
    when = f"{MONTH_ABBREVIATIONS[moment.month - 1]} {moment.day}, {moment.year}"
    return f"{DAY_NAMES[moment.weekday()]} {hour} {suffix} ({when})"


def hour_label(hour: int) -> str:
    if hour == 0:
        return "12 a.m. (midnight)"
    if hour == 12:
        return "12 p.m. (noon)"
    return f"{hour % 12} {'a.m.' if hour < 12 else 'p.m.'}"


def share_of(value: Any) -> float | None:
    """A share from a summary entry: a number, or a dict holding ``share``."""
    if isinstance(value, Mapping):
        value = value.get("share")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def percent(value: Any) -> str:
    share = share_of(value)
    return "n/a" if share is None else f"{round(share * 100)}%"


def elements_covered(feature: Mapping[str, Any]) -> int:
    """How many of contact, respond and place reach this area."""
    continuum = (feature.get("properties") or {}).get("continuum") or {}
    return sum(1 for element in CRISIS_ELEMENTS if continuum.get(element))


# -- reading the query string (the API's own parsers, so both read the same way) ------------


def _moment(args: Mapping[str, str]) -> datetime:
    """``at`` (ISO 8601, local time when it has no offset), else the next ``day`` (Monday = 0)
    at ``hour``, else now (to the hour)."""
    service = _service()
    now = _now()
    if (args.get("at") or "").strip():
        return service.parse_at(args.get("at"), _zone(), now)
    day = _int_in(args, "day", 0, 6, now.weekday())
    hour = _int_in(args, "hour", 0, 23, now.hour)
    return next_weekday_hour(now, day, hour)


def _int_in(args: Mapping[str, str], name: str, low: int, high: int, default: int) -> int:
    text = (args.get(name) or "").strip()
    if not text:
        return default
    try:
        number = int(text)
    except ValueError:
        number = -1
    if not low <= number <= high:
        raise _service().PlanningInputError(
            name, f"{name} must be a whole number from {low} to {high}."
        )
    return number


def _chosen_type(args: Mapping[str, str]) -> str | None:
    text = (args.get("type") or "").strip()
    return _service().parse_type(text) if text else None


def _types(args: Mapping[str, str]) -> list[str]:
    """``types=a,b`` (as the API), else every crisis type plus the chosen ``type``."""
    listed = _service().parse_types(args.get("types") or None)
    return listed or analysed_types(_chosen_type(args))


# -- pages -----------------------------------------------------------------------------------


def _tile_url() -> str:
    return str(current_app.config.get("MAP_TILE_URL") or "")


def _layers_json(script_root: str) -> str:
    """What planning.js needs of each layer it fetches, from the registry."""
    layers = {
        name: {
            "url": f"{script_root}{LAYERS[name].api_path}",
            "title": LAYERS[name].title,
            "legend": LAYERS[name].legend,
        }
        for name in SCRIPT_LAYERS
    }
    return json.dumps(layers, separators=(",", ":"))


@bp.get("/vendor/leaflet/<path:filename>")
def leaflet(filename: str) -> Response:
    response = send_from_directory(LEAFLET_DIR, filename, max_age=LEAFLET_MAX_AGE)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


def _form_state(args: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    """The page's choices from the query string; a bad value is reported and replaced."""
    service = _service()

    def read(reader: Callable[[], Any], fallback: Any) -> Any:
        try:
            return reader()
        except service.PlanningInputError as exc:
            problems.append(exc.message)
            return fallback

    now = _now()
    return {
        "type": read(lambda: _chosen_type(args), None),
        "method": read(lambda: service.parse_method(args.get("method")), "e2sfca"),
        "day": read(lambda: _int_in(args, "day", 0, 6, now.weekday()), now.weekday()),
        "hour": read(lambda: _int_in(args, "hour", 0, 23, now.hour), now.hour),
        "need": read(lambda: service.need_parameters(dict(args)), None),
    }


@bp.get("")
@directory_reader
def index() -> Any:
    service = _service()
    session = get_session()
    config = current_app.config
    problems: list[str] = []
    state = _form_state(request.args, problems)
    moment = next_weekday_hour(_now(), state["day"], state["hour"])
    chosen_type = state["type"]
    context: dict[str, Any] = {
        "problems": problems,
        "no_geography": None,
        "state": state,
        "chosen_type": chosen_type or "",
        "methods": ACCESS_METHOD_NAMES,
        "moment": moment,
        "moment_text": describe_moment(moment),
        "day_names": DAY_NAMES,
        "hours": [(h, hour_label(h)) for h in range(24)],
        "type_groups": _type_groups(),
        "tile_url": _tile_url(),
        "timezone": config["TIMEZONE"],
        "crisis_types": ",".join(crisis_types()),
        "leaflet_version": LEAFLET_VERSION,
        "map_layers": [(name, LAYERS[name].title) for name in MAP_LAYERS],
        "layers_json": _layers_json(request.script_root),
        "default_access_type": DEFAULT_ACCESS_TYPE,
        "downloads": DOWNLOADS,
        "download_query": _download_query(state, moment, {}),
        "parameter_labels": PARAMETER_LABELS,
    }
    try:
        coverage = service.coverage_at(session, config, analysed_types(chosen_type), moment, None)
        need = service.need_table(session, state["need"] or service.need_parameters({}))
    except service.NoGeographyError as exc:
        context["no_geography"] = exc.message
        return render_template("planning/index.html", **context)
    features = coverage.get("features") or []
    summary = coverage.get("summary") or {}
    need_parameters = _editable(need.get("parameters") or {})
    need_args = {k: request.args[k] for k in need_parameters if request.args.get(k)}
    # The week of the headline's moment, so the chart, its table and the worst hour agree.
    week = service.coverage_week(session, config, analysed_types(chosen_type), now=moment)
    sites_type = chosen_type or DEFAULT_ACCESS_TYPE
    sites = service.suggest_sites(session, config, sites_type, service.DEFAULT_SITES)
    context.update(
        download_query=_download_query(state, moment, need_args),
        summary=summary,
        headline=_headline(summary, chosen_type),
        continuum_rows=_continuum_rows(summary),
        area_count=len(features),
        bounds=_bounds_attr(features),
        need=need,
        need_parameters=need_parameters,
        week=week,
        week_text=_week_text(week),
        worst_rows=worst_rows(week, _zone()),
        week_rows=week_table_rows(week),
        sites=site_rows(sites, features),
        sites_info=_sites_info(sites, sites_type),
        gap_rows=gap_rows(features, AREA_ROWS),
        gap_total=sum(1 for f in features if elements_covered(f) < len(CRISIS_ELEMENTS)),
        places_json=json.dumps(service.town_labels(session), separators=(",", ":")),
        symbol_legend=SYMBOL_LEGEND,
        travel_note=travel_times_used(session, config),
    )
    return render_template("planning/index.html", **context)


@bp.get("/report")
@directory_reader
def report() -> str:
    service = _service()
    session = get_session()
    config = current_app.config
    now = _now()
    try:
        since = service.parse_since(request.args.get("since"))
    except service.PlanningInputError as exc:
        abort(400, description=exc.message)
    context: dict[str, Any] = {
        "generated_text": f"{describe_moment(now)}, {now.strftime('%H:%M %Z')}",
        "timezone": config["TIMEZONE"],
        "since": since,
        "no_geography": None,
    }
    try:
        context.update(_report_parts(service, session, config, now, since))
        context["travel_note"] = travel_times_used(session, config)
    except service.NoGeographyError as exc:
        context["no_geography"] = exc.message
    return render_template("planning/report.html", **context)


def _report_parts(
    service: ModuleType, session: Any, config: Mapping[str, Any], now: datetime, since: Any
) -> dict[str, Any]:
    types = crisis_types()
    moments: list[dict[str, Any]] = []
    for weekday, hour in REPORT_MOMENTS:
        moment = next_weekday_hour(now, weekday, hour)
        coverage = service.coverage_at(session, config, types, moment, None)
        summary = coverage.get("summary") or {}
        text = describe_moment(moment)
        moments.append(
            {
                "features": coverage.get("features") or [],
                "text": text,
                "summary": summary,
                "headline": percent(summary.get("all_three_share")),
                "continuum_rows": _continuum_rows(summary),
                "map": render_svg_map(
                    coverage.get("features") or [],
                    elements_covered,
                    [0, 1, 2, 3],
                    class_labels=ELEMENT_CLASS_LABELS,
                    legend_title=LAYERS["coverage"].legend,
                    label=f"Map: crisis elements available, {text}",
                    places=service.town_labels(session),
                ),
            }
        )
    access = service.accessibility(session, config, DEFAULT_ACCESS_TYPE, "e2sfca", None)
    access_features = access.get("features") or []
    access_classes = [float(c) for c in access.get("classes") or []]
    unmet = service.unmet_layer(session, since)
    unmet_features = unmet.get("features") or []
    unmet_classes = unmet_breaks(_prop(f, "unmet") for f in unmet_features)
    week = service.coverage_week(session, config, types, now=now)
    sites = service.suggest_sites(session, config, DEFAULT_ACCESS_TYPE, service.DEFAULT_SITES)
    places = service.town_labels(session)
    first = moments[0]
    first["map"] = render_svg_map(
        first["features"],
        elements_covered,
        [0, 1, 2, 3],
        class_labels=ELEMENT_CLASS_LABELS,
        legend_title=LAYERS["coverage"].legend,
        label=f"Map: crisis elements available, {first['text']}, with suggested new sites",
        points=_site_points(sites, first["features"]),
        places=places,
    )
    return {
        "population": moments[0]["summary"].get("population"),
        "moments": moments,
        "access": access,
        "access_map": render_svg_map(
            access_features,
            lambda f: _prop(f, "score"),
            access_classes,
            class_labels=class_labels_for([c * PER_PEOPLE for c in access_classes]),
            value_format=_per_people,
            legend_title=f"E2SFCA score: {LAYERS['access'].legend.lower()}",
            none_label="No crisis receiving center within reach",
            label="Map: accessibility of crisis receiving centers (E2SFCA)",
        ),
        "no_access_population": _population_where(
            access_features, lambda p: p.get("score") in (None, 0)
        ),
        "unmet_total": unmet.get("total", sum(_prop(f, "unmet") or 0 for f in unmet_features)),
        "unmet_map": render_svg_map(
            unmet_features,
            lambda f: _prop(f, "unmet"),
            unmet_classes,
            class_labels=unmet_labels(unmet_classes),
            legend_title=LAYERS["unmet"].legend,
            label="Map: unmet needs recorded per area",
        ),
        "week_low": _week_low(week, ZoneInfo(config["TIMEZONE"])),
        "worst_rows": worst_rows(week, ZoneInfo(config["TIMEZONE"])),
        "sites": site_rows(sites, first["features"]),
        "sites_info": _sites_info(sites, DEFAULT_ACCESS_TYPE),
        "need": service.need_table(session, service.need_parameters({})),
    }


# -- downloads ------------------------------------------------------------------------------


@bp.get(f"/download/<any({', '.join(LAYERS)}):layer>.<any(geojson, csv):fmt>")
@directory_reader
def download(layer: str, fmt: str) -> Response:
    service = _service()
    if fmt not in LAYERS[layer].formats:
        abort(404, description=f"The {layer} table is available as CSV only.")
    try:
        query, stem = _layer_query(layer, request.args)
        data = LAYERS[layer].run(get_session(), current_app.config, query, service)
    except service.PlanningInputError as exc:
        abort(400, description=exc.message)
    except service.NoGeographyError as exc:
        abort(409, description=exc.message)
    filename = f"{stem}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "geojson":
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
        return Response(body, mimetype="application/geo+json", headers=headers)
    return Response(csv_text(layer, [data]), mimetype="text/csv", headers=headers)


def _layer_query(layer: str, args: Mapping[str, str]) -> tuple[LayerQuery, str]:
    """The download's parameters (the page's query string) and its file name stem."""
    service = _service()
    if layer in ("coverage", "gaps", "week", "worst"):
        moment = _moment(args)
        minutes = service.parse_minutes(args.get("max_minutes"))
        stamp = moment.strftime("%Y-%m-%d-%H%M")
        stems = {"coverage": f"coverage-{stamp}", "gaps": f"areas-by-gap-{stamp}"}
        stems["worst"] = "worst-hour"
        stem = stems.get(layer, "coverage-week")
        return LayerQuery(types=_types(args), at=moment, max_minutes=minutes), stem
    if layer in ("access", "sites"):
        service_type = _chosen_type(args) or DEFAULT_ACCESS_TYPE
        minutes = service.parse_minutes(args.get("max_minutes"))
        if layer == "sites":
            query = LayerQuery(service_type=service_type, max_minutes=minutes)
            return query, f"sites-{service_type}"
        method = service.parse_method(args.get("method"))
        query = LayerQuery(service_type=service_type, method=method, max_minutes=minutes)
        return query, f"access-{service_type}-{method}"
    if layer == "unmet":
        return LayerQuery(since=service.parse_since(args.get("since"))), "unmet"
    if layer == "need":
        return LayerQuery(need=service.need_parameters(dict(args))), "need-vs-capacity"
    return LayerQuery(), layer


# -- helpers ----------------------------------------------------------------------------------


def _at(values: list[Any], index: int) -> Any:
    return values[index] if index < len(values) else None


def _per_people(value: Any) -> str:
    """An accessibility score (capacity per person) as capacity per 100,000 people."""
    if value is None or isinstance(value, bool):
        return "no service within reach"
    return f"{format_number(float(value) * PER_PEOPLE)} per 100,000 people"


def _prop(feature: Mapping[str, Any], name: str) -> Any:
    return (feature.get("properties") or {}).get(name)


def _population_where(
    features: Iterable[Mapping[str, Any]], test: Callable[[Mapping[str, Any]], bool]
) -> int:
    total = 0
    for feature in features:
        props = feature.get("properties") or {}
        if test(props):
            total += int(props.get("population") or 0)
    return total


def unmet_breaks(values: Iterable[Any]) -> list[float]:
    """Classes of unmet-need counts: none, then up to four quantile classes of the rest."""
    counts = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    positive = [v for v in counts if v > 0]
    return [0.0] + [b for b in quantile_breaks(positive, 4) if b > 0]


def unmet_labels(classes: list[float]) -> list[str]:
    labels = class_labels_for(classes)
    labels[0] = "None recorded"
    return labels


def _headline(summary: Mapping[str, Any], chosen_type: str | None) -> dict[str, Any]:
    population = summary.get("population")
    headline = {
        "all_three": percent(summary.get("all_three_share")),
        "population": population,
        "type_share": None,
        "type_name": None,
    }
    if chosen_type:
        entry = (summary.get("by_type") or {}).get(chosen_type)
        headline["type_share"] = percent(entry)
        headline["type_name"] = vocabulary().term(SERVICE_TYPE, chosen_type).name
    return headline


def _continuum_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    names = vocabulary().continuum
    rows = []
    for element, value in (summary.get("by_continuum") or {}).items():
        name = names.get(element, element)
        rows.append((name, percent(value)))
    return rows


def _week_low(week: Mapping[str, Any], zone: ZoneInfo) -> dict[str, Any] | None:
    """The hour of the week with the lowest all-three share (the first, on ties)."""
    shares = [s for s in week.get("all_three") or [] if isinstance(s, int | float)]
    monday = week_of(week)
    if not shares or monday is None:
        return None
    low = min(range(len(shares)), key=lambda h: shares[h])
    moment = datetime.combine(monday, time(), zone) + timedelta(hours=low)
    return {"share": percent(shares[low]), "text": describe_moment(moment)}


def _type_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    vocab = vocabulary()
    groups = []
    for key, name in vocab.continuum.items():
        codes = vocab.service_types_in(key)
        groups.append((name, [(code, vocab.term(SERVICE_TYPE, code).name) for code in codes]))
    return groups


def _editable(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The calculator's numeric parameters (the ones a planner can edit in the form)."""
    return {
        name: value
        for name, value in parameters.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }


def _bounds_attr(features: Iterable[dict[str, Any]]) -> str:
    from ..rendering.svg_map import bounds_of

    bounds = bounds_of(list(features))
    if bounds is None:
        return ""
    min_lon, min_lat, max_lon, max_lat = bounds
    return f"{min_lat:.5f},{min_lon:.5f},{max_lat:.5f},{max_lon:.5f}"


#: (layer, title: what it holds, formats) for the download list, from the registry.
DOWNLOADS = tuple(
    (layer.name, f"{layer.title}: {layer.holds}", layer.formats) for layer in LAYERS.values()
)


def _download_query(
    state: Mapping[str, Any], moment: datetime, need_args: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """Query strings that make each download match what the page shows."""
    chosen = state.get("type") or ""
    at = moment.replace(tzinfo=None).isoformat(timespec="minutes")
    return {
        "coverage": {"at": at, **({"type": chosen} if chosen else {})},
        "access": {"type": chosen or DEFAULT_ACCESS_TYPE, "method": state.get("method") or ""},
        "unmet": {},
        "services": {},
        "need": dict(need_args),
        "week": {"at": at, **({"type": chosen} if chosen else {})},
        "worst": {"at": at, **({"type": chosen} if chosen else {})},
        "gaps": {"at": at, **({"type": chosen} if chosen else {})},
        "sites": {"type": chosen or DEFAULT_ACCESS_TYPE},
    }


# -- the planner's answers: worst hour, week table, suggested sites, areas by gap -------------


def _week_text(week: Mapping[str, Any]) -> str:
    monday = week_of(week)
    if monday is None:
        return ""
    sunday = monday + timedelta(days=6)
    month = MONTH_ABBREVIATIONS
    return (
        f"Monday {month[monday.month - 1]} {monday.day} to Sunday "
        f"{month[sunday.month - 1]} {sunday.day}, {sunday.year}"
    )


def worst_rows(week: Mapping[str, Any], zone: ZoneInfo) -> list[dict[str, Any]]:
    """The worst hour of the week for all three elements and for each element:
    ``{"name", "when", "share", "people_without", "covered"}`` (empty without a profile)."""
    worst = week.get("worst") or {}
    monday = week_of(week)
    rows = []
    for key in ("all_three", *CRISIS_ELEMENTS):
        entry = worst.get(key)
        if not isinstance(entry, Mapping) or monday is None:
            continue
        hour = int(entry.get("hour") or 0)
        moment = datetime.combine(monday, time(), zone) + timedelta(hours=hour)
        rows.append(
            {
                "key": key,
                "name": ELEMENT_NAMES[key],
                "when": describe_moment(moment),
                "hour": hour,
                "share": percent(entry.get("share")),
                "people_without": int(entry.get("people_without") or 0),
                "covered": int(entry.get("covered_population") or 0),
            }
        )
    return rows


def week_table_rows(week: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per hour of the week: day, hour label, and the share (percent with one
    decimal) of people covered for all three elements and each element."""
    by_continuum = week.get("by_continuum") or {}
    all_three = week.get("all_three") or []
    rows = []
    for h in range(len(all_three)):
        cells = [all_three[h]] + [_at(by_continuum.get(e) or [], h) for e in CRISIS_ELEMENTS]
        rows.append(
            {
                "hour": h,
                "day": DAY_NAMES[h // 24 % 7],
                "time": hour_label(h % 24),
                "cells": [_percent1(c) for c in cells],
            }
        )
    return rows


def _percent1(value: Any) -> str:
    share = share_of(value)
    return "n/a" if share is None else f"{share * 100:.1f}%"


def _centres(features: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, int]]:
    return {
        str(_prop(f, "area_id")): (str(_prop(f, "name") or _prop(f, "area_id")), i)
        for i, f in enumerate(features)
    }


def site_rows(
    sites: Mapping[str, Any], features: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Suggested sites, most people newly covered first: rank, the area it stands in, the
    point and the people it newly covers."""
    names = _centres(features)
    rows = []
    for rank, site in enumerate(sites.get("sites") or [], start=1):
        name = names.get(str(site.get("area_id")), (str(site.get("id")), -1))[0]
        rows.append(
            {
                "rank": rank,
                "name": name,
                "lat": float(site.get("lat") or 0.0),
                "lon": float(site.get("lon") or 0.0),
                "people": int(site.get("newly_covered_population") or 0),
                "areas": len(site.get("newly_covered_areas") or []),
            }
        )
    return rows


def _sites_info(sites: Mapping[str, Any], service_type: str) -> dict[str, Any]:
    minutes = sites.get("threshold_minutes")
    return {
        "type_name": vocabulary().term(SERVICE_TYPE, service_type).name,
        "minutes": None if minutes is None else format_number(float(minutes)),
        "existing": sites.get("existing_sites") or 0,
        "covered_before": int(sites.get("covered_before") or 0),
        "covered_after": int(sites.get("covered_after") or 0),
        "population": int(sites.get("population") or 0),
        "optimal": bool(sites.get("optimal")),
    }


def _site_points(
    sites: Mapping[str, Any], features: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    return [
        {
            "lon": row["lon"],
            "lat": row["lat"],
            "label": str(row["rank"]),
            "title": f"Suggested site {row['rank']}: {row['name']}, "
            f"{row['people']:,} people newly covered",
        }
        for row in site_rows(sites, features)
    ]


def gap_rows(features: Sequence[Mapping[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The registry's areas by gap (``planning_layers.areas_by_gap``), at most ``limit``."""
    return areas_by_gap(features)[:limit]
