"""Static SVG maps of analysis areas, drawn on the server (the printable planning report).

An equirectangular projection fitted to the features' bounds: x is longitude times the cosine
of the middle latitude, y is latitude, north up. Each area is one ``<path>`` whose CSS class
names its class (colours live in ``app.css``, since the page's CSP forbids inline styles), with
a ``<title>`` naming the area and its value for hover and screen readers; a legend follows the
areas. ``standalone=True`` writes ``fill``/``stroke`` presentation attributes instead, for a
report file opened outside the app.

Class rule (the same in ``static/js/planning.js``): ``classes`` are the upper bounds of the
classes in increasing order; a value goes in the first class whose bound it does not exceed,
and a value above the last bound in the last class. ``None`` is "no data"; ``True``/``False``
are two classes of their own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

Value = float | bool | None

#: Sequential colours for classes c0..c6 (light = low), ColorBrewer YlGnBu; app.css matches.
PALETTE = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84")
YES_FILL = "#2b83ba"
NO_FILL = "#f4a582"
NONE_FILL = "#d9d9d9"
STROKE = "#4b5160"
MAX_CLASSES = len(PALETTE)

LEGEND_ROW = 28
LEGEND_SWATCH = 18
PADDING = 4


def class_index(value: float, classes: Sequence[float]) -> int:
    """Index of the class ``value`` falls in (upper-bound rule, see the module docstring)."""
    for index, bound in enumerate(classes):
        if value <= bound:
            return index
    return len(classes) - 1


def quantile_breaks(values: Iterable[float], count: int = 5) -> list[float]:
    """Upper bounds of ``count`` quantile classes of ``values`` (distinct, increasing)."""
    ordered = sorted(v for v in values if v is not None and not math.isnan(v))
    if not ordered:
        return []
    breaks: list[float] = []
    for k in range(1, count + 1):
        position = min(len(ordered) - 1, math.ceil(k * len(ordered) / count) - 1)
        bound = ordered[position]
        if not breaks or bound > breaks[-1]:
            breaks.append(bound)
    return breaks


def format_number(value: float) -> str:
    """A short label for a class bound or a value: 3 significant digits, no exponent for the
    ranges planners see."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2g}"


def class_labels_for(classes: Sequence[float]) -> list[str]:
    labels = []
    for index, bound in enumerate(classes):
        if index == 0:
            labels.append(f"up to {format_number(bound)}")
        else:
            labels.append(f"{format_number(classes[index - 1])} to {format_number(bound)}")
    return labels


def _rings(geometry: Mapping[str, Any] | None) -> list[list[list[list[float]]]]:
    """Polygons of a geometry as lists of rings (other geometry types draw nothing)."""
    if not geometry:
        return []
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates") or []
    if kind == "Polygon":
        return [coordinates]
    if kind == "MultiPolygon":
        return list(coordinates)
    if kind == "GeometryCollection":
        return [p for g in geometry.get("geometries") or [] for p in _rings(g)]
    return []


class Projection:
    """Equirectangular projection of a lon/lat box onto ``width`` pixels, north up."""

    def __init__(self, bounds: tuple[float, float, float, float], width: float) -> None:
        min_lon, min_lat, max_lon, max_lat = bounds
        self.min_lon = min_lon
        self.max_lat = max_lat
        self.kx = math.cos(math.radians((min_lat + max_lat) / 2))
        span_x = (max_lon - min_lon) * self.kx
        span_y = max_lat - min_lat
        inner = width - 2 * PADDING
        span = max(span_x, span_y * 0.25, 1e-9)
        self.scale = inner / span
        self.width = width
        self.height = span_y * self.scale + 2 * PADDING

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        x = PADDING + (lon - self.min_lon) * self.kx * self.scale
        y = PADDING + (self.max_lat - lat) * self.scale
        return x, y


def bounds_of(features: Iterable[Mapping[str, Any]]) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) of the features' polygons, or None."""
    lons: list[float] = []
    lats: list[float] = []
    for feature in features:
        for polygon in _rings(feature.get("geometry")):
            for ring in polygon:
                for point in ring:
                    lons.append(point[0])
                    lats.append(point[1])
    if not lons:
        return None
    return min(lons), min(lats), max(lons), max(lats)


def _path_data(polygons: list[list[list[list[float]]]], project: Projection) -> str:
    parts = []
    for polygon in polygons:
        for ring in polygon:
            if len(ring) < 3:
                continue
            points = [project(p[0], p[1]) for p in ring]
            head = f"M{points[0][0]:.1f} {points[0][1]:.1f}"
            rest = "".join(f"L{x:.1f} {y:.1f}" for x, y in points[1:])
            parts.append(head + rest + "Z")
    return "".join(parts)


def _feature_name(feature: Mapping[str, Any]) -> str:
    props = feature.get("properties") or {}
    return str(props.get("name") or props.get("area_id") or feature.get("id") or "Area")


def render_svg_map(
    features: Sequence[dict[str, Any]],
    value_key: Callable[[dict[str, Any]], Value],
    classes: list[float] | None,
    *,
    width: int = 600,
    legend_title: str = "",
    label: str = "",
    class_labels: Sequence[str] | None = None,
    yes_label: str = "Yes",
    no_label: str = "No",
    none_label: str = "No data",
    value_format: Callable[[Value], str] | None = None,
    standalone: bool = False,
    points: Sequence[dict[str, Any]] = (),
    places: Sequence[Sequence[Any]] = (),
    scale_bar: bool = True,
) -> Markup:
    """An ``<svg>`` choropleth of ``features`` (GeoJSON Features with Polygon/MultiPolygon).

    :param value_key: the value of one feature: a number (classed by ``classes``), a bool
        (yes/no) or None (no data).
    :param classes: upper bounds of the numeric classes; None = 5 quantile classes of the
        values. At most 7 classes.
    :param label: the map's accessible name (``aria-label``); defaults to ``legend_title``.
    :param class_labels: legend text per numeric class (default "up to 5", "5 to 10", ...).
    :param standalone: colours as ``fill``/``stroke`` attributes (for a file opened outside
        the app) instead of CSS classes.
    :param points: marked points (suggested sites): dicts with ``lon``, ``lat``, a short
        ``label`` drawn beside the mark and a ``title``; they get a legend entry.
    :param places: ``[name, lat, lon]`` town labels (only those inside the drawn box).
    :param scale_bar: draw a scale bar (a round number of km, about a fifth of the width).
    """
    values = [value_key(f) for f in features]
    classes, labels = _numeric_classes(values, classes, class_labels)
    fmt = value_format or _default_format

    bounds = bounds_of(features)
    drawable = bounds is not None
    project = Projection(bounds or (0.0, 0.0, 1.0, 1.0), width)
    map_height = project.height if drawable else float(LEGEND_ROW)

    used: set[str] = set()
    body: list[str] = []
    for feature, value in zip(features, values, strict=True):
        polygons = _rings(feature.get("geometry"))
        if not polygons:
            continue
        kind = _kind(value, classes)
        used.add(kind)
        d = _path_data(polygons, project)
        title = f"{_feature_name(feature)}: {fmt(value)}"
        paint = _paint(kind, standalone)
        body.append(
            f'<path{paint} d="{d}" fill-rule="evenodd"><title>{escape(title)}</title></path>'
        )

    # Legend: every numeric class, plus yes/no/no-data where they occur.
    entries: list[tuple[str, str]] = []
    if any(isinstance(v, bool) for v in values):
        entries += [("yes", yes_label), ("no", no_label)]
    if classes:
        entries += [(f"c{i}", text) for i, text in enumerate(labels)]
    if "none" in used:
        entries.append(("none", none_label))
    overlay = _overlays(project, bounds, points, places, standalone) if drawable else []
    if drawable and scale_bar:
        overlay.append(_scale_bar(project, map_height, standalone))
    if drawable and points:
        entries.append(("point", "Suggested new site (numbered ring)"))
    legend_top = map_height + 12
    title_height = LEGEND_ROW if legend_title else 0
    height = legend_top + title_height + LEGEND_ROW * len(entries) + PADDING
    legend = _legend(entries, legend_top, legend_title, standalone)
    text_fill = ' fill="#16181d"' if standalone else ""
    if not drawable:
        body.append(f'<text x="{PADDING}" y="15"{text_fill}>No areas to draw.</text>')

    name = label or legend_title or "Map"
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="svgmap" role="img"'
        f' aria-label="{escape(name)}" viewBox="0 0 {width} {height:.1f}"'
        f' width="{width}" height="{height:.0f}" font-size="18" font-family="sans-serif">'
        f'<g class="svgmap-areas">{"".join(body)}</g>{"".join(overlay)}{"".join(legend)}</svg>'
    )
    return Markup(svg)  # noqa: S704 (every value above is a number or escaped)


def _numeric_classes(
    values: Sequence[Value], classes: list[float] | None, class_labels: Sequence[str] | None
) -> tuple[list[float], list[str]]:
    """The checked class bounds (5 quantile classes of the numbers when None) and labels."""
    numbers = [float(v) for v in values if v is not None and not isinstance(v, bool)]
    if classes is None:
        classes = quantile_breaks(numbers) if numbers else []
    classes = [float(c) for c in classes]
    if len(classes) > MAX_CLASSES:
        raise ValueError(f"at most {MAX_CLASSES} classes, got {len(classes)}")
    if class_labels is not None and len(class_labels) != len(classes):
        raise ValueError("class_labels must have one label per class")
    labels = list(class_labels) if class_labels is not None else class_labels_for(classes)
    return classes, labels


def _paint(kind: str, standalone: bool) -> str:
    """Colours of an area or legend swatch of ``kind``: attributes, or CSS classes."""
    if standalone:
        fill = {
            "yes": YES_FILL,
            "no": NO_FILL,
            "none": NONE_FILL,
        }.get(kind) or PALETTE[int(kind[1:])]
        return f' fill="{fill}" stroke="{STROKE}" stroke-width="0.5"'
    return f' class="svgmap-area svgmap-{kind}"'


def _legend(
    entries: Sequence[tuple[str, str]], top: float, legend_title: str, standalone: bool
) -> list[str]:
    """The legend's SVG group: an optional title, then one row per (kind, text) entry."""
    title_height = LEGEND_ROW if legend_title else 0
    legend: list[str] = [f'<g class="svgmap-legend" transform="translate(0 {top:.1f})">']
    text_fill = ' fill="#16181d"' if standalone else ""
    if legend_title:
        legend.append(
            f'<text x="{PADDING}" y="19" class="svgmap-legend-title" font-weight="bold"'
            f"{text_fill}>{escape(legend_title)}</text>"
        )
    for row, (kind, text) in enumerate(entries):
        y = title_height + row * LEGEND_ROW
        if kind == "point":
            legend.append(
                f'<circle cx="{PADDING + LEGEND_SWATCH / 2}" cy="{y + 11}" r="7"'
                f"{_point_paint(standalone)}/>"
                f'<text x="{PADDING + LEGEND_SWATCH + 8}" y="{y + 17}"{text_fill}>'
                f"{escape(text)}</text>"
            )
            continue
        legend.append(
            f'<rect x="{PADDING}" y="{y + 2}" width="{LEGEND_SWATCH}" height="{LEGEND_SWATCH}"'
            f"{_paint(kind, standalone)}/>"
            f'<text x="{PADDING + LEGEND_SWATCH + 8}" y="{y + 17}"{text_fill}>{escape(text)}</text>'
        )
    legend.append("</g>")
    return legend


def _kind(value: Value, classes: Sequence[float]) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    number = float(value)
    if math.isnan(number) or not classes:
        return "none"
    return f"c{class_index(number, classes)}"


def _default_format(value: Value) -> str:
    if value is None:
        return "no data"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return format_number(float(value))


def _point_paint(standalone: bool) -> str:
    if standalone:
        return ' fill="#ffffff" stroke="#16181d" stroke-width="3"'
    return ' class="svgmap-point"'


def _overlays(
    project: Projection,
    bounds: tuple[float, float, float, float] | None,
    points: Sequence[dict[str, Any]],
    places: Sequence[Sequence[Any]],
    standalone: bool,
) -> list[str]:
    """Town labels (a small dot and the name) and numbered point marks, over the areas."""
    out: list[str] = []
    text_fill = ' fill="#16181d"' if standalone else ""
    if bounds is not None:
        min_lon, min_lat, max_lon, max_lat = bounds
        towns = []
        for place in places:
            name, lat, lon = str(place[0]), float(place[1]), float(place[2])
            if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
                continue
            x, y = project(lon, lat)
            anchor = "end" if x > project.width * 0.75 else "start"
            dx = -5 if anchor == "end" else 5
            towns.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" class="svgmap-town-dot"'
                f"{text_fill}/>"
                f'<text x="{x + dx:.1f}" y="{y - 4:.1f}" text-anchor="{anchor}"'
                f' class="svgmap-town" font-size="13"{text_fill}>{escape(name)}</text>'
            )
        if towns:
            out.append(f'<g class="svgmap-towns" aria-hidden="true">{"".join(towns)}</g>')
    marks = []
    for point in points:
        x, y = project(float(point["lon"]), float(point["lat"]))
        marks.append(
            f'<g class="svgmap-mark"><title>{escape(str(point.get("title") or ""))}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8"{_point_paint(standalone)}/>'
            f'<text x="{x:.1f}" y="{y + 4.5:.1f}" text-anchor="middle" font-size="12"'
            f' font-weight="bold"{text_fill}>{escape(str(point.get("label") or ""))}</text></g>'
        )
    if marks:
        out.append(f'<g class="svgmap-marks">{"".join(marks)}</g>')
    return out


#: Round lengths a scale bar may show, km.
SCALE_STEPS = (0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)
KM_PER_DEGREE = 111.32


def _scale_bar(project: Projection, map_height: float, standalone: bool) -> str:
    """A scale bar in the map's lower left: the largest round length up to a fifth of the
    width (the projection keeps km per pixel the same across the map at its middle latitude)."""
    px_per_km = project.scale / KM_PER_DEGREE
    target = (project.width - 2 * PADDING) / 5 / px_per_km
    length = max([s for s in SCALE_STEPS if s <= target], default=SCALE_STEPS[0])
    width = length * px_per_km
    x0, y0 = PADDING + 2, map_height - 8
    stroke = ' stroke="#16181d" fill="none" stroke-width="2"' if standalone else ""
    fill = ' fill="#16181d"' if standalone else ""
    text = f"{format_number(length)} km"
    return (
        f'<g class="svgmap-scale"><title>Scale: the bar is {text}</title>'
        f'<polyline points="{x0:.1f},{y0 - 6:.1f} {x0:.1f},{y0:.1f} {x0 + width:.1f},{y0:.1f}'
        f' {x0 + width:.1f},{y0 - 6:.1f}"'
        f"{stroke}/>"
        f'<text x="{x0 + width + 5:.1f}" y="{y0:.1f}" font-size="13"{fill}>{text}</text></g>'
    )
