"""Need versus capacity: a Crisis Now style calculator and HPSA-style provider ratios.

Crisis Resource Need Calculator (RI International 2017; McKinsey Health Institute + RI 2022),
defaults as reported by Virginia DBHDS: 230 crisis episodes needing an in-person response per
100,000 people per month; initial triage 32% mobile crisis team (MCT), 54% crisis receiving
facility (CRF), 14% emergency department (ED); onward referral MCT->CRF 30%, CRF->short-term
crisis bed 35%, short-term bed->inpatient 25%, ED->inpatient 100%.

Monthly flows (E = episodes per month):

- MCT dispatches = triage_mobile * E
- ED arrivals = triage_ed * E
- CRF arrivals = triage_receiving * E + mct_to_crf * MCT
- short-term bed admissions = crf_to_short_term * CRF
- inpatient admissions = short_term_to_inpatient * STB + ed_to_inpatient * ED

Capacity (queueing-free sizing): ``beds_or_chairs = admissions_per_day * LOS_days / occupancy``;
``teams = dispatches_per_hour * hours_per_dispatch / utilisation``.

**The length-of-stay, occupancy and team-time defaults are not published** (the calculator
uses unreported "national averages"): the values below are placeholders for the planner to set.

HRSA mental-health HPSA ratios (42 CFR Part 5, Appendix C): a geographic area meets the
population-to-provider test when core mental-health professionals are at 6,000:1 or more AND
psychiatrists at 20,000:1 or more; or core at 9,000:1 or more; or psychiatrists at 30,000:1 or
more (4,500 / 15,000; 6,000; 20,000 for areas of unusually high need). The ratio is only one of
the designation criteria (rational service area, contiguous resources), so the result says
"meets the ratio test", not "is a HPSA".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

__all__ = [
    "CrisisFlows",
    "NeedParameters",
    "NeedRow",
    "RatioResult",
    "crisis_flows",
    "crisis_need",
    "provider_ratios",
]

#: Average days per month (365.25 / 12) for turning monthly flows into daily admissions.
DAYS_PER_MONTH = 365.25 / 12

_FRACTIONS = (
    "triage_mobile",
    "triage_receiving",
    "triage_ed",
    "mct_to_crf",
    "crf_to_short_term",
    "short_term_to_inpatient",
    "ed_to_inpatient",
)
_OCCUPANCIES = ("crf_occupancy", "short_term_occupancy", "inpatient_occupancy", "mct_utilisation")
_DURATIONS = (
    "episodes_per_100k_month",
    "crf_los_days",
    "short_term_los_days",
    "inpatient_los_days",
    "mct_hours_per_dispatch",
    "days_per_month",
)


#: Largest rate or duration accepted (episodes per 100,000 a month, days, hours): far above any
#: real figure, and low enough that the flows stay finite (1e308 overflowed to infinity).
MAX_RATE_OR_DURATION = 1e6


@dataclass(frozen=True)
class NeedParameters:
    """Planner-editable calculator inputs (units in the field names).

    Published Crisis Now defaults: ``episodes_per_100k_month`` (230 per 100,000 per month), the
    triage shares (0.32 / 0.54 / 0.14, which must sum to 1) and the onward referral fractions.

    **Placeholders, not published** (set them from local data): CRF stay 0.9 days (under 24 h,
    the 23-hour model) at 85% chair occupancy; short-term crisis bed 3 days at 85%; inpatient
    psychiatric 7 days at 85%; a mobile team busy 2 hours per dispatch (travel, assessment,
    hand-off) at 60% utilisation.
    """

    episodes_per_100k_month: float = 230.0
    triage_mobile: float = 0.32
    triage_receiving: float = 0.54
    triage_ed: float = 0.14
    mct_to_crf: float = 0.30
    crf_to_short_term: float = 0.35
    short_term_to_inpatient: float = 0.25
    ed_to_inpatient: float = 1.0
    crf_los_days: float = 0.9
    crf_occupancy: float = 0.85
    short_term_los_days: float = 3.0
    short_term_occupancy: float = 0.85
    inpatient_los_days: float = 7.0
    inpatient_occupancy: float = 0.85
    mct_hours_per_dispatch: float = 2.0
    mct_utilisation: float = 0.60
    days_per_month: float = DAYS_PER_MONTH

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{f.name} must be a number, got {type(value).__name__}")
            if not math.isfinite(value):
                raise ValueError(f"{f.name} must be finite, got {value!r}")
        for name in _FRACTIONS:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {getattr(self, name)!r}")
        for name in _OCCUPANCIES:
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ValueError(
                    f"{name} must be above 0 and at most 1, got {getattr(self, name)!r}"
                )
        for name in _DURATIONS:
            value = getattr(self, name)
            if value < 0 or (value == 0 and name == "days_per_month"):
                raise ValueError(f"{name} must be >= 0 (days_per_month > 0), got {value!r}")
            if value > MAX_RATE_OR_DURATION:
                raise ValueError(f"{name} must be at most {MAX_RATE_OR_DURATION:g}, got {value!r}")
        triage = self.triage_mobile + self.triage_receiving + self.triage_ed
        if abs(triage - 1.0) > 1e-6:
            raise ValueError(
                f"triage_mobile + triage_receiving + triage_ed must sum to 1, got {triage:.6g}"
            )


@dataclass(frozen=True)
class CrisisFlows:
    """Monthly flows for a population (people or dispatches per month)."""

    episodes: float
    mobile_dispatches: float
    ed_arrivals: float
    crf_arrivals: float
    short_term_admissions: float
    inpatient_admissions: float


@dataclass(frozen=True)
class NeedRow:
    """Capacity needed for one service type.

    ``monthly_flow`` is admissions (or dispatches) per month; ``needed`` is the unrounded
    capacity in ``unit`` (teams on duty around the clock, chairs or beds);
    :attr:`needed_rounded_up` is the whole number to plan for.
    """

    service_type: str
    label: str
    unit: str
    monthly_flow: float
    needed: float

    @property
    def needed_rounded_up(self) -> int:
        return math.ceil(self.needed - 1e-9)


def _check_population(population: int | float, name: str = "population") -> float:
    if isinstance(population, bool) or not isinstance(population, int | float):
        raise TypeError(f"{name} must be a number, got {type(population).__name__}")
    if not math.isfinite(population) or population < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {population!r}")
    return float(population)


def crisis_flows(population: int, params: NeedParameters | None = None) -> CrisisFlows:
    """Monthly crisis flows for ``population`` people (Crisis Now calculator, domain.md 5a).

    Per 100,000 with the defaults: MCT 73.6, ED 32.2, CRF 146.28, short-term 51.198,
    inpatient 44.9995.
    """
    p = params or NeedParameters()
    pop = _check_population(population)
    episodes = p.episodes_per_100k_month * pop / 100_000
    mct = p.triage_mobile * episodes
    ed = p.triage_ed * episodes
    crf = p.triage_receiving * episodes + p.mct_to_crf * mct
    stb = p.crf_to_short_term * crf
    inpatient = p.short_term_to_inpatient * stb + p.ed_to_inpatient * ed
    return CrisisFlows(episodes, mct, ed, crf, stb, inpatient)


def _beds(monthly: float, los_days: float, occupancy: float, days_per_month: float) -> float:
    """Beds or chairs = admissions per day x average length of stay (days) / occupancy."""
    return monthly / days_per_month * los_days / occupancy


def crisis_need(population: int, params: NeedParameters | None = None) -> list[NeedRow]:
    """Capacity needed for mobile crisis, crisis receiving, short-term stabilization, inpatient.

    Mobile crisis teams = dispatches per hour x hours per dispatch / utilisation, i.e. teams on
    duty at any hour of a 24/7 service (multiply by the shifts per day for staffing).
    """
    p = params or NeedParameters()
    flows = crisis_flows(population, p)
    dispatches_per_hour = flows.mobile_dispatches / (p.days_per_month * 24)
    return [
        NeedRow(
            "mobile-crisis",
            "Mobile crisis teams on duty (24/7)",
            "teams",
            flows.mobile_dispatches,
            dispatches_per_hour * p.mct_hours_per_dispatch / p.mct_utilisation,
        ),
        NeedRow(
            "crisis-receiving",
            "Crisis receiving (23-hour) chairs",
            "chairs",
            flows.crf_arrivals,
            _beds(flows.crf_arrivals, p.crf_los_days, p.crf_occupancy, p.days_per_month),
        ),
        NeedRow(
            "crisis-stabilization",
            "Short-term crisis stabilization beds",
            "beds",
            flows.short_term_admissions,
            _beds(
                flows.short_term_admissions,
                p.short_term_los_days,
                p.short_term_occupancy,
                p.days_per_month,
            ),
        ),
        NeedRow(
            "inpatient-psychiatric",
            "Inpatient psychiatric beds",
            "beds",
            flows.inpatient_admissions,
            _beds(
                flows.inpatient_admissions,
                p.inpatient_los_days,
                p.inpatient_occupancy,
                p.days_per_month,
            ),
        ),
    ]


# --------------------------------------------------------------------------- HPSA ratios


@dataclass(frozen=True)
class RatioResult:
    """Population per provider FTE and which HPSA ratio criteria are met.

    Ratios are people per FTE (``inf`` when there are people and no FTE; 0 when population is
    0). ``core_fte_short`` / ``psychiatrist_fte_short`` are the FTE needed to reach 6,000:1 and
    20,000:1 (4,500:1 and 15,000:1 for high need), never negative.
    """

    population: float
    core_fte: float
    psychiatrist_fte: float
    population_per_core_fte: float
    population_per_psychiatrist_fte: float
    meets_core_and_psychiatrist: bool
    meets_core: bool
    meets_psychiatrist: bool
    core_fte_short: float
    psychiatrist_fte_short: float
    high_need: bool = False

    @property
    def meets_any(self) -> bool:
        """True when at least one of the three ratio criteria is met."""
        return self.meets_core_and_psychiatrist or self.meets_core or self.meets_psychiatrist


#: (core and psychiatrist, core alone, psychiatrist alone, core target, psychiatrist target)
_HPSA = {False: (6_000, 20_000, 9_000, 30_000), True: (4_500, 15_000, 6_000, 20_000)}


def _ratio(population: float, fte: float) -> float:
    if population == 0:
        return 0.0
    return math.inf if fte == 0 else population / fte


def provider_ratios(
    population: int,
    core_fte: float,
    psychiatrist_fte: float,
    *,
    high_need: bool = False,
) -> RatioResult:
    """Population-to-provider ratios against the HRSA mental-health HPSA thresholds.

    ``core_fte``: full-time equivalents of core mental-health professionals (psychiatrists,
    clinical psychologists, clinical social workers, psychiatric nurse specialists, marriage and
    family therapists); ``psychiatrist_fte``: psychiatrists only. Criteria (people per FTE):
    core >= 6,000 AND psychiatrist >= 20,000; core >= 9,000; psychiatrist >= 30,000 (with
    ``high_need``: 4,500 and 15,000; 6,000; 20,000).
    """
    pop = _check_population(population)
    core = _check_population(core_fte, "core_fte")
    psych = _check_population(psychiatrist_fte, "psychiatrist_fte")
    both_core, both_psych, core_only, psych_only = _HPSA[bool(high_need)]
    core_ratio, psych_ratio = _ratio(pop, core), _ratio(pop, psych)
    return RatioResult(
        population=pop,
        core_fte=core,
        psychiatrist_fte=psych,
        population_per_core_fte=core_ratio,
        population_per_psychiatrist_fte=psych_ratio,
        meets_core_and_psychiatrist=core_ratio >= both_core and psych_ratio >= both_psych,
        meets_core=core_ratio >= core_only,
        meets_psychiatrist=psych_ratio >= psych_only,
        core_fte_short=max(0.0, pop / both_core - core),
        psychiatrist_fte_short=max(0.0, pop / both_psych - psych),
        high_need=bool(high_need),
    )
