"""Coordinators' editing pages under ``/inventory`` (organizations, services, locations).

Every page is for coordinators and administrators only, GET included. Each form carries the
version of the record it was built on; a save from a stale form renders the conflict page
(409) with both versions and writes nothing. Invalid input re-renders the form with status 422
and a message beside each field; nothing is written then either. A good save commits once here,
flashes "Saved" and redirects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import Session
from wtforms import BooleanField, FieldList, FormField, SelectField

from ..auth import EDITORS, roles_required
from ..db import get_session
from ..forms import SelectChoice
from ..forms_editing import (
    BLANK_CLOSURES,
    BLANK_PHONES,
    BLANK_WINDOWS,
    DAY_LABELS,
    AreasForm,
    CapacityForm,
    CheckboxesField,
    HoursForm,
    LocationForm,
    NewServiceForm,
    OrganizationForm,
    ServiceForm,
    apply_errors,
    choices,
)
from ..hours.freeform import FreeformError, parse_time
from ..models import Location, Organization, Schedule, Service
from ..services import editing
from ..services.audit import VersionConflictError, history
from ..services.directory import describe_hours
from ..services.editing import EditError, HoursInput, NotFoundError

bp = Blueprint("editing", __name__, url_prefix="/inventory")

INVALID = 422
CONFLICT = 409


def _user() -> str:
    return current_user.email


def _load(getter: Callable[[Session, str], Any], obj_id: str) -> Any:
    try:
        return getter(get_session(), obj_id)
    except NotFoundError:
        abort(404, description="There is no such record in the directory.")


def _saved(changed: list[str]) -> None:
    flash("Saved." if changed else "Saved. Nothing had changed.", "success")


# Services --------------------------------------------------------------------------------------


def _service_form(service: Service, **kwargs: Any) -> ServiceForm:
    data = editing.service_snapshot(service)
    data["languages"] = ", ".join(data["languages"])
    data["version"] = service.version
    return ServiceForm(data=data, **kwargs)


@bp.route("/services/<service_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_service(service_id: str) -> Any:
    session = get_session()
    service = _load(editing.get_service, service_id)
    if request.method == "GET":
        return _service_page(service, _service_form(service))
    form = ServiceForm()
    form.validate_on_submit()  # CSRF is checked app-wide; the service layer checks values
    try:
        changed = editing.update_service(
            session, service.id, form.data_for_service(), form.version.data, _user()
        )
    except VersionConflictError:
        return _conflict(
            "service",
            service.id,
            form,
            lambda: _service_form(editing.get_service(session, service.id), formdata=None),
            reload_url=url_for(".edit_service", service_id=service.id),
        )
    except EditError as exc:
        session.rollback()
        apply_errors(form, exc.errors)
        return _service_page(editing.get_service(session, service.id), form), INVALID
    session.commit()
    _saved(changed)
    return redirect(url_for("directory.service", service_id=service.id))


def _service_page(service: Service, form: ServiceForm) -> str:
    return render_template(
        "editing/service.html",
        service=service,
        form=form,
        locations=[sal.location for sal in service.service_at_locations],
        common_languages=editing.LANGUAGE_NAMES,
    )


@bp.route("/services/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new_service() -> Any:
    session = get_session()
    form = NewServiceForm(organizations=editing.organization_choices(session))
    if request.method == "POST":
        form.validate_on_submit()
        data = {k: v for k, v in form.data.items() if k != "csrf_token"}
        try:
            service = editing.create_service(session, data, _user())
        except EditError as exc:
            session.rollback()
            apply_errors(form, exc.errors)
            return render_template("editing/new_service.html", form=form), INVALID
        service_id = service.id
        session.commit()
        flash("Service created. Now add its details and hours.", "success")
        return redirect(url_for(".edit_service", service_id=service_id))
    if request.args.get("organization"):
        form.organization_id.data = request.args["organization"]
    return render_template("editing/new_service.html", form=form)


# Hours -----------------------------------------------------------------------------------------


def _days_of(schedule: Schedule) -> list[str]:
    codes = [d.strip().upper() for d in (schedule.byday or "").split(",") if d.strip()]
    return codes or list(editing.WEEKDAYS)


def _hours_form(service: Service, **kwargs: Any) -> HoursForm:
    always_open = editing.OPEN_24_7 in editing.attribute_codes(service, "diversion")
    windows, closures = [], []
    for schedule in service.schedules:
        if not editing.is_editable_schedule(schedule):
            continue
        if schedule.opens_at and schedule.closes_at:
            if always_open and editing.is_always_open_row(schedule):
                continue
            windows.append(
                {
                    "days": _days_of(schedule),
                    "opens_at": schedule.opens_at,
                    "closes_at": schedule.closes_at,
                    "valid_from": schedule.valid_from.isoformat() if schedule.valid_from else "",
                    "valid_to": schedule.valid_to.isoformat() if schedule.valid_to else "",
                    "description": schedule.description or "",
                }
            )
        else:
            closures.append(
                {
                    "valid_from": schedule.valid_from.isoformat() if schedule.valid_from else "",
                    "valid_to": schedule.valid_to.isoformat() if schedule.valid_to else "",
                    "description": schedule.description or "",
                }
            )
    form = HoursForm(
        data={
            "version": service.version,
            "always_open": always_open,
            "windows": windows,
            "closures": closures,
        },
        **kwargs,
    )
    _pad(form.windows, len(windows) + BLANK_WINDOWS)
    _pad(form.closures, len(closures) + BLANK_CLOSURES)
    return form


def _pad(rows: FieldList, count: int) -> None:
    while len(rows) < count:
        rows.append_entry()


def _hours_input(form: HoursForm) -> tuple[HoursInput, dict[str, list[str]]]:
    """The editor's rows with times read as the 211 importer reads them, and unreadable times.

    "11pm", "7 a.m.", "noon", "0930" and "17:30" all become ``HH:MM`` (``hours.freeform``); a
    closing "midnight" is the end of the day. A time that cannot be read is left blank in the
    input (so the other checks still run) and named in the returned errors, by field name.
    """
    errors: dict[str, list[str]] = {}
    windows = []
    for row in form.windows:
        data = dict(row.form.data)
        for key, closing in (("opens_at", False), ("closes_at", True)):
            text = (data.get(key) or "").strip()
            if not text:
                continue
            try:
                data[key] = parse_time(text, closing=closing)
            except FreeformError:
                data[key] = None
                errors[row.form[key].name] = [
                    f"\u201c{text}\u201d is not a time of day. "
                    "Enter a time like 9am, 5:30pm, noon or 17:30."
                ]
        windows.append(data)
    hours = HoursInput(
        windows=windows,
        closures=[row.form.data for row in form.closures],
        always_open=bool(form.always_open.data),
    )
    return hours, errors


def _hours_errors(hours: HoursInput, time_errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every problem of the input at once: unreadable times and what the service layer finds."""
    try:
        editing.preview_hours(hours)
        found: dict[str, list[str]] = {}
    except EditError as exc:
        found = dict(exc.errors)
    # A time we could not read was blanked: the service's "enter a time" would repeat it.
    found.update(time_errors)
    return found


def _show_errors(form: HoursForm, errors: dict[str, list[str]]) -> None:
    """Messages beside their fields, and the lists' error summaries brought up to date (WTForms
    fills those in ``validate``, before these messages existed, so the page's "Nothing was
    saved" banner would not see them)."""
    apply_errors(form, errors)
    for rows in (form.windows, form.closures):
        rows.errors = [entry.errors for entry in rows.entries]
        if not any(rows.errors):
            rows.errors = []


@bp.route("/services/<service_id>/hours", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_hours(service_id: str) -> Any:
    session = get_session()
    service = _load(editing.get_service, service_id)
    if request.method == "GET":
        return _hours_page(service, _hours_form(service))
    form = HoursForm()
    form.validate_on_submit()
    hours, time_errors = _hours_input(form)
    if time_errors:
        _show_errors(form, _hours_errors(hours, time_errors))
        return _hours_page(service, form), INVALID
    if request.form.get("action") == "preview":
        try:
            preview = editing.preview_hours(hours)
        except EditError as exc:
            _show_errors(form, exc.errors)
            return _hours_page(service, form), INVALID
        return _hours_page(service, form, preview=preview or ["No hours: not listed."])
    try:
        changed = editing.replace_schedules(session, service.id, hours, form.version.data, _user())
    except VersionConflictError:
        return _conflict(
            "service",
            service.id,
            form,
            lambda: _hours_form(editing.get_service(session, service.id), formdata=None),
            reload_url=url_for(".edit_hours", service_id=service.id),
        )
    except EditError as exc:
        session.rollback()
        _show_errors(form, exc.errors)
        return _hours_page(editing.get_service(session, service.id), form), INVALID
    session.commit()
    _saved(changed)
    return redirect(url_for("directory.service", service_id=service.id))


def _hours_page(service: Service, form: HoursForm, preview: list[str] | None = None) -> str:
    _pad(form.windows, BLANK_WINDOWS)
    _pad(form.closures, BLANK_CLOSURES)
    return render_template(
        "editing/hours.html",
        service=service,
        form=form,
        days=DAY_LABELS,
        current=describe_hours(service.schedules),
        kept=[
            editing.schedules_summary([s])[0]
            for s in service.schedules
            if not editing.is_editable_schedule(s)
        ],
        preview=preview,
    )


# Organizations ---------------------------------------------------------------------------------


def _phone_data(phones: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "number": p.number,
            "extension": p.extension or "",
            "type": p.type or "voice",
            "description": p.description or "",
        }
        for p in phones
    ]


def _organization_form(organization: Organization, **kwargs: Any) -> OrganizationForm:
    data = editing.organization_snapshot(organization)
    data["phones"] = _phone_data(organization.phones)
    data["version"] = organization.version
    form = OrganizationForm(data=data, **kwargs)
    _pad(form.phones, len(organization.phones) + BLANK_PHONES)
    return form


@bp.route("/organizations/<organization_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_organization(organization_id: str) -> Any:
    session = get_session()
    organization = _load(editing.get_organization, organization_id)
    if request.method == "GET":
        return _organization_page(organization, _organization_form(organization))
    form = OrganizationForm()
    form.validate_on_submit()
    data = {k: v for k, v in form.data.items() if k not in ("csrf_token", "version")}
    try:
        changed = editing.update_organization(
            session, organization.id, data, form.version.data, _user()
        )
    except VersionConflictError:
        return _conflict(
            "organization",
            organization.id,
            form,
            lambda: _organization_form(
                editing.get_organization(session, organization.id), formdata=None
            ),
            reload_url=url_for(".edit_organization", organization_id=organization.id),
        )
    except EditError as exc:
        session.rollback()
        apply_errors(form, exc.errors)
        return _organization_page(editing.get_organization(session, organization.id), form), INVALID
    session.commit()
    _saved(changed)
    return redirect(url_for(".edit_organization", organization_id=organization.id))


def _organization_page(organization: Organization, form: OrganizationForm) -> str:
    _pad(form.phones, BLANK_PHONES)
    return render_template("editing/organization.html", organization=organization, form=form)


# Locations -------------------------------------------------------------------------------------


def _location_form(location: Location, **kwargs: Any) -> LocationForm:
    data = {k: v for k, v in editing.location_snapshot(location).items() if k != "address"}
    if location.addresses:
        address = location.addresses[0]
        data.update({k: getattr(address, k) for k in editing.ADDRESS_FIELDS})
    for name in ("latitude", "longitude"):
        data[name] = "" if data[name] is None else repr(data[name])
    data["phones"] = _phone_data(location.phones)
    data["version"] = location.version
    form = LocationForm(data=data, **kwargs)
    _pad(form.phones, len(location.phones) + BLANK_PHONES)
    return form


@bp.route("/locations/<location_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_location(location_id: str) -> Any:
    session = get_session()
    location = _load(editing.get_location, location_id)
    if request.method == "GET":
        return _location_page(location, _location_form(location))
    form = LocationForm()
    form.validate_on_submit()
    data = {k: v for k, v in form.data.items() if k not in ("csrf_token", "version")}
    try:
        changed = editing.update_location(session, location.id, data, form.version.data, _user())
    except VersionConflictError:
        return _conflict(
            "location",
            location.id,
            form,
            lambda: _location_form(editing.get_location(session, location.id), formdata=None),
            reload_url=url_for(".edit_location", location_id=location.id),
        )
    except EditError as exc:
        session.rollback()
        apply_errors(form, exc.errors)
        return _location_page(editing.get_location(session, location.id), form), INVALID
    session.commit()
    _saved(changed)
    return redirect(url_for(".edit_location", location_id=location.id))


def _location_page(location: Location, form: LocationForm) -> str:
    _pad(form.phones, BLANK_PHONES)
    services = [sal.service for sal in location.service_at_locations]
    return render_template("editing/location.html", location=location, form=form, services=services)


# Capacity --------------------------------------------------------------------------------------


def _capacity_form(service: Service, unit: str | None = None, **kwargs: Any) -> CapacityForm:
    rows = service.capacities
    row = next((c for c in rows if c.unit.name == unit), rows[0] if rows else None)
    data: dict[str, Any] = {"version": service.version}
    if row is not None:
        data.update(
            unit=row.unit.name,
            available=str(row.available),
            maximum="" if row.maximum is None else str(row.maximum),
            description=row.description or "",
        )
    return CapacityForm(data=data, **kwargs)


@bp.route("/services/<service_id>/capacity", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_capacity(service_id: str) -> Any:
    session = get_session()
    service = _load(editing.get_service, service_id)
    if request.method == "GET":
        return _capacity_page(service, _capacity_form(service))
    form = CapacityForm()
    form.validate_on_submit()
    data = {k: v for k, v in form.data.items() if k not in ("csrf_token", "version")}
    try:
        changed = editing.set_capacity(session, service.id, data, form.version.data, _user())
    except VersionConflictError:
        return _conflict(
            "service",
            service.id,
            form,
            lambda: _capacity_form(
                editing.get_service(session, service.id), form.unit.data, formdata=None
            ),
            reload_url=url_for(".edit_capacity", service_id=service.id),
        )
    except EditError as exc:
        session.rollback()
        apply_errors(form, exc.errors)
        return _capacity_page(editing.get_service(session, service.id), form), INVALID
    session.commit()
    _saved(changed)
    return redirect(url_for("directory.service", service_id=service.id))


def _capacity_page(service: Service, form: CapacityForm) -> str:
    return render_template("editing/capacity.html", service=service, form=form)


# Service areas ---------------------------------------------------------------------------------


def _areas_form(service: Service, **kwargs: Any) -> AreasForm:
    form = AreasForm(data={"version": service.version}, **kwargs)
    form.areas.choices = _area_choices()
    return form


def _area_choices() -> list[Any]:
    return choices(
        (area_id, f"{name} ({area_id})" if name else area_id)
        for area_id, name in editing.area_choices(get_session())
    )


@bp.route("/services/<service_id>/areas", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_areas(service_id: str) -> Any:
    session = get_session()
    service = _load(editing.get_service, service_id)
    if request.method == "GET":
        return _areas_page(service, _areas_form(service))
    form = AreasForm()
    form.areas.choices = _area_choices()
    form.validate_on_submit()
    upload = request.files.get(form.geojson.name)
    geojson = upload.read() if upload is not None and upload.filename else None
    try:
        changed = editing.set_service_areas(
            session,
            service.id,
            form.version.data,
            _user(),
            geojson=geojson,
            area_ids=form.areas.data or [],
            name=form.name.data,
            clear=bool(form.clear.data),
        )
    except VersionConflictError:
        return _conflict(
            "service",
            service.id,
            form,
            lambda: _current_areas_form(editing.get_service(session, service.id)),
            reload_url=url_for(".edit_areas", service_id=service.id),
        )
    except EditError as exc:
        session.rollback()
        apply_errors(form, exc.errors)
        return _areas_page(editing.get_service(session, service.id), form), INVALID
    session.commit()
    _saved(changed)
    return redirect(url_for(".edit_areas", service_id=service.id))


def _current_areas_form(service: Service) -> AreasForm:
    form = _areas_form(service, formdata=None)
    form.name.data = "; ".join(a.name or "Unnamed area" for a in service.service_areas)
    return form


def _areas_page(service: Service, form: AreasForm) -> str:
    chosen = form.areas.data or []
    return render_template(
        "editing/areas.html",
        service=service,
        form=form,
        area_map=editing.area_map(get_session(), service, chosen),
    )


# The conflict page -----------------------------------------------------------------------------


def _conflict(
    resource_type: str,
    resource_id: str,
    yours: Any,
    current_form: Callable[[], Any],
    *,
    reload_url: str,
) -> tuple[str, int]:
    """Both versions side by side; nothing is written (the session is rolled back)."""
    session = get_session()
    session.rollback()
    theirs = current_form()
    changes = history(session, resource_type, resource_id)
    latest = changes[0] if changes else None
    last_fields = [
        c.field_name
        for c in changes
        if latest is not None and c.last_action_date == latest.last_action_date
    ]
    rows = []
    current_fields = {f.name: f for f in theirs}
    for field in yours:
        if field.name in ("csrf_token", "version") or field.type == "FileField":
            continue
        other = current_fields.get(field.name)
        mine_text = _field_text(field)
        theirs_text = _field_text(other) if other is not None else ""
        if field.type == "FileField":
            continue
        rows.append(
            {
                "label": field.label.text,
                "yours": mine_text,
                "current": theirs_text,
                "differs": mine_text != theirs_text,
            }
        )
    upload = request.files.get("geojson")
    if upload is not None and upload.filename:
        rows.insert(
            0,
            {"label": "Uploaded file", "yours": [upload.filename], "current": [], "differs": True},
        )
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return (
        render_template(
            "editing/conflict.html",
            rows=rows,
            latest=latest,
            # Local time, as History shows it.
            latest_when=latest.last_action_date.astimezone(zone) if latest else None,
            last_fields=[f for f in last_fields if f],
            reload_url=reload_url,
        ),
        CONFLICT,
    )


def _field_text(field: Any) -> list[str]:
    """A field's value as lines of text for the conflict page."""
    if isinstance(field, FieldList):
        lines = []
        for entry in field:
            if isinstance(entry, FormField):
                parts = [t for sub in entry.form for t in _sub_text(sub)]
                if parts:
                    lines.append("; ".join(parts))
        return lines
    if isinstance(field, BooleanField):
        return ["Yes" if field.data else "No"]
    if isinstance(field, SelectField):  # RadioField and SelectMultipleField are SelectFields
        values = field.data if isinstance(field.data, list) else [field.data]
        if not field.choices:
            return [str(v) for v in values if v not in (None, "")]
        # In the order the form offers them; values it does not offer (open-24-7 is set by the
        # hours editor, not here) are not part of this form, so neither side shows them.
        chosen = {str(v) for v in values if v not in (None, "")}
        # Our choices are SelectChoice objects (forms.choices); the stubs only know tuples.
        offered = cast(list[SelectChoice], field.choices)
        return [str(c.label) for c in offered if str(c.value) in chosen and c.value != ""]
    text = "" if field.data is None else str(field.data).strip()
    return [text] if text else []


def _sub_text(field: Any) -> list[str]:
    if isinstance(field, BooleanField):
        return [field.label.text] if field.data else []
    if isinstance(field, CheckboxesField):
        values = field.data or []
        return [", ".join(DAY_LABELS.get(v, v) for v in values)] if values else []
    text = "" if field.data is None else str(field.data).strip()
    if not text or (field.name.endswith("-type") and text == "voice"):
        return []
    return [f"{field.label.text}: {text}"]
