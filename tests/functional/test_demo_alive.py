"""``pmhc demo`` shows the product's shape (issue #22 item 7): fresh fictional capacity on some
cards and an outcomes dashboard with figures; ``pmhc seed`` alone refreshes no capacity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from pmhc_directory.services.seed import DEMO_CAPACITY_SOURCE, DEMO_RECORDER
from tests.functional.test_cli import instance, ok, run  # noqa: F401 (instance is a fixture)

pytestmark = pytest.mark.slow


def read(url: str, query: str, **params: object) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(query), params))
    finally:
        engine.dispose()


def aware(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_demo_prepares_fresh_capacity_and_an_encounter_log(instance, fresh_database_url):  # noqa: F811
    url = fresh_database_url
    output = ok(run(["demo", "--no-serve"], instance, url))
    assert "fictional encounters" in output

    [(encounters,)] = read(
        url, "SELECT count(*) FROM encounters WHERE recorded_by = :who", who=DEMO_RECORDER
    )
    assert encounters > 500
    now = datetime.now(UTC)
    updated = [aware(u) for (u,) in read(url, "SELECT updated FROM service_capacities")]
    fresh = [u for u in updated if now - u < timedelta(hours=12)]
    assert 0 < len(fresh) < len(updated)
    sources = {s for (s,) in read(url, "SELECT DISTINCT source FROM capacity_reports")}
    assert sources == {DEMO_CAPACITY_SOURCE}

    # Again: nothing is loaded twice, and nothing fresh needs re-reporting yet.
    again = ok(run(["demo", "--no-serve"], instance, url))
    assert "Demo data already loaded." in again
    [(total,)] = read(url, "SELECT count(*) FROM encounters")
    assert total == encounters
    [(reports,)] = read(url, "SELECT count(*) FROM capacity_reports")
    assert reports == len(fresh)


def test_seed_alone_keeps_no_capacity_fresh(instance, fresh_database_url):  # noqa: F811
    url = fresh_database_url
    ok(run(["init-db"], instance, url))
    ok(run(["seed"], instance, url))
    assert read(url, "SELECT count(*) FROM capacity_reports") == [(0,)]
