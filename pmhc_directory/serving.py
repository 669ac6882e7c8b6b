"""Serving the app without a production WSGI server (``pmhc demo``).

The access log shows the path but never the query string: officer lookups carry a typed place
and facts about a person in the URL (``/?near=...``), and those must never be written to a log.
Production servers need the same care (docs/admin.md shows a gunicorn log format without it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, run_simple


class PrivateRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler with the query string cut from every log line.

    A request refused before it was parsed (a request line over 65,536 characters gets 414, a
    malformed one 400) has no path to cut: it is logged as ``<refused request>`` with its status,
    never with its request line, which may hold a typed place.
    """

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        full_path = getattr(self, "path", None)
        if full_path is None or not getattr(self, "command", None):
            self.log("info", '"<refused request>" %s %s', _status(code), size)
            return
        self.path = urlsplit(full_path).path
        try:
            super().log_request(code, size)
        finally:
            self.path = full_path

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002, ARG002 (the base's signature)
        """The standard library's messages quote the bad request line: log the status only."""
        code = args[0] if args and isinstance(args[0], int) else "-"
        self.log("error", "request refused before it reached the app (%s)", code)


def _status(code: int | str) -> str:
    return str(getattr(code, "value", code))


class ClosingBody:
    """A response body that is closed once, whatever happens to the connection.

    Werkzeug's development server closes a body in a ``finally`` block after draining the socket;
    when the client has already reset the connection (a browser dropping a favicon request, say)
    that draining raises first and the body, often an open static file, is never closed. This
    wrapper closes it when iteration ends or fails, or when the wrapper itself is collected.
    """

    def __init__(self, body: Iterable[bytes]) -> None:
        self._body = body
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._body
        finally:
            self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            close = getattr(self._body, "close", None)
            if close is not None:
                close()

    def __del__(self) -> None:
        self.close()


class ClosingBodies:
    """WSGI middleware wrapping every response body in :class:`ClosingBody`."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response) -> ClosingBody:
        return ClosingBody(self.app(environ, start_response))


def serve(app: Flask, host: str, port: int) -> None:
    run_simple(host, port, ClosingBodies(app), threaded=True, request_handler=PrivateRequestHandler)
