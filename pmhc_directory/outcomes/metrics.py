"""Pure outcome metrics over plain encounter records (reference/domain.md 1, the four outcomes).

Nothing here reads the database or suppresses anything: ``services.outcomes`` builds the
records and passes every count through ``privacy.suppress`` before it is shown.

Definitions (months are calendar months in UTC, the time zone of ``occurred_hour``):

* connections: dispositions ``connected-on-scene`` or ``transported``; rate over encounters.
* connected within 7 / 30 days: follow-ups answered "yes"; rate over encounters whose
  follow-up answer for that window is known (``recorded_7`` / ``recorded_30``).
* arrests, use of force, injuries, ED (``emergency-department``), facility declines: counts;
  rate over encounters.
* repeat encounters: a person (token) is a *repeat person* in a group when one of their
  encounters in the group came within ``window_days`` after an earlier encounter of theirs
  (the earlier one may fall before the group). Rate over distinct people (tokens) in the group.
  Encounters without a token are never linked.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

CONNECTED_DISPOSITIONS = frozenset({"connected-on-scene", "transported"})
COUNT_FIELDS = (
    "encounters",
    "connections",
    "connected_7_days",
    "recorded_7_days",
    "connected_30_days",
    "recorded_30_days",
    "arrests",
    "use_of_force",
    "injuries",
    "emergency_department",
    "facility_declines",
    "people",
    "repeat_people",
)
# Each rate: (numerator, denominator).
RATES = {
    "connections": ("connections", "encounters"),
    "connected_7_days": ("connected_7_days", "recorded_7_days"),
    "connected_30_days": ("connected_30_days", "recorded_30_days"),
    "arrests": ("arrests", "encounters"),
    "use_of_force": ("use_of_force", "encounters"),
    "injuries": ("injuries", "encounters"),
    "emergency_department": ("emergency_department", "encounters"),
    "facility_declines": ("facility_declines", "encounters"),
    "repeat_people": ("repeat_people", "people"),
}
DEFAULT_REPEAT_WINDOW_DAYS = 30


@dataclass(frozen=True)
class EncounterRecord:
    """What the metrics need of one encounter; no identifier, only the keyed token."""

    occurred_hour: datetime
    disposition: str
    area_id: str | None = None
    referred_types: tuple[str, ...] = ()
    facility_id: str | None = None
    decline_reason: str | None = None
    use_of_force: bool = False
    injury: bool = False
    person_token: str | None = None
    connected_7_days: bool | None = None
    connected_30_days: bool | None = None


def month_key(moment: datetime | date) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def months_between(start: date, end: date) -> list[str]:
    """Every "YYYY-MM" from ``start``'s month to ``end``'s, inclusive."""
    keys = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def in_period(record: EncounterRecord, start: date, end: date) -> bool:
    """Whether the encounter's (UTC) date lies in ``[start, end]``, both inclusive."""
    return start <= record.occurred_hour.date() <= end


def repeat_flags(records: Sequence[EncounterRecord], window_days: int) -> list[bool]:
    """For each record: is there an earlier encounter with its token within ``window_days``?"""
    window = timedelta(days=window_days)
    flags = [False] * len(records)
    by_token: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        if record.person_token:
            by_token[record.person_token].append(index)
    for indexes in by_token.values():
        ordered = sorted(indexes, key=lambda i: (records[i].occurred_hour, i))
        for previous, current in zip(ordered, ordered[1:], strict=False):
            gap = records[current].occurred_hour - records[previous].occurred_hour
            if gap <= window:
                flags[current] = True
    return flags


def count(records: Iterable[EncounterRecord], flags: Iterable[bool]) -> dict[str, int]:
    """The counts of ``COUNT_FIELDS`` over records, with their repeat flags alongside."""
    totals = dict.fromkeys(COUNT_FIELDS, 0)
    people: set[str] = set()
    repeaters: set[str] = set()
    for record, repeat in zip(records, flags, strict=True):
        totals["encounters"] += 1
        totals["connections"] += record.disposition in CONNECTED_DISPOSITIONS
        if record.connected_7_days is not None:
            totals["recorded_7_days"] += 1
            totals["connected_7_days"] += record.connected_7_days
        if record.connected_30_days is not None:
            totals["recorded_30_days"] += 1
            totals["connected_30_days"] += record.connected_30_days
        totals["arrests"] += record.disposition == "arrest"
        totals["use_of_force"] += bool(record.use_of_force)
        totals["injuries"] += bool(record.injury)
        totals["emergency_department"] += record.disposition == "emergency-department"
        totals["facility_declines"] += record.disposition == "facility-declined"
        if record.person_token:
            people.add(record.person_token)
            if repeat:
                repeaters.add(record.person_token)
    totals["people"] = len(people)
    totals["repeat_people"] = len(repeaters)
    return {k: int(v) for k, v in totals.items()}


def rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def rates(counts: dict[str, int]) -> dict[str, float | None]:
    return {name: rate(counts[n], counts[d]) for name, (n, d) in RATES.items()}


@dataclass(frozen=True)
class Summary:
    """Counts by month over a period, the period's totals, and its breakdowns."""

    months: dict[str, dict[str, int]]
    totals: dict[str, int]
    by_area: dict[str | None, dict[str, int]]
    by_service_type: dict[str, dict[str, int]]
    facility_declines: dict[str | None, Counter[str]]


def summarise(
    records: Sequence[EncounterRecord],
    start: date,
    end: date,
    window_days: int = DEFAULT_REPEAT_WINDOW_DAYS,
) -> Summary:
    """Everything measured over ``[start, end]``; records outside it only feed repeat look-back."""
    flags = repeat_flags(records, window_days)
    chosen = [(r, f) for r, f in zip(records, flags, strict=True) if in_period(r, start, end)]

    def counts_of(pairs: list[tuple[EncounterRecord, bool]]) -> dict[str, int]:
        return count((r for r, _ in pairs), (f for _, f in pairs))

    by_month: dict[str, list[tuple[EncounterRecord, bool]]] = {
        m: [] for m in months_between(start, end)
    }
    by_area: dict[str | None, list[tuple[EncounterRecord, bool]]] = defaultdict(list)
    by_type: dict[str, list[tuple[EncounterRecord, bool]]] = defaultdict(list)
    declines: dict[str | None, Counter[str]] = defaultdict(Counter)
    for record, flag in chosen:
        by_month[month_key(record.occurred_hour)].append((record, flag))
        by_area[record.area_id].append((record, flag))
        for service_type in dict.fromkeys(record.referred_types):
            by_type[service_type].append((record, flag))
        if record.disposition == "facility-declined":
            declines[record.facility_id][record.decline_reason or "other"] += 1
    return Summary(
        months={m: counts_of(pairs) for m, pairs in by_month.items()},
        totals=counts_of(chosen),
        by_area={a: counts_of(pairs) for a, pairs in by_area.items()},
        by_service_type={t: counts_of(pairs) for t, pairs in sorted(by_type.items())},
        facility_declines=dict(declines),
    )


def compare(baseline: dict[str, int], period: dict[str, int]) -> dict[str, dict[str, object]]:
    """Per rate: baseline and period count and rate, the count change and the rate change."""
    base_rates, period_rates = rates(baseline), rates(period)
    out: dict[str, dict[str, object]] = {}
    for name, (numerator, _) in RATES.items():
        before, after = base_rates[name], period_rates[name]
        out[name] = {
            "baseline_count": baseline[numerator],
            "period_count": period[numerator],
            "count_difference": period[numerator] - baseline[numerator],
            "baseline_rate": before,
            "period_rate": after,
            "rate_difference": None if before is None or after is None else after - before,
        }
    return out
