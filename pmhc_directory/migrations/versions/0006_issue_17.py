"""users.session_nonce (revocable logins) and no geocode_cache table (issue #17)

* ``users.session_nonce``: the server-side identity of a user's logins, carried by every session
  cookie and replaced by logout, ``pmhc sign-out`` and changes of password, role or active flag.
  Existing users get a random value each (so sessions made before the upgrade end).
* ``geocode_cache`` is dropped: it kept online geocoder answers (coordinates, full address, date)
  for looked-up places. Answers are now kept in each process's memory for a short time only
  (``GEOCODER_CACHE_SECONDS``); the downgrade recreates the table empty.
* ``services.assurer_email`` that name a staff login are cleared: the public feed publishes a
  team address (``ASSURER_EMAIL``) or nothing; who verified stays in the change log.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_nonce", sa.String(length=64), nullable=True))
    users = sa.table("users", sa.column("id", sa.Uuid(as_uuid=False)), sa.column("session_nonce"))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(session_nonce=secrets.token_hex(32))
        )
    with op.batch_alter_table("users") as batch:
        batch.alter_column("session_nonce", existing_type=sa.String(length=64), nullable=False)
    op.drop_table("geocode_cache")
    # "Verified today" used to publish the coordinator's own login as the assurer; such values
    # are taken out of the public feed (who verified stays in the change log).
    op.execute(
        "UPDATE services SET assurer_email = NULL "
        "WHERE lower(assurer_email) IN (SELECT email FROM users)"
    )


def downgrade() -> None:
    op.create_table(
        "geocode_cache",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("label", sa.String(length=500), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_geocode_cache")),
    )
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_nonce")
