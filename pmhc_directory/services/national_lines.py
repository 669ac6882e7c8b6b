"""National crisis lines (spec/product.md 3.1); written after the importer lands."""

from __future__ import annotations

from sqlalchemy.orm import Session


def load_national_lines(session: Session) -> None:
    return None
