"""Staff accounts. Only an email and a role: the app holds no other facts about its users."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, func
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

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in
        return self.active
