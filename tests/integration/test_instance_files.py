"""The instance folder is owner-only (0700) and the SQLite files 0600 (issue #17 item 9)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy.orm import Session

from pmhc_directory import create_app
from pmhc_directory.db import get_database
from pmhc_directory.models import Role
from pmhc_directory.schema import upgrade
from tests.conftest import make_test_config, prepare_database
from tests.factories import make_user


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_existing_database_and_its_wal_files_become_owner_only(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    os.chmod(instance, 0o755)  # noqa: S103 (the mode an earlier version left)
    database = instance / "pmhc.sqlite3"
    url = f"sqlite:///{database}"
    prepare_database(url)
    os.chmod(database, 0o644)  # as an earlier version left it
    app = create_app(make_test_config(url, instance, SEARCH_INDEX_DIR=":memory:"))
    engine = get_database(app).engine
    try:
        with Session(engine) as session:
            make_user(session, Role.OFFICER, email="perm@example.org")
            session.commit()
            wal = database.with_name(database.name + "-wal")
            shm = database.with_name(database.name + "-shm")
            assert wal.exists() and shm.exists()
            assert (mode(instance), mode(database), mode(wal), mode(shm)) == (
                0o700,
                0o600,
                0o600,
                0o600,
            )
    finally:
        engine.dispose()


def test_a_new_database_is_created_owner_only(tmp_path):
    instance = tmp_path / "fresh-instance"
    database = instance / "pmhc.sqlite3"
    app = create_app(make_test_config(f"sqlite:///{database}", instance))
    engine = get_database(app).engine
    try:
        upgrade(engine)
        assert mode(instance) == 0o700
        assert mode(database) == 0o600
    finally:
        engine.dispose()
