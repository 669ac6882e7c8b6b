"""Web forms (Flask-WTF). Every POST form carries a CSRF token; GET filter forms do not.

One idiom for every form (docs/development.md): the form checks *shape* (present, parses as a
number, a date or a UUID, not too long, one of the field's fixed options) with WTForms
validators; the service checks *meaning* (a code the taxonomy knows, a rule between fields, a
row that must exist) and raises an ``InputError`` naming the field, which the view puts back
on the form with :func:`show_input_error` (``forms_editing.apply_errors`` for an
``EditError``'s several fields). A rule is written once, in the service, so the API, the CLI
and the page refuse the same things.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import EmailField, Field, HiddenField, PasswordField, StringField

# The stubs (types-WTForms 3.2) lack ``SelectChoice``, which WTForms 3.3 (installed) has.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import InputRequired, Length, ValidationError

from .errors import InputError
from .services.directory import BrowseFilters


def choices(pairs: Any) -> list[SelectChoice]:
    """``SelectChoice`` options from (value, label) pairs (tuples are deprecated in WTForms)."""
    return [SelectChoice(value, label) for value, label in pairs]


def show_input_error(
    form: Any,
    exc: InputError,
    *,
    fallback: Field,
    names: Mapping[str, str] | None = None,
) -> None:
    """Put a service's ``InputError`` on the form field it names (through ``names``, the
    service's field names -> the form's, when they differ), or on ``fallback`` when it names
    no visible field of the form (none, a hidden one, one the form does not have)."""
    name = (names or {}).get(exc.field or "", exc.field or "")
    target = form._fields.get(name)
    if target is None or isinstance(target, HiddenField):
        target = fallback
    target.errors = [*target.errors, exc.message]


class LoginForm(FlaskForm):
    email = EmailField(
        "Email", validators=[InputRequired("Enter your email address."), Length(max=320)]
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password."), Length(max=1024)]
    )
    # Where to go after logging in; checked by the view, never trusted as sent.
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a POST so another site cannot log a user out."""


_TRUE = {"y", "yes", "on", "1", "true"}
_FALSE = {"", "n", "no", "off", "0", "false"}
_PAGE_RE = re.compile(r"^\d{1,6}$")


class ListFilterMixin:
    """The shape check shared by the listing filter forms: the ``page`` query field (whether
    ``type`` names a known service type is the service's to say)."""

    def validate_page(self, field: StringField) -> None:
        value = (field.data or "").strip()
        if value and (not _PAGE_RE.match(value) or int(value) < 1):
            raise ValidationError(f"\u201c{value}\u201d is not a page number (1, 2, 3 ...).")


class BrowseForm(ListFilterMixin, FlaskForm):
    """Filters of ``/directory``, read from the query string (``?type=&continuum=&inactive=y``).

    Bind with ``BrowseForm(formdata=request.args)``. Errors carry a sentence a person can act on.
    """

    class Meta:
        csrf = False

    type = StringField("Service type")
    continuum = StringField("Part of the crisis continuum")
    inactive = StringField("Include inactive services")
    page = StringField("Page")

    def validate_inactive(self, field: StringField) -> None:
        if (field.data or "").strip().lower() not in _TRUE | _FALSE:
            raise ValidationError("\u201cInclude inactive\u201d must be yes or no.")

    def error_message(self) -> str:
        """All errors as one sentence list, for the 400 page."""
        return " ".join(message for messages in self.errors.values() for message in messages)

    def filters(self) -> BrowseFilters:
        """The validated filters (call after ``validate()`` succeeded)."""
        page = (self.page.data or "").strip()
        return BrowseFilters(
            service_type=(self.type.data or "").strip() or None,
            continuum=(self.continuum.data or "").strip() or None,
            include_inactive=(self.inactive.data or "").strip().lower() in _TRUE,
            page=int(page) if page else 1,
        )

    def query_args(self, **changes: Any) -> dict[str, Any]:
        """The current filters as URL arguments (empty ones left out), with ``changes`` applied."""
        filters = self.filters()
        args: dict[str, Any] = {
            "type": filters.service_type,
            "continuum": filters.continuum,
            "inactive": "y" if filters.include_inactive else None,
        }
        args.update(changes)
        return {k: v for k, v in args.items() if v not in (None, "")}
