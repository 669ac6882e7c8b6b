"""Engine, per-request session and the declarative base.

One ``Database`` per app lives in ``app.extensions["pmhc_db"]``. Views get the request's
session with :func:`get_session`; services receive a session as an argument and never open one.
Commit happens once, at the boundary (a view or a CLI command), never inside services' helpers.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Engine,
    MetaData,
    String,
    Uuid,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_HEX32 = re.compile(r"[0-9a-f]{32}")


class CanonicalUuid(Uuid[str]):
    """``Uuid(as_uuid=False)`` that reads SQLite's 32 lower-case hex digits by slicing.

    SQLAlchemy reads each value through ``uuid.UUID`` (about 1 us); a lookup cache or an export
    of 50,000 services reads a million ids. The answer is the same string, ``str(UUID(value))``,
    which other values (upper case, already dashed) still go through.
    """

    cache_ok = True

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        if dialect.supports_native_uuid and self.native_uuid:
            return super().result_processor(dialect, coltype)
        match = _HEX32.fullmatch

        def process(value: str | None) -> str | None:
            if value is None:
                return None
            if match(value):
                return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
            return str(uuid.UUID(value))

        return process


# UUIDs are handled as canonical lower-case strings in Python (HSDS ids are strings); the column
# is a native UUID on PostgreSQL and CHAR(32) on SQLite.
UUID_TYPE = CanonicalUuid(as_uuid=False)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC.

    SQLite keeps no offset, so naive values read back are UTC by construction; PostgreSQL's
    ``timestamptz`` keeps the instant. Either way Python always sees aware UTC datetimes, and a
    naive datetime is refused on the way in rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, _dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UtcDateTime(),
        date: Date(),
        str: String(),
    }

    def __repr__(self) -> str:
        # A mapped column always has a key (its name unless given one); the stubs allow None.
        keys = [c.key for c in self.__mapper__.primary_key if c.key is not None]
        pk = ", ".join(f"{key}={getattr(self, key, None)!r}" for key in keys)
        return f"<{type(self).__name__} {pk}>"


def new_id() -> str:
    """A new random UUID as a canonical string."""
    return str(uuid.uuid4())


def normalize_uuid(value: str) -> str:
    """Canonical lower-case dashed form of a UUID string; ValueError when it is not one."""
    return str(uuid.UUID(str(value).strip()))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINTs (SQLAlchemy docs, "Serializable
    # isolation / Savepoints / Transactional DDL"); take it over and emit BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


#: Request methods that never write (a session for them starts a plain, deferred transaction).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Connection execution option: start the transaction with ``BEGIN IMMEDIATE`` (SQLite only).
BEGIN_IMMEDIATE = "pmhc_begin_immediate"


def _sqlite_begin(conn: Connection) -> None:
    # A deferred transaction that reads and then writes cannot wait for another writer in WAL
    # mode: once that writer commits, its snapshot is stale and SQLite answers "database is
    # locked" at once (SQLITE_BUSY_SNAPSHOT, no busy handler). A transaction that will write
    # takes the write lock up front instead, waiting up to busy_timeout for it.
    immediate = conn.get_execution_options().get(BEGIN_IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    """Create an engine with the settings this app relies on for the given backend."""
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.driver == "psycopg":
        event.listen(engine, "connect", _uuids_as_text)
    return engine


def _uuids_as_text(dbapi_connection: Any, _record: Any) -> None:
    """Read PostgreSQL's UUIDs as the text the server sends (lower case with dashes, the
    string ``CanonicalUuid`` gives), not through ``uuid.UUID`` and back to ``str``: reading
    the ids of a rebuild or a lookup cache costs a fifth less."""
    adapters = dbapi_connection.adapters
    text_loader = adapters.get_loader(_TEXT_OID, _TEXT_FORMAT)  # psycopg's loader of text
    if text_loader is not None:
        adapters.register_loader("uuid", text_loader)


# PostgreSQL's type oid of ``text`` and psycopg's text wire format (``pq.Format.TEXT``): the
# driver is an optional dependency (the ``postgres`` extra), so it is not imported here.
_TEXT_OID = 25
_TEXT_FORMAT = 0


class Database:
    """The engine and session factory of one app."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._write_engine = self.engine.execution_options(**{BEGIN_IMMEDIATE: True})
        self._bound_to_connection = False

    def session(self, *, write: bool = False) -> Session:
        """A new session; ``write=True`` on SQLite makes its transactions take the write lock
        when they begin (``BEGIN IMMEDIATE``), so writers queue instead of failing."""
        if write and not self._bound_to_connection and self.engine.dialect.name == "sqlite":
            return self.session_factory(bind=self._write_engine)
        return self.session_factory()

    def bind_to_connection(self, connection: Connection) -> None:
        """Route every new session through ``connection`` using savepoints (tests only)."""
        self.session_factory = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        self._bound_to_connection = True

    def dispose(self) -> None:
        self.engine.dispose()


def init_app(app: Flask) -> None:
    app.extensions["pmhc_db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def get_database(app: Flask | None = None) -> Database:
    from flask import current_app

    return (app or current_app).extensions["pmhc_db"]


def get_session() -> Session:
    """The session of the current request or CLI command, created on first use.

    Requests that may write (any method but GET, HEAD and OPTIONS) get a write session
    (``Database.session``); reads stay concurrent.
    """
    if "db_session" not in g:
        write = has_request_context() and request.method not in SAFE_METHODS
        g.db_session = get_database().session(write=write)
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
