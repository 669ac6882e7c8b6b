"""Pure privacy helpers for the encounter log (reference/domain.md 9).

* ``person_token``: HMAC-SHA256 of a normalised agency identifier under an agency-held key.
  The key never enters the database, so the token cannot be reversed or recomputed from it.
* ``suppress``: the small-cell rule. Counts from 1 to ``min_cell - 1`` are shown as ``"<11"``
  (the label names the threshold). Zero is shown as 0: a true zero reveals nobody, and hiding
  it would make every empty cell look like a small one (the customary public-health choice).
* ``hour_floor``: an aware instant truncated to the start of its UTC hour.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime


def normalise_identifier(identifier: str) -> str:
    """Strip, casefold and collapse inner whitespace, so "  AB 12 " and "ab  12" agree."""
    return " ".join(identifier.split()).casefold()


def person_token(key: str, identifier: str) -> str:
    """Hex HMAC-SHA256 of the normalised identifier under ``key`` (64 characters)."""
    if not key:
        raise ValueError("an HMAC key is required")
    normalised = normalise_identifier(identifier)
    if not normalised:
        raise ValueError("the identifier is blank")
    return hmac.new(key.encode("utf-8"), normalised.encode("utf-8"), hashlib.sha256).hexdigest()


def suppressed_label(min_cell: int) -> str:
    return f"<{min_cell}"


def suppress(count: int, min_cell: int) -> int | str:
    """``count`` itself when 0 or at least ``min_cell``; otherwise ``"<min_cell"`` (e.g. "<11")."""
    if 0 < count < min_cell:
        return suppressed_label(min_cell)
    return count


def is_suppressed(count: int, min_cell: int) -> bool:
    return 0 < count < min_cell


def hour_floor(dt: datetime) -> datetime:
    """The start of the UTC hour containing the aware instant ``dt``."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("a naive datetime has no known instant")
    return dt.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
