"""The demo server never writes a query string (a typed location) to its log."""

from __future__ import annotations

import logging
import threading
import urllib.request

from flask import Flask
from werkzeug.serving import make_server

from pmhc_directory.serving import ClosingBody, PrivateRequestHandler


def test_access_log_has_path_but_not_query(caplog):
    app = Flask(__name__)

    @app.get("/find")
    def find():
        return "ok"

    server = make_server("127.0.0.1", 0, app, request_handler=PrivateRequestHandler)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    caplog.set_level(logging.INFO, logger="werkzeug")
    url = f"http://127.0.0.1:{server.server_port}/find?near=1234+Secret+Lane&age=34"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"ok"
    thread.join(timeout=10)
    server.server_close()
    assert "GET /find" in caplog.text
    assert "Secret" not in caplog.text
    assert "age=34" not in caplog.text


class _Body:
    def __init__(self) -> None:
        self.closed = 0

    def __iter__(self):
        yield b"a"
        yield b"b"

    def close(self) -> None:
        self.closed += 1


def test_closing_body_closes_once_after_full_iteration():
    body = _Body()
    wrapped = ClosingBody(body)
    assert b"".join(wrapped) == b"ab"
    wrapped.close()
    assert body.closed == 1


def test_closing_body_closes_when_the_writer_fails_midway():
    body = _Body()
    wrapped = ClosingBody(body)
    iterator = iter(wrapped)
    next(iterator)
    iterator.close()  # what happens when the server stops iterating on a dropped connection
    assert body.closed == 1


def test_closing_body_closes_when_dropped_without_iteration():
    body = _Body()
    wrapped = ClosingBody(body)
    del wrapped
    assert body.closed == 1


def _raw_exchange(request_line: bytes, caplog) -> bytes:
    """Send one raw request line to a PrivateRequestHandler server; its reply (issue #17 #15)."""
    import socket

    app = Flask(__name__)
    server = make_server("127.0.0.1", 0, app, request_handler=PrivateRequestHandler)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    caplog.set_level(logging.INFO, logger="werkzeug")
    reply = b""
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as sock:
            sock.sendall(request_line + b"\r\n\r\n")
            while chunk := sock.recv(65536):
                reply += chunk
    finally:
        thread.join(timeout=10)
        server.server_close()
    return reply


def test_a_request_line_too_long_gets_414_and_is_not_logged(caplog):
    line = b"GET /?near=1234+Secret+Lane&pad=" + b"x" * 70_000 + b" HTTP/1.1"
    reply = _raw_exchange(line, caplog)
    assert reply.startswith(b"HTTP/1.0 414") or reply.startswith(b"HTTP/1.1 414")
    assert "Secret" not in caplog.text
    assert "414" in caplog.text


def test_a_malformed_request_line_is_logged_without_its_text(caplog):
    reply = _raw_exchange(b"GET /?near=1234+Secret+Lane&age=34 HTTP/9x", caplog)
    assert b" 400 " in reply.split(b"\r\n", 1)[0]
    assert "Secret" not in caplog.text
    assert "age=34" not in caplog.text
    assert "400" in caplog.text
