"""Instance-wide facts kept in the database."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import SiteSetting

DEMO_KEY = "demo_data"


def get_setting(session: Session, key: str) -> str | None:
    row = session.get(SiteSetting, key)
    return row.value if row else None


def set_setting(session: Session, key: str, value: str) -> None:
    row = session.get(SiteSetting, key)
    if row is None:
        session.add(SiteSetting(key=key, value=value))
    else:
        row.value = value


def is_demo_loaded(session: Session) -> bool:
    """True while the fictional demo jurisdiction is loaded (every page then shows a banner)."""
    return get_setting(session, DEMO_KEY) == "loaded"


def mark_demo_loaded(session: Session) -> None:
    set_setting(session, DEMO_KEY, "loaded")
