"""Web forms (Flask-WTF). Every POST form carries a CSRF token; GET filter forms do not."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from .services.directory import BrowseFilters
from .taxonomy import SERVICE_TYPE, vocabulary


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
    """Checks shared by the listing filter forms: the ``type`` and ``page`` query fields."""

    def validate_type(self, field: StringField) -> None:
        value = (field.data or "").strip()
        if value and vocabulary().find(SERVICE_TYPE, value) is None:
            raise ValidationError(
                f"\u201c{value}\u201d is not a service type in this directory. "
                "Choose a type from the list."
            )

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

    def validate_continuum(self, field: StringField) -> None:
        value = (field.data or "").strip()
        if value and value not in vocabulary().continuum:
            choices = ", ".join(vocabulary().continuum)
            raise ValidationError(
                f"\u201c{value}\u201d is not part of the crisis continuum. Use one of: {choices}."
            )

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
