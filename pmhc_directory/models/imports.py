"""Import runs started on the import page, and the review flags an import leaves on the
services it kept with problems (``--on-error skip``), for the verification queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UUID_TYPE, Base, new_id

#: uploaded -> checking -> checked (the dry run's report is ready) -> importing -> done;
#: failed when the check or the import stopped (``message`` says why).
IMPORT_RUN_STATUSES = ("checking", "checked", "importing", "done", "failed")
IMPORT_FLAG_STATUSES = ("open", "cleared")


class ImportRun(Base):
    """One file uploaded on the import page, its dry run and (once confirmed) its import.

    ``active`` is 1 while the run is checking or importing and NULL otherwise: its unique
    index lets only one run be active at a time, in every app process, on SQLite and
    PostgreSQL alike. ``heartbeat`` is touched as the job advances; a run whose worker died
    (no heartbeat for ``STALE_SECONDS`` in ``services.import_runs``) is failed so another can
    start.
    """

    __tablename__ = "import_runs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('checking', 'checked', 'importing', 'done', 'failed')", name="status"
        ),
        CheckConstraint("on_error IN ('fail', 'skip')", name="on_error"),
    )

    id: Mapped[str] = mapped_column(UUID_TYPE, primary_key=True, default=new_id)
    file_name: Mapped[str] = mapped_column(String(255))
    # Where the upload is kept until the run ends (a file in the instance folder).
    stored_path: Mapped[str] = mapped_column(Text)
    fmt: Mapped[str] = mapped_column(String(20))
    on_error: Mapped[str] = mapped_column(String(10), default="skip")
    status: Mapped[str] = mapped_column(String(20), default="checking", index=True)
    active: Mapped[int | None] = mapped_column(Integer, unique=True)
    # What the job is doing ("Checking", "Importing") and how far it got.
    phase: Mapped[str] = mapped_column(String(40), default="")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    # Counts of the dry run and of the import (JSON), the problem report (CSV text).
    dry_run_summary: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    report: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")
    started_by: Mapped[str] = mapped_column(String(320))
    confirmed_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    heartbeat: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ImportFlag(Base):
    """A service an import kept with problems; open until a coordinator verifies it."""

    __tablename__ = "import_flags"
    __table_args__ = (CheckConstraint("status IN ('open', 'cleared')", name="status"),)

    id: Mapped[str] = mapped_column(UUID_TYPE, primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(
        UUID_TYPE, ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    # "import:<file name>", as in the change log.
    source: Mapped[str] = mapped_column(String(320))
    # One problem per line, each naming the file, row and field and what the import did.
    problems: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    cleared_at: Mapped[datetime | None]
    cleared_by: Mapped[str | None] = mapped_column(String(320))
