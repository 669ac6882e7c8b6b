"""The outcomes pages (``/outcomes``, spec/product.md 3.4): the encounter log and what it shows.

- ``GET /outcomes/`` (officers, coordinators, planners, admins): the four PMHC outcomes by
  month against a baseline, breakdowns by area and service type, facility declines per
  facility, the repeat-encounter notice, bar charts drawn here as inline SVG (CSS classes, no
  style attributes: the CSP forbids them) and ``GET /outcomes/export.csv`` with the same
  suppressed aggregates as the CLI export. Counts below ``OUTCOMES_MIN_CELL`` arrive from the
  service as ``"<11"`` strings and are shown as such, never as numbers.
- ``GET/POST /outcomes/encounters/new`` (officers, coordinators, admins): the phone form.
  The typed place or the phone's coordinates go to ``area_for_location`` and are dropped; only
  the area is stored. Nothing from the form is logged.
- ``GET/POST /outcomes/encounters/<id>/follow-up``, ``GET /outcomes/scorecard`` and
  ``POST /outcomes/scorecard/<question>`` (answers and follow-ups: coordinators and admins).

Anonymous users are sent to the login page even while ``PUBLIC_DIRECTORY`` is on: outcomes are
not public facts about services. The role check comes before any record is looked up.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup, escape

from .. import csv_safe
from ..auth import roles_required
from ..db import get_session
from ..forms import SelectChoice, show_input_error
from ..forms_outcomes import (
    DECLINE_REASON_LABELS,
    DISPOSITION_LABELS,
    FACILITY_DISPOSITIONS,
    STATUS_LABELS,
    AnswerForm,
    EncounterForm,
    FollowUpForm,
    choices,
    clean_service_ids,
    parse_months,
    tri_state,
)
from ..models import Role
from ..services import outcomes as outcomes_service

log = logging.getLogger(__name__)

bp = Blueprint("outcomes", __name__, url_prefix="/outcomes")

VIEWERS = (Role.OFFICER, Role.COORDINATOR, Role.PLANNER, Role.ADMIN)
LOGGERS = (Role.OFFICER, Role.COORDINATOR, Role.ADMIN)
LEADS = (Role.COORDINATOR, Role.ADMIN)
#: Scorecard questions computed from the encounter log, not answered by hand.
COMPUTED_QUESTIONS = (4, 5)
#: Size of the per-month bar charts (SVG user units; CSS scales them to the screen).
CHART_WIDTH = 360
CHART_HEIGHT = 160
CHART_TOP = 16
CHART_BOTTOM = 28


def _service() -> ModuleType:
    """The outcomes use cases (``services.outcomes``), imported when first needed."""
    from ..services import outcomes

    return outcomes


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _now() -> datetime:
    return datetime.now(_zone())


def _today() -> date:
    return _now().date()


def _min_cell() -> int:
    return int(current_app.config.get("OUTCOMES_MIN_CELL", 11))


def _key() -> str | None:
    return current_app.config.get("OUTCOMES_KEY") or None


def _is_lead() -> bool:
    return current_user.is_authenticated and current_user.role in LEADS


# Labels and values --------------------------------------------------------------------------

#: The dashboard's measures (``services.outcomes.MEASURES``, where each is defined once),
#: grouped under the four PMHC outcomes: (name, label, outcome, definition).
MEASURES = tuple(
    (m.name, m.label, m.outcome, m.definition)
    for m in outcomes_service.MEASURES
    if m.name != "repeat_people"  # its own section: it needs the agency key
)
_LABEL = {m.name: m.label for m in outcomes_service.MEASURES}
#: Per-month charts: (measure, title); "encounters" is a plain count, the rest rate cells.
CHARTS = (
    ("encounters", "Encounters"),
    ("connections", _LABEL["connections"]),
    ("arrests", _LABEL["arrests"]),
    ("use_of_force", _LABEL["use_of_force"]),
    ("injuries", _LABEL["injuries"]),
)
#: Columns of the month, area and service-type tables (counts).
COUNT_COLUMNS = (
    ("encounters", "Encounters"),
    ("connections", "Connected to care"),
    ("arrests", "Arrests"),
    ("use_of_force", "Force used"),
    ("injuries", "Injured"),
)


def show(value: Any) -> str:
    """A cell as read: suppressed strings as sent ("<11"), counts with thousands separators."""
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def percent(rate: float | None) -> str:
    return "\u2013" if rate is None else f"{rate:.0%}"


def difference(value: float | None) -> str:
    if value is None:
        return "\u2013"
    points = value * 100
    return f"{points:+.0f} points" if round(points) else "no change"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def count_of(cell: Any) -> Any:
    """The count of a rate cell (``{"count": ..}``) or a plain count."""
    return cell.get("count") if isinstance(cell, Mapping) else cell


# Server-drawn bar charts --------------------------------------------------------------------


def _month_label(month: str) -> str:
    """``2025-06`` -> ``Jun``; the year is on the first bar and on January."""
    try:
        moment = datetime.strptime(month, "%Y-%m")
    except ValueError:
        return month[:7]
    return moment.strftime("%b")


def bar_chart(title: str, bars: list[tuple[str, Any]], chart_id: str) -> Markup:
    """One bar per month; a suppressed month is a short hatched bar (its ``<title>`` says
    "<11"). Colours come from CSS classes: the CSP forbids inline styles."""
    numbers = [v for _month, v in bars if is_number(v)]
    top = max(numbers, default=0) or 1
    slot = CHART_WIDTH / max(len(bars), 1)
    width = max(slot * 0.7, 2)
    base = CHART_HEIGHT - CHART_BOTTOM
    span = base - CHART_TOP
    parts = [
        f'<svg class="outcome-chart" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<line class="chart-axis" x1="0" y1="{base}" x2="{CHART_WIDTH}" y2="{base}"/>',
    ]
    for index, (month, value) in enumerate(bars):
        x = index * slot + (slot - width) / 2
        if is_number(value):
            height, css = span * (value / top), "chart-bar"
        else:
            height, css = span * 0.08, "chart-bar chart-bar-suppressed"
        parts.append(
            f'<rect class="{css}" x="{x:.1f}" y="{base - height:.1f}" width="{width:.1f}" '
            f'height="{height:.1f}"><title>{escape(f"{month}: {show(value)}")}</title></rect>'
        )
        if len(bars) <= 12 or index % 2 == 0:
            parts.append(
                f'<text class="chart-label" x="{x + width / 2:.1f}" y="{CHART_HEIGHT - 10}" '
                f'text-anchor="middle">{escape(_month_label(month))}</text>'
            )
    if numbers and max(numbers) > 0:
        parts.append(
            f'<text class="chart-label" x="2" y="{CHART_TOP - 4}">'
            f"highest {escape(show(max(numbers)))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (numbers and escaped labels only)


# The dashboard as rows for the template -----------------------------------------------------


def outcome_rows(dashboard: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The outcomes table: this period against the baseline, measure by measure."""
    comparison = dashboard.get("comparison") or {}
    rows = []
    for name, title, group, definition in MEASURES:
        entry = comparison.get(name)
        if not entry:
            continue
        period, baseline = entry["period"], entry["baseline"]
        rows.append(
            {
                "group": group,
                "title": title,
                "definition": definition,
                "count": show(period.get("count")),
                "of": show(period.get("of")),
                "rate": percent(period.get("rate")),
                "baseline_count": show(baseline.get("count")),
                "baseline_rate": percent(baseline.get("rate")),
                "difference": difference(entry.get("rate_difference")),
                "note": entry.get("note"),
            }
        )
    return rows


def count_rows(rows: Iterable[Mapping[str, Any]], label_key: str) -> list[dict[str, Any]]:
    return [
        {
            "label": str(row.get(label_key) or ""),
            "cells": [show(count_of(row.get(name))) for name, _title in COUNT_COLUMNS],
        }
        for row in rows
    ]


def charts(months: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "title": title,
            "svg": bar_chart(
                f"{title} by month",
                [(str(row.get("month")), count_of(row.get(name))) for row in months],
                f"chart-{name.replace('_', '-')}",
            ),
        }
        for name, title in CHARTS
    ]


def decline_rows(declines: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "facility": row.get("facility", ""),
            "count": show(row.get("count")),
            "reasons": ", ".join(
                f"{DECLINE_REASON_LABELS.get(reason, reason)}: {show(n)}"
                for reason, n in (row.get("reasons") or {}).items()
            ),
        }
        for row in declines
    ]


# Dashboard and export ------------------------------------------------------------------------


@bp.get("/")
@roles_required(*VIEWERS)
def index() -> str:
    months = parse_months(request.args, _today())
    dashboard = _service().dashboard(
        get_session(),
        baseline=months.baseline,
        period=months.period,
        min_cell=_min_cell(),
        key_configured=_key() is not None,
    )
    repeat = dashboard.get("repeat_encounters") or {"available": False}
    month_list = list(dashboard.get("months") or [])
    outcomes = dashboard.get("outcomes") or {}
    return render_template(
        "outcomes/index.html",
        months=months,
        encounters=show(outcomes.get("encounters")),
        outcome_rows=outcome_rows(dashboard),
        charts=charts(month_list) if month_list else [],
        count_columns=[title for _name, title in COUNT_COLUMNS],
        month_rows=count_rows(month_list, "month"),
        area_rows=count_rows(dashboard.get("by_area") or [], "name"),
        type_rows=count_rows(dashboard.get("by_service_type") or [], "name"),
        declines=decline_rows(dashboard.get("facility_declines") or []),
        repeat=repeat,
        repeat_text={
            "count": show(repeat.get("count")),
            "of": show(repeat.get("of")),
            "rate": percent(repeat.get("rate")),
            "note": repeat.get("note"),
        },
        min_cell=_min_cell(),
        definitions=[(m.label, m.outcome, m.definition) for m in outcomes_service.MEASURES],
        can_log=current_user.role in LOGGERS,
    )


@bp.get("/export.csv")
@roles_required(*VIEWERS)
def export_csv() -> Response:
    months = parse_months(request.args, _today())
    since, until = months.period
    rows = _service().export_rows(get_session(), since, until, _min_cell())
    buffer = io.StringIO()
    header: list[str] = []
    for row in rows:
        header.extend(k for k in row if k not in header)
    writer = csv_safe.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row.get(h) is None else str(row.get(h)) for h in header])
    name = f"outcomes-{since.isoformat()}-{until.isoformat()}.csv"
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# The encounter form --------------------------------------------------------------------------


def _facility_choices(session: Any, form: EncounterForm | None = None) -> list[SelectChoice]:
    """Places a person can be taken to only (no lines, courts or teams), nearest first to the
    encounter's point when it has one (issue #14 item 11)."""
    from ..services.lookup import facility_choices

    lat = lon = None
    if form is not None:
        try:
            lat, lon = float(form.lat.data or ""), float(form.lon.data or "")
        except ValueError:
            lat = lon = None
    found = facility_choices(session, lat, lon)
    chosen = form.facility_id.data if form is not None else None
    if chosen and chosen not in {sid for sid, _ in found}:
        name = _service().service_names(session, [chosen]).get(chosen)
        if name is not None:
            found.append((chosen, name))
    return choices([("", "Choose a facility")] + found)


def _blank_form(zone: ZoneInfo, now: datetime, services: list[str]) -> EncounterForm:
    form = EncounterForm(formdata=None, zone=zone, now=now)
    form.occurred_at.data = now.strftime("%Y-%m-%dT%H:00")
    form.services.data = services
    form.use_of_force.data = None
    form.injury.data = None
    # From a lookup's result (issue #14 item 11): its place, needs and chosen facility.
    args = request.args
    form.near.data = (args.get("near") or "")[:200]
    form.lat.data = args.get("lat") or ""
    form.lon.data = args.get("lon") or ""
    form.needs.data = [n for n in args.getlist("needs") if n]
    form.facility_id.data = args.get("facility") or ""
    return form


@bp.route("/encounters/new", methods=["GET", "POST"])
@roles_required(*LOGGERS)
def new_encounter() -> Any:
    session = get_session()
    zone, now = _zone(), _now()
    key = _key()
    if request.method == "GET":
        form = _blank_form(zone, now, clean_service_ids(request.args.getlist("services")))
        status = 200
    else:
        form = EncounterForm(zone=zone, now=now)
        form.services.data = clean_service_ids(request.form.getlist("services"))
        status = 422
        if form.validate():
            logged = _log(session, form, key)
            if logged is not None:
                flash(logged, "success")
                return redirect(url_for("outcomes.new_encounter"), code=303)
    form.facility_id.choices = _facility_choices(session, form)
    names = _service().service_names(session, form.services.data or [])
    return (
        render_template(
            "outcomes/new_encounter.html",
            form=form,
            referred=[(sid, names[sid]) for sid in form.services.data or [] if sid in names],
            key_configured=key is not None,
            facility_dispositions=FACILITY_DISPOSITIONS,
            has_errors=bool(form.errors) or status == 422,
        ),
        status,
    )


def _log(session: Any, form: EncounterForm, key: str | None) -> str | None:
    """Resolve the area and log the encounter: the message to flash, or None after marking
    the field a service input error names."""
    near = (form.near.data or "").strip() or None
    lat, lon = form.point or (None, None)
    disposition = form.disposition.data
    try:
        area_id = (
            _service().area_for_location(session, current_app.config, near=near, lat=lat, lon=lon)
            if near or form.point
            else None
        )
        _service().log_encounter(
            session,
            occurred_at=form.occurred,
            area_id=area_id,
            needs=list(form.needs.data or []),
            referred_service_ids=list(form.services.data or []),
            disposition=disposition,
            facility_id=(form.facility_id.data or None)
            if disposition in FACILITY_DISPOSITIONS
            else None,
            decline_reason=(form.decline_reason.data or None)
            if disposition == "facility-declined"
            else None,
            use_of_force=form.use_of_force.data == "yes",
            injury=form.injury.data == "yes",
            person_identifier=((form.person_identifier.data or "").strip() or None)
            if key
            else None,
            key=key,
            recorded_by=current_user.email,
        )
        session.commit()
    except _service().OutcomeInputError as exc:
        session.rollback()
        show_input_error(form, exc, fallback=form.near, names=SERVICE_FIELDS)
        return None
    if (near or form.point) and area_id is None:
        return "Encounter logged (the place was not found in an area, so no area was kept)"
    return "Encounter logged"


#: The service's field names -> the form's.
SERVICE_FIELDS = {
    "occurred_at": "occurred_at",
    "area_id": "near",
    "near": "near",
    "lat": "near",
    "lon": "near",
    "location": "near",
    "needs": "needs",
    "referred_service_ids": "services",
    "services": "services",
    "disposition": "disposition",
    "facility_id": "facility_id",
    "facility": "facility_id",
    "decline_reason": "decline_reason",
    "use_of_force": "use_of_force",
    "injury": "injury",
    "person_identifier": "person_identifier",
}


# Follow-up -----------------------------------------------------------------------------------


@bp.get("/follow-ups")
@roles_required(*LEADS)
def follow_ups() -> str:
    """Encounters still waiting for a follow-up answer."""
    rows = _service().awaiting_follow_up(get_session())
    return render_template("outcomes/follow_ups.html", rows=rows, dispositions=DISPOSITION_LABELS)


@bp.route("/encounters/<encounter_id>/follow-up", methods=["GET", "POST"])
@roles_required(*LEADS)
def follow_up(encounter_id: str) -> Any:
    session = get_session()
    encounter = _service().get_encounter(session, encounter_id)
    if encounter is None:
        abort(404)
    form = FollowUpForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                _service().record_follow_up(
                    session,
                    encounter_id,
                    tri_state(form.connected_7_days.data),
                    tri_state(form.connected_30_days.data),
                    current_user.email,
                    _today(),
                )
                session.commit()
            except _service().OutcomeInputError as exc:
                session.rollback()
                show_input_error(form, exc, fallback=form.connected_30_days)
            else:
                flash("Follow-up saved", "success")
                return redirect(url_for("outcomes.follow_up", encounter_id=encounter_id), 303)
    else:
        current = encounter.follow_up
        form.connected_7_days.data = _yes_no(current.connected_7_days if current else None)
        form.connected_30_days.data = _yes_no(current.connected_30_days if current else None)
    return (
        render_template(
            "outcomes/follow_up.html",
            form=form,
            encounter=encounter,
            disposition=DISPOSITION_LABELS.get(encounter.disposition, encounter.disposition),
            occurred=encounter.occurred_hour,
        ),
        status,
    )


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


# Scorecard -----------------------------------------------------------------------------------


def _scorecard_page(forms: dict[int, AnswerForm] | None = None, status: int = 200) -> Any:
    questions = _service().scorecard(get_session(), current_app.config, _today())
    forms = forms or {}
    items = []
    for q in questions:
        number = int(q["question"])
        computed = bool(q.get("computed")) or number in COMPUTED_QUESTIONS
        items.append(
            {
                "number": number,
                "text": q.get("text", ""),
                "computed": computed,
                "result": _result_facts(q.get("result")) if computed else None,
                "latest": q.get("latest"),
                "history": list(q.get("history") or []),
                "form": forms.get(number) or AnswerForm(formdata=None),
            }
        )
    return (
        render_template(
            "outcomes/scorecard.html",
            items=items,
            is_lead=_is_lead(),
            status_labels=STATUS_LABELS,
        ),
        status,
    )


#: Labels of the computed questions' parts.
RESULT_LABELS = {
    "disposition": "Encounters with a disposition",
    "area": "Encounters with an area",
    "follow_up": "Encounters with a follow-up",
    "encounters": "Encounters in the last 12 months",
}


def _result_facts(result: Mapping[str, Any] | None) -> dict[str, Any]:
    """Q4 / Q5 as a headline share, a sentence and the parts it was made from."""
    result = result or {}
    parts: list[tuple[str, str]] = []
    for moment, share in (result.get("shares") or {}).items():
        parts.append((f"All three crisis elements, {moment}", percent(share)))
    for name, value in (result.get("completeness") or {}).items():
        if name in RESULT_LABELS:
            shown = show(value) if name == "encounters" else percent(value)
            parts.append((RESULT_LABELS[name], shown))
    return {"value": percent(result.get("value")), "message": result.get("message"), "parts": parts}


@bp.get("/scorecard")
@roles_required(*VIEWERS)
def scorecard() -> Any:
    return _scorecard_page()


@bp.post("/scorecard/<question_text>")
@roles_required(*LEADS)
def answer(question_text: str) -> Any:
    # A plain string in the URL, so the role check answers first whatever is asked for.
    if not question_text.isdigit() or not 1 <= int(question_text) <= 6:
        abort(404)
    question = int(question_text)
    if question in COMPUTED_QUESTIONS:
        abort(404)
    form = AnswerForm()
    if form.validate():
        try:
            _service().answer_question(
                get_session(),
                question,
                form.status.data,
                (form.evidence.data or "").strip(),
                current_user.email,
                _today(),
            )
            get_session().commit()
        except _service().OutcomeInputError as exc:
            get_session().rollback()
            show_input_error(form, exc, fallback=form.status)
        else:
            flash(f"Answer to question {question} saved", "success")
            return redirect(url_for("outcomes.scorecard", _anchor=f"q{question}"), 303)
    return _scorecard_page({question: form}, 422)
