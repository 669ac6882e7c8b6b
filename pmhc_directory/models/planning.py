"""Facts planners add to the inventory: provider staffing for population-to-provider ratios."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UUID_TYPE, Base


class ServiceStaffing(Base):
    """Full-time equivalents of mental-health professionals working in a service.

    ``core_fte`` counts HRSA's core mental-health professionals (psychiatrists, clinical
    psychologists, clinical social workers, psychiatric nurse specialists, marriage and family
    therapists; 42 CFR Part 5 Appendix C); ``psychiatrist_fte`` the psychiatrists among them.
    """

    __tablename__ = "service_staffing"
    __table_args__ = (
        CheckConstraint("core_fte >= 0", name="core_fte"),
        CheckConstraint("psychiatrist_fte >= 0", name="psychiatrist_fte"),
    )

    service_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    core_fte: Mapped[float] = mapped_column(Float, default=0.0)
    psychiatrist_fte: Mapped[float] = mapped_column(Float, default=0.0)
