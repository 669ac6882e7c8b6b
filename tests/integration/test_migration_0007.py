"""Migration 0007 (issue #16): stored times ``HH:MM:00`` become ``HH:MM``, the one form imports
store, so re-importing the same hours in either form is no change; other times are left as
they are. Runs on the backend under test, from revision 0006 to head."""

from __future__ import annotations

import sqlalchemy as sa

from pmhc_directory.db import make_engine
from pmhc_directory.schema import upgrade

TIMES = [
    ("08:00:00", "17:30:00", "08:00", "17:30"),
    ("08:00:00-07:00", "17:00:15", "08:00:00-07:00", "17:00:15"),  # offsets, real seconds kept
    ("09:15", None, "09:15", None),
]


def test_times_with_zero_seconds_are_stored_in_the_short_form(fresh_database_url):
    engine = make_engine(fresh_database_url)
    try:
        upgrade(engine, "0006")
        with engine.begin() as connection:
            for i, (opens, closes, _o, _c) in enumerate(TIMES):
                connection.execute(
                    sa.text(
                        "INSERT INTO schedules (id, opens_at, closes_at, position) "
                        "VALUES (:id, :opens, :closes, 0)"
                    ),
                    {"id": f"00000000-0000-4000-8000-00000000000{i}", "opens": opens,
                     "closes": closes},
                )  # fmt: skip
        upgrade(engine, "head")
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT opens_at, closes_at FROM schedules ORDER BY id")
            ).all()
            columns = {c["name"] for c in sa.inspect(connection).get_columns("organizations")}
        assert [tuple(r) for r in rows] == [(o, c) for _a, _b, o, c in TIMES]
        assert {"tax_status", "year_incorporated", "hsds_extra"} <= columns
    finally:
        engine.dispose()
