"""Backups of the whole database to one file, and restoring them (docs/backups.md).

* SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) copies the database into a
  new file in one step, under one read snapshot: consistent while the app keeps serving (in WAL
  mode the app's readers and writers go on meanwhile). The copy is switched out of WAL mode, so
  the backup is one self-contained ``.sqlite3`` file.
* PostgreSQL: ``pg_dump --format=custom``; restored with ``pg_restore --clean --if-exists
  --single-transaction`` (all or nothing). The URL's host, port, user and database go on the
  command line as separate arguments (no shell); the password only through ``PGPASSWORD``.

A backup file is written under a temporary name beside its destination and renamed into place
when complete, so a failed backup (full disk, interrupted) never leaves a half-written file
under the name asked for. Restore refuses a file of the other backend (the first bytes tell:
``SQLite format 3`` or ``PGDMP``) and a SQLite file that fails ``PRAGMA integrity_check``.

Nothing here touches the search index: the caller rebuilds it after a restore.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
# Seconds a pg_dump or pg_restore may run before it is stopped.
PG_TIMEOUT_SECONDS = 3600
# How long pg_restore waits for a table that another connection is using.
RESTORE_LOCK_TIMEOUT = "60s"

Advance = Callable[[int], None]
Progress = Callable[[str, int | None], AbstractContextManager[Advance]]


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why, for the operator."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    backend: str  # "sqlite" or "postgresql"
    size_bytes: int


@contextmanager
def _no_progress(_label: str, _total: int | None = None) -> Iterator[Advance]:
    yield lambda _n: None


def backend_of_url(url: str) -> str:
    """``sqlite`` or ``postgresql`` for a database URL; BackupError for any other."""
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {backend}.")
    return backend


def backend_of_file(path: Path) -> str | None:
    """``sqlite`` or ``postgresql`` from a backup file's first bytes; None when neither."""
    with Path(path).open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    return None


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL; BackupError for an in-memory database."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


# ---------------------------------------------------------------------------------------------
# Backup


def backup_database(url: str, dest: Path, *, progress: Progress | None = None) -> BackupResult:
    """Write a backup of the database at ``url`` to ``dest`` (replaced atomically if present).

    :raises BackupError: unsupported backend, destination not writable or disk full, source
        missing, or pg_dump missing or failing.
    """
    backend = backend_of_url(url)
    dest = Path(dest)
    if dest.is_dir():
        raise BackupError(f"{dest} is a folder; give the name of the backup file to write.")
    folder = dest.parent
    if not folder.is_dir():
        raise BackupError(f"The folder {folder} does not exist.")
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{dest.name}.", suffix=".tmp")
    except OSError as exc:
        raise BackupError(_explain(exc, folder)) from exc
    os.close(fd)
    temp = Path(name)
    try:
        if backend == "sqlite":
            _sqlite_backup(sqlite_path(url), temp, progress or _no_progress)
        else:
            _pg_dump(url, temp)
        _fsync(temp)
        os.chmod(temp, 0o600)  # a backup holds every account's password hash
        os.replace(temp, dest)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise BackupError(_explain(exc, dest)) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return BackupResult(dest, backend, dest.stat().st_size)


def _sqlite_backup(source: Path, temp: Path, progress: Progress) -> None:
    if not source.is_file():
        raise BackupError(f"The database file {source} does not exist.")
    src = sqlite3.connect(str(source), timeout=30)
    try:
        src.execute("PRAGMA busy_timeout=30000")
        total = src.execute("PRAGMA page_count").fetchone()[0]
        dst = sqlite3.connect(str(temp))
        try:
            with progress("Backing up", total) as advance:
                # One step, under one read snapshot: in WAL mode the app's writers go on, and
                # the copy never restarts (a stepwise copy restarts whenever another
                # connection writes, and might never finish on a busy database).
                src.backup(dst, pages=-1)
                advance(total)
            # One self-contained file: not in WAL mode, so no -wal/-shm files are needed.
            dst.execute("PRAGMA journal_mode=DELETE")
            _check_sqlite_integrity(dst, temp)
        except sqlite3.DatabaseError as exc:
            raise _sqlite_error(exc, temp) from exc
        finally:
            dst.close()
    finally:
        src.close()


def _sqlite_error(exc: sqlite3.DatabaseError, where: Path) -> Exception:
    text = str(exc).lower()
    if "full" in text:
        return BackupError(f"Backup failed: the disk is full ({where.parent}). Nothing was kept.")
    return BackupError(f"SQLite error: {exc}")


def _check_sqlite_integrity(connection: sqlite3.Connection, path: Path) -> None:
    rows = connection.execute("PRAGMA integrity_check").fetchall()
    if rows != [("ok",)]:
        problems = "; ".join(str(r[0]) for r in rows[:5])
        raise BackupError(f"{path} is not a sound SQLite database: {problems}")


def _pg_dump(url: str, temp: Path) -> None:
    args, env = _pg_connection(url)
    _run_pg_tool(
        "pg_dump", [*args, "--format=custom", "--no-password", f"--file={temp}"], env, temp
    )


# ---------------------------------------------------------------------------------------------
# Restore


def check_backup_file(url: str, path: Path) -> str:
    """The backend of a backup file, after checking that it fits the database at ``url``.

    :raises BackupError: missing or unreadable file, unknown format, or the other backend's.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"The backup file {path} does not exist.")
    backend = backend_of_url(url)
    try:
        found = backend_of_file(path)
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if found is None:
        raise BackupError(
            f"{path} is not a backup this app wrote (neither a SQLite database nor a "
            "pg_dump custom-format file). Nothing was changed."
        )
    if found != backend:
        raise BackupError(
            f"{path} is a {_label(found)} backup but this instance uses {_label(backend)}. "
            "Nothing was changed."
        )
    return backend


def restore_database(url: str, source: Path, *, progress: Progress | None = None) -> str:
    """Replace the whole database at ``url`` with the backup in ``source``; returns the backend.

    SQLite: the backup is checked (integrity) and copied into the live file with the online
    backup API, in one write transaction, so other connections see either the old or the new
    database. PostgreSQL: ``pg_restore --clean --if-exists --single-transaction``.

    :raises BackupError: the file does not fit this backend, is damaged, or the restore failed
        (the database is then unchanged).
    """
    backend = check_backup_file(url, source)
    if backend == "sqlite":
        _sqlite_restore(Path(source), sqlite_path(url), progress or _no_progress)
    else:
        _pg_restore(url, Path(source))
    return backend


def _sqlite_restore(source: Path, target: Path, progress: Progress) -> None:
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"Cannot open {source}: {exc}") from exc
    try:
        try:
            _check_sqlite_integrity(src, source)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a sound SQLite database: {exc}") from exc
        total = src.execute("PRAGMA page_count").fetchone()[0]
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(str(target), timeout=30)
        try:
            dst.execute("PRAGMA busy_timeout=30000")
            with progress("Restoring", total) as advance:
                # One step copies everything: the live file changes in a single transaction.
                src.backup(dst, pages=-1)
                advance(total)
            dst.execute("PRAGMA journal_mode=WAL")  # the app's mode (db.py)
        except sqlite3.DatabaseError as exc:
            raise _sqlite_error(exc, target) from exc
        finally:
            dst.close()
    finally:
        src.close()


def _pg_restore(url: str, source: Path) -> None:
    args, env = _pg_connection(url)
    # A connection that keeps a table in use (an app mid-request) must not stall the restore
    # for ever: give up after RESTORE_LOCK_TIMEOUT, with nothing changed.
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={RESTORE_LOCK_TIMEOUT}".strip()
    _run_pg_tool(
        "pg_restore",
        [
            *args,
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            "--no-password",
            str(source),
        ],
        env,
        source,
    )


# ---------------------------------------------------------------------------------------------
# Helpers


def _pg_connection(url: str) -> tuple[list[str], dict[str, str]]:
    """pg_dump / pg_restore arguments and environment for a SQLAlchemy PostgreSQL URL."""
    parsed: URL = make_url(url)
    if not parsed.database:
        raise BackupError("The database URL names no database.")
    args = []
    if parsed.host:
        args.append(f"--host={parsed.host}")
    if parsed.port:
        args.append(f"--port={parsed.port}")
    if parsed.username:
        args.append(f"--username={parsed.username}")
    args.append(f"--dbname={parsed.database}")
    # The environment's PG* settings (PGSSLMODE, PGPASSFILE, ...) apply; the URL's parts win.
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    for key, variable in (("sslmode", "PGSSLMODE"), ("host", "PGHOST")):
        value = parsed.query.get(key)
        if isinstance(value, str) and value:
            env[variable] = value
    return args, env


def _run_pg_tool(tool: str, args: list[str], env: dict[str, str], where: Path) -> None:
    program = shutil.which(tool)
    if program is None:
        raise BackupError(
            f"{tool} was not found on PATH; install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client)."
        )
    try:
        # A fixed program and separate arguments, no shell: the URL cannot inject a command.
        done = subprocess.run(  # noqa: S603
            [program, *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PG_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{tool} took more than {PG_TIMEOUT_SECONDS} seconds; stopped.") from exc
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()
        message = "; ".join(detail[-3:]) if detail else f"exit code {done.returncode}"
        if "lock timeout" in done.stderr:
            message = "another connection kept the tables in use; stop the app servers and retry"
        elif "No space left" in done.stderr:
            message = f"the disk is full ({where.parent})"
        outcome = "Nothing was changed." if tool == "pg_restore" else "No backup was written."
        raise BackupError(f"{tool} failed: {message}. {outcome}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _label(backend: str) -> str:
    return "SQLite" if backend == "sqlite" else "PostgreSQL"


def _explain(exc: OSError, where: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"Backup failed: the disk is full ({where}). Nothing was kept."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Backup failed: {where} is not writable."
    return f"Backup failed: {exc.strerror or exc} ({where})."
