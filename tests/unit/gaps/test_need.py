"""Crisis Now style need calculator and HPSA-style provider ratios."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from pmhc_directory.gaps.need import (
    DAYS_PER_MONTH,
    NeedParameters,
    crisis_flows,
    crisis_need,
    provider_ratios,
)


def test_flows_per_100k_match_domain_numbers() -> None:
    flows = crisis_flows(100_000, NeedParameters())
    assert flows.episodes == pytest.approx(230)
    assert flows.mobile_dispatches == pytest.approx(73.6)
    assert flows.ed_arrivals == pytest.approx(32.2)
    assert flows.crf_arrivals == pytest.approx(146.28)  # 146.3 in domain.md (rounded)
    assert flows.short_term_admissions == pytest.approx(51.198)  # 51.2
    assert flows.inpatient_admissions == pytest.approx(44.9995)  # 45.0
    assert round(flows.crf_arrivals, 1) == 146.3
    assert round(flows.short_term_admissions, 1) == 51.2
    assert round(flows.inpatient_admissions, 1) == 45.0


def test_flows_scale_with_population() -> None:
    assert crisis_flows(676_444).mobile_dispatches == pytest.approx(73.6 * 6.76444)


def test_capacity_formula() -> None:
    params = NeedParameters()
    rows = {row.service_type: row for row in crisis_need(1_000_000, params)}
    assert list(rows) == [
        "mobile-crisis",
        "crisis-receiving",
        "crisis-stabilization",
        "inpatient-psychiatric",
    ]
    crf = rows["crisis-receiving"]
    assert crf.unit == "chairs" and crf.monthly_flow == pytest.approx(1462.8)
    # beds = admissions/day x LOS / occupancy
    assert crf.needed == pytest.approx(1462.8 / DAYS_PER_MONTH * 0.9 / 0.85)
    stb = rows["crisis-stabilization"]
    assert stb.needed == pytest.approx(511.98 / DAYS_PER_MONTH * 3 / 0.85)
    inpatient = rows["inpatient-psychiatric"]
    assert inpatient.needed == pytest.approx(449.995 / DAYS_PER_MONTH * 7 / 0.85)
    mct = rows["mobile-crisis"]
    assert mct.unit == "teams"
    assert mct.needed == pytest.approx(736 / (DAYS_PER_MONTH * 24) * 2 / 0.6)
    assert mct.needed_rounded_up == math.ceil(mct.needed)


def test_planner_parameters_change_capacity() -> None:
    base = {r.service_type: r.needed for r in crisis_need(500_000, NeedParameters())}
    longer = NeedParameters(inpatient_los_days=14, inpatient_occupancy=0.85)
    changed = {r.service_type: r.needed for r in crisis_need(500_000, longer)}
    assert changed["inpatient-psychiatric"] == pytest.approx(2 * base["inpatient-psychiatric"])
    assert changed["crisis-receiving"] == base["crisis-receiving"]


def test_zero_population_needs_nothing() -> None:
    assert all(row.needed == 0 and row.needed_rounded_up == 0 for row in crisis_need(0))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("triage_mobile", 1.2),
        ("mct_to_crf", -0.1),
        ("crf_occupancy", 0.0),
        ("inpatient_occupancy", 1.5),
        ("mct_utilisation", 0.0),
        ("short_term_los_days", -1.0),
        ("episodes_per_100k_month", math.inf),
        ("days_per_month", 0.0),
    ],
)
def test_invalid_parameter_names_the_field(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        replace(NeedParameters(), **{field: value})


def test_triage_shares_must_sum_to_one() -> None:
    with pytest.raises(ValueError, match="triage_mobile \\+ triage_receiving \\+ triage_ed"):
        NeedParameters(triage_mobile=0.40)
    NeedParameters(triage_mobile=0.40, triage_receiving=0.46)  # rebalanced: fine


def test_non_numbers_are_rejected() -> None:
    with pytest.raises(TypeError, match="crf_los_days"):
        NeedParameters(crf_los_days="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="population"):
        crisis_need(-5)


def test_provider_ratios_thresholds() -> None:
    # 120,000 people, 10 core FTE (12,000:1), 3 psychiatrists (40,000:1): all three criteria
    r = provider_ratios(120_000, 10, 3)
    assert r.population_per_core_fte == 12_000 and r.population_per_psychiatrist_fte == 40_000
    assert r.meets_core_and_psychiatrist and r.meets_core and r.meets_psychiatrist
    assert r.core_fte_short == pytest.approx(10) and r.psychiatrist_fte_short == pytest.approx(3)
    # 7,000:1 core and 25,000:1 psychiatrist: only the combined criterion
    r = provider_ratios(175_000, 25, 7)
    assert r.meets_core_and_psychiatrist and not r.meets_core and not r.meets_psychiatrist
    assert r.meets_any
    # exactly 6,000:1 and 20,000:1 meets (">=")
    assert provider_ratios(120_000, 20, 6).meets_core_and_psychiatrist
    # well supplied
    r = provider_ratios(120_000, 40, 12)
    assert not r.meets_any and r.core_fte_short == 0 and r.psychiatrist_fte_short == 0


def test_provider_ratios_zero_fte_is_infinite() -> None:
    r = provider_ratios(5_000, 0, 0)
    assert r.population_per_core_fte == math.inf and r.population_per_psychiatrist_fte == math.inf
    assert r.meets_any
    assert provider_ratios(0, 0, 0).population_per_core_fte == 0.0


def test_provider_ratios_high_need() -> None:
    r = provider_ratios(100_000, 20, 6)  # 5,000:1 and 16,667:1
    assert not r.meets_any
    high = provider_ratios(100_000, 20, 6, high_need=True)
    assert high.meets_core_and_psychiatrist and high.high_need
    with pytest.raises(ValueError, match="core_fte"):
        provider_ratios(1000, -1, 0)
