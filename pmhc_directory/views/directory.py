"""Directory pages: the browse list with its search box, and one service.

The officer page ``/`` is views/find.py. ``/directory?q=`` searches by name and words through
the search index (typo tolerant, best match first) within the filters; without ``q`` the list
is by name.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request
from wtforms import StringField, ValidationError

from ..auth import directory_reader
from ..db import get_session
from ..errors import SearchUnavailableError
from ..forms import BrowseForm
from ..services import directory as directory_service
from ..services import directory_search
from .history_text import change_lines

bp = Blueprint("directory", __name__)
# The History page (templates/inventory/history.html) shows change-log values in words.
bp.add_app_template_filter(change_lines, "change_lines")


class DirectoryForm(BrowseForm):
    """The browse filters plus ``q``, the words of the search box."""

    q = StringField("Search by name or words")

    def validate_q(self, field: StringField) -> None:
        if len((field.data or "").strip()) > directory_search.MAX_QUERY_CHARS:
            raise ValidationError(
                f"Search words are limited to {directory_search.MAX_QUERY_CHARS} characters."
            )

    @property
    def words(self) -> str:
        return (self.q.data or "").strip()

    def query_args(self, **changes: Any) -> dict[str, Any]:
        """The current search and filters as URL arguments, with ``changes`` applied."""
        return super().query_args(**{"q": self.words or None, **changes})


@bp.get("/directory")
@directory_reader
def browse() -> Any:
    form = DirectoryForm(formdata=request.args)
    if not form.validate():
        abort(400, description=form.error_message())
    session = get_session()
    try:
        if form.words:
            from ..search import get_search_index

            result: Any = directory_search.search_directory(
                session, get_search_index(), form.filters(), form.words
            )
        else:
            result = directory_service.browse_services(session, form.filters())
    except directory_service.FilterError as exc:  # a type or continuum it does not know
        abort(400, description=exc.message)
    except SearchUnavailableError:
        abort(503, description="Search is unavailable right now; try again in a moment.")
    return render_template(
        "directory/browse.html",
        form=form,
        result=result,
        q=form.words,
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
