"""Coordinators' workspace: inventory list, verification queue, history (``/inventory``).

Every page needs a staff login; verifying and closing problem reports need a coordinator or
admin (``auth.EDITORS``). Every write goes through ``services.inventory``, which logs it.
"""

from __future__ import annotations

from datetime import date, datetime, time
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
    stream_with_context,
    url_for,
)
from flask_login import current_user

from ..auth import EDITORS, roles_required
from ..db import get_session
from ..forms_inventory import FLAG_FILTERS, InventoryFilterForm, ProblemActionForm, VerifyForm
from ..models import SERVICE_STATUSES, Role
from ..services import inventory as inventory_service
from ..services.directory import service_type_choices
from .auth import safe_next

bp = Blueprint("inventory", __name__, url_prefix="/inventory")

#: Every staff role reads the inventory (provider accounts do not); only EDITORS change it.
STAFF = tuple(r for r in Role if r is not Role.PROVIDER)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _today() -> date:
    return datetime.now(_zone()).date()


def _reverify_days() -> int:
    return int(current_app.config["REVERIFY_DAYS"])


def _can_edit() -> bool:
    return current_user.is_authenticated and current_user.role in EDITORS


@bp.get("/")
@roles_required(*STAFF)
def index() -> str:
    form = InventoryFilterForm(formdata=request.args)
    if not form.validate():
        abort(400, description=form.error_message())
    try:
        result = inventory_service.list_inventory(
            get_session(), form.filters(), today=_today(), reverify_days=_reverify_days()
        )
    except inventory_service.InventoryError as exc:  # a type or status it does not know
        abort(400, description=exc.message)
    return render_template(
        "inventory/index.html",
        form=form,
        result=result,
        flag_filters=FLAG_FILTERS,
        type_groups=service_type_choices(),
        statuses=SERVICE_STATUSES,
        verify_form=VerifyForm(),
        can_edit=_can_edit(),
        reverify_days=_reverify_days(),
    )


def _render_queue(
    problem_form: ProblemActionForm | None = None, form_for: str | None = None, status: int = 200
) -> tuple[str, int]:
    queue = inventory_service.verification_queue(
        get_session(), _today(), _reverify_days(), zone=_zone()
    )
    return (
        render_template(
            "inventory/queue.html",
            queue=queue,
            verify_form=VerifyForm(),
            blank_problem_form=ProblemActionForm(formdata=None),
            problem_form=problem_form,
            form_for=form_for,
            can_edit=_can_edit(),
        ),
        status,
    )


@bp.get("/queue")
@roles_required(*STAFF)
def queue() -> tuple[str, int]:
    return _render_queue()


@bp.post("/services/<service_id>/verify")
@roles_required(*EDITORS)
def verify(service_id: str) -> Any:
    form = VerifyForm()
    if not form.validate_on_submit():  # CSRFProtect answers first; this keeps the form honest
        abort(400)
    db_session = get_session()
    try:
        service = inventory_service.verify_service(
            db_session,
            service_id,
            current_user.email,
            _today(),
            # Published by /hsds/: a team address, never the coordinator's login.
            assurer_email=current_app.config.get("ASSURER_EMAIL") or None,
        )
    except inventory_service.UnknownRecordError:
        abort(404, description="There is no service with this address in the directory.")
    db_session.commit()
    flash(f"\u201c{service.name}\u201d is marked verified today.", "success")
    return redirect(safe_next(form.next.data) or url_for("inventory.queue"), code=303)


def _close_problem(report_id: str, dismiss: bool) -> Any:
    form = ProblemActionForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:  # CSRFProtect answers first; this keeps the form honest
            abort(400)
        return _render_queue(problem_form=form, form_for=report_id, status=400)
    db_session = get_session()
    try:
        report = inventory_service.resolve_problem(
            db_session, report_id, current_user.email, form.note.data, dismiss
        )
    except inventory_service.UnknownRecordError:
        abort(404, description="There is no such problem report.")
    except inventory_service.InventoryError as exc:
        form.note.errors = [exc.message]
        return _render_queue(problem_form=form, form_for=report_id, status=400)
    except inventory_service.ProblemClosedError as exc:
        db_session.rollback()
        closed = exc.report
        flash(
            f"That report was already {closed.status} by {closed.resolved_by or 'someone else'}.",
            "info",
        )
        return redirect(safe_next(form.next.data) or url_for("inventory.queue"), code=303)
    db_session.commit()
    flash(f"Problem report {report.status}.", "success")
    return redirect(safe_next(form.next.data) or url_for("inventory.queue"), code=303)


@bp.post("/problems/<report_id>/resolve")
@roles_required(*EDITORS)
def resolve(report_id: str) -> Any:
    return _close_problem(report_id, dismiss=False)


@bp.post("/problems/<report_id>/dismiss")
@roles_required(*EDITORS)
def dismiss(report_id: str) -> Any:
    return _close_problem(report_id, dismiss=True)


def _history(service_id: str) -> tuple[str | None, list[inventory_service.HistoryRow]]:
    """The service's name and change log; 404 when neither exists (a deleted service keeps
    its log, so its history stays readable)."""
    db_session = get_session()
    try:
        rows = inventory_service.history_rows(db_session, service_id, zone=_zone())
    except inventory_service.UnknownRecordError:
        rows = []
    name = inventory_service.service_name(db_session, service_id)
    if name is None and not rows:
        abort(404, description="There is no service with this address in the directory.")
    return name, rows


@bp.get("/services/<service_id>/history")
@roles_required(*STAFF)
def history(service_id: str) -> str:
    name, rows = _history(service_id)
    return render_template(
        "inventory/history.html",
        service_id=service_id,
        service_name=name,
        rows=rows,
        can_edit=_can_edit(),
    )


def _csv_response(body: Any, filename: str) -> Response:
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/services/<service_id>/history.csv")
@roles_required(*STAFF)
def history_csv(service_id: str) -> Response:
    _name, rows = _history(service_id)
    safe_id = "".join(c for c in service_id if c.isalnum() or c == "-")[:40]
    return _csv_response(inventory_service.history_csv(rows), f"service-{safe_id}-history.csv")


@bp.get("/history.csv")
@roles_required(*STAFF)
def all_history_csv() -> Response:
    """Every change, or those since ``?since=YYYY-MM-DD`` (local midnight), streamed."""
    since_text = (request.args.get("since") or "").strip()
    since: datetime | None = None
    if since_text:
        try:
            since = datetime.combine(date.fromisoformat(since_text), time(), _zone())
        except ValueError:
            abort(400, description=f"\u201c{since_text}\u201d is not a date (YYYY-MM-DD).")
    rows = inventory_service.all_history_rows(get_session(), since=since, zone=_zone())
    body = stream_with_context(inventory_service.history_csv_lines(rows))
    suffix = f"-since-{since.date().isoformat()}" if since else ""
    return _csv_response(body, f"changes{suffix}.csv")
