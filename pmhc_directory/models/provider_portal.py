"""Provider self-service: invitation links for provider accounts, and proposed changes.

A provider keeps capacity, alerts and closures current directly (they go live at once); hours
and contact details are only *proposed* here and go live when a coordinator accepts them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UUID_TYPE, Base, new_id
from .directory import Organization, Service

PROPOSAL_KINDS = ("hours", "details")
PROPOSAL_STATUSES = ("pending", "accepted", "rejected")


class ProviderInvitation(Base):
    """A single-use link that lets a person set a password and become a provider account.

    Only a SHA-256 hash of the link's secret is stored; the link is shown once, when created.
    """

    __tablename__ = "provider_invitations"

    id: Mapped[str] = mapped_column(UUID_TYPE, primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    # Lower-case email the account will have.
    email: Mapped[str] = mapped_column(String(320))
    # Hex SHA-256 of the secret in the link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(320))
    expires_at: Mapped[datetime]
    # Set when the link is used (or withdrawn); a used link is refused.
    used_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship()


class ProviderProposal(Base):
    """New hours or contact details proposed by a provider, waiting for a coordinator.

    ``payload`` holds what the provider sent: for ``hours`` the hours editor's windows, closures
    and 24/7 switch; for ``details`` a phone number and/or an address. Nothing in it is live
    until a coordinator accepts it (a normal audited edit by the coordinator).
    """

    __tablename__ = "provider_proposals"
    __table_args__ = (
        CheckConstraint("kind IN ('hours', 'details')", name="kind"),
        CheckConstraint("status IN ('pending', 'accepted', 'rejected')", name="status"),
    )

    id: Mapped[str] = mapped_column(UUID_TYPE, primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The proposal as the directory would describe it, one line each (shown in the queue).
    summary: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(320))
    proposed_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None]

    service: Mapped[Service] = relationship()
