"""The change sequence that keeps every process's search index in step with the database.

Every write that can change what search shows about a service appends a row; each process's
index remembers the last ``seq`` it applied and catches up before it answers. Several app
servers sharing one database therefore each keep their own index current.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, func
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UUID_TYPE, Base

# BIGINT on PostgreSQL; SQLite only autoincrements an INTEGER PRIMARY KEY.
SEQ_TYPE = BigInteger().with_variant(Integer(), "sqlite")


class SearchChange(Base):
    __tablename__ = "search_changes"

    seq: Mapped[int] = mapped_column(SEQ_TYPE, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(UUID_TYPE, index=True)
    changed_at: Mapped[datetime] = mapped_column(server_default=func.now())
