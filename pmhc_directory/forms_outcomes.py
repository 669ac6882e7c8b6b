"""Forms of the outcomes pages (``/outcomes``).

The encounter form is the officer's phone form: every choice is a real radio button or checkbox
(large touch targets come from ``app.css``), the hour defaults to now in the jurisdiction's time
zone, and the typed place or the browser's coordinates only travel as far as
``area_for_location``: nothing on this form is written anywhere but the area it resolves to.

The dashboard's month filters are a GET form read from the query string (no CSRF token: it
changes nothing); every POST form carries a CSRF token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from .forms import SelectChoice, choices
from .models import DECLINE_REASONS, DISPOSITIONS, SCORECARD_STATUSES
from .taxonomy import NEED, vocabulary

#: Dispositions, as an officer reads them.
DISPOSITION_LABELS = {
    "connected-on-scene": "Connected on scene",
    "transported": "Transported to a facility",
    "facility-declined": "Facility declined",
    "referred-only": "Referred only",
    "emergency-department": "Emergency department",
    "arrest": "Arrest",
    "no-action": "No action",
}
#: Dispositions that name a facility (the one that took the person or refused them).
FACILITY_DISPOSITIONS = ("transported", "facility-declined")
DECLINE_REASON_LABELS = {
    "full": "Full, no bed",
    "medical-clearance": "Wanted medical clearance first",
    "intoxicated": "Too intoxicated",
    "involuntary": "Would not take an involuntary hold",
    "behavior": "Behavior",
    "other": "Other reason",
}
STATUS_LABELS = {"yes": "Yes", "partly": "Partly", "no": "No", "unknown": "Not known"}
YES_NO = (("no", "No"), ("yes", "Yes"))
YES_NO_UNKNOWN = (("", "Not known"), ("yes", "Yes"), ("no", "No"))
#: The hour may be a little ahead of the server's clock (a phone's clock), never a day ahead.
FUTURE_SLACK = timedelta(hours=1)
MAX_PLACE = 200
MAX_IDENTIFIER = 200
MAX_EVIDENCE = 4000
MAX_REFERRALS = 20
_UUID_RE = re.compile(r"^[0-9a-fA-F-]{32,36}$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_COORD_RE = re.compile(r"^-?\d{1,3}(\.\d{1,12})?$")


def need_choices() -> list[SelectChoice]:
    return choices((t.code, t.name) for t in vocabulary().terms if t.taxonomy == NEED)


def clean_service_ids(values: list[str]) -> list[str]:
    """Service ids as sent, well-formed ones only, first occurrence kept, in order."""
    seen: list[str] = []
    for value in values:
        value = (value or "").strip()
        if _UUID_RE.match(value) and value not in seen:
            seen.append(value)
    return seen[:MAX_REFERRALS]


def _coordinate(value: str | None, low: float, high: float) -> float | None:
    value = (value or "").strip()
    if not value:
        return None
    if not _COORD_RE.match(value):
        raise ValidationError("The location from your phone could not be read. Type a place.")
    number = float(value)
    if not low <= number <= high:
        raise ValidationError("The location from your phone could not be read. Type a place.")
    return number


class EncounterForm(FlaskForm):
    """``POST /outcomes/encounters/new``; ``zone`` and ``now`` check the hour."""

    occurred_at = StringField(
        "When (to the hour)", validators=[InputRequired("Enter when it happened.")]
    )
    near = StringField(
        "ZIP code, place or landmark",
        validators=[Optional(), Length(max=MAX_PLACE, message="Keep it under 200 characters.")],
    )
    lat = HiddenField()
    lon = HiddenField()
    needs = SelectMultipleField("Needs", choices=[])
    services = SelectMultipleField("Services referred to", choices=[], validate_choice=False)
    disposition = RadioField(
        "What happened",
        choices=choices((code, DISPOSITION_LABELS.get(code, code)) for code in DISPOSITIONS),
        validators=[InputRequired("Choose what happened.")],
    )
    facility_id = SelectField("Facility", choices=[], validate_choice=False)
    decline_reason = SelectField(
        "Why the facility declined",
        choices=choices(
            [("", "Choose a reason")]
            + [(code, DECLINE_REASON_LABELS.get(code, code)) for code in DECLINE_REASONS]
        ),
    )
    use_of_force = RadioField(
        "Use of force", choices=choices(YES_NO), validators=[InputRequired("Choose yes or no.")]
    )
    injury = RadioField(
        "Injury (anyone)", choices=choices(YES_NO), validators=[InputRequired("Choose yes or no.")]
    )
    person_identifier = StringField(
        "Person identifier for repeat counting (optional)",
        validators=[Optional(), Length(max=MAX_IDENTIFIER, message="Too long.")],
    )

    def __init__(self, *args: Any, zone: ZoneInfo, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.now = now
        self.needs.choices = need_choices()
        self.occurred: datetime | None = None
        self.point: tuple[float, float] | None = None

    def validate_occurred_at(self, field: StringField) -> None:
        value = (field.data or "").strip()
        for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
            try:
                moment = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
        else:
            raise ValidationError("Enter the date and hour, for example 2025-06-07 14:00.")
        moment = moment.replace(minute=0, second=0, microsecond=0, tzinfo=self.zone)
        if moment > self.now + FUTURE_SLACK:
            raise ValidationError("That hour is in the future.")
        self.occurred = moment

    def validate_facility_id(self, field: SelectField) -> None:
        value = (field.data or "").strip()
        if value and not _UUID_RE.match(value):
            raise ValidationError("Choose a facility from the list.")

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        try:
            lat = _coordinate(self.lat.data, -90, 90)
            lon = _coordinate(self.lon.data, -180, 180)
        except ValidationError as exc:
            self.near.errors = [*self.near.errors, str(exc)]
            return False
        if (lat is None) != (lon is None):
            self.near.errors = [*self.near.errors, "Type a place, or use your location again."]
            return False
        self.point = (lat, lon) if lat is not None and lon is not None else None
        return ok


class FollowUpForm(FlaskForm):
    # Anything but "yes" or "no" is "not known" (``tri_state``), so no choice is refused.
    connected_7_days = RadioField(
        "Connected to care within 7 days", choices=choices(YES_NO_UNKNOWN), validate_choice=False
    )
    connected_30_days = RadioField(
        "Connected to care within 30 days", choices=choices(YES_NO_UNKNOWN), validate_choice=False
    )


def tri_state(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class AnswerForm(FlaskForm):
    status = RadioField(
        "Answer",
        choices=choices((s, STATUS_LABELS.get(s, s)) for s in SCORECARD_STATUSES),
        validators=[InputRequired("Choose an answer.")],
    )
    evidence = TextAreaField(
        "Evidence",
        validators=[Length(max=MAX_EVIDENCE, message="Keep the evidence under 4,000 characters.")],
    )


@dataclass(frozen=True)
class Months:
    """The dashboard's baseline and period, as first and last days."""

    baseline: tuple[date, date]
    period: tuple[date, date]
    fields: dict[str, str]
    errors: dict[str, str]


def _month_start(year: int, month: int) -> date:
    while month < 1:
        year, month = year - 1, month + 12
    while month > 12:
        year, month = year + 1, month - 12
    return date(year, month, 1)


def _month_end(first: date) -> date:
    return _month_start(first.year, first.month + 1) - timedelta(days=1)


def month_text(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


def default_months(today: date) -> dict[str, date]:
    """Last 12 months (this one included) against the 12 before."""
    period_end = _month_start(today.year, today.month)
    return {
        "period_start": _month_start(today.year, today.month - 11),
        "period_end": period_end,
        "baseline_start": _month_start(today.year, today.month - 23),
        "baseline_end": _month_start(today.year, today.month - 12),
    }


def parse_months(args: Any, today: date) -> Months:
    """The four month fields of the dashboard's GET form, defaults where blank or wrong."""
    chosen = default_months(today)
    errors: dict[str, str] = {}
    for name in chosen:
        value = (args.get(name) or "").strip()
        if not value:
            continue
        match = _MONTH_RE.match(value)
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
            errors[name] = f"\u201c{value[:20]}\u201d is not a month. Use the form 2025-06."
            continue
        chosen[name] = date(int(match.group(1)), int(match.group(2)), 1)
    defaults = default_months(today)
    for start, end in (("baseline_start", "baseline_end"), ("period_start", "period_end")):
        if chosen[start] > chosen[end]:
            errors[start] = "The first month comes after the last one."
            chosen[start], chosen[end] = defaults[start], defaults[end]
    return Months(
        baseline=(chosen["baseline_start"], _month_end(chosen["baseline_end"])),
        period=(chosen["period_start"], _month_end(chosen["period_end"])),
        fields={name: month_text(value) for name, value in chosen.items()},
        errors=errors,
    )
