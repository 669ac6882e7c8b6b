"""Staff accounts. Only an email and a role: the app holds no other facts about its users."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, event, func
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UUID_TYPE, Base, new_id


class Role(enum.StrEnum):
    OFFICER = "officer"
    COORDINATOR = "coordinator"
    PLANNER = "planner"
    ADMIN = "admin"
    # Staff of one provider organization: keeps its own services' capacity, alerts and
    # closures current and proposes hours and details (docs/providers.md).
    PROVIDER = "provider"


def new_session_nonce() -> str:
    """A fresh random value naming the current generation of a user's logins (256 bits)."""
    return secrets.token_hex(32)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(UUID_TYPE, primary_key=True, default=new_id)
    # Stored lower-case; unique.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # werkzeug scrypt hash; never the password.
    password_hash: Mapped[str] = mapped_column(String(500))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="role",
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda roles: [r.value for r in roles],
        )
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_login_at: Mapped[datetime | None]
    # The one organization a provider account acts for (None for every other role).
    organization_id: Mapped[str | None] = mapped_column(
        UUID_TYPE, ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )

    # Server-side identity of this user's logins: every session cookie carries it (get_id) and
    # is refused once it changes. Replaced by logout, ``pmhc sign-out``, and any change of the
    # password, role or active flag (see the listeners below), which ends every session.
    session_nonce: Mapped[str] = mapped_column(String(64), default=new_session_nonce)

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the session cookie: the user id and the session nonce."""
        return f"{self.id}:{self.session_nonce}"

    def revoke_sessions(self) -> None:
        """End every session of this user (they must log in again), from the next request."""
        self.session_nonce = new_session_nonce()


def _revoke_on_change(target: User, value: Any, old: Any, _initiator: Any) -> None:
    """A changed password, role or active flag ends the user's sessions (not on first set)."""
    from sqlalchemy import inspect
    from sqlalchemy.orm.base import NO_VALUE

    if old is NO_VALUE or value == old or inspect(target).transient:
        return
    target.session_nonce = new_session_nonce()


for _attribute in (User.password_hash, User.role, User.active):
    event.listen(_attribute, "set", _revoke_on_change)
