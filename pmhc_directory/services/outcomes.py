"""Outcomes use cases (spec/product.md 3.4, PMHC question 5): the de-identified encounter log.

Takes a Session, never Flask. Privacy rules (reference/domain.md 9, docs/outcomes.md):

* an identifier given to ``log_encounter`` becomes an HMAC token under the agency's key and is
  then dropped: it is never stored, logged, or put into an error message;
* a typed location only yields an analysis area (``area_for_location``); it is not returned,
  cached or kept;
* everything that leaves this module as numbers (``dashboard``, ``export_rows``) is aggregated,
  and every count goes through ``privacy.suppress``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from ..db import normalize_uuid
from ..errors import InputError
from ..models import AnalysisArea, Service
from ..models.outcomes import (
    DECLINE_REASONS,
    DISPOSITIONS,
    SCORECARD_STATUSES,
    Encounter,
    EncounterReferral,
    FollowUp,
    ScorecardAnswer,
)
from ..outcomes import metrics
from ..outcomes.privacy import hour_floor, is_suppressed, person_token, suppress, suppressed_label
from ..taxonomy import NEED, SERVICE_TYPE, vocabulary

log = logging.getLogger(__name__)

FACILITY_DISPOSITIONS = ("transported", "facility-declined")
FUTURE_TOLERANCE = timedelta(hours=1)
DEFAULT_RETENTION_DAYS = 1095
NO_KEY_REASON = "PMHC_OUTCOMES_KEY is not set"
SUPPRESSED_NOTE = "suppressed: fewer than {n} in the numerator or denominator"

# The six PMHC questions for law enforcement executives (reference/domain.md 1).
QUESTIONS: tuple[str, ...] = (
    "Does your agency have clearly demonstrated agency-wide leadership commitment to the "
    "police-mental health collaboration?",
    "Does your agency have clear policies and procedures for responding to people who have "
    "mental health needs?",
    "Does your agency provide quality mental health and stabilization training?",
    "Does your community have a full array of community mental health services and supports "
    "available to people in crisis, around the clock?",
    "Does your agency collect and analyze data to measure the collaboration against the four "
    "key outcomes (more connections to care, fewer repeat encounters, fewer arrests, less use "
    "of force and fewer injuries)?",
    "Does your agency have a formal, ongoing process to review and improve performance?",
)
COMPUTED_QUESTIONS = (4, 5)
# Q4 instants: 2 a.m. on a Saturday and 2 p.m. on a Tuesday (local time, the week of `today`).
Q4_MOMENTS = (("Saturday 2 a.m.", 5, 2), ("Tuesday 2 p.m.", 1, 14))


class OutcomeInputError(InputError):
    """A field of an outcomes request is missing or wrong; the message never echoes a person."""

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


# --------------------------------------------------------------------------- logging


def _codes(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return list(dict.fromkeys(i.strip() for i in items if i and i.strip()))


def _by_uuid(session: Session, model: Any, ident: Any) -> Any:
    """The row with this UUID primary key, or None (also for text that is not a UUID)."""
    try:
        return session.get(model, normalize_uuid(str(ident)))
    except (ValueError, AttributeError):
        return None


def get_encounter(session: Session, encounter_id: str) -> Encounter | None:
    """The encounter with this id, or None (also for text that is not a UUID)."""
    found: Encounter | None = _by_uuid(session, Encounter, encounter_id)
    return found


def service_names(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """The names of the services with these ids, by id (unknown ids left out)."""
    wanted = list(ids)
    if not wanted:
        return {}
    found = session.execute(select(Service.id, Service.name).where(Service.id.in_(wanted)))
    return {str(sid): name for sid, name in found}


def service_types_of(service: Service) -> list[str]:
    """PMHC service-type codes of a service, in attribute order."""
    vocab = vocabulary()
    codes = []
    for attribute in sorted(service.attributes, key=lambda a: a.position or 0):
        term = vocab.term_by_id(attribute.taxonomy_term_id)
        if attribute.link_type == "service_type" and term and term.taxonomy == SERVICE_TYPE:
            codes.append(term.code)
    return codes


def log_encounter(
    session: Session,
    *,
    occurred_at: datetime,
    area_id: str | None,
    needs: str | Iterable[str] | None,
    referred_service_ids: Sequence[str] | None,
    disposition: str,
    facility_id: str | None,
    decline_reason: str | None,
    use_of_force: bool,
    injury: bool,
    person_identifier: str | None,
    key: str | None,
    recorded_by: str | None,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    now: datetime | None = None,
) -> Encounter:
    """Validate and add one encounter (flushed, not committed); see the module docstring."""
    _check_occurred_at(occurred_at, now or datetime.now(UTC), retention_days)
    need_codes = _known_needs(needs)
    _check_disposition(disposition, decline_reason)
    facility_id = _facility_of(session, disposition, facility_id)
    if area_id and session.get(AnalysisArea, area_id) is None:
        raise OutcomeInputError("area_id", "No such analysis area.")
    services = _referred_services(session, referred_service_ids)
    referred_types = list(dict.fromkeys(t for s in services for t in service_types_of(s)))

    token = None
    if key and person_identifier and person_identifier.strip():
        token = person_token(key, person_identifier)
    person_identifier = None  # dropped: nothing below may see it

    encounter = Encounter(
        occurred_hour=hour_floor(occurred_at),
        area_id=area_id or None,
        needs=",".join(need_codes),
        referred_types=",".join(referred_types),
        disposition=disposition,
        facility_id=facility_id if disposition in FACILITY_DISPOSITIONS else None,
        decline_reason=decline_reason if disposition == "facility-declined" else None,
        use_of_force=bool(use_of_force),
        injury=bool(injury),
        person_token=token,
        recorded_by=recorded_by,
    )
    encounter.referrals = [
        EncounterReferral(service_id=s.id, position=i) for i, s in enumerate(services)
    ]
    session.add(encounter)
    session.flush()
    log.info("encounter %s logged by %s", encounter.id, recorded_by)
    return encounter


def _check_occurred_at(occurred_at: datetime, now: datetime, retention_days: int) -> None:
    """OutcomeInputError unless ``occurred_at`` is zone-aware, not in the future (beyond the
    tolerance) and within the retention period."""
    if not isinstance(occurred_at, datetime) or occurred_at.utcoffset() is None:
        raise OutcomeInputError("occurred_at", "Give the date and time with its time zone.")
    if occurred_at > now + FUTURE_TOLERANCE:
        raise OutcomeInputError("occurred_at", "The encounter cannot be in the future.")
    if occurred_at < now - timedelta(days=retention_days):
        raise OutcomeInputError(
            "occurred_at", f"Encounters older than {retention_days} days are not kept."
        )


def _known_needs(needs: str | Iterable[str] | None) -> list[str]:
    """The need codes, each a known one (OutcomeInputError otherwise)."""
    need_codes = _codes(needs)
    known_needs = set(vocabulary().codes(NEED))
    unknown = [c for c in need_codes if c not in known_needs]
    if unknown:
        # The unknown text is not echoed: free text could be about the person.
        raise OutcomeInputError("needs", f"{len(unknown)} unknown need code(s).")
    return need_codes


def _check_disposition(disposition: str, decline_reason: str | None) -> None:
    """OutcomeInputError for an unknown disposition, or a decline reason missing, unknown or
    given when no facility declined."""
    if disposition not in DISPOSITIONS:
        raise OutcomeInputError(
            "disposition", f"Disposition must be one of {', '.join(DISPOSITIONS)}."
        )
    if disposition == "facility-declined":
        if not decline_reason:
            raise OutcomeInputError("decline_reason", "Choose why the facility declined.")
        if decline_reason not in DECLINE_REASONS:
            raise OutcomeInputError(
                "decline_reason", f"Decline reason must be one of {', '.join(DECLINE_REASONS)}."
            )
    elif decline_reason:
        raise OutcomeInputError(
            "decline_reason", "A decline reason is recorded only when a facility declined."
        )


def _facility_of(session: Session, disposition: str, facility_id: str | None) -> str | None:
    """The id of the facility, as stored, for a disposition that names one (it must exist);
    OutcomeInputError when it is missing, unknown, or given for another disposition."""
    if disposition in FACILITY_DISPOSITIONS:
        if not facility_id:
            raise OutcomeInputError("facility_id", "Choose the facility.")
        facility = _by_uuid(session, Service, facility_id)
        if facility is None:
            raise OutcomeInputError("facility_id", "No such facility in the directory.")
        return facility.id
    if facility_id:
        raise OutcomeInputError(
            "facility_id", "A facility is recorded only for transported or facility-declined."
        )
    return facility_id


def _referred_services(session: Session, service_ids: Sequence[str] | None) -> list[Service]:
    """The referred services, each once in the order given (each must exist)."""
    services = []
    for service_id in dict.fromkeys(service_ids or ()):
        service = _by_uuid(session, Service, service_id)
        if service is None:
            raise OutcomeInputError("referred_service_ids", "A referred service does not exist.")
        services.append(service)
    return services


def area_for_location(
    session: Session,
    config: Mapping[str, Any],
    near: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    today: date | None = None,
) -> str | None:
    """The analysis area of a typed place or point, or None; the location itself is forgotten.

    The online geocoder (when configured) is asked without the lookup's memory cache, so the
    typed text is kept nowhere, not even for the cache's short life.
    """
    from ..geo.geocoding import online_geocoder
    from .lookup import area_of_point, build_geocoder

    if near and near.strip():
        today = today or datetime.now(UTC).date()
        offline = build_geocoder(session, {**config, "GEOCODER": None}, today)
        found = offline.geocode(near)
        if found is None:
            online = online_geocoder(
                config.get("GEOCODER"),
                user_agent=config.get("GEOCODER_USER_AGENT", ""),
                cache=None,
                min_delay_seconds=float(config.get("GEOCODER_MIN_DELAY_SECONDS", 1.0)),
            )
            found = online.geocode(near) if online is not None else None
        if found is None:
            return None
        lat, lon = found.lat, found.lon
    if lat is None or lon is None:
        return None
    return area_of_point(session, float(lat), float(lon))


def record_follow_up(
    session: Session,
    encounter_id: str,
    connected_7_days: bool | None,
    connected_30_days: bool | None,
    user: str,
    today: date,
) -> FollowUp:
    """Record (or correct) whether the person was connected to care within 7 / 30 days."""
    encounter = _by_uuid(session, Encounter, encounter_id)
    if encounter is None:
        raise OutcomeInputError("encounter_id", "No such encounter.")
    follow_up = encounter.follow_up or FollowUp(encounter_id=encounter.id)
    follow_up.connected_7_days = connected_7_days
    follow_up.connected_30_days = connected_30_days
    follow_up.recorded_by = user
    follow_up.recorded_on = today
    encounter.follow_up = follow_up
    session.flush()
    return follow_up


# --------------------------------------------------------------------------- measuring


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def _records(
    session: Session, since: date | None, until: date | None
) -> list[metrics.EncounterRecord]:
    query = select(Encounter).options(selectinload(Encounter.follow_up))
    if since is not None:
        query = query.where(Encounter.occurred_hour >= _start(since))
    if until is not None:
        query = query.where(Encounter.occurred_hour < _start(until + timedelta(days=1)))
    records = []
    for e in session.scalars(query.order_by(Encounter.occurred_hour, Encounter.id)):
        follow = e.follow_up
        records.append(
            metrics.EncounterRecord(
                occurred_hour=e.occurred_hour,
                disposition=e.disposition,
                area_id=e.area_id,
                referred_types=tuple(_codes(e.referred_types)),
                facility_id=e.facility_id,
                decline_reason=e.decline_reason,
                use_of_force=e.use_of_force,
                injury=e.injury,
                person_token=e.person_token,
                connected_7_days=follow.connected_7_days if follow else None,
                connected_30_days=follow.connected_30_days if follow else None,
            )
        )
    return records


def _cell(count: int, min_cell: int) -> int | str:
    return suppress(count, min_cell)


def _rate_cell(counts: Mapping[str, int], name: str, min_cell: int) -> dict[str, Any]:
    numerator, denominator = metrics.RATES[name]
    n, d = counts[numerator], counts[denominator]
    out: dict[str, Any] = {"count": _cell(n, min_cell), "of": _cell(d, min_cell)}
    if is_suppressed(n, min_cell) or is_suppressed(d, min_cell):
        out.update(rate=None, note=SUPPRESSED_NOTE.format(n=min_cell))
    elif d == 0:
        out.update(rate=None, note="no records to measure against")
    else:
        out.update(rate=n / d, note=None)
    return out


def _rate_row(counts: Mapping[str, int], min_cell: int, names: Iterable[str]) -> dict[str, Any]:
    return {name: _rate_cell(counts, name, min_cell) for name in names}


@dataclass(frozen=True)
class Measure:
    """One measure of the PMHC outcomes: ``name`` is its rate in ``outcomes.metrics.RATES``."""

    name: str
    outcome: str  # which of the four key outcomes it measures
    label: str
    definition: str  # numerator and denominator in words
    headline: bool = False  # the outcome's own measure (the others support it)


#: The four key PMHC outcomes (reference/domain.md 1), each defined once, with the measures
#: that support them. "Connected to care" is the framework's connection to resources: the
#: encounter ended with the person handed to a service on scene or taken to a facility (a
#: confirmed hand-off), over all encounters. Every page, chart and export takes its labels here.
MEASURES: tuple[Measure, ...] = (
    Measure(
        "connections",
        "More connections to care",
        "Connected to care (on scene or taken to a facility)",
        "Encounters that ended with the person handed to a service on scene or taken to a "
        "crisis facility, of all encounters.",
        headline=True,
    ),
    Measure(
        "connected_7_days",
        "More connections to care",
        "In care within 7 days",
        "Follow-ups that found the person connected to care within 7 days, of encounters "
        "whose 7-day follow-up was recorded.",
    ),
    Measure(
        "connected_30_days",
        "More connections to care",
        "In care within 30 days",
        "Follow-ups that found the person connected to care within 30 days, of encounters "
        "whose 30-day follow-up was recorded.",
    ),
    Measure(
        "repeat_people",
        "Fewer repeat encounters",
        "People seen again",
        "People (linked only by a one-way token under the agency key) with another encounter "
        "within the repeat window after an earlier one, of the people seen.",
        headline=True,
    ),
    Measure(
        "arrests",
        "Fewer arrests",
        "Ended in arrest",
        "Encounters that ended in an arrest, of all encounters.",
        headline=True,
    ),
    Measure(
        "use_of_force",
        "Less use of force",
        "Force used",
        "Encounters in which any force was used, of all encounters.",
        headline=True,
    ),
    Measure(
        "injuries",
        "Less use of force",
        "Someone injured",
        "Encounters in which anyone (the person, an officer or others) was injured, of all "
        "encounters.",
    ),
    Measure(
        "emergency_department",
        "Other measures",
        "Taken to an emergency department",
        "Encounters that ended at an emergency department, of all encounters.",
    ),
    Measure(
        "facility_declines",
        "Other measures",
        "Facility declined the person",
        "Encounters in which a facility turned the person away, of all encounters.",
    ),
)
MEASURE_BY_NAME = {m.name: m for m in MEASURES}

OUTCOME_NAMES = (
    "connections",
    "connected_7_days",
    "connected_30_days",
    "arrests",
    "use_of_force",
    "injuries",
    "emergency_department",
    "facility_declines",
)


def _with_repeat(counts: Mapping[str, int], min_cell: int, key_configured: bool) -> dict[str, Any]:
    row = _rate_row(counts, min_cell, OUTCOME_NAMES)
    row["encounters"] = _cell(counts["encounters"], min_cell)
    if key_configured:
        row["repeat_encounters"] = {
            "available": True,
            **_rate_cell(counts, "repeat_people", min_cell),
        }
    else:
        row["repeat_encounters"] = {"available": False, "reason": NO_KEY_REASON}
    return row


def _comparison(
    baseline: Mapping[str, int], period: Mapping[str, int], min_cell: int, key_configured: bool
) -> dict[str, Any]:
    names = list(OUTCOME_NAMES) + (["repeat_people"] if key_configured else [])
    out: dict[str, Any] = {}
    for name in names:
        before = _rate_cell(baseline, name, min_cell)
        after = _rate_cell(period, name, min_cell)
        if before["rate"] is None or after["rate"] is None:
            difference, note = None, "not comparable: a rate is suppressed or has no records"
        else:
            difference, note = after["rate"] - before["rate"], None
        out[name] = {
            "baseline": before,
            "period": after,
            "rate_difference": difference,
            "note": note,
        }
    return out


def dashboard(
    session: Session,
    *,
    baseline: tuple[date, date],
    period: tuple[date, date],
    min_cell: int,
    key_configured: bool,
    window_days: int = metrics.DEFAULT_REPEAT_WINDOW_DAYS,
) -> dict[str, Any]:
    """The four outcomes by month, against the baseline, by area, by service type; suppressed.

    Every count is passed through ``suppress``; a rate whose numerator or denominator is
    suppressed is None with a note. Months are UTC calendar months; periods are inclusive dates.
    """
    for name, (start, end) in (("baseline", baseline), ("period", period)):
        if start > end:
            raise OutcomeInputError(name, "The start must not be after the end.")
    earliest = min(baseline[0], period[0]) - timedelta(days=window_days)
    latest = max(baseline[1], period[1])
    records = _records(session, earliest, latest)
    base = metrics.summarise(records, *baseline, window_days=window_days)
    now = metrics.summarise(records, *period, window_days=window_days)

    area_names = dict(session.execute(select(AnalysisArea.id, AnalysisArea.name)).all())
    facility_ids = [f for f in now.facility_declines if f]
    facility_names = (
        dict(
            session.execute(
                select(Service.id, Service.name).where(Service.id.in_(facility_ids))
            ).all()
        )
        if facility_ids
        else {}
    )
    vocab = vocabulary()
    declines = []
    for facility_id, reasons in now.facility_declines.items():
        declines.append(
            {
                "facility_id": facility_id,
                "facility": facility_names.get(facility_id, "(facility no longer listed)")
                if facility_id
                else "(facility not recorded)",
                "count": _cell(sum(reasons.values()), min_cell),
                "reasons": {
                    r: _cell(reasons.get(r, 0), min_cell) for r in DECLINE_REASONS if reasons.get(r)
                },
            }
        )
    declines.sort(key=lambda d: str(d["facility"]))
    return {
        "min_cell": min_cell,
        "suppressed_label": suppressed_label(min_cell),
        "window_days": window_days,
        "baseline": {"start": baseline[0].isoformat(), "end": baseline[1].isoformat()},
        "period": {"start": period[0].isoformat(), "end": period[1].isoformat()},
        "months": [
            {"month": month, **_with_repeat(counts, min_cell, key_configured)}
            for month, counts in now.months.items()
        ],
        "outcomes": _with_repeat(now.totals, min_cell, key_configured),
        "baseline_outcomes": _with_repeat(base.totals, min_cell, key_configured),
        "comparison": _comparison(base.totals, now.totals, min_cell, key_configured),
        "by_area": sorted(
            (
                {
                    "area_id": area_id,
                    "name": area_names.get(area_id, area_id) if area_id else "(area not recorded)",
                    **_with_repeat(counts, min_cell, key_configured),
                }
                for area_id, counts in now.by_area.items()
            ),
            key=lambda row: (row["area_id"] is None, row["area_id"] or ""),
        ),
        "by_service_type": [
            {
                "service_type": code,
                "name": term.name if (term := vocab.find(SERVICE_TYPE, code)) else code,
                **_with_repeat(counts, min_cell, key_configured),
            }
            for code, counts in now.by_service_type.items()
        ],
        "facility_declines": declines,
        "repeat_encounters": (
            {
                "available": True,
                "window_days": window_days,
                **_rate_cell(now.totals, "repeat_people", min_cell),
            }
            if key_configured
            else {"available": False, "reason": NO_KEY_REASON}
        ),
    }


EXPORT_FIELDS = (
    "month",
    "area_id",
    "disposition",
    "encounters",
    "use_of_force",
    "injuries",
    "connected_7_days",
    "connected_30_days",
)


def export_rows(
    session: Session, since: date | None, until: date | None, min_cell: int
) -> list[dict[str, Any]]:
    """One row per month x area x disposition, every count suppressed; never one per encounter."""
    groups: dict[tuple[str, str, str], dict[str, int]] = {}
    for record in _records(session, since, until):
        key = (metrics.month_key(record.occurred_hour), record.area_id or "", record.disposition)
        row = groups.setdefault(key, dict.fromkeys(EXPORT_FIELDS[3:], 0))
        row["encounters"] += 1
        row["use_of_force"] += bool(record.use_of_force)
        row["injuries"] += bool(record.injury)
        row["connected_7_days"] += bool(record.connected_7_days)
        row["connected_30_days"] += bool(record.connected_30_days)
    return [
        {
            "month": month,
            "area_id": area,
            "disposition": disposition,
            **{name: _cell(value, min_cell) for name, value in counts.items()},
        }
        for (month, area, disposition), counts in sorted(groups.items())
    ]


def purge(session: Session, today: date, retention_days: int, dry_run: bool) -> int:
    """Delete (or with ``dry_run`` only count) encounters older than ``retention_days``."""
    cutoff = _start(today - timedelta(days=retention_days))
    old = select(Encounter.id).where(Encounter.occurred_hour < cutoff)
    count = session.scalar(select(func.count()).select_from(old.subquery())) or 0
    if not dry_run and count:
        ids = list(session.scalars(old))
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            # Children first: bulk deletes do not run ORM cascades and SQLite may lack FK pragmas.
            session.execute(delete(FollowUp).where(FollowUp.encounter_id.in_(part)))
            session.execute(
                delete(EncounterReferral).where(EncounterReferral.encounter_id.in_(part))
            )
            session.execute(delete(Encounter).where(Encounter.id.in_(part)))
        session.expire_all()
        log.info("purged %d encounters older than %d days", count, retention_days)
    return int(count)


def completeness(session: Session, since: date | None) -> dict[str, Any]:
    """Share of encounters since ``since`` with a disposition, an area and a follow-up."""
    query = select(Encounter).options(selectinload(Encounter.follow_up))
    if since is not None:
        query = query.where(Encounter.occurred_hour >= _start(since))
    total = with_disposition = with_area = with_follow_up = 0
    for e in session.scalars(query):
        total += 1
        with_disposition += bool(e.disposition)
        with_area += bool(e.area_id)
        follow = e.follow_up
        with_follow_up += bool(
            follow and (follow.connected_7_days is not None or follow.connected_30_days is not None)
        )

    def share(n: int) -> float | None:
        return n / total if total else None

    return {
        "since": since.isoformat() if since else None,
        "encounters": total,
        "disposition": share(with_disposition),
        "area": share(with_area),
        "follow_up": share(with_follow_up),
    }


# --------------------------------------------------------------------------- scorecard


@dataclass(frozen=True)
class _Moment:
    label: str
    at: datetime


def _q4_moments(today: date, zone: ZoneInfo) -> list[_Moment]:
    monday = today - timedelta(days=today.weekday())
    return [
        _Moment(label, datetime.combine(monday + timedelta(days=weekday), time(hour), zone))
        for label, weekday, hour in Q4_MOMENTS
    ]


def _q4(session: Session, config: Mapping[str, Any], today: date) -> dict[str, Any]:
    from .planning import NoGeographyError, coverage_summary

    zone = ZoneInfo(config.get("TIMEZONE") or "UTC")
    shares: dict[str, float | None] = {}
    try:
        for moment in _q4_moments(today, zone):
            summary = coverage_summary(session, config, at=moment.at)
            shares[moment.label] = summary["all_three_share"]
    except NoGeographyError as exc:
        return {"value": None, "shares": {}, "message": exc.message}
    known = [s for s in shares.values() if s is not None]
    return {
        "value": min(known) if known else None,
        "shares": shares,
        "message": "Share of people with a crisis line, a mobile team and a crisis receiving "
        "place all available, at the worse of the two moments.",
    }


def _q5(session: Session, today: date, min_cell: int) -> dict[str, Any]:
    since = today - timedelta(days=365)
    result = completeness(session, since)
    if is_suppressed(result["encounters"], min_cell):
        # As on the dashboard: neither the count nor shares of it (1 of 3 is a person).
        hidden = dict.fromkeys(("disposition", "area", "follow_up"))
        return {
            "value": None,
            "completeness": {
                **result,
                **hidden,
                "encounters": suppressed_label(min_cell),
            },
            "message": f"Fewer than {min_cell} encounters logged in the last 12 months: "
            "too few to show without risking that someone is recognised.",
        }
    shares = [result[k] for k in ("disposition", "area", "follow_up")]
    return {
        "value": None if result["encounters"] == 0 else min(s for s in shares if s is not None),
        "completeness": result,
        "message": "No encounters logged in the last 12 months."
        if result["encounters"] == 0
        else "Least complete of disposition, area and follow-up over the last 12 months.",
    }


def _answer_dict(answer: ScorecardAnswer) -> dict[str, Any]:
    return {
        "status": answer.status,
        "evidence": answer.evidence,
        "answered_on": answer.answered_on.isoformat(),
        "answered_by": answer.answered_by,
    }


def scorecard(session: Session, config: Mapping[str, Any], today: date) -> list[dict[str, Any]]:
    """The six PMHC questions; Q4 and Q5 computed, each with its self-reported answers too.

    Q5's encounter count and its shares are suppressed below ``OUTCOMES_MIN_CELL`` (default 11)
    exactly as the dashboard's counts are.
    """
    answers: dict[int, list[ScorecardAnswer]] = {}
    for answer in session.scalars(
        select(ScorecardAnswer).order_by(
            ScorecardAnswer.answered_on.desc(), ScorecardAnswer.id.desc()
        )
    ):
        answers.setdefault(answer.question, []).append(answer)
    # Newest first. Two answers on the same day have no reliable order (the model keeps only
    # the date); docs/outcomes.md notes this.
    rows = []
    for number, text in enumerate(QUESTIONS, start=1):
        history = [_answer_dict(a) for a in answers.get(number, [])]
        row: dict[str, Any] = {
            "question": number,
            "text": text,
            "computed": number in COMPUTED_QUESTIONS,
            "latest": history[0] if history else None,
            "history": history,
        }
        if number == 4:
            row["result"] = _q4(session, config, today)
        elif number == 5:
            row["result"] = _q5(session, today, int(config.get("OUTCOMES_MIN_CELL") or 11))
        rows.append(row)
    return rows


def answer_question(
    session: Session, question: int, status: str, evidence: str, user: str, today: date
) -> ScorecardAnswer:
    """Add a self-reported answer (every answer is kept as history)."""
    if not isinstance(question, int) or not 1 <= question <= len(QUESTIONS):
        raise OutcomeInputError("question", "Question must be 1 to 6.")
    if status not in SCORECARD_STATUSES:
        raise OutcomeInputError("status", f"Status must be one of {', '.join(SCORECARD_STATUSES)}.")
    answer = ScorecardAnswer(
        question=question,
        status=status,
        evidence=(evidence or "").strip(),
        answered_on=today,
        answered_by=user,
    )
    session.add(answer)
    session.flush()
    return answer


def awaiting_follow_up(session: Session, *, limit: int = 200) -> list[Encounter]:
    """Encounters with no follow-up recorded yet, newest first (for the coordinators' list)."""
    from ..models import FollowUp

    return list(
        session.scalars(
            select(Encounter)
            .outerjoin(FollowUp, FollowUp.encounter_id == Encounter.id)
            .where(FollowUp.encounter_id.is_(None))
            .order_by(Encounter.occurred_hour.desc(), Encounter.id)
            .limit(limit)
        )
    )
