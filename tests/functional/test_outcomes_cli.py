"""``flask outcomes export | purge`` through the CLI runner (docs/outcomes.md).

Requesting ``session`` routes the commands' sessions into the test's rolled-back transaction.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from pmhc_directory.models import Encounter
from pmhc_directory.services.outcomes import EXPORT_FIELDS


def _add(session, when: datetime, disposition: str = "connected-on-scene", n: int = 1) -> None:
    for _ in range(n):
        session.add(
            Encounter(
                occurred_hour=when,
                disposition=disposition,
                area_id="a1",
                person_token="f" * 64,
            )
        )
    session.commit()


def test_export_writes_suppressed_aggregates(runner, session, tmp_path):
    _add(session, datetime(2026, 2, 3, 10, tzinfo=UTC), n=12)
    _add(session, datetime(2026, 2, 4, 10, tzinfo=UTC), "arrest", n=2)
    _add(session, datetime(2025, 12, 4, 10, tzinfo=UTC), "arrest", n=20)
    out = tmp_path / "outcomes.csv"

    result = runner.invoke(
        args=["outcomes", "export", str(out), "--since", "2026-01-01", "--until", "2026-02-28"]
    )

    assert result.exit_code == 0, result.output
    assert "2 aggregate rows" in result.output
    with out.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == EXPORT_FIELDS
        rows = list(reader)
    assert [(r["month"], r["disposition"], r["encounters"]) for r in rows] == [
        ("2026-02", "arrest", "<11"),
        ("2026-02", "connected-on-scene", "12"),
    ]
    assert "f" * 64 not in out.read_text(encoding="utf-8")


def test_export_refuses_a_bad_date(runner, session, tmp_path):
    result = runner.invoke(args=["outcomes", "export", str(tmp_path / "x.csv"), "--since", "soon"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output
    assert not (tmp_path / "x.csv").exists()


def test_purge_dry_run_then_purge(runner, session, app):
    days = app.config["OUTCOMES_RETENTION_DAYS"]
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    _add(session, now - timedelta(days=days + 10), n=3)
    _add(session, now - timedelta(days=1))

    dry = runner.invoke(args=["outcomes", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"3 encounters older than {days} days would be deleted." in dry.output
    assert len(session.scalars(select(Encounter)).all()) == 4

    real = runner.invoke(args=["outcomes", "purge"])
    assert real.exit_code == 0, real.output
    assert f"3 encounters older than {days} days deleted." in real.output
    session.expire_all()
    assert len(session.scalars(select(Encounter)).all()) == 1
