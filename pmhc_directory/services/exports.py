"""Export every service as HSDS 3.1: ``hsds-json`` (one JSON array of compiled services),
``hsds-ndjson`` (one compiled service per line) or ``hsds-csv`` (the tabular data package,
a folder or a ``.zip``).

Everything is written next to its destination under a temporary name and renamed into place
at the end, so a failed export (disk full, interrupted) never leaves a half-written file or
package behind. Services are loaded and written a batch at a time (memory stays flat).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..hsds.serialize import SERVICE_LOAD_OPTIONS, organization_to_hsds, service_to_hsds
from ..hsds.tabular import PackageRefused, write_package
from ..models import Organization, Service
from .imports import index_lookups

FORMATS = ("hsds-json", "hsds-ndjson", "hsds-csv")
BATCH = 500

Advance = Callable[[int], None]
Progress = Callable[[str, int | None], AbstractContextManager[Advance]]


class ExportFailed(Exception):  # noqa: N818 (the name the CLI uses)
    """The export could not be written; the message says why, for the person running it."""


@contextmanager
def _no_progress(_label: str, _total: int | None = None) -> Iterator[Advance]:
    yield lambda _n: None


def export_services(session: Session) -> Iterator[dict[str, Any]]:
    """Every service in compiled HSDS form, by name then id, loaded a batch at a time."""
    ids = list(session.scalars(select(Service.id).order_by(Service.name, Service.id)))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        statement = select(Service).where(Service.id.in_(chunk)).options(*SERVICE_LOAD_OPTIONS)
        with index_lookups(session):
            by_id = {s.id: s for s in session.scalars(statement)}
        for service_id in chunk:
            service = by_id.get(service_id)
            if service is not None:  # deleted meanwhile
                yield service_to_hsds(service)


def export_file(
    session: Session, path: Path, *, fmt: str = "hsds-json", progress: Progress | None = None
) -> int:
    """Write every service to ``path`` in ``fmt``; returns how many were written.

    ``hsds-json`` and ``hsds-ndjson`` write a file in an existing folder. ``hsds-csv`` writes
    a package: a ``.zip`` file when ``path`` ends in ``.zip``, else a folder that must not
    exist yet or be empty.
    """
    if fmt not in FORMATS:
        raise ExportFailed(f"Format {fmt!r} is not supported (use {', '.join(FORMATS)}).")
    path = Path(path)
    progress = progress or _no_progress
    total = session.scalar(select(func.count()).select_from(Service)) or 0
    if fmt == "hsds-csv":
        return _export_package(session, path, progress, total)
    if path.is_dir():
        raise ExportFailed(f"{path} is a folder; give the name of the file to write.")
    folder = path.parent
    if not folder.is_dir():
        raise ExportFailed(f"The folder {folder} does not exist.")
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ExportFailed(_explain(exc, folder)) from exc
    temp = Path(name)
    count = 0
    try:
        with (
            os.fdopen(fd, "w", encoding="utf-8") as handle,
            progress("Exporting", total) as advance,
        ):
            if fmt == "hsds-ndjson":
                for service in export_services(session):
                    handle.write(json.dumps(service, ensure_ascii=False))
                    handle.write("\n")
                    count += 1
                    advance(1)
            else:
                handle.write("[")
                for service in export_services(session):
                    handle.write("\n" if count == 0 else ",\n")
                    handle.write(json.dumps(service, ensure_ascii=False))
                    count += 1
                    advance(1)
                handle.write("\n]\n" if count else "]\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise ExportFailed(_explain(exc, path)) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return count


def _organizations(session: Session) -> Callable[[set[str]], Iterator[dict[str, Any]]]:
    """Compiled organizations by id (those a location names but no exported service has)."""

    def load(ids: set[str]) -> Iterator[dict[str, Any]]:
        ordered = sorted(ids)
        for start in range(0, len(ordered), BATCH):
            chunk = ordered[start : start + BATCH]
            statement = (
                select(Organization).where(Organization.id.in_(chunk)).order_by(Organization.id)
            )
            for org in session.scalars(statement):
                yield organization_to_hsds(org)

    return load


def _export_package(session: Session, path: Path, progress: Progress, total: int) -> int:
    """``hsds-csv``: the tabular package, into a new (or empty) folder or a ``.zip`` file."""
    as_zip = path.suffix.lower() == ".zip"
    if as_zip:
        if path.is_dir():
            raise ExportFailed(f"{path} is a folder; give the name of the .zip file to write.")
    elif path.exists() and (not path.is_dir() or any(path.iterdir())):
        what = "folder is not empty" if path.is_dir() else "is a file"
        raise ExportFailed(
            f"{path}: the {what}; hsds-csv writes a package into a new or empty folder "
            "(or give a name ending in .zip)."
        )
    folder = path.parent
    if not folder.is_dir():
        raise ExportFailed(f"The folder {folder} does not exist.")
    try:
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp"))
    except OSError as exc:
        raise ExportFailed(_explain(exc, folder)) from exc
    zip_temp: Path | None = None
    try:
        with progress("Exporting", total) as advance:
            count = write_package(
                export_services(session),
                staging,
                advance=advance,
                organizations=_organizations(session),
            )
        if as_zip:
            fd, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
            zip_temp = Path(name)
            with os.fdopen(fd, "wb") as raw:
                with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                    for member in sorted(staging.iterdir()):
                        archive.write(member, member.name)
                raw.flush()
                os.fsync(raw.fileno())
            os.chmod(zip_temp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
            os.replace(zip_temp, path)
            zip_temp = None
            shutil.rmtree(staging, ignore_errors=True)
        else:
            os.chmod(staging, _folder_mode())
            os.replace(staging, path)  # an empty destination folder is replaced
    except OSError as exc:
        _discard(staging, zip_temp)
        raise ExportFailed(_explain(exc, path)) from exc
    except PackageRefused as exc:
        _discard(staging, zip_temp)
        raise ExportFailed(f"Export refused: {exc}. Nothing was written.") from exc
    except BaseException:
        _discard(staging, zip_temp)
        raise
    return count


def _folder_mode() -> int:
    """The mode a new folder gets under the current umask (mkdtemp makes it owner-only)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def _discard(staging: Path, zip_temp: Path | None) -> None:
    shutil.rmtree(staging, ignore_errors=True)
    if zip_temp is not None:
        zip_temp.unlink(missing_ok=True)


def _explain(exc: OSError, where: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"Export failed: the disk is full ({where}). Nothing was written."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Export failed: {where} is not writable. Nothing was written."
    if exc.errno == errno.EISDIR:
        return f"Export failed: {where} is a folder; give a file name."
    return f"Export failed: {exc.strerror or exc} ({where}). Nothing was written."
