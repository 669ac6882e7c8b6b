"""Errors the services raise for input they refuse, shared by every use case.

:class:`InputError` carries what the JSON error shape of spec/api.md needs (``code``,
``message``, ``field``) and the HTTP status it is answered with, so a view answers any of
them the same way (``views.errors.input_error``), and one that escapes a view on an
``/api/`` or ``/hsds`` path still gets that shape instead of a 500. Each use case subclasses
it (``CapacityInputError``, ``SearchInputError``, ...) so callers can catch their own.

Pure: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from typing import TypedDict

__all__ = ["ErrorBody", "InputError", "SearchUnavailableError"]


class ErrorDetail(TypedDict):
    code: str
    message: str
    field: str | None


class ErrorBody(TypedDict):
    """``{"error": {"code": "<slug>", "message": "<sentence>", "field": "<param or null>"}}``."""

    error: ErrorDetail


class InputError(ValueError):
    """Input refused: ``field`` names the parameter (None: the request as a whole),
    ``message`` is a sentence for a person that says what to change and never echoes
    personal data. ``code`` is the error slug and ``status`` the HTTP status (422 unless
    a subclass or the caller says otherwise)."""

    code: str = "invalid"
    status: int = 422

    def __init__(self, field: str | None, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        if code is not None:
            self.code = code

    def body(self) -> ErrorBody:
        """The JSON error body of spec/api.md."""
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class SearchUnavailableError(RuntimeError):
    """The search index could not be read, even after a rebuild (answered with 503)."""
