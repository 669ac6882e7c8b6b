"""What the officer lookup leaves behind: anonymous unmet needs and problem reports.

Nothing here describes a person: no coordinates, no free text about the person, no identifiers.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UUID_TYPE, Base, new_id
from .directory import Service

PROBLEM_KINDS = ("closed", "wrong-phone", "wrong-hours", "wrong-address", "refused", "other")
PROBLEM_STATUSES = ("open", "resolved", "dismissed")


class UnmetNeed(Base):
    """A need the lookup could not meet: for planners' gap maps (spec/product.md 3.2)."""

    __tablename__ = "unmet_needs"
    __table_args__ = (CheckConstraint("hour_of_week BETWEEN 0 AND 167", name="hour_of_week"),)

    id: Mapped[str] = mapped_column(UUID_TYPE, primary_key=True, default=new_id)
    # A PMHC need code, or "type:<service-type code>" when types were asked for directly.
    need: Mapped[str] = mapped_column(String(100), index=True)
    # The analysis area the query point fell in (no coordinates are kept); NULL when no
    # geography is loaded or the point lies outside every area.
    area_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Local hour of the week the help was needed: Monday 00:00-00:59 is 0, Sunday 23:xx is 167.
    hour_of_week: Mapped[int] = mapped_column(Integer)
    occurred_on: Mapped[date]
    # One record per lookup intent (issue #14): an HMAC (keyed with the app's secret) of the
    # user, area, need and the person's facts, and when it was recorded; a search repeated
    # within UNMET_NEED_INTENT_HOURS is not counted again. NULL for rows from before.
    intent: Mapped[str | None] = mapped_column(String(64), index=True)
    recorded_at: Mapped[datetime | None]


class ProblemReport(Base):
    """ "Report a problem with this listing", for the coordinators' queue."""

    __tablename__ = "problem_reports"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('closed', 'wrong-phone', 'wrong-hours', 'wrong-address', 'refused', 'other')",
            name="kind",
        ),
        CheckConstraint("status IN ('open', 'resolved', 'dismissed')", name="status"),
    )

    id: Mapped[str] = mapped_column(UUID_TYPE, primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    # About the listing only; the form tells the reporter not to write about the person.
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Staff account that reported it, when logged in.
    reported_by: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(320))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service] = relationship()
