"""provider accounts, invitations, alerts with an expiry and proposals (issue #20)

Reserved slot: the issue's work fills this in; until then it changes nothing.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
