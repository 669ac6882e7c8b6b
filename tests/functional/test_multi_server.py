"""Several app servers, one database: each sees the others' writes on its next request.

Two real app processes (the werkzeug server of ``pmhc demo``), each with its own instance
folder and so its own search index and lookup cache, share one database: a PostgreSQL database
made for the test (skipped when no server answers) or one SQLite file. Writes are committed by
a third process, this test, through the ORM as the editing and capacity services do; every
answer is read over HTTP from the servers. See docs/scale.md.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pmhc_directory.db import make_engine
from pmhc_directory.models import Schedule, Service
from pmhc_directory.schema import upgrade
from pmhc_directory.search import sync
from pmhc_directory.services.capacity import report_capacity
from pmhc_directory.services.reference_data import load_reference_data
from tests.conftest import REPO_ROOT, TEST_DB_ENV
from tests.factories import make_location, make_service

pytestmark = pytest.mark.slow

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LAT, LON = 35.0844, -106.6504
SERVER = """
import sys
from pmhc_directory import create_app
from pmhc_directory.serving import serve
serve(create_app(), "127.0.0.1", int(sys.argv[1]))
"""


def _postgres_server() -> str | None:
    """A PostgreSQL URL to create databases on, or None when none answers."""
    url = os.environ.get(TEST_DB_ENV) or DEFAULT_POSTGRES
    if not url.startswith("postgresql"):
        url = DEFAULT_POSTGRES
    engine = sa.create_engine(
        sa.make_url(url).set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 3},
    )
    try:
        with engine.connect():
            return url
    except Exception:  # any failure to connect means: no server to test against
        return None
    finally:
        engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database with reference data, of the parametrised backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        _prepare(url)
        yield url
        return
    server = _postgres_server()
    if server is None:
        pytest.skip("no PostgreSQL server answers at 127.0.0.1:5432 (set PMHC_TEST_DATABASE_URL)")
    name = f"pmhc_multi_{uuid.uuid4().hex[:12]}"
    base = sa.make_url(server)
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        _prepare(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _prepare(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        load_reference_data(session)
        session.commit()
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppServer:
    """One app process on a free loopback port with its own instance folder."""

    def __init__(self, url: str, instance: Path) -> None:
        instance.mkdir()
        self.port = _free_port()
        env = {
            **os.environ,
            "PMHC_DATABASE_URL": url,
            "PMHC_INSTANCE_PATH": str(instance),
            "PMHC_SECRET_KEY": "multi-server-test-secret",
            "PMHC_TIMEZONE": "America/Denver",
        }
        self.log = (instance / "server.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(self.port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def get(self, path: str, **params: str) -> dict:
        if params:
            path = f"{path}?{urlencode(params)}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        assert response.status == 200, body[:500]
        return json.loads(body)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"app server exited with {self.process.returncode}")
            try:
                self.get("/api/v1/services")
                return
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
        raise AssertionError("app server did not answer within a minute")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture
def servers(shared_url: str, tmp_path: Path) -> Iterator[tuple[AppServer, AppServer]]:
    first = AppServer(shared_url, tmp_path / "instance-a")
    second = AppServer(shared_url, tmp_path / "instance-b")
    try:
        first.wait_ready()
        second.wait_ready()
        yield first, second
    finally:
        first.stop()
        second.stop()


def search_names(server: AppServer, q: str) -> list[str]:
    return [item["name"] for item in server.get("/api/v1/services", q=q)["contents"]]


def match(server: AppServer) -> dict:
    return server.get(
        "/api/v1/match",
        lat=str(LAT),
        lon=str(LON),
        needs="crisis-now",
        at=datetime.now(UTC).isoformat(),
    )


def result_names(answer: dict) -> list[str]:
    return [result["name"] for result in answer["results"]]


def excluded_codes(answer: dict, name: str) -> list[str]:
    return [r["code"] for e in answer["excluded"] if e["name"] == name for r in e["reasons"]]


def test_each_server_sees_the_others_writes_on_its_next_request(servers, shared_url):
    first, second = servers
    # Both processes build their index and lookup cache before anything is written.
    for server in servers:
        assert search_names(server, "Zephyr") == []
        assert "Zephyr Receiving Center" not in result_names(match(server))

    # The writer records the change sequence, as every app process and CLI command does.
    sync.install()
    engine = make_engine(shared_url)
    try:
        with Session(engine) as session:
            service = make_service(
                session,
                name="Zephyr Receiving Center",
                types=("crisis-receiving",),
                attributes=("open-24-7", "accepts-law-enforcement-dropoff"),
            )
            make_location(session, service, latitude=LAT + 0.01, longitude=LON)
            session.add(
                Schedule(
                    service=service,
                    freq="WEEKLY",
                    byday="MO,TU,WE,TH,FR,SA,SU",
                    opens_at="00:00",
                    closes_at="23:59",
                )
            )
            session.commit()
            service_id = service.id

        # A new service: found by search on one server and offered by the lookup on the other.
        assert search_names(first, "Zephyr") == ["Zephyr Receiving Center"]
        assert "Zephyr Receiving Center" in result_names(match(second))
        assert "Zephyr Receiving Center" in result_names(match(first))

        # A capacity report of no free places: never offered as available again.
        with Session(engine) as session:
            report_capacity(
                session,
                session.get(Service, service_id),
                "chair",
                0,
                12,
                "test",
                datetime.now(UTC),
            )
            session.commit()
        for server in servers:
            answer = match(server)
            assert "Zephyr Receiving Center" not in result_names(answer)
            assert excluded_codes(answer, "Zephyr Receiving Center") == ["full"]

        # Renamed and temporarily closed: the new name is searchable, the service is excluded.
        with Session(engine) as session:
            row = session.get(Service, service_id)
            row.name = "Zephyr Crisis Stabilization"
            row.status = "temporarily closed"
            session.commit()
        assert search_names(second, "Zephyr") == ["Zephyr Crisis Stabilization"]
        answer = match(first)
        assert "Zephyr Crisis Stabilization" not in result_names(answer)
        assert "inactive" in excluded_codes(answer, "Zephyr Crisis Stabilization")

        # Deleted: gone from both answers of both servers.
        with Session(engine) as session:
            session.delete(session.get(Service, service_id))
            session.commit()
        for server in servers:
            assert search_names(server, "Zephyr") == []
            answer = match(server)
            names = result_names(answer) + [e["name"] for e in answer["excluded"]]
            assert not [name for name in names if name.startswith("Zephyr")]
    finally:
        engine.dispose()
