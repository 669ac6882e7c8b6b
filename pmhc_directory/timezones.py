"""Time-zone helpers shared by configuration and the views."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def validate_zone_name(name: str) -> ZoneInfo:
    """Return the zone for an IANA name, or raise ValueError naming the setting."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"PMHC_TIMEZONE {name!r} is not an IANA time zone name") from exc
