"""Forms of the coordinators' inventory pages (``/inventory``).

The filter form is a GET form read from the query string (no CSRF token: it changes nothing);
the verify and problem forms are POST forms with a CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from .forms import ListFilterMixin
from .services.inventory import MAX_NOTE, InventoryFilters

_TRUE = {"y", "yes", "on", "1", "true"}
_FALSE = {"", "n", "no", "off", "0", "false"}
MAX_SEARCH = 200

#: Checkbox filters: (form field / URL argument, label, InventoryFilters attribute).
FLAG_FILTERS: tuple[tuple[str, str, str], ...] = (
    ("stale", "Verification overdue", "stale"),
    ("no_hours", "Missing hours", "missing_hours"),
    ("no_coords", "Missing coordinates", "missing_coordinates"),
    ("no_area", "Missing service area", "missing_area"),
    ("problems", "Open problem reports", "open_problems"),
    ("duplicates", "Probable duplicates", "duplicates"),
)


def _flag(field: StringField) -> bool:
    return (field.data or "").strip().lower() in _TRUE


class InventoryFilterForm(ListFilterMixin, FlaskForm):
    """Filters of ``/inventory/``; bind with ``InventoryFilterForm(formdata=request.args)``."""

    class Meta:
        csrf = False

    q = StringField("Search names and organizations", validators=[Length(max=MAX_SEARCH)])
    type = StringField("Service type")
    status = StringField("Status")
    organization = StringField("Organization", validators=[Length(max=MAX_SEARCH)])
    stale = StringField("Verification overdue")
    no_hours = StringField("Missing hours")
    no_coords = StringField("Missing coordinates")
    no_area = StringField("Missing service area")
    problems = StringField("Open problem reports")
    duplicates = StringField("Probable duplicates")
    page = StringField("Page")

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for name, label, _attr in FLAG_FILTERS:
            field = self[name]
            if (field.data or "").strip().lower() not in _TRUE | _FALSE:
                field.errors = [*field.errors, f"\u201c{label}\u201d must be yes or no."]
                ok = False
        return ok

    def error_message(self) -> str:
        return " ".join(message for messages in self.errors.values() for message in messages)

    def filters(self) -> InventoryFilters:
        """The validated filters (call after ``validate()`` succeeded)."""
        page = (self.page.data or "").strip()
        flags = {attr: _flag(self[name]) for name, _label, attr in FLAG_FILTERS}
        return InventoryFilters(
            q=(self.q.data or "").strip() or None,
            service_type=(self.type.data or "").strip() or None,
            status=(self.status.data or "").strip() or None,
            organization=(self.organization.data or "").strip() or None,
            page=int(page) if page else 1,
            **flags,
        )

    def query_args(self, **changes: Any) -> dict[str, Any]:
        """The current filters as URL arguments (empty ones left out), with ``changes`` applied."""
        filters = self.filters()
        args: dict[str, Any] = {
            "q": filters.q,
            "type": filters.service_type,
            "status": filters.status,
            "organization": filters.organization,
        }
        for name, _label, attr in FLAG_FILTERS:
            args[name] = "y" if getattr(filters, attr) else None
        args.update(changes)
        return {k: v for k, v in args.items() if v not in (None, "")}

    def any_filter(self) -> bool:
        return bool(self.query_args())


class VerifyForm(FlaskForm):
    """The "Verified today" button: only the CSRF token and where to go back to."""

    next = HiddenField()


class ProblemActionForm(FlaskForm):
    """Resolve or dismiss a problem report: a note is required."""

    note = TextAreaField(
        "Note (what you checked or changed)",
        validators=[
            InputRequired("Write a note saying what you checked or changed."),
            Length(max=MAX_NOTE, message=f"Keep the note to {MAX_NOTE} characters or fewer."),
        ],
    )
    next = HiddenField()

    def validate_note(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Write a note saying what you checked or changed.")
