"""outcomes.metrics on a hand-computed fixture of 30 encounters over January-February 2026.

January (18 encounters, the 1st to the 18th at 10:00 UTC; index = day - 1):
  0-4 connected-on-scene, 5-7 transported, 8-9 facility-declined (F1: full, intoxicated),
  10-11 referred-only, 12-13 emergency-department, 14-16 arrest, 17 no-action.
  Force: 12, 14, 15.  Injury: 12, 14.  Area a1: 0-9, a2: 10-17.
  Referred types: 0-4 mobile-crisis; 5-7 crisis-receiving + mobile-crisis.
  Tokens: A on the 1st and 11th, B on the 2nd and 18th, C on the 3rd.
  Follow-ups: 0 (7 yes, 30 yes), 1 (7 no, 30 yes), 5 (7 yes, 30 unknown).
February (12 encounters, the 1st to the 12th at 23:00 UTC; index = day - 1):
  0-5 connected-on-scene, 6-7 transported, 8 facility-declined (F1: full), 9 arrest,
  10-11 no-action.  Force: 9.  Injury: none.  All in a1.
  Tokens: A on the 1st, D on the 2nd and 3rd, C on the 12th.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pmhc_directory.outcomes.metrics import (
    EncounterRecord,
    compare,
    months_between,
    rates,
    repeat_flags,
    summarise,
)

JAN_DISPOSITIONS = (
    ["connected-on-scene"] * 5
    + ["transported"] * 3
    + ["facility-declined"] * 2
    + ["referred-only"] * 2
    + ["emergency-department"] * 2
    + ["arrest"] * 3
    + ["no-action"]
)
FEB_DISPOSITIONS = (
    ["connected-on-scene"] * 6
    + ["transported"] * 2
    + ["facility-declined"]
    + ["arrest"]
    + ["no-action"] * 2
)


def _jan(i: int) -> EncounterRecord:
    disposition = JAN_DISPOSITIONS[i]
    types: tuple[str, ...] = ()
    if i <= 4:
        types = ("mobile-crisis",)
    elif i <= 7:
        types = ("crisis-receiving", "mobile-crisis")
    follow = {0: (True, True), 1: (False, True), 5: (True, None)}.get(i, (None, None))
    return EncounterRecord(
        occurred_hour=datetime(2026, 1, i + 1, 10, tzinfo=UTC),
        disposition=disposition,
        area_id="a1" if i <= 9 else "a2",
        referred_types=types,
        facility_id="F1" if disposition in ("transported", "facility-declined") else None,
        decline_reason={8: "full", 9: "intoxicated"}.get(i),
        use_of_force=i in (12, 14, 15),
        injury=i in (12, 14),
        person_token={0: "A", 10: "A", 1: "B", 17: "B", 2: "C"}.get(i),
        connected_7_days=follow[0],
        connected_30_days=follow[1],
    )


def _feb(i: int) -> EncounterRecord:
    disposition = FEB_DISPOSITIONS[i]
    return EncounterRecord(
        occurred_hour=datetime(2026, 2, i + 1, 23, tzinfo=UTC),
        disposition=disposition,
        area_id="a1",
        facility_id="F1" if disposition in ("transported", "facility-declined") else None,
        decline_reason="full" if i == 8 else None,
        use_of_force=i == 9,
        person_token={0: "A", 1: "D", 2: "D", 11: "C"}.get(i),
    )


RECORDS = [_jan(i) for i in range(18)] + [_feb(i) for i in range(12)]
JAN = (date(2026, 1, 1), date(2026, 1, 31))
FEB = (date(2026, 2, 1), date(2026, 2, 28))
BOTH = (date(2026, 1, 1), date(2026, 2, 28))


def test_fixture_has_thirty_encounters():
    assert len(RECORDS) == 30
    assert len(JAN_DISPOSITIONS) == 18 and len(FEB_DISPOSITIONS) == 12


def test_january_counts():
    jan = summarise(RECORDS, *BOTH).months["2026-01"]
    assert jan["encounters"] == 18
    assert jan["connections"] == 8  # 5 on scene + 3 transported
    assert jan["arrests"] == 3
    assert jan["use_of_force"] == 3  # 12, 14, 15
    assert jan["injuries"] == 2  # 12, 14
    assert jan["emergency_department"] == 2
    assert jan["facility_declines"] == 2
    assert jan["recorded_7_days"] == 3 and jan["connected_7_days"] == 2  # 0 yes, 1 no, 5 yes
    assert jan["recorded_30_days"] == 2 and jan["connected_30_days"] == 2  # 0, 1 yes; 5 unknown
    assert jan["people"] == 3  # A, B, C
    assert jan["repeat_people"] == 2  # A after 10 days, B after 16 days


def test_february_counts_and_repeats_across_the_month_boundary():
    feb = summarise(RECORDS, *BOTH).months["2026-02"]
    assert feb["encounters"] == 12
    assert feb["connections"] == 8  # 6 on scene + 2 transported
    assert feb["arrests"] == 1
    assert feb["use_of_force"] == 1
    assert feb["injuries"] == 0
    assert feb["emergency_department"] == 0
    assert feb["facility_declines"] == 1
    assert feb["recorded_7_days"] == 0
    assert feb["people"] == 3  # A, D, C
    # A: 21 days after 11 January (repeat); D: 1 day apart (repeat); C: 40 days (not).
    assert feb["repeat_people"] == 2


def test_period_totals_and_rates():
    totals = summarise(RECORDS, *BOTH).totals
    assert totals["encounters"] == 30
    assert totals["connections"] == 16
    assert totals["arrests"] == 4
    assert totals["use_of_force"] == 4
    assert totals["injuries"] == 2
    assert totals["facility_declines"] == 3
    assert totals["people"] == 4  # A, B, C, D
    assert totals["repeat_people"] == 3  # A, B, D
    r = rates(totals)
    assert r["connections"] == pytest.approx(16 / 30)
    assert r["arrests"] == pytest.approx(4 / 30)
    assert r["connected_7_days"] == pytest.approx(2 / 3)
    assert r["repeat_people"] == pytest.approx(3 / 4)


def test_a_period_alone_still_looks_back_for_repeats():
    feb = summarise(RECORDS, *FEB)
    assert list(feb.months) == ["2026-02"]
    assert feb.totals["encounters"] == 12
    assert feb.totals["repeat_people"] == 2  # A's earlier January encounter still counts


def test_shorter_window_finds_fewer_repeats():
    assert summarise(RECORDS, *BOTH, window_days=7).totals["repeat_people"] == 1  # only D
    flags = repeat_flags(RECORDS, 7)
    assert sum(flags) == 1 and flags[18 + 2]


def test_records_without_tokens_are_never_linked():
    untokened = [EncounterRecord(datetime(2026, 1, d, 10, tzinfo=UTC), "no-action") for d in (1, 2)]
    assert repeat_flags(untokened, 30) == [False, False]
    assert summarise(untokened, *JAN).totals["people"] == 0


def test_baseline_january_against_february():
    s = summarise(RECORDS, *BOTH)
    comparison = compare(s.months["2026-01"], s.months["2026-02"])
    connections = comparison["connections"]
    assert connections["baseline_rate"] == pytest.approx(8 / 18)  # 0.444
    assert connections["period_rate"] == pytest.approx(8 / 12)  # 0.667
    assert connections["rate_difference"] == pytest.approx(8 / 12 - 8 / 18)  # +0.222
    assert connections["count_difference"] == 0
    assert comparison["arrests"]["rate_difference"] == pytest.approx(1 / 12 - 3 / 18)  # -0.083
    assert comparison["injuries"]["rate_difference"] == pytest.approx(0 - 2 / 18)
    # No February follow-ups: its rate is unknown, so there is no difference.
    assert comparison["connected_7_days"]["period_rate"] is None
    assert comparison["connected_7_days"]["rate_difference"] is None


def test_breakdowns_by_area_and_service_type():
    s = summarise(RECORDS, *BOTH)
    assert s.by_area["a1"]["encounters"] == 22  # January 0-9 + all 12 of February
    assert s.by_area["a1"]["connections"] == 16
    assert s.by_area["a1"]["arrests"] == 1
    assert s.by_area["a2"]["encounters"] == 8  # January 10-17
    assert s.by_area["a2"]["connections"] == 0
    assert s.by_area["a2"]["arrests"] == 3
    assert list(s.by_service_type) == ["crisis-receiving", "mobile-crisis"]
    assert s.by_service_type["mobile-crisis"]["encounters"] == 8
    assert s.by_service_type["crisis-receiving"]["encounters"] == 3
    assert s.by_service_type["crisis-receiving"]["connections"] == 3  # all transported


def test_facility_declines_with_reasons():
    declines = summarise(RECORDS, *BOTH).facility_declines
    assert set(declines) == {"F1"}
    assert declines["F1"] == {"full": 2, "intoxicated": 1}


def test_months_between_is_inclusive_and_crosses_years():
    assert months_between(date(2025, 11, 15), date(2026, 2, 1)) == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    assert summarise([], date(2026, 1, 1), date(2026, 2, 1)).months["2026-02"]["encounters"] == 0
