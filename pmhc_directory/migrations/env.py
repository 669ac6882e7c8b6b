"""Alembic environment. Configured in code by ``pmhc_directory.schema``; no alembic.ini."""

from alembic import context

from pmhc_directory.db import UtcDateTime
from pmhc_directory.models import Base


def render_item(type_, obj, autogen_context):
    """Write UtcDateTime as the plain column type it stores, so migrations need no app import."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - always given by pmhc_directory.schema
    raise RuntimeError("run migrations through pmhc_directory.schema (flask init-db)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode recreates tables (needs named constraints).
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
