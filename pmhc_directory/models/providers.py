"""Provider access: bearer tokens for the capacity API, and the capacity history they feed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UUID_TYPE, Base, new_id
from .directory import Organization


class ApiToken(Base):
    """A provider's bearer token, scoped to one organization's services.

    Only a SHA-256 hash of the token is stored; the token itself is shown once, when created.
    """

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(UUID_TYPE, primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    # Hex SHA-256 of the whole token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token's first characters, safe to show so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(320))
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship()


class CapacityReport(Base):
    """Every capacity figure ever reported, for planners (occupancy over time)."""

    __tablename__ = "capacity_reports"
    __table_args__ = (
        CheckConstraint("available >= 0", name="available"),
        CheckConstraint("maximum IS NULL OR maximum >= 0", name="maximum"),
        Index("ix_capacity_reports_service_updated", "service_id", "updated"),
    )

    id: Mapped[str] = mapped_column(UUID_TYPE, primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("services.id", ondelete="CASCADE")
    )
    unit_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    available: Mapped[int] = mapped_column(Integer)
    maximum: Mapped[int | None] = mapped_column(Integer)
    updated: Mapped[datetime]
    # "token:<prefix>", "user:<email>" or "import:<source>".
    source: Mapped[str] = mapped_column(String(400))
