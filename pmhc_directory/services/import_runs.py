"""Imports started on the import page: one run per uploaded file, checked (a dry run), then
imported once a coordinator confirms, each step as a background job with its progress.

A run is a row of ``import_runs``. While it is checking or importing its ``active`` column
is 1, and a unique index on that column lets only one run be active at a time in every app
process, on SQLite and PostgreSQL alike; a second upload or confirm is refused
(:class:`ImportBusyError` names the run in the way). The job runs in a thread of the app
process (:func:`start_job`) with a session of its own; it never ties up a web worker.

Progress: the job writes how far it got to a small JSON file beside the upload (any process
on the machine can read it, and SQLite cannot take another write while the import holds its
write lock) and, on PostgreSQL, to the run's row too. A run whose job stopped without saying
so (the process was killed) shows no progress for ``STALE_SECONDS``; it is then failed, so
the next import can start.

Nothing here reads the request; the view commits.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import get_database, normalize_uuid
from ..hsds.readers import READERS, format_named
from ..models import ImportRun
from .audit import record_change
from .imports import ImportFailed, ImportSummary, import_file, write_report

log = logging.getLogger(__name__)

#: A run with no sign of life for this long is taken to have died.
STALE_SECONDS = 600
#: A checked run not confirmed within this long is given up and its upload deleted.
UNCONFIRMED_SECONDS = 24 * 3600
#: Least seconds between two progress writes.
PROGRESS_EVERY = 0.5
#: Problems shown in the table on the page; all are in the CSV download.
SHOWN_PROBLEMS = 200
#: Each import format's label, for the page (``hsds.readers``).
FORMAT_LABELS = {reader.name: reader.label for reader in READERS}
ACTIVE = ("checking", "importing")


class ImportBusyError(Exception):
    """Another import is checking or importing; ``run`` is that run."""

    def __init__(self, run: ImportRun) -> None:
        super().__init__(f"import {run.id} of {run.file_name} is {run.status}")
        self.run = run


class UnknownRunError(LookupError):
    """No import run with this id."""


class RunStateError(ValueError):
    """The run is not in a state that allows this (e.g. confirming one already imported)."""


# ---------------------------------------------------------------------------------------------
# Runs


def get_run(session: Session, run_id: str) -> ImportRun:
    try:
        key = normalize_uuid(run_id)
    except ValueError:
        raise UnknownRunError(run_id) from None
    run = session.get(ImportRun, key)
    if run is None:
        raise UnknownRunError(run_id)
    return run


def recent_runs(session: Session, limit: int = 10) -> list[ImportRun]:
    return list(
        session.scalars(
            select(ImportRun).order_by(ImportRun.created_at.desc(), ImportRun.id).limit(limit)
        )
    )


def active_run(session: Session, *, now: datetime | None = None) -> ImportRun | None:
    """The run checking or importing now; one whose job died (no sign of life for
    ``STALE_SECONDS``) is failed and not returned."""
    run = session.scalar(select(ImportRun).where(ImportRun.active.is_not(None)))
    if run is None:
        return None
    moment = now or datetime.now(UTC)
    if moment - last_seen(run) > timedelta(seconds=STALE_SECONDS):
        _finish(session, run, "failed", message="The import stopped without finishing.")
        session.flush()
        return None
    return run


def last_seen(run: ImportRun) -> datetime:
    """When the run's job last showed progress (its row or its progress file)."""
    seen = [run.heartbeat or run.created_at]
    progress = _progress_path(run)
    with suppress(OSError):
        seen.append(datetime.fromtimestamp(progress.stat().st_mtime, UTC))
    return max(s for s in seen if s is not None)


def create_run(
    session: Session,
    *,
    file_name: str,
    stored_path: Path,
    fmt: str,
    on_error: str,
    user: str,
) -> ImportRun:
    """A new run, checking (active); ``ImportBusyError`` when another is active."""
    format_named(fmt)  # UnknownFormatError (a ValueError) when there is no such format
    busy = active_run(session)
    if busy is not None:
        raise ImportBusyError(busy)
    now = datetime.now(UTC)
    _give_up_unconfirmed(session, now)
    run = ImportRun(
        file_name=file_name[:255],
        stored_path=str(stored_path),
        fmt=fmt,
        on_error=on_error,
        status="checking",
        active=1,
        phase="Waiting",
        done=0,
        started_by=user,
        heartbeat=now,
        created_at=now,
    )
    session.add(run)
    _claim(session)
    return run


def _give_up_unconfirmed(session: Session, now: datetime) -> None:
    """Checked runs nobody confirmed within ``UNCONFIRMED_SECONDS``: failed, upload deleted."""
    cutoff = now - timedelta(seconds=UNCONFIRMED_SECONDS)
    for old in session.scalars(
        select(ImportRun).where(ImportRun.status == "checked", ImportRun.created_at < cutoff)
    ):
        _finish(session, old, "failed", message="Not confirmed within a day; upload it again.")


def confirm_run(session: Session, run: ImportRun, user: str) -> ImportRun:
    """Start importing a checked run; ``ImportBusyError`` when another is active."""
    if run.status != "checked":
        raise RunStateError(f"this import is {run.status}; only a checked file can be imported")
    busy = active_run(session)
    if busy is not None and busy.id != run.id:
        raise ImportBusyError(busy)
    run.status, run.active, run.phase, run.done, run.total = "importing", 1, "Waiting", 0, None
    run.confirmed_by = user
    run.heartbeat = datetime.now(UTC)
    _claim(session)
    return run


def _claim(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError:  # another process took the slot between the check and the flush
        session.rollback()
        busy = session.scalar(select(ImportRun).where(ImportRun.active.is_not(None)))
        if busy is None:
            raise
        raise ImportBusyError(busy) from None


def _finish(session: Session, run: ImportRun, status: str, *, message: str = "") -> None:
    run.status, run.active = status, None
    run.finished_at = datetime.now(UTC)
    if message:
        run.message = message
    _remove(_progress_path(run))
    if status in ("done", "failed"):
        _remove(Path(run.stored_path))


def _remove(path: Path) -> None:
    with suppress(OSError):
        path.unlink()


# ---------------------------------------------------------------------------------------------
# Progress


@dataclass(frozen=True)
class Progress:
    status: str
    phase: str
    done: int
    total: int | None

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "phase": self.phase,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
        }


def _progress_path(run: ImportRun) -> Path:
    return Path(f"{run.stored_path}.progress.json")


def progress_of(run: ImportRun) -> Progress:
    """How far the run's job got: its progress file while active, else its row."""
    if run.status in ACTIVE:
        try:
            data = json.loads(_progress_path(run).read_text(encoding="utf-8"))
            return Progress(run.status, str(data["phase"]), int(data["done"]), data["total"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return Progress(run.status, run.phase, run.done, run.total)


class _ProgressWriter:
    """``services.imports`` progress callback writing the progress file (and on PostgreSQL
    the run's row, through a session of its own) at most every ``PROGRESS_EVERY`` s."""

    def __init__(self, app: Flask, run_id: str, path: Path) -> None:
        self.app = app
        self.run_id = run_id
        self.path = path
        self.last = 0.0
        self.database = get_database(app)
        self.write_row = self.database.engine.dialect.name != "sqlite"

    @contextmanager
    def __call__(self, label: str, total: int | None = None) -> Iterator[Any]:
        state = {"done": 0}

        def advance(count: int) -> None:
            state["done"] += count
            self.write(label, state["done"], total)

        self.write(label, 0, total, force=True)
        yield advance
        self.write(label, state["done"], total, force=True)

    def write(self, phase: str, done: int, total: int | None, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        data = json.dumps({"phase": phase, "done": done, "total": total})
        temporary = self.path.with_suffix(".tmp")
        try:
            temporary.write_text(data, encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            log.warning("cannot write import progress to %s", self.path)
        if self.write_row:
            with self.database.session() as session:
                session.execute(
                    update(ImportRun)
                    .where(ImportRun.id == self.run_id)
                    .values(phase=phase, done=done, total=total, heartbeat=datetime.now(UTC))
                )
                session.commit()


# ---------------------------------------------------------------------------------------------
# The job


def start_job(app: Flask, run_id: str, *, background: bool = True) -> None:
    """Check (``checking``) or import (``importing``) the run, in a thread of this process
    when ``background`` (the ``IMPORT_IN_BACKGROUND`` setting), else right away."""
    if not background:
        run_job(app, run_id)
        return
    thread = threading.Thread(
        target=run_job, args=(app, run_id), name=f"import-{run_id}", daemon=True
    )
    thread.start()


def run_job(app: Flask, run_id: str) -> None:
    """Do what the run is waiting for; every outcome ends up in its row."""
    with app.app_context():
        database = get_database(app)
        with database.session(write=True) as session:
            run = session.get(ImportRun, run_id)
            if run is None or run.status not in ACTIVE:
                return
            dry_run = run.status == "checking"
            path, fmt, on_error = Path(run.stored_path), run.fmt, run.on_error
            user = run.confirmed_by or run.started_by
            file_name = run.file_name
            progress_path = _progress_path(run)
            session.rollback()  # no transaction held while the import reads
            writer = _ProgressWriter(app, run_id, progress_path)
            limit = app.config.get("IMPORT_MAX_UNZIPPED_MB")
            try:
                summary = import_file(
                    session,
                    path,
                    fmt=fmt,
                    progress=writer,
                    on_error=on_error,
                    max_unzipped_bytes=int(limit * 1024 * 1024) if limit else None,
                    source=f"{file_name} by {user}",
                )
            except ImportFailed as exc:
                session.rollback()
                _record_failure(session, run_id, exc, dry_run)
                return
            except Exception:  # noqa: BLE001 (any crash must end the run, not leave it active)
                log.exception("import run %s failed", run_id)
                session.rollback()
                _record_crash(session, run_id)
                return
            if dry_run:
                session.rollback()
            else:
                _audit(session, run_id, user, file_name, summary)
            run = session.get(ImportRun, run_id)
            assert run is not None  # noqa: S101 (the row outlives its job)
            counts = json.dumps(summary.counts())
            run.report = _report_text(summary.report_issues())
            if dry_run:
                run.dry_run_summary = counts
                run.phase, run.done = "Checked", run.total or 0
                run.status, run.active = "checked", None
                _remove(_progress_path(run))
            else:
                run.summary = counts
                run.phase = "Imported"
                _finish(session, run, "done")
            session.commit()


def _report_text(issues: Any) -> str:
    buffer = io.StringIO()
    write_report(buffer, issues)
    return buffer.getvalue()


def _audit(
    session: Session, run_id: str, user: str, file_name: str, summary: ImportSummary
) -> None:
    """The import itself in the change log (each service it changed has its own rows)."""
    record_change(
        session,
        resource_type="import",
        resource_id=run_id,
        action="import",
        user=user,
        field="file",
        new=f"{file_name}: {summary}",
    )


def _record_failure(session: Session, run_id: str, exc: ImportFailed, dry_run: bool) -> None:
    run = session.get(ImportRun, run_id)
    if run is None:
        return
    run.report = _report_text(exc.errors)
    counts = {"errors": len(exc.errors)}
    if dry_run:
        run.dry_run_summary = json.dumps(counts)
    else:
        run.summary = json.dumps(counts)
    what = "checked" if dry_run else "imported"
    _finish(
        session,
        run,
        "failed",
        message=f"The file could not be {what}: {len(exc.errors)} problem(s); nothing was "
        "changed. The report lists them.",
    )
    session.commit()


def _record_crash(session: Session, run_id: str) -> None:
    run = session.get(ImportRun, run_id)
    if run is None:
        return
    _finish(
        session,
        run,
        "failed",
        message="The import stopped on an internal error; nothing was changed. The server "
        "log has the details.",
    )
    session.commit()


def stored_upload_dir(app: Flask) -> Path:
    """Folder for uploads (``IMPORT_UPLOAD_DIR``, default ``instance/imports``)."""
    folder = app.config.get("IMPORT_UPLOAD_DIR") or os.path.join(app.instance_path, "imports")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def counts_of(text: str) -> dict[str, int]:
    """The counts a run stored (JSON), {} when none."""
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}


def report_rows_of(run: ImportRun, limit: int = SHOWN_PROBLEMS) -> tuple[list[dict[str, str]], int]:
    """The first ``limit`` problems of the run's report, and how many there are in all."""
    import csv

    rows = list(csv.DictReader(io.StringIO(run.report))) if run.report else []
    return rows[:limit], len(rows)
