"""Issue #17, security second round: each control with a test that fails without it.

Login races and revocable sessions run on an app with a database of its own (a SQLite file and a
scratch PostgreSQL database), because parallel requests need real, separate transactions.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from pmhc_directory import create_app
from pmhc_directory.db import get_database
from pmhc_directory.models import Role, User
from tests.conftest import make_test_config, prepare_database
from tests.factories import TEST_PASSWORD, make_user
from tests.integration.test_backup import scratch_postgres  # noqa: F401 (a fixture)

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LOGIN_FAILED = "Email or password is not correct."
PARALLEL = 24


@pytest.fixture(params=["sqlite", "postgresql"])
def own_app(request, tmp_path: Path):
    """An app on its own database, with the default login limits (5 / 20 / 50)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'own.sqlite3'}"
    else:
        url = request.getfixturevalue("scratch_postgres")
    prepare_database(url)
    app = create_app(make_test_config(url, tmp_path / "instance", SEARCH_INDEX_DIR=":memory:"))
    app.extensions["pmhc_login_throttle"].clear()
    with get_database(app).session() as session:
        make_user(session, Role.COORDINATOR, email="target@example.org")
        session.commit()
    yield app
    app.extensions["pmhc_login_throttle"].clear()
    get_database(app).dispose()


def csrf_token(client, path: str = "/login") -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no csrf_token field on {path}"
    return match.group(1)


def log_in(client, email: str, password: str = TEST_PASSWORD, **kw):
    data = {"csrf_token": csrf_token(client), "email": email, "password": password}
    return client.post("/login", data=data, **kw)


# 1. Parallel failed logins ----------------------------------------------------------------------


def test_parallel_wrong_passwords_are_checked_no_more_than_the_limit(own_app):
    """All at once, for one email from one address: only LOGIN_MAX_FAILURES reach the password
    check, the rest get 429, and every checked failure is counted on the account."""
    clients = [own_app.test_client() for _ in range(PARALLEL)]
    tokens = [csrf_token(c) for c in clients]

    def attempt(n: int) -> tuple[int, bool]:
        response = clients[n].post(
            "/login",
            data={"csrf_token": tokens[n], "email": "target@example.org", "password": f"no{n}"},
        )
        return response.status_code, LOGIN_FAILED in response.get_data(as_text=True)

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        answers = list(pool.map(attempt, range(PARALLEL)))
    checked = [a for a in answers if a == (200, True)]
    refused = [a for a in answers if a[0] == 429]
    limit = own_app.config["LOGIN_MAX_FAILURES"]
    assert len(checked) == limit
    assert len(refused) == PARALLEL - limit
    with get_database(own_app).session() as session:
        user = session.scalar(select(User).where(User.email == "target@example.org"))
        assert user.failed_logins == limit
