"""Error answers: the JSON error shape of spec/api.md for /api/ and /hsds/, pages elsewhere.

No stack trace ever reaches a user: unexpected errors are logged (without request bodies) and
answered with a plain 500. A database that cannot be reached (stopped, restarting, network gone,
SQLite locked past its busy timeout) is answered with 503 and ``Retry-After``: code
``database-unavailable`` in JSON, and a stand-alone page (one that needs no database) elsewhere.
The request's session is rolled back and dropped, so the first request after the database comes
back works (PostgreSQL connections are also checked before use: ``pool_pre_ping`` in db.py).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, SecurityError

from ..errors import InputError, SearchUnavailableError

API_PREFIXES = ("/api/", "/hsds")

# Seconds a client is asked to wait when the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 30

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


def input_error(exc: InputError) -> Any:
    """The JSON error answer for input a service refused (its own status, code and field)."""
    response = jsonify(exc.body())
    response.status_code = exc.status
    return response


def search_unavailable() -> Any:
    """503 for a search index that cannot be read even after a rebuild."""
    return json_error(503, "unavailable", "Search is unavailable right now; try again.")


def _handle_input_error(exc: InputError) -> Any:
    """An ``InputError`` no view caught: its JSON shape on the API, a 4xx page elsewhere."""
    if _is_api_request():
        return input_error(exc)
    page = render_template(
        "errors/error.html", status=exc.status, title="Not accepted", message=exc.message
    )
    return page, exc.status


def _handle_search_unavailable(exc: SearchUnavailableError) -> Any:
    if _is_api_request():
        return search_unavailable()
    message = "Search is unavailable right now; try again."
    page = render_template(
        "errors/error.html", status=503, title="Search unavailable", message=message
    )
    return page, 503


def _is_api_request() -> bool:
    return request.path.startswith(API_PREFIXES)


def _handle_http(exc: HTTPException) -> Any:
    status = exc.code or 500
    if status == 413:
        # The body is over the limit: nothing may read it again (the error page's own forms
        # would, and fail with a second 413 inside this handler).
        request.__dict__["form"] = ImmutableMultiDict()
        request.__dict__["files"] = ImmutableMultiDict()
    # A 405 names the methods the resource allows (RFC 9110 15.5.6), JSON or page alike.
    allow = {k: v for k, v in exc.get_headers() if k == "Allow"} if status == 405 else {}
    if _is_api_request():
        response = json_error(status, _SLUGS.get(status, "error"), exc.description or exc.name)
        response.headers.update(allow)
        return response
    page = render_template("errors/error.html", status=status, title=exc.name, exc=exc)
    return page, status, allow


def _handle_untrusted_host(exc: SecurityError) -> Any:
    """400 for a Host header outside TRUSTED_HOSTS, without echoing the host it named."""
    return _handle_http(BadRequest("This address is not one this directory answers to."))


def _handle_csrf(exc: CSRFError) -> Any:
    if _is_api_request():
        return json_error(400, "csrf", exc.description)
    message = "This form has expired or was not sent from this site. Please try again."
    return (
        render_template("errors/error.html", status=400, title="Form expired", message=message),
        400,
    )


def _drop_session(exc: Exception) -> None:
    """Roll back and close this request's session; drop the pool when connections died."""
    from ..db import get_database

    session = g.pop("db_session", None)
    if session is not None:
        try:
            session.rollback()
            session.close()
        except Exception:  # the connection is already gone; nothing to keep
            session.invalidate()
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        get_database().dispose()


def _handle_database_unavailable(exc: Exception) -> Any:
    from flask import current_app

    # The driver's first line names host and port, never data; no traceback in the log either.
    detail = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0][:300]
    current_app.logger.error(
        "database unavailable on %s %s: %s: %s",
        request.method,
        request.path,
        type(exc).__name__,
        detail,
    )
    _drop_session(exc)
    retry = str(DATABASE_RETRY_AFTER_SECONDS)
    if _is_api_request():
        response = json_error(
            503,
            "database-unavailable",
            f"The directory's database cannot be reached; try again in {retry} seconds.",
        )
    else:
        page = render_template("errors/unavailable.html", retry_after=retry)
        response = current_app.response_class(page, status=503, mimetype="text/html")
    response.headers["Retry-After"] = retry
    response.headers["Cache-Control"] = "no-store"
    return response


def _handle_unexpected(exc: Exception) -> Any:
    from flask import current_app

    current_app.logger.error(
        "unhandled %s on %s %s", type(exc).__name__, request.method, request.path, exc_info=exc
    )
    return _handle_http(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(SecurityError, _handle_untrusted_host)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(InputError, _handle_input_error)
    app.register_error_handler(SearchUnavailableError, _handle_search_unavailable)
    for database_error in (OperationalError, InterfaceError, PoolTimeoutError):
        app.register_error_handler(database_error, _handle_database_unavailable)
    app.register_error_handler(Exception, _handle_unexpected)
