"""Error answers: the JSON error shape of spec/api.md for /api/ and /hsds/, pages elsewhere.

No stack trace ever reaches a user: unexpected errors are logged (without request bodies) and
answered with a plain 500.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

API_PREFIXES = ("/api/", "/hsds")

_SLUGS = {
    400: "bad-request",
    401: "login-required",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid",
    429: "too-many-requests",
    500: "server-error",
    503: "unavailable",
}


def json_error(status: int, code: str, message: str, field: str | None = None) -> Any:
    """``{"error": {"code", "message", "field"}}`` with the given HTTP status."""
    response = jsonify({"error": {"code": code, "message": message, "field": field}})
    response.status_code = status
    return response


def _is_api_request() -> bool:
    return request.path.startswith(API_PREFIXES)


def _handle_http(exc: HTTPException) -> Any:
    status = exc.code or 500
    if _is_api_request():
        return json_error(status, _SLUGS.get(status, "error"), exc.description or exc.name)
    return render_template("errors/error.html", status=status, title=exc.name, exc=exc), status


def _handle_csrf(exc: CSRFError) -> Any:
    if _is_api_request():
        return json_error(400, "csrf", exc.description)
    message = "This form has expired or was not sent from this site. Please try again."
    return (
        render_template("errors/error.html", status=400, title="Form expired", message=message),
        400,
    )


def _handle_unexpected(exc: Exception) -> Any:
    from flask import current_app

    current_app.logger.error(
        "unhandled %s on %s %s", type(exc).__name__, request.method, request.path, exc_info=exc
    )
    return _handle_http(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
