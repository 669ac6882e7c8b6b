"""Backup and restore round trips (issue #9 item 6): SQLite online backup and pg_dump/pg_restore.

Every test works on a database of its own (a SQLite file in tmp_path, or a scratch PostgreSQL
database ``pmhc_backup_<random>`` that is dropped afterwards), never on the shared test database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pmhc_directory import create_app
from pmhc_directory.db import get_database, make_engine
from pmhc_directory.models import Organization, Service
from pmhc_directory.search import get_search_index
from pmhc_directory.services.backup import (
    BackupError,
    backend_of_file,
    backup_database,
    restore_database,
)
from tests.conftest import backend_url, make_test_config, prepare_database
from tests.factories import make_service

DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_server() -> sa.URL | None:
    """The PostgreSQL server under test (PMHC_TEST_DATABASE_URL, else the local default)."""
    url = sa.make_url(backend_url() or DEFAULT_PG_SERVER).set(database="postgres")
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return url
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()


@pytest.fixture
def scratch_postgres() -> Iterator[str]:
    """A new empty PostgreSQL database of our own, dropped after the test."""
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump / pg_restore are not installed (apt-get install postgresql-client)")
    server = postgres_server()
    if server is None:
        pytest.skip("no PostgreSQL server reachable at PMHC_TEST_DATABASE_URL or 127.0.0.1:5432")
    name = f"pmhc_backup_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path: Path) -> str:
    """A migrated database with reference data, of each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    else:
        url = request.getfixturevalue("scratch_postgres")
    prepare_database(url)
    return url


def add_services(url: str, *names: str) -> list[str]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            ids = [make_service(session, name=name).id for name in names]
            session.commit()
        return ids
    finally:
        engine.dispose()


def snapshot(url: str) -> dict[str, object]:
    """What a restore must bring back: services (id, name, version) and organization count."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            services = set(session.execute(select(Service.id, Service.name, Service.version)))
            organizations = session.scalar(select(func.count()).select_from(Organization))
        return {"services": services, "organizations": organizations}
    finally:
        engine.dispose()


def change_everything(url: str, keep_out: str) -> None:
    """Rename one service, delete another, add a third: a restore has to undo all of it."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            services = session.scalars(select(Service).order_by(Service.name)).all()
            services[0].name = "Renamed after the backup"
            session.delete(services[1])
            make_service(session, name=keep_out)
            session.commit()
    finally:
        engine.dispose()


def test_round_trip_restores_exactly_what_was_backed_up(database, tmp_path):
    add_services(database, "Alder Crisis Center", "Birch Mobile Team", "Cedar Respite")
    before = snapshot(database)
    target = tmp_path / "pmhc.backup"

    result = backup_database(database, target)

    backend = "sqlite" if database.startswith("sqlite") else "postgresql"
    assert result.backend == backend
    assert backend_of_file(target) == backend
    assert target.stat().st_size == result.size_bytes > 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left
    change_everything(database, "Added after the backup")
    assert snapshot(database) != before

    assert restore_database(database, target) == backend
    assert snapshot(database) == before
    # The restored database is usable: writes work on it.
    add_services(database, "Written after the restore")


def test_sqlite_backup_is_one_self_contained_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    prepare_database(url)
    add_services(url, "Alder Crisis Center")
    target = tmp_path / "copy.sqlite3"

    backup_database(url, target)

    connection = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        names = [r[0] for r in connection.execute("SELECT name FROM services")]
    finally:
        connection.close()
    assert "Alder Crisis Center" in names
    assert oct(target.stat().st_mode & 0o777) == "0o600"


def test_sqlite_backup_is_consistent_while_writes_go_on(tmp_path):
    """Each writer transaction adds a pair of rows; a consistent copy never holds half a pair."""
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    prepare_database(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE pairs (n INTEGER NOT NULL, half INTEGER NOT NULL)")
        # Enough pages that the copy takes several steps while the writer commits.
        conn.exec_driver_sql("CREATE TABLE ballast (blob TEXT)")
        for _ in range(200):
            conn.exec_driver_sql("INSERT INTO ballast VALUES (hex(randomblob(8000)))")
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        n = 0
        while not stop.is_set() and n < 5000:
            with engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO pairs VALUES (?, 0)", (n,))
                conn.exec_driver_sql("INSERT INTO pairs VALUES (?, 1)", (n,))
            n += 1
            written[0] = n

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        copies = []
        for i in range(3):
            target = tmp_path / f"copy{i}.sqlite3"
            backup_database(url, target)
            copies.append(target)
    finally:
        stop.set()
        thread.join()
        engine.dispose()
    assert written[0] > 0
    for target in copies:
        connection = sqlite3.connect(str(target))
        try:
            query = "SELECT count(*), count(DISTINCT n) FROM pairs"
            rows, pairs = connection.execute(query).fetchone()
        finally:
            connection.close()
        assert rows == 2 * pairs


def test_backup_replaces_an_existing_file_atomically(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    prepare_database(url)
    target = tmp_path / "nightly.sqlite3"
    target.write_bytes(b"yesterday")

    backup_database(url, target)

    assert backend_of_file(target) == "sqlite"


@pytest.mark.parametrize(
    "make_target, message",
    [
        (lambda tmp: tmp / "missing-folder" / "b.sqlite3", "does not exist"),
        (lambda tmp: tmp, "is a folder"),
    ],
)
def test_backup_to_a_bad_place_is_a_clear_error(tmp_path, make_target, message):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    prepare_database(url)
    with pytest.raises(BackupError, match=message):
        backup_database(url, make_target(tmp_path))


def test_in_memory_sqlite_is_refused(tmp_path):
    with pytest.raises(BackupError, match="in-memory"):
        backup_database("sqlite://", tmp_path / "b.sqlite3")


def test_restore_refuses_a_file_that_is_no_backup(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    prepare_database(url)
    add_services(url, "Alder Crisis Center")
    before = snapshot(url)
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database\n")

    with pytest.raises(BackupError, match="not a backup"):
        restore_database(url, junk)
    assert snapshot(url) == before


def test_restore_refuses_the_other_backends_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    prepare_database(url)
    before = snapshot(url)
    dump = tmp_path / "from-postgres.dump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)

    with pytest.raises(BackupError, match="PostgreSQL backup but this instance uses SQLite"):
        restore_database(url, dump)
    assert snapshot(url) == before


def test_restore_refuses_a_damaged_sqlite_backup(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    prepare_database(url)
    add_services(url, "Alder Crisis Center", "Birch Mobile Team")
    target = tmp_path / "b.sqlite3"
    backup_database(url, target)
    before = snapshot(url)
    data = bytearray(target.read_bytes())
    # Keep the header (it still looks like SQLite) and scramble the pages after the first.
    data[4096:] = bytes((b ^ 0x5A) for b in data[4096:])
    target.write_bytes(bytes(data))

    with pytest.raises(BackupError, match="not a sound SQLite database"):
        restore_database(url, target)
    assert snapshot(url) == before


# ---------------------------------------------------------------------------------------------
# The commands (spec/api.md 1), on an app of our own


@pytest.fixture
def own_app(database, tmp_path):
    app = create_app(make_test_config(database, tmp_path / "instance"))
    yield app
    get_database(app).dispose()


def test_backup_and_restore_commands_round_trip_and_rebuild_the_index(own_app, database, tmp_path):
    add_services(database, "Alder Crisis Center", "Birch Mobile Team")
    before = snapshot(database)
    runner = own_app.test_cli_runner()
    target = tmp_path / "pmhc.backup"

    made = runner.invoke(args=["backup", str(target)])
    assert made.exit_code == 0, made.output
    assert "Backed up" in made.output and str(target) in made.output

    add_services(database, "Zyzzyva Outreach")  # a word found in no other service
    with own_app.app_context():
        from pmhc_directory.services.search import reindex

        with get_database().session() as session:
            reindex(session, get_search_index())
        assert [h.name for h in get_search_index().search("zyzzyva").hits] == ["Zyzzyva Outreach"]

    restored = runner.invoke(args=["restore", "--yes", str(target)])

    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output
    assert snapshot(database) == before
    with own_app.app_context():
        index = get_search_index()
        # Rebuilt by the command: the service that exists only after the backup is gone from it.
        assert index.search("zyzzyva").hits == []
        assert index.doc_count() == len(before["services"])  # type: ignore[arg-type]
        assert {h.name for h in index.search("alder").hits} == {"Alder Crisis Center"}


def test_restore_command_asks_first_and_no_means_nothing_changes(own_app, database, tmp_path):
    add_services(database, "Alder Crisis Center")
    runner = own_app.test_cli_runner()
    target = tmp_path / "pmhc.backup"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    add_services(database, "Added after the backup")
    before = snapshot(database)

    answer = runner.invoke(args=["restore", str(target)], input="n\n")

    assert answer.exit_code != 0
    assert "Replace everything" in answer.output
    assert snapshot(database) == before


def test_restore_command_refuses_a_file_that_does_not_match(own_app, database, tmp_path):
    before = snapshot(database)
    other = tmp_path / "other.backup"
    if database.startswith("sqlite"):
        other.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
        expected = "is a PostgreSQL backup"
    else:
        connection = sqlite3.connect(str(other))
        connection.execute("CREATE TABLE t (x)")
        connection.commit()
        connection.close()
        expected = "is a SQLite backup"

    answer = own_app.test_cli_runner().invoke(args=["restore", "--yes", str(other)])

    assert answer.exit_code != 0
    assert expected in answer.output
    assert "Traceback" not in answer.output
    assert snapshot(database) == before


def test_pg_tools_get_the_password_from_the_environment_only(monkeypatch):
    from pmhc_directory.services.backup import _pg_connection

    monkeypatch.delenv("PGPASSWORD", raising=False)
    args, env = _pg_connection("postgresql+psycopg://alice:s3cret;rm@db.example:6543/pmhc")

    assert args == [
        "--host=db.example",
        "--port=6543",
        "--username=alice",
        "--dbname=pmhc",
    ]
    assert env["PGPASSWORD"] == "s3cret;rm"
    assert all("s3cret" not in a for a in args)
    assert os.environ.get("PGPASSWORD") is None
