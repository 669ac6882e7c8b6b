"""``gaps report``: every planning answer as files, plus a printable self-contained HTML report.

Writes into one folder: ``coverage.geojson`` / ``coverage.csv`` (at one instant),
``gaps.csv`` (areas missing a crisis element), ``week.csv`` (population share per hour of
the week of ``at``), ``worst.csv`` (the worst hour),
``access-<method>.geojson`` (one score per service type) / ``.csv`` (one row per area and type,
for 2SFCA, E2SFCA and gravity), ``need.csv``, ``sites.json`` / ``sites.csv`` (suggested sites
per type), ``unmet.geojson`` and ``report.html`` (static SVG maps drawn from the stored
geometries, no scripts, no network). Every CSV is the planning page's download of the same
layer (``services/planning_layers.py``: same columns, same writer).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ..gaps.coverage import CRISIS_ELEMENTS
from ..taxonomy import SERVICE_TYPE, vocabulary
from . import planning, planning_layers
from .planning_layers import DAYS, ELEMENT_NAMES

Advance = Callable[[int], None]
Progress = Callable[[str, int | None], AbstractContextManager[Advance]]

REPORT_FILES = (
    "coverage.geojson",
    "coverage.csv",
    "gaps.csv",
    "week.csv",
    "worst.csv",
    *(f"access-{m}.{ext}" for m in planning.METHODS for ext in ("geojson", "csv")),
    "need.csv",
    "sites.json",
    "sites.csv",
    "unmet.geojson",
    "report.html",
)


@contextmanager
def _no_progress(_label: str, _total: int | None = None) -> Iterator[Advance]:
    yield lambda _n: None


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, allow_nan=False), "utf-8")


def _write_csv(path: Path, layer: str, answers: Sequence[Mapping[str, Any]]) -> None:
    """The layer's CSV, as the planning page's download writes it (formulas made inert)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        planning_layers.write_csv(fh, layer, answers)


def write_report(
    session: Session,
    config: Mapping[str, Any],
    out: Path,
    *,
    at: datetime | None = None,
    types: Sequence[str] | None = None,
    p: int = planning.DEFAULT_SITES,
    progress: Progress | None = None,
) -> list[Path]:
    """Write every report file into ``out`` (created if needed); returns the paths written.

    NoGeographyError when no areas are loaded (nothing is written then).
    """
    progress = progress or _no_progress
    planning.load_areas(session)  # fail early, before creating anything
    vocab = vocabulary()
    types = list(types) if types else planning.crisis_types(vocab)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    steps = 5 + len(planning.METHODS) * len(types) + len(types)
    with progress("Writing the gaps report", steps) as advance:
        coverage = planning.coverage_at(session, config, types, at)
        _write_json(out / "coverage.geojson", coverage)
        _write_csv(out / "coverage.csv", "coverage", [coverage])
        _write_csv(out / "gaps.csv", "gaps", [coverage])
        written += [out / "coverage.geojson", out / "coverage.csv", out / "gaps.csv"]
        advance(1)

        week = planning.coverage_week(session, config, types, now=at)  # the week of --at
        _write_csv(out / "week.csv", "week", [week])
        _write_csv(out / "worst.csv", "worst", [week])
        written += [out / "week.csv", out / "worst.csv"]
        advance(1)

        access: dict[str, dict[str, dict[str, Any]]] = {}
        for method in planning.METHODS:
            access[method] = {}
            for service_type in types:
                access[method][service_type] = planning.accessibility(
                    session, config, service_type, method
                )
                advance(1)
            collection = _access_collection(method, access[method])
            _write_json(out / f"access-{method}.geojson", collection)
            _write_csv(out / f"access-{method}.csv", "access", list(access[method].values()))
            written += [out / f"access-{method}.geojson", out / f"access-{method}.csv"]

        need = planning.need_table(session)
        _write_csv(out / "need.csv", "need", [need])
        written.append(out / "need.csv")
        advance(1)

        sites: dict[str, Any] = {}
        for service_type in types:
            threshold = planning.type_threshold(config, service_type, None, vocab)
            if math.isfinite(threshold):
                sites[service_type] = planning.suggest_sites(session, config, service_type, p)
            advance(1)
        _write_json(out / "sites.json", {"p": p, "by_type": sites})
        _write_csv(out / "sites.csv", "sites", list(sites.values()))
        written += [out / "sites.json", out / "sites.csv"]

        unmet = planning.unmet_layer(session)
        _write_json(out / "unmet.geojson", unmet)
        written.append(out / "unmet.geojson")
        advance(1)

        from .roads import travel_times_used

        html = render_report_html(
            coverage,
            week,
            access.get("e2sfca", {}),
            need,
            sites,
            unmet,
            travel_note=travel_times_used(session, config),
        )
        (out / "report.html").write_text(html, "utf-8")
        written.append(out / "report.html")
        advance(1)
    return written


# --------------------------------------------------------------------------- tables


def _access_collection(method: str, by_type: dict[str, dict[str, Any]]) -> dict[str, Any]:
    first = next(iter(by_type.values()))
    features = []
    for i, feature in enumerate(first["features"]):
        props = feature["properties"]
        features.append(
            {
                "type": "Feature",
                "geometry": feature["geometry"],
                "properties": {
                    "area_id": props["area_id"],
                    "name": props["name"],
                    "population": props["population"],
                    "scores": {
                        t: result["features"][i]["properties"]["score"]
                        for t, result in by_type.items()
                    },
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "method": method,
        "supply_note": planning.SUPPLY_NOTE,
        "types": {
            t: {"sites": r["sites"], "catchment_minutes": r["catchment_minutes"]}
            for t, r in by_type.items()
        },
        "features": features,
    }


# --------------------------------------------------------------------------- HTML


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"


def _map(features: list[dict[str, Any]], value: Callable[[dict[str, Any]], Any], **kwargs) -> str:
    from ..rendering.svg_map import render_svg_map

    return str(render_svg_map(features, value, kwargs.pop("classes", None), **kwargs))


#: Round steps (shares) for the week chart's fitted axis.
AXIS_STEPS = (0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)


def week_axis(values: Sequence[float]) -> tuple[float, float, float]:
    """(bottom, top, step) of an axis fitted to ``values`` (shares 0-1): at most five steps
    of a round size, never beyond 0-1, so a narrow band does not read flat."""
    finite = [v for v in values if isinstance(v, int | float) and math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    span = max(high - low, 0.01)
    step = next((s for s in AXIS_STEPS if span / s <= 5), AXIS_STEPS[-1])
    bottom = max(0.0, math.floor(low / step) * step)
    top = min(1.0, math.ceil(high / step) * step)
    if top - bottom < step:
        top = min(1.0, bottom + step)
        bottom = max(0.0, top - step)
    return bottom, top, step


def _week_chart(week: dict[str, Any], width: int = 672, height: int = 160) -> str:
    """A line chart of the all-three share over the 168 hours (inline SVG), its vertical axis
    fitted to the values and labelled."""
    series = week["all_three"]
    left = 48
    bottom, top, step = week_axis(series)
    x_step = (width - left) / (len(series) - 1 if len(series) > 1 else 1)

    def y(v: float) -> float:
        return 5 + (1 - (min(max(v, bottom), top) - bottom) / (top - bottom)) * (height - 10)

    points = " ".join(f"{left + h * x_step:.1f},{y(v):.1f}" for h, v in enumerate(series))
    ticks = "".join(
        f'<line x1="{left + d * 24 * x_step:.1f}" y1="0" x2="{left + d * 24 * x_step:.1f}" '
        f'y2="{height}" stroke="#ccc"/><text x="{left + d * 24 * x_step + 3:.1f}" '
        f'y="{height + 14}" font-size="11">{DAYS[d][:3]}</text>'
        for d in range(7)
    )
    digits = 1 if step < 0.01 else 0
    levels = [bottom + k * step for k in range(round((top - bottom) / step) + 1)]
    ticks += "".join(
        f'<line x1="{left}" y1="{y(v):.1f}" x2="{width}" y2="{y(v):.1f}" stroke="#ddd"/>'
        f'<text x="{left - 4}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end">'
        f"{v * 100:.{digits}f}%</text>"
        for v in levels
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height + 34}" viewBox="0 0 {width} {height + 34}" '
        'aria-label="Share of people with all three crisis elements, by hour of the week; '
        f'axis from {bottom * 100:.{digits}f}% to {top * 100:.{digits}f}%">'
        f'{ticks}<polyline fill="none" stroke="#225ea8" stroke-width="2" points="{points}"/>'
        f'<text x="0" y="{height + 30}" font-size="11" font-weight="bold">'
        "People with all three crisis elements (%), by day and hour</text></svg>"
    )


def _worst_lines(week: dict[str, Any]) -> str:
    names = ELEMENT_NAMES
    rows = "".join(
        f"<tr><td>{escape(names[key])}</td>"
        f"<td>{escape(DAYS[w['hour'] // 24 % 7])} {w['hour'] % 24:02d}:00 "
        f"({escape(w['local_time'][:10])})</td><td>{_percent(w['share'])}</td>"
        f"<td>{w['people_without']:,}</td></tr>"
        for key, w in (week.get("worst") or {}).items()
        if key in names
    )
    if not rows:
        return ""
    return (
        "<h3>Worst hour of the week</h3><table><tr><th>Element</th><th>Hour</th>"
        f"<th>Covered</th><th>People without</th></tr>{rows}</table>"
    )


def _continuum_value(element: str) -> Callable[[dict[str, Any]], Any]:
    """An area's "covered" flag for one continuum element (a map's value)."""
    return lambda feature: feature["properties"]["continuum"][element]


def render_report_html(
    coverage: dict[str, Any],
    week: dict[str, Any],
    access: dict[str, dict[str, Any]],
    need: dict[str, Any],
    sites: dict[str, Any],
    unmet: dict[str, Any],
    *,
    travel_note: str | None = None,
) -> str:
    """The printable report: headline, maps, week chart and tables; no scripts, no links out.
    ``travel_note`` says which travel times the figures use (``services.roads``)."""
    vocab = vocabulary()
    summary = coverage["summary"]
    features = coverage["features"]
    parts: list[str] = []
    parts.append(
        f"<h1>Crisis service gaps</h1><p>Coverage at {escape(summary['at'])}; "
        f"population {summary['population']:,} in {len(features)} areas.</p>"
    )
    if travel_note:
        parts.append(f"<p class='travel-times'>{escape(travel_note)}</p>")
    parts.append(
        f"<p class='headline'><strong>{_percent(summary['all_three_share'])}</strong> of people "
        "have all three crisis elements (someone to contact, someone to respond, a place to "
        "go) available at this time.</p>"
    )
    parts.append(
        _map(
            features,
            lambda f: f["properties"]["all_three"],
            classes=[],
            legend_title="All three crisis elements available",
            standalone=True,
        )
    )
    rows = "".join(
        f"<tr><td>{escape(e)}</td><td>{_percent(s['share'])}</td>"
        f"<td>{s['covered_population']:,}</td></tr>"
        for e, s in summary["by_continuum"].items()
    )
    parts.append(
        "<h2>Coverage by continuum element</h2><table><tr><th>Element</th><th>Share</th>"
        f"<th>People covered</th></tr>{rows}</table>"
    )
    for element in CRISIS_ELEMENTS:
        parts.append(f"<h3>{escape(element.capitalize())}</h3>")
        parts.append(
            _map(
                features,
                _continuum_value(element),
                classes=[],
                legend_title=f"{element.capitalize()} available",
                standalone=True,
            )
        )
    parts.append("<h2>Through the week</h2>")
    parts.append(_week_chart(week))
    parts.append(
        f"<p>Lowest: {_percent(min(week['all_three']))}; highest: "
        f"{_percent(max(week['all_three']))} (week of {escape(week['week_of'])}).</p>"
    )
    parts.append(_worst_lines(week))
    parts.append("<h2>Accessibility (E2SFCA, supply per 100,000 people)</h2>")
    parts.append(f"<p>{escape(planning.SUPPLY_NOTE)}.</p>")
    for service_type, result in access.items():
        if not result.get("sites"):
            continue
        name = vocab.term(SERVICE_TYPE, service_type).name
        parts.append(f"<h3>{escape(name)} ({result['sites']} sites)</h3>")
        parts.append(
            _map(
                result["features"],
                lambda f: f["properties"]["score_per_100k"],
                classes=None,
                legend_title=f"{name} per 100,000",
                standalone=True,
            )
        )
    need_rows = "".join(
        f"<tr><td>{escape(r['label'])}</td><td>{_number(r['needed'])}</td>"
        f"<td>{_number(r['in_inventory'])}</td><td>{_number(r['shortfall'])}</td>"
        f"<td>{escape(r['unit'])}</td></tr>"
        for r in need["rows"]
    )
    parts.append(
        f"<h2>Need versus capacity</h2><p>Population {need['population']:,}.</p>"
        "<table><tr><th>Service</th><th>Needed</th><th>In inventory</th><th>Shortfall</th>"
        f"<th>Unit</th></tr>{need_rows}</table>"
    )
    site_rows = "".join(
        f"<tr><td>{escape(vocab.term(SERVICE_TYPE, t).name)}</td>"
        f"<td>{escape(s['area_id'])}</td><td>{s['lat']:.5f}, {s['lon']:.5f}</td>"
        f"<td>{s['newly_covered_population']:,}</td></tr>"
        for t, result in sites.items()
        for s in result["sites"]
    )
    parts.append(
        "<h2>Suggested sites (maximal covering)</h2><table><tr><th>Type</th><th>Near area</th>"
        f"<th>Point</th><th>Newly covered people</th></tr>{site_rows}</table>"
    )
    parts.append(f"<h2>Unmet needs recorded by the lookup</h2><p>{unmet['total']:,} in all.</p>")
    parts.append(
        _map(
            unmet["features"],
            lambda f: f["properties"]["unmet"] or None,
            classes=None,
            legend_title=planning_layers.LAYERS["unmet"].legend,
            none_label="None recorded",
            standalone=True,
        )
    )
    style = (
        "body{font-family:sans-serif;max-width:60rem;margin:1rem auto;color:#16181d}"
        "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #999;"
        "padding:.2rem .5rem;text-align:left}.headline{font-size:1.3rem}"
        "svg{display:block;margin:.5rem 0;page-break-inside:avoid}"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Crisis service gaps report</title>"
        f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n"
    )
