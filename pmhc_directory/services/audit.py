"""The change log every write goes through (HSDS ``metadata``), and optimistic-lock checks.

Who, when, what, which field, old value, new value: one ``ChangeRecord`` per changed field.
Values are stored as text (lists and dicts as compact JSON, dates ISO), so the history can be
read and exported without knowing the model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ChangeRecord

ACTIONS = ("create", "update", "delete", "verify", "import")


class VersionConflictError(Exception):
    """The record changed since the form was loaded; nothing was written.

    ``current`` is the record's state now, so the conflict page can show both versions.
    """

    def __init__(self, resource_type: str, resource_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"{resource_type} {resource_id} was changed by someone else "
            f"(version {actual}, the form had {expected})"
        )
        self.resource_type = resource_type
        self.resource_id = resource_id
        self.expected = expected
        self.actual = actual


def _version_number(value: int | str | None) -> int | None:
    """The version a form sent, as a number; None when missing or not a whole number."""
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def check_version(resource_type: str, obj: Any, expected: int | str | None) -> int:
    """Raise VersionConflictError unless ``obj.version`` is the version the form was built on.

    Returns that version as a number (the form sends it as text).
    """
    expected_version = _version_number(expected)
    if expected_version is None:  # missing or not a number: a conflict
        raise VersionConflictError(resource_type, obj.id, -1, obj.version)
    if obj.version != expected_version:
        raise VersionConflictError(resource_type, obj.id, expected_version, obj.version)
    return expected_version


def as_text(value: Any) -> str:
    """A value as the change log stores it."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset | dict):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return json.dumps(items, sort_keys=True, separators=(",", ":"), default=str)
    return str(value)


def record_change(
    session: Session,
    *,
    resource_type: str,
    resource_id: str,
    action: str,
    user: str,
    field: str = "",
    old: Any = None,
    new: Any = None,
    when: datetime | None = None,
) -> ChangeRecord:
    """Add one change-log row (flushed by the caller's commit)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    row = ChangeRecord(
        resource_id=resource_id,
        resource_type=resource_type,
        last_action_date=when or datetime.now(UTC),
        last_action_type=action,
        field_name=field,
        previous_value=as_text(old),
        replacement_value=as_text(new),
        updated_by=user,
    )
    session.add(row)
    return row


def record_field_changes(
    session: Session,
    *,
    resource_type: str,
    resource_id: str,
    user: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    action: str = "update",
    when: datetime | None = None,
) -> list[str]:
    """One row per field whose text differs between ``before`` and ``after``; returns them."""
    changed = [k for k in after if as_text(before.get(k)) != as_text(after.get(k))]
    moment = when or datetime.now(UTC)
    for name in changed:
        record_change(
            session,
            resource_type=resource_type,
            resource_id=resource_id,
            action=action,
            user=user,
            field=name,
            old=before.get(name),
            new=after.get(name),
            when=moment,
        )
    return changed


def history(session: Session, resource_type: str, resource_id: str) -> list[ChangeRecord]:
    """Change-log rows of one record, newest first."""
    return list(
        session.scalars(
            select(ChangeRecord)
            .where(
                ChangeRecord.resource_type == resource_type,
                ChangeRecord.resource_id == resource_id,
            )
            .order_by(ChangeRecord.last_action_date.desc(), ChangeRecord.field_name)
        )
    )
