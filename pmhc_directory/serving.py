"""Serving the app without a production WSGI server (``pmhc demo``).

The access log shows the path but never the query string: officer lookups carry a typed place
and facts about a person in the URL (``/?near=...``), and those must never be written to a log.
Production servers need the same care (docs/admin.md shows a gunicorn log format without it).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, run_simple


class PrivateRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler with the query string cut from every log line."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        full_path = self.path
        self.path = urlsplit(full_path).path
        try:
            super().log_request(code, size)
        finally:
            self.path = full_path


def serve(app: Flask, host: str, port: int) -> None:
    run_simple(host, port, app, threaded=True, request_handler=PrivateRequestHandler)
