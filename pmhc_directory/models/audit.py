"""The per-record change log (HSDS ``metadata``): who changed what, when, from what to what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UUID_TYPE, Base, new_id


class ChangeRecord(Base):
    __tablename__ = "change_records"
    __table_args__ = (Index("ix_change_records_resource", "resource_type", "resource_id"),)

    id: Mapped[str] = mapped_column(UUID_TYPE, primary_key=True, default=new_id)
    resource_id: Mapped[str] = mapped_column(UUID_TYPE)
    # HSDS object name: service, organization, location, ...
    resource_type: Mapped[str] = mapped_column(String(50))
    last_action_date: Mapped[datetime]
    # create, update, delete, verify, import
    last_action_type: Mapped[str] = mapped_column(String(20))
    field_name: Mapped[str] = mapped_column(String(100), default="")
    previous_value: Mapped[str] = mapped_column(Text, default="")
    replacement_value: Mapped[str] = mapped_column(Text, default="")
    # The staff email or "import:<file name>" / "system"; never a member of the public.
    updated_by: Mapped[str] = mapped_column(String(320))
