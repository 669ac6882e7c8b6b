"""UUIDs are read as the app's canonical strings, whichever way a query reads them."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text

from pmhc_directory.models import Service
from tests.factories import make_service


def test_a_uuid_read_by_the_orm_or_core_is_the_canonical_string(session):
    service = make_service(session, name="Harbor House")
    assert isinstance(service.id, str)
    assert session.scalar(select(Service.id).where(Service.name == "Harbor House")) == service.id
    assert str(uuid.UUID(service.id)) == service.id  # lower case, with dashes


def test_postgresql_sends_uuids_as_that_string_even_to_plain_sql(session):
    """On PostgreSQL the driver reads a UUID column as the text the server sends, not through
    ``uuid.UUID`` (db.py: a fifth of the cost of reading a rebuild's ids)."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite stores UUIDs as 32 hex digits")
    service = make_service(session, name="Harbor House")
    raw = session.execute(text("SELECT id FROM services WHERE name = 'Harbor House'")).scalar()
    assert raw == service.id
    assert type(raw) is str
