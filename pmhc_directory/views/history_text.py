"""Change-log values in words for the History page (pure: no Flask, no database).

The change log keeps a field's old and new value as text; a list (hours, phones, types) is a
JSON array, and an hours row is compact (``MO,TU,WE,TH,FR 08:00-17:00 2026-06-01..2026-08-31
Summer``, see ``services.editing.schedules_summary``). ``change_lines`` turns such a value into
the lines a coordinator reads (``Mon-Fri 8:00 AM-5:00 PM, 2026-06-01 to 2026-08-31, Summer``);
anything it does not recognise is shown as it is stored, never dropped.
"""

from __future__ import annotations

import json
import re
from datetime import time

from ..hours import format_time

_DAYS = {"MO": "Mon", "TU": "Tue", "WE": "Wed", "TH": "Thu", "FR": "Fri", "SA": "Sat", "SU": "Sun"}
_ORDER = list(_DAYS)
_SCHEDULE_RE = re.compile(
    r"^(?P<days>(?:MO|TU|WE|TH|FR|SA|SU)(?:,(?:MO|TU|WE|TH|FR|SA|SU))*)?\s*"
    r"(?P<opens>\d{2}:\d{2})(?::\d{2})?-(?P<closes>\d{2}:\d{2})(?::\d{2})?"
    r"(?:\s+(?P<start>\d{4}-\d{2}-\d{2})?\.\.(?P<end>\d{4}-\d{2}-\d{2})?)?"
    r"(?:\s+(?P<note>.+))?$"
)
_CLOSURE_RE = re.compile(
    r"^(?P<start>\d{4}-\d{2}-\d{2})?\.\.(?P<end>\d{4}-\d{2}-\d{2})?(?:\s+(?P<note>.+))?$"
)


def change_lines(value: str | None) -> list[str]:
    """The stored value as lines of text: one per item of a JSON list, hours rows in words."""
    if not value:
        return []
    text = value.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            return [value]
        if isinstance(items, list):
            return [schedule_words(str(item)) for item in items if str(item).strip()]
    return [value]


def days_words(codes: list[str]) -> str:
    """``Every day``, ``Mon-Fri`` for a run of three or more days, else ``Mon, Wed``."""
    known = sorted({c for c in codes if c in _DAYS}, key=_ORDER.index)
    if len(known) == len(_ORDER):
        return "Every day"
    parts: list[str] = []
    run: list[str] = []
    for code in [*known, None]:
        if code is not None and run and _ORDER.index(code) == _ORDER.index(run[-1]) + 1:
            run.append(code)
            continue
        if run:
            names = [_DAYS[c] for c in run]
            parts.append(f"{names[0]}\u2013{names[-1]}" if len(run) >= 3 else ", ".join(names))
        run = [code] if code is not None else []
    return ", ".join(parts)


def _clock(text: str) -> str:
    hour, minute = (int(p) for p in text.split(":"))
    if hour == 24:
        return "midnight"
    return format_time(time(hour, minute))


def schedule_words(line: str) -> str:
    """One compact hours row in words; a line that is not one is returned unchanged."""
    found = _SCHEDULE_RE.match(line.strip())
    if found is None:
        closure = _CLOSURE_RE.match(line.strip())
        if closure is None:
            return line
        start, end = closure["start"], closure["end"] or closure["start"]
        span = start if start == end else f"{start or '…'} to {end or '…'}"
        return ", ".join(p for p in (f"Closed {span}", closure["note"]) if p)
    days = days_words(found["days"].split(",")) if found["days"] else "Every day"
    opens, closes = found["opens"], found["closes"]
    if opens == "00:00" and closes in ("23:59", "24:00"):
        times = "all day"
    else:
        times = f"{_clock(opens)}\u2013{_clock(closes)}"
    parts = [f"{days} {times}"]
    if found["start"] or found["end"]:
        parts.append(f"{found['start'] or '…'} to {found['end'] or '…'}")
    if found["note"]:
        parts.append(found["note"])
    return ", ".join(parts)
