"""Owner-only permissions for the instance folder and the SQLite database files.

The instance folder holds the signing key, the SQLite database (with its write-ahead log and
shared-memory files), backups and the search index: nothing another account on the machine
should read. At start the folder is made 0700 and the database files 0600; SQLite gives the
``-wal`` and ``-shm`` files it creates later the database file's own mode, and a database file
that does not exist yet is created empty with 0600 before SQLite opens it. Where the filesystem
does not allow it (a mounted volume owned by another account), a warning is logged and the app
starts anyway.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600
# Files SQLite keeps beside the database.
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def sqlite_file(database_url: str) -> Path | None:
    """The database file of a SQLite URL, or None (another database, or in memory)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:"):
        return None  # a URI filename; its options are the caller's business
    return Path(url.database)


def protect_instance(folder: str | Path, database_url: str) -> None:
    """Make ``folder`` owner-only (0700) and the SQLite database files owner-only (0600)."""
    _chmod(Path(folder), FOLDER_MODE)
    database = sqlite_file(database_url)
    if database is None:
        return
    if not database.exists() and database.parent.is_dir():
        try:
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        except FileExistsError:
            pass
        except OSError as exc:
            log.warning("could not create %s owner-only (%s)", database, type(exc).__name__)
    for suffix in SQLITE_SUFFIXES:
        path = database.with_name(database.name + suffix)
        if path.exists():
            _chmod(path, FILE_MODE)


def _chmod(path: Path, mode: int) -> None:
    try:
        if (path.stat().st_mode & 0o777) != mode:
            path.chmod(mode)
    except OSError as exc:
        log.warning("could not set %s to mode %o (%s)", path, mode, type(exc).__name__)
