"""import runs, problem reports and review flags (issue #15)

Reserved slot: the issue's work fills this in; until then it changes nothing.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
