"""Provider self-service (``/provider``) and the coordinators' side of it.

``bp`` is the provider's phone page: for each of the organization's services the current figure
and its age, one-tap capacity updates, a temporary closure, an alert with an expiry, and
proposals of new hours or contact details. Every route is for ``provider`` accounts only and
answers 404 for a service of another organization (nothing is revealed about it). Forms are
plain HTML posts (CSRF-protected app-wide), so the page works without JavaScript; each post
commits once and redirects back to the service on the page.

``admin_bp`` (under ``/inventory``) is for coordinators and administrators: inviting provider
accounts, accepting or rejecting proposals from the verification queue, and the list (and CSV)
of facilities that have not reported capacity recently. ``invitation`` is public: the link
itself is the credential, used once.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
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

from .. import csv_safe
from ..auth import EDITORS, roles_required
from ..db import get_session
from ..errors import InputError
from ..forms_editing import DAY_LABELS, HoursForm, apply_errors
from ..matching.ranking import format_age
from ..models import Role, Service
from ..services import invitations, proposals
from ..services import provider_updates as updates
from ..services.accounts import AccountError
from ..services.audit import VersionConflictError
from ..services.capacity import UNITS
from ..services.directory import describe_hours
from ..services.editing import EditError, get_organization
from ..services.provider_alerts import service_alert
from .editing import _hours_form, _hours_input, _pad

bp = Blueprint("provider", __name__, url_prefix="/provider")
admin_bp = Blueprint("provider_admin", __name__, url_prefix="/inventory")

INVALID = 422
CONFLICT = 409


def _now() -> datetime:
    return datetime.now(UTC)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _fresh_hours() -> float:
    return float(current_app.config["CAPACITY_FRESH_HOURS"])


def _service(service_id: str, *, for_update: bool = False) -> Service:
    try:
        return updates.provider_service(
            get_session(), current_user, service_id, for_update=for_update
        )
    except updates.NotTheirsError:
        abort(404, description="There is no such service among your organization's services.")


def _back(service_id: str) -> Any:
    return redirect(url_for(".index") + f"#service-{service_id}")


def parse_local(text: str | None, zone: ZoneInfo) -> datetime | None:
    """A ``datetime-local`` value (``2026-12-08T06:00``) in the jurisdiction's zone, as aware
    UTC; None for blank or unreadable text."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def local_input(moment: datetime, zone: ZoneInfo) -> str:
    """The value a ``datetime-local`` input shows for ``moment`` in the jurisdiction's zone."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


# The provider's page ----------------------------------------------------------------------------


@bp.get("/")
@roles_required(Role.PROVIDER)
def index() -> str:
    session = get_session()
    now = _now()
    zone = _zone()
    services = updates.provider_services(session, current_user)
    rows = []
    for service in services:
        figures = updates.current_figures(service, now, _fresh_hours())
        rows.append(
            {
                "service": service,
                "figures": figures,
                "needs_update": any(f.stale for f in figures)
                or (not figures and updates.counts_places(service)),
                "alert": service_alert(service, now),
                "closed": service.closed_until is not None and service.closed_until > now,
                "pending": proposals.pending_for_service(session, service.id),
            }
        )
    return render_template(
        "provider/index.html",
        organization=updates.provider_organization(session, current_user),
        rows=rows,
        units=UNITS,
        fresh_hours=current_app.config["CAPACITY_FRESH_HOURS"],
        now=now,
        zone=zone,
        default_until=local_input(now + timedelta(hours=4), zone),
        age=format_age,
    )


@bp.post("/services/<service_id>/capacity")
@roles_required(Role.PROVIDER)
def capacity(service_id: str) -> Any:
    session = get_session()
    service = _service(service_id, for_update=True)
    action = request.form.get("action", "")
    value: str | None = request.form.get("value")
    if action == "set":
        # "Set to N" also takes "+2" / "-1": a change from the current figure.
        text = (value or "").strip()
        if text[:1] in ("+", "-") and text[1:].strip():
            action, value = ("plus" if text[0] == "+" else "minus"), text[1:]
    elif action in ("plus", "minus"):
        value = "1"
    try:
        row = updates.update_capacity(
            session, current_user, service, request.form.get("unit", ""), action, _now(), value
        )
    except InputError as exc:  # ProviderInputError, CapacityInputError
        session.rollback()
        flash(f"{service.name}: not saved. {exc.message}", "error")
        return _back(service_id)
    unit = row.unit.name
    text = f"{row.available} {unit if row.available == 1 else unit + 's'} free"
    session.commit()
    flash(f"{service.name}: {text}, reported just now.", "success")
    return _back(service_id)


@bp.post("/services/<service_id>/closure")
@roles_required(Role.PROVIDER)
def closure(service_id: str) -> Any:
    session = get_session()
    service = _service(service_id)
    now = _now()
    try:
        if request.form.get("action") == "reopen":
            updates.reopen(session, current_user, service, now)
            message = f"{service.name}: open again."
        else:
            until = parse_local(request.form.get("until"), _zone())
            if until is None:
                raise updates.ProviderInputError("until", "Enter the date and time it reopens.")
            updates.close_until(session, current_user, service, until, now)
            shown = until.astimezone(_zone()).strftime("%a %b %d %H:%M")
            message = f"{service.name}: closed until {shown}."
    except updates.ProviderInputError as exc:
        session.rollback()
        flash(f"{service.name}: not saved. {exc.message}", "error")
        return _back(service_id)
    session.commit()
    flash(message, "success")
    return _back(service_id)


@bp.post("/services/<service_id>/alert")
@roles_required(Role.PROVIDER)
def alert(service_id: str) -> Any:
    session = get_session()
    service = _service(service_id)
    now = _now()
    try:
        if request.form.get("action") == "clear":
            updates.clear_alert(session, current_user, service, now)
            message = f"{service.name}: alert removed."
        else:
            expires = parse_local(request.form.get("expires_at"), _zone())
            if expires is None:
                raise updates.ProviderInputError("expires_at", "Enter when the alert ends.")
            updates.set_alert(
                session, current_user, service, request.form.get("text", ""), expires, now
            )
            message = f"{service.name}: alert shown to officers."
    except updates.ProviderInputError as exc:
        session.rollback()
        flash(f"{service.name}: not saved. {exc.message}", "error")
        return _back(service_id)
    session.commit()
    flash(message, "success")
    return _back(service_id)


@bp.route("/services/<service_id>/hours", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def propose_hours(service_id: str) -> Any:
    session = get_session()
    service = _service(service_id)
    if request.method == "GET":
        return _hours_page(service, _hours_form(service))
    form = HoursForm()
    form.validate_on_submit()
    # The coordinators' hours editor reads the rows (and, in newer versions, free-form times
    # such as "9pm", returning the unreadable ones as errors beside the input).
    parsed = _hours_input(form)
    hours, time_errors = parsed if isinstance(parsed, tuple) else (parsed, {})
    try:
        if time_errors:
            raise EditError(errors=time_errors)
        proposals.propose_hours(session, current_user, service, hours, _now())
    except EditError as exc:
        session.rollback()
        apply_errors(form, exc.errors)
        for rows in (form.windows, form.closures):
            rows.errors = [entry.errors for entry in rows.entries]
            if not any(rows.errors):
                rows.errors = []
        return _hours_page(service, form), INVALID
    session.commit()
    flash(f"{service.name}: new hours sent to your coordinator for review.", "success")
    return _back(service_id)


def _hours_page(service: Service, form: HoursForm) -> str:
    _pad(form.windows, 2)
    _pad(form.closures, 1)
    return render_template(
        "provider/hours.html",
        service=service,
        form=form,
        days=DAY_LABELS,
        current=describe_hours(service.schedules),
    )


@bp.route("/services/<service_id>/details", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def propose_details(service_id: str) -> Any:
    session = get_session()
    service = _service(service_id)
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("phone", *proposals.ADDRESS_FIELDS)}
        try:
            proposals.propose_details(session, current_user, service, values, _now())
        except EditError as exc:
            session.rollback()
            errors = exc.errors
        else:
            session.commit()
            flash(f"{service.name}: new details sent to your coordinator for review.", "success")
            return _back(service_id)
    page = render_template(
        "provider/details.html",
        service=service,
        current=proposals.current_listing(service, "details"),
        values=values,
        errors=errors,
    )
    return (page, INVALID) if errors else page


# Invitations (public: the link is the credential) -----------------------------------------------


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str) -> Any:
    session = get_session()
    now = _now()
    try:
        invite = invitations.open_invitation(session, token, now)
    except invitations.InvitationError as exc:
        return render_template("provider/invitation_refused.html", message=exc.message), 410
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("confirm", ""):
            error = "The two passwords are not the same."
        else:
            try:
                user = invitations.accept_invitation(session, token, password, now)
            except invitations.InvitationError as exc:
                session.rollback()
                return render_template("provider/invitation_refused.html", message=exc.message), 410
            except AccountError as exc:
                session.rollback()
                error = exc.message
            else:
                session.commit()
                # The person logs in with the new password, through the normal login (its
                # throttling and session rules apply to provider accounts like any other).
                flash(f"Password set for {user.email}. Log in with it now.", "success")
                return redirect(url_for("auth.login", next=url_for(".index")))
    page = render_template(
        "provider/invitation.html",
        invite=invite,
        organization=invite.organization,
        error=error,
    )
    return (page, INVALID) if error else page


# Coordinators -----------------------------------------------------------------------------------


@admin_bp.route("/organizations/<organization_id>/providers", methods=["GET", "POST"])
@roles_required(*EDITORS)
def providers(organization_id: str) -> Any:
    session = get_session()
    try:
        organization = get_organization(session, organization_id)
    except LookupError:
        abort(404, description="There is no such organization.")
    now = _now()
    link = None
    error = None
    if request.method == "POST":
        try:
            hours = int(request.form.get("valid_hours") or invitations.DEFAULT_VALID_HOURS)
        except ValueError:
            hours = -1
        try:
            _invite, secret = invitations.create_invitation(
                session,
                organization.id,
                request.form.get("email", ""),
                current_user.email,
                now,
                hours,
            )
        except AccountError as exc:
            session.rollback()
            error = exc.message
        else:
            session.commit()
            link = url_for("provider.invitation", token=secret, _external=True)
    page = render_template(
        "provider/providers.html",
        organization=organization,
        accounts=invitations.provider_accounts(session, organization.id),
        pending=invitations.pending_invitations(session, organization.id, now),
        link=link,
        error=error,
        default_hours=invitations.DEFAULT_VALID_HOURS,
        max_hours=invitations.MAX_VALID_HOURS,
        values=request.form,
    )
    return (page, INVALID) if error else page


@admin_bp.post("/organizations/<organization_id>/invitations/<invitation_id>/withdraw")
@roles_required(*EDITORS)
def withdraw_invitation(organization_id: str, invitation_id: str) -> Any:
    session = get_session()
    try:
        organization = get_organization(session, organization_id)
        invitation = invitations.withdraw_invitation(
            session, organization.id, invitation_id, current_user.email, _now()
        )
    except (LookupError, invitations.InvitationError):
        session.rollback()
        abort(404, description="There is no such open invitation.")
    email = invitation.email
    session.commit()
    flash(f"Invitation for {email} withdrawn: its link no longer works.", "success")
    return redirect(url_for(".providers", organization_id=organization.id)), 303


@admin_bp.post("/proposals/<proposal_id>")
@roles_required(*EDITORS)
def decide(proposal_id: str) -> Any:
    session = get_session()
    now = _now()
    decision = request.form.get("decision")
    try:
        if decision == "accept":
            proposal = proposals.accept_proposal(
                session, proposal_id, request.form.get("version"), current_user.email, now
            )
            message = f"Accepted: the new {proposal.kind} of {proposal.service.name} are live."
        elif decision == "reject":
            proposal = proposals.reject_proposal(session, proposal_id, current_user.email, now)
            message = f"Rejected: {proposal.service.name} is unchanged."
        else:
            abort(400, description="Choose accept or reject.")
    except proposals.ProposalError:
        session.rollback()
        abort(404, description="There is no such proposal waiting for a decision.")
    except VersionConflictError:
        session.rollback()
        flash(
            "Not accepted: the service was changed since you loaded the queue. Compare again.",
            "error",
        )
        return redirect(url_for("inventory.queue") + "#queue-proposals"), 303
    except EditError as exc:
        session.rollback()
        flash("Not accepted: " + "; ".join(m for ms in exc.errors.values() for m in ms), "error")
        return redirect(url_for("inventory.queue") + "#queue-proposals"), 303
    session.commit()
    flash(message, "success")
    return redirect(url_for("inventory.queue") + "#queue-proposals"), 303


@admin_bp.get("/stale-capacity")
@roles_required(*EDITORS)
def stale_capacity() -> str:
    now = _now()
    return render_template(
        "provider/stale.html",
        facilities=updates.stale_facilities(get_session(), now, _fresh_hours()),
        fresh_hours=current_app.config["CAPACITY_FRESH_HOURS"],
        now=now,
    )


@admin_bp.get("/stale-capacity.csv")
@roles_required(*EDITORS)
def stale_capacity_csv() -> Response:
    now = _now()
    out = io.StringIO()
    writer = csv_safe.writer(out)  # names and phones come from providers: formulas made inert
    writer.writerow(
        ["service_id", "service", "organization", "unit", "last_reported", "hours_ago", "phones"]
    )
    for f in updates.stale_facilities(get_session(), now, _fresh_hours()):
        hours_ago = (
            ""
            if f.last_reported is None
            else f"{(now - f.last_reported).total_seconds() / 3600:.1f}"
        )
        writer.writerow(
            [
                f.service_id,
                f.service,
                f.organization,
                f.unit or "",
                f.last_reported.isoformat() if f.last_reported else "never",
                hours_ago,
                "; ".join(f.phones),
            ]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=stale-capacity.csv"},
    )


def queue_proposals() -> list[dict[str, Any]]:
    """Pending proposals with the current listing beside each (for the verification queue)."""
    session = get_session()
    return [
        {
            "proposal": p,
            "service": p.service,
            "proposed": p.summary.splitlines(),
            "current": proposals.current_listing(p.service, p.kind),
        }
        for p in proposals.pending_proposals(session)
    ]


@admin_bp.app_context_processor
def inject_queue_proposals() -> dict[str, Any]:
    """``provider_proposals()`` for the verification queue's proposals section."""
    return {"provider_proposals": queue_proposals}
