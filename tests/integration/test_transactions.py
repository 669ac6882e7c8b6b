"""The per-test rollback really isolates tests (if it did not, the second test would fail)."""

from __future__ import annotations

from sqlalchemy import func, select

from pmhc_directory.models import Organization
from tests.factories import make_organization


def _count(session):
    return session.scalar(select(func.count()).select_from(Organization))


def test_write_and_commit_inside_test(session):
    before = _count(session)
    make_organization(session, name="Isolation check")
    session.commit()
    assert _count(session) == before + 1


def test_previous_test_was_rolled_back(session):
    names = set(session.scalars(select(Organization.name)))
    assert "Isolation check" not in names
