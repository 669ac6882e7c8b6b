"""``pmhc demo`` serves the app and its access log never holds a typed location.

Officers type a place (and facts about a person) into the lookup; they travel in the query
string, so the demo server's log must show the path only (product.md, privacy).
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

SECRET_PLACE = "1234 Secret Lane"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_demo_serves_and_logs_no_query_string(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "PMHC_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "PMHC_INSTANCE_PATH": str(tmp_path / "instance"),
        "PMHC_SECRET_KEY": "demo-server-test-secret",
    }
    log_path = tmp_path / "demo.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pmhc_directory.cli", "demo", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    status, _ = _get(port, "/api/v1/services")
                    break
                except OSError:
                    assert time.monotonic() < deadline, "demo server did not answer in 2 min"
                    time.sleep(0.2)
            assert status == 200
            status, body = _get(port, "/?near=1234+Secret+Lane&age=34")
            assert status == 200
            assert b"Secret Lane" in body or b"1234" in body  # the query reached the app
            status, _ = _get(port, "/static/favicon.svg")
            assert status == 200
        finally:
            process.terminate()
            process.wait(timeout=30)
    text = log_path.read_text()
    assert "GET /?" not in text
    assert "GET / HTTP" in text  # the request is logged, by path
    assert "Secret" not in text
    assert "age=34" not in text
