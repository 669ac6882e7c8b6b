"""Fixtures shared by every test layer.

The database is chosen by ``PMHC_TEST_DATABASE_URL`` (default: a SQLite file in a temporary
folder). The schema is built once per run by the real Alembic migrations, with the reference
data (taxonomy, national lines) committed. Each test then runs inside an outer transaction on
one connection; the app's sessions join it through savepoints, and it is rolled back at the end,
so tests never see each other's writes (reference/style-anchors.md practice 11).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from pmhc_directory import create_app
from pmhc_directory.db import get_database, make_engine
from pmhc_directory.schema import upgrade

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
TEST_DB_ENV = "PMHC_TEST_DATABASE_URL"


def backend_url() -> str | None:
    """The PostgreSQL URL under test, or None when the run is on SQLite."""
    url = os.environ.get(TEST_DB_ENV)
    return url if url and not url.startswith("sqlite") else None


def reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def prepare_database(url: str) -> None:
    """Migrate an empty database to head and commit the reference data."""
    from pmhc_directory.services.reference_data import load_reference_data

    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        load_reference_data(session)
        session.commit()
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = backend_url()
    if url is None:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        reset_postgres(url)
    prepare_database(url)
    return url


def make_test_config(database_url: str, instance_path: Path, **overrides: object) -> dict:
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "TIMEZONE": "America/Denver",
        # The Flask test client speaks plain http; real deployments keep Secure cookies.
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        # Suites send hundreds of lookups from one address within a minute; the limit itself
        # is tested with its own setting (tests/functional/test_security_round2.py).
        "LOOKUP_RATE_LIMIT_ANONYMOUS": "100000 per minute",
        # A freeze would keep the garbage of every earlier test for good (the suite fills and
        # drops caches by the hundred); tests/integration/test_lookup_snapshot.py turns it on.
        "FREEZE_FILLED_CACHES": False,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(make_test_config(database_url, tmp_path_factory.mktemp("instance")))
    yield app
    get_database(app).dispose()


@pytest.fixture
def connection(app: Flask) -> Iterator[sa.Connection]:
    """One connection with an outer transaction, rolled back after the test."""
    database = get_database(app)
    original_factory = database.session_factory
    conn = database.engine.connect()
    outer = conn.begin()
    database.bind_to_connection(conn)
    try:
        yield conn
    finally:
        database.session_factory = original_factory
        if outer.is_active:
            outer.rollback()
        conn.close()


@pytest.fixture
def session(app: Flask, connection: sa.Connection) -> Iterator[Session]:
    """A session inside the test's transaction; ``commit()`` only releases a savepoint."""
    db_session = get_database(app).session()
    try:
        yield db_session
    finally:
        db_session.close()


@pytest.fixture
def client(app: Flask, connection: sa.Connection):
    # Failed-login counts live in the (session-wide) app; each test starts with none.
    throttle = app.extensions.get("pmhc_login_throttle")
    if throttle is not None:
        throttle.clear()
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@contextmanager
def temporary_database(folder: Path) -> Iterator[str]:
    """An empty database of the backend under test (a new SQLite file, or a new PostgreSQL db)."""
    url = backend_url()
    if url is None:
        yield f"sqlite:///{folder / 'fresh.sqlite3'}"
        return
    name = f"pmhc_fresh_{uuid.uuid4().hex[:12]}"
    base = sa.make_url(url)
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the backend under test, dropped after the test."""
    with temporary_database(tmp_path) as url:
        yield url


def require_shared(*parts: str) -> Path:
    """Path under ../shared, or skip the test with a clear message when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test reads real data from ../shared (see README)")
    return path
