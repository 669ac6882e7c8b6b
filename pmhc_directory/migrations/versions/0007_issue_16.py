"""HSDS 3.1 fields kept on import and export (issues #16 and #15 item 5)

Organizations and services get the HSDS 3.1 fields they lacked; every table holding an HSDS
object gets ``hsds_extra`` (the object's other HSDS fields, verbatim JSON). Stored schedule
times written ``HH:MM:00`` are shortened to ``HH:MM``, the one form imports now store.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

EXTRA_TABLES = (
    "organizations",
    "services",
    "locations",
    "services_at_location",
    "addresses",
    "phones",
    "schedules",
    "service_areas",
    "languages",
    "cost_options",
    "units",
    "service_capacities",
    "contacts",
    "urls",
    "attributes",
    "taxonomies",
    "taxonomy_terms",
)
ORGANIZATION_COLUMNS = (
    ("tax_status", sa.String(500)),
    ("tax_id", sa.String(200)),
    ("year_incorporated", sa.Integer()),
    ("legal_status", sa.String(500)),
    ("logo", sa.String(2000)),
    ("uri", sa.String(2000)),
    ("parent_organization_id", sa.Uuid(as_uuid=False)),
)
SERVICE_COLUMNS = (
    ("program_id", sa.Uuid(as_uuid=False)),
    ("wait_time", sa.Text()),
    ("fees", sa.Text()),
    ("accreditations", sa.Text()),
    ("licenses", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        for name, type_ in ORGANIZATION_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("services") as batch:
        for name, type_ in SERVICE_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    for table in EXTRA_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("hsds_extra", sa.Text(), nullable=True))
    schedules = sa.table("schedules", sa.column("opens_at"), sa.column("closes_at"))
    for name in ("opens_at", "closes_at"):
        column = schedules.c[name]
        op.execute(
            schedules.update()
            .where(sa.func.length(column) == 8, sa.func.substr(column, 6, 3) == ":00")
            .values({name: sa.func.substr(column, 1, 5)})
        )


def downgrade() -> None:
    for table in reversed(EXTRA_TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("hsds_extra")
    with op.batch_alter_table("services") as batch:
        for name, _type in reversed(SERVICE_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("organizations") as batch:
        for name, _type in reversed(ORGANIZATION_COLUMNS):
            batch.drop_column(name)
