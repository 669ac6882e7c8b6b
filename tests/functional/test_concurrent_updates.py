"""Simultaneous writes to one service lose nothing (issue #9 item 4), on SQLite and PostgreSQL.

* providers' capacity reports through the real API (bearer tokens, one test client per thread);
* coordinators' saves of the same service form: one wins, the others get a version conflict
  (the editing pages answer it with 409 and both versions), never a silent overwrite;
* both at once: every capacity change in the change log starts from the figure the one before
  it left (a single chain, no fork), and the current figure is the chain's end.

Each test runs on a database of its own (a SQLite file, or a scratch PostgreSQL database
``pmhc_backup_<random>`` on the test server), never on the shared test database.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pmhc_directory import create_app
from pmhc_directory.db import get_database, get_session
from pmhc_directory.models import (
    CapacityReport,
    ChangeRecord,
    Service,
    ServiceCapacity,
    UnmetNeed,
)
from pmhc_directory.services import editing
from pmhc_directory.services.audit import VersionConflictError
from pmhc_directory.services.tokens import create_token
from tests.conftest import make_test_config, prepare_database
from tests.factories import make_service
from tests.integration.test_backup import scratch_postgres  # noqa: F401 (a fixture)

THREADS = 6
REPORTS_PER_THREAD = 5


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path: Path):
    """An app on its own database (the conftest ``app`` would share the test database)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    else:
        url = request.getfixturevalue("scratch_postgres")
    prepare_database(url)
    app = create_app(
        make_test_config(
            url,
            tmp_path / "instance",
            CAPACITY_RATE_LIMIT_PER_MINUTE=0,
            SEARCH_INDEX_DIR=":memory:",
        )
    )
    yield app
    get_database(app).dispose()


@pytest.fixture
def service_and_token(app) -> tuple[str, str]:
    """A service with one bed figure (available 0 of 1000, reported a day ago) and a token."""
    with get_database(app).session() as session:
        service = make_service(session, name="Contested Receiving Center")
        editing.set_capacity(
            session,
            service.id,
            {"unit": "bed", "available": "0", "maximum": "1000"},
            service.version,
            "seed",
            now=datetime.now(UTC) - timedelta(days=1),
        )
        _token, plaintext = create_token(session, service.organization_id, "test", "load")
        session.commit()
        return service.id, plaintext


@contextmanager
def form_post(app) -> Iterator[Session]:
    """The session a coordinator's form POST gets (the editing views' own session)."""
    with app.test_request_context("/inventory", method="POST"):
        yield get_session()


def run_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(i)`` in ``count`` threads released together; returns what they raised."""
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def body(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
        except BaseException as exc:  # reported to the test, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return failures


def bed_available(text: str) -> int | None:
    """The bed count in a capacity change-log value (the API's dict or the editor's list)."""
    value = json.loads(text) if text else None
    if isinstance(value, dict):
        return value["available"] if value.get("unit") == "bed" else None
    for row in value or []:
        if row.get("unit") == "bed":
            return row["available"]
    return None


def assert_single_chain(session: Session, service_id: str) -> list[tuple[int | None, int]]:
    """Every capacity change starts where another ended: one chain from the first figure."""
    rows = session.scalars(
        select(ChangeRecord).where(
            ChangeRecord.resource_id == service_id, ChangeRecord.field_name == "capacity"
        )
    ).all()
    steps = [(bed_available(r.previous_value), bed_available(r.replacement_value)) for r in rows]
    starts = [old for old, _new in steps]
    assert len(starts) == len(set(starts)), f"two changes started from the same figure: {steps}"
    by_start = dict(steps)
    figure, walked = None, 0  # the seed report started from no figure
    while figure in by_start:
        figure = by_start[figure]
        walked += 1
    assert walked == len(steps), f"the chain of changes forks or breaks: {steps}"
    current = session.scalars(
        select(ServiceCapacity).where(ServiceCapacity.service_id == service_id)
    ).one()
    assert current.available == figure
    return steps


def test_simultaneous_capacity_reports_are_all_kept(app, service_and_token):
    service_id, token = service_and_token
    answers: dict[int, int] = {}
    lock = threading.Lock()

    def provider(i: int) -> None:
        client = app.test_client()
        for k in range(REPORTS_PER_THREAD):
            available = 1 + i * REPORTS_PER_THREAD + k  # unique per report
            response = client.post(
                f"/api/v1/services/{service_id}/capacity",
                json={"unit": "bed", "available": available, "maximum": 1000},
                headers={"Authorization": f"Bearer {token}"},
            )
            with lock:
                answers[available] = response.status_code

    assert run_threads(THREADS, provider) == []

    assert len(answers) == THREADS * REPORTS_PER_THREAD
    assert set(answers.values()) == {200}, answers
    with get_database(app).session() as session:
        reported = session.scalars(
            select(CapacityReport.available).where(
                CapacityReport.service_id == service_id, CapacityReport.source.like("token:%")
            )
        ).all()
        assert sorted(reported) == sorted(answers)
        steps = assert_single_chain(session, service_id)
        assert len(steps) == 1 + len(answers)


def test_simultaneous_form_saves_one_wins_the_rest_conflict(app, service_and_token):
    service_id, _token = service_and_token
    with get_database(app).session() as session:
        version = session.get(Service, service_id).version
    outcomes: dict[int, str] = {}

    def coordinator(i: int) -> None:
        with form_post(app) as session:
            form = editing.service_snapshot(editing.get_service(session, service_id))
            form["description"] = f"Edited by coordinator {i}"
            try:
                editing.update_service(session, service_id, form, version, f"coord{i}")
                session.commit()
                outcomes[i] = "saved"
            except VersionConflictError:
                session.rollback()
                outcomes[i] = "conflict"

    assert run_threads(THREADS, coordinator) == []

    winners = [i for i, outcome in outcomes.items() if outcome == "saved"]
    assert len(winners) == 1, outcomes
    assert sorted(outcomes.values()).count("conflict") == THREADS - 1
    with get_database(app).session() as session:
        service = session.get(Service, service_id)
        assert service.description == f"Edited by coordinator {winners[0]}"
        assert service.version == version + 1
        descriptions = session.scalars(
            select(ChangeRecord.replacement_value).where(
                ChangeRecord.resource_id == service_id, ChangeRecord.field_name == "description"
            )
        ).all()
        assert descriptions == [f"Edited by coordinator {winners[0]}"]


def test_form_saves_of_capacity_and_api_reports_at_once_form_one_chain(
    app, service_and_token, request
):
    service_id, token = service_and_token
    accepted: list[int] = []
    conflicts: list[int] = []
    lock = threading.Lock()

    def provider(i: int) -> None:
        client = app.test_client()
        for k in range(REPORTS_PER_THREAD):
            available = 100 + i * REPORTS_PER_THREAD + k
            response = client.post(
                f"/api/v1/services/{service_id}/capacity",
                json={"unit": "bed", "available": available},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.get_data(as_text=True)
            with lock:
                accepted.append(available)

    def coordinator(i: int) -> None:
        for k in range(REPORTS_PER_THREAD):
            available = 500 + i * REPORTS_PER_THREAD + k
            with form_post(app) as session:
                version = editing.get_service(session, service_id).version
                data = {"unit": "bed", "available": str(available), "maximum": "1000"}
                try:
                    editing.set_capacity(session, service_id, data, version, f"coord{i}")
                    session.commit()
                except VersionConflictError:
                    session.rollback()
                    with lock:
                        conflicts.append(available)
                    continue
            with lock:
                accepted.append(available)

    def either(i: int) -> None:
        (provider if i % 2 else coordinator)(i)

    assert run_threads(THREADS, either) == []

    assert accepted
    with get_database(app).session() as session:
        steps = assert_single_chain(session, service_id)
        assert sorted(new for old, new in steps if old is not None) == sorted(accepted)
        history = session.scalars(
            select(CapacityReport.available).where(CapacityReport.service_id == service_id)
        ).all()
        assert sorted(history) == sorted([0, *accepted])
        assert not set(conflicts) & set(history)  # a refused save wrote nothing


def test_lookups_recording_unmet_needs_while_providers_write_all_answer(app, service_and_token):
    """Signed-in officers' lookups that record unmet needs (GET, a read then a write) and
    providers' capacity reports at once: every request is answered and every unmet need is
    kept, once per lookup intent (each lookup here asks about a person of another age)."""
    from pmhc_directory.services.accounts import create_user
    from tests.functional.test_auth import log_in

    service_id, token = service_and_token
    lookups_per_thread = 4
    statuses: list[int] = []
    lock = threading.Lock()
    officers = [i for i in range(THREADS) if i % 2 == 0]
    password = "a long concurrent officer password"
    with get_database(app).session() as session:
        for i in officers:
            create_user(session, f"officer{i}@example.org", "officer", password)
        session.commit()

    def work(i: int) -> None:
        client = app.test_client()
        if i % 2 == 0:
            assert log_in(client, f"officer{i}@example.org", password).status_code in (302, 303)
        for k in range(lookups_per_thread):
            if i % 2:  # a provider
                response = client.post(
                    f"/api/v1/services/{service_id}/capacity",
                    json={"unit": "bed", "available": i * 10 + k, "maximum": 1000},
                    headers={"Authorization": f"Bearer {token}"},
                )
            else:  # an officer; nothing in this directory meets "intoxicated": a gap
                response = client.get(
                    f"/api/v1/match?lat=35.08&lon=-106.65&needs=intoxicated&limit=3&age={30 + k}"
                )
            with lock:
                statuses.append(response.status_code)

    assert run_threads(THREADS, work) == []
    assert statuses == [200] * (THREADS * lookups_per_thread)
    with get_database(app).session() as session:
        recorded = session.scalars(select(UnmetNeed.need)).all()
    assert len(recorded) == len(officers) * lookups_per_thread
    assert set(recorded) == {"intoxicated"}
