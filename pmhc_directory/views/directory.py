"""Directory pages: the browse list and one service (the officer page ``/`` is views/find.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request

from ..auth import directory_reader
from ..db import get_session
from ..forms import BrowseForm
from ..services import directory as directory_service

bp = Blueprint("directory", __name__)


@bp.get("/directory")
@directory_reader
def browse() -> str:
    form = BrowseForm(formdata=request.args)
    if not form.validate():
        abort(400, description=form.error_message())
    try:
        result = directory_service.browse_services(get_session(), form.filters())
    except directory_service.FilterError as exc:  # the form checks first; kept as a safety net
        abort(400, description=exc.message)
    return render_template(
        "directory/browse.html",
        form=form,
        result=result,
        type_groups=directory_service.service_type_choices(),
        continuum_choices=directory_service.continuum_choices(),
    )


@bp.get("/services/<service_id>")
@directory_reader
def service(service_id: str) -> str:
    config = current_app.config
    detail = directory_service.get_service_detail(
        get_session(),
        service_id,
        zone=ZoneInfo(config["TIMEZONE"]),
        reverify_days=int(config["REVERIFY_DAYS"]),
        capacity_fresh_hours=float(config["CAPACITY_FRESH_HOURS"]),
    )
    if detail is None:
        abort(404, description="There is no service with this address in the directory.")
    from ..forms_inventory import VerifyForm

    return render_template("directory/service.html", service=detail, verify_form=VerifyForm())
