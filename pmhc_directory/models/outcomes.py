"""The de-identified encounter log and what is measured from it (spec/product.md 3.4).

By construction nothing here can hold a person's name, date of birth, address, phone, case or
CAD number, plate, diagnosis or substance-use treatment status, and no coordinates: the time is
kept to the hour, the place to an analysis area. Repeat encounters are linked only through an
HMAC token made with an agency-held key that is never stored in the database.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UUID_TYPE, Base, new_id

DISPOSITIONS = (
    "connected-on-scene",
    "transported",
    "facility-declined",
    "referred-only",
    "emergency-department",
    "arrest",
    "no-action",
)
DECLINE_REASONS = ("full", "medical-clearance", "intoxicated", "involuntary", "behavior", "other")
SCORECARD_STATUSES = ("yes", "partly", "no", "unknown")


class Encounter(Base):
    __tablename__ = "encounters"
    __table_args__ = (
        CheckConstraint(
            "disposition IN ('connected-on-scene', 'transported', 'facility-declined', "
            "'referred-only', 'emergency-department', 'arrest', 'no-action')",
            name="disposition",
        ),
        CheckConstraint(
            "decline_reason IS NULL OR decline_reason IN ('full', 'medical-clearance', "
            "'intoxicated', 'involuntary', 'behavior', 'other')",
            name="decline_reason",
        ),
    )

    id: Mapped[str] = mapped_column(UUID_TYPE, primary_key=True, default=new_id)
    # Start of the hour the encounter happened in (UTC); minutes and seconds are never kept.
    occurred_hour: Mapped[datetime] = mapped_column(index=True)
    # Analysis area the location fell in; the location itself is discarded.
    area_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # PMHC need codes, comma-separated.
    needs: Mapped[str] = mapped_column(String(500), default="")
    # PMHC service-type codes of the services referred to, comma-separated.
    referred_types: Mapped[str] = mapped_column(String(500), default="")
    disposition: Mapped[str] = mapped_column(String(40), index=True)
    # The facility that took the person (transported) or declined them (facility-declined).
    facility_id: Mapped[str | None] = mapped_column(
        UUID_TYPE, ForeignKey("services.id", ondelete="SET NULL"), index=True
    )
    decline_reason: Mapped[str | None] = mapped_column(String(40))
    use_of_force: Mapped[bool] = mapped_column(Boolean, default=False)
    injury: Mapped[bool] = mapped_column(Boolean, default=False)
    # HMAC-SHA256 (hex) of an agency-held identifier under PMHC_OUTCOMES_KEY; NULL without key.
    person_token: Mapped[str | None] = mapped_column(String(64), index=True)
    # Staff account that logged it (staff, not the person served).
    recorded_by: Mapped[str | None] = mapped_column(String(320))
    created_on: Mapped[date] = mapped_column(server_default=func.current_date())

    referrals: Mapped[list[EncounterReferral]] = relationship(
        cascade="all, delete-orphan", order_by="EncounterReferral.position"
    )
    follow_up: Mapped[FollowUp | None] = relationship(cascade="all, delete-orphan")


class EncounterReferral(Base):
    """A service the person was referred to in an encounter."""

    __tablename__ = "encounter_referrals"

    encounter_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("encounters.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class FollowUp(Base):
    """Connected to care within 7 / 30 days, recorded later by a coordinator (NULL = unknown)."""

    __tablename__ = "follow_ups"

    encounter_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("encounters.id", ondelete="CASCADE"), primary_key=True
    )
    connected_7_days: Mapped[bool | None] = mapped_column(Boolean)
    connected_30_days: Mapped[bool | None] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(String(320))
    recorded_on: Mapped[date]


class ScorecardAnswer(Base):
    """A self-reported answer to one of the six PMHC questions; every answer is kept."""

    __tablename__ = "scorecard_answers"
    __table_args__ = (
        CheckConstraint("question BETWEEN 1 AND 6", name="question"),
        CheckConstraint("status IN ('yes', 'partly', 'no', 'unknown')", name="status"),
    )

    id: Mapped[str] = mapped_column(UUID_TYPE, primary_key=True, default=new_id)
    question: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(10))
    evidence: Mapped[str] = mapped_column(Text, default="")
    answered_on: Mapped[date]
    answered_by: Mapped[str] = mapped_column(String(320))
