"""officer lookup (issue #14): unmet need recorded once per lookup intent

``unmet_needs.intent``: an HMAC (keyed with the app's secret) of the user, area, need and the
person's facts; ``unmet_needs.recorded_at``: when the row was written. A search repeated within
``UNMET_NEED_INTENT_HOURS`` is not counted again. Rows from before keep NULL in both.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unmet_needs") as batch:
        batch.add_column(sa.Column("intent", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(op.f("ix_unmet_needs_intent"), ["intent"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unmet_needs") as batch:
        batch.drop_index(op.f("ix_unmet_needs_intent"))
        batch.drop_column("recorded_at")
        batch.drop_column("intent")
