"""``/inventory/geocode-missing``: coordinators place listings that have no coordinates.

GET shows how many physical locations lack coordinates and a button; POST (CSRF-protected)
runs the same service as ``flask geocode-missing`` with the configured geocoder and shows what
was placed and, above all, what could not be placed. See docs/geocoding.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, render_template
from flask_wtf import FlaskForm

from ..auth import EDITORS, roles_required
from ..db import get_session
from ..services.geocode_missing import geocode_missing, locations_missing_coordinates
from ..services.lookup import build_geocoder
from .inventory import bp


class GeocodeMissingForm(FlaskForm):
    """Only the CSRF token: the button itself is the whole request."""


@bp.route("/geocode-missing", methods=["GET", "POST"], endpoint="geocode_missing")
@roles_required(*EDITORS)
def geocode_missing_view() -> Any:
    session = get_session()
    form = GeocodeMissingForm()
    if form.validate_on_submit():
        geocoder = build_geocoder(session, current_app.config, datetime.now(UTC).date())
        report = geocode_missing(session, geocoder, dry_run=False)
        session.commit()
        return render_template("inventory/geocode_report.html", form=form, report=report)
    missing = len(locations_missing_coordinates(session))
    session.rollback()
    status = 400 if form.is_submitted() else 200
    return (
        render_template("inventory/geocode_report.html", form=form, report=None, missing=missing),
        status,
    )
