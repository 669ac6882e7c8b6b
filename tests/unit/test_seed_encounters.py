"""The demo's fictional encounter log and capacity feed (seed/demo/*.csv) are consistent with
the rest of the demo data and with what the encounter log accepts."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from pmhc_directory.models.outcomes import DECLINE_REASONS, DISPOSITIONS
from pmhc_directory.taxonomy import NEED, vocabulary

DEMO = Path(__file__).resolve().parents[2] / "seed" / "demo"
FICTIONAL_PERSON = re.compile(r"^demo-person-\d{3}$")


def rows(name: str) -> list[dict[str, str]]:
    with (DEMO / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_encounters_refer_to_demo_services_and_areas_and_follow_the_log_rules():
    services = {s["id"] for s in json.loads((DEMO / "services.json").read_text())}
    areas = {
        f["properties"]["area_id"]
        for f in json.loads((DEMO / "areas.geojson").read_text())["features"]
    }
    needs = set(vocabulary().codes(NEED))
    log = rows("encounters.csv")
    assert len(log) > 500
    for row in log:
        assert 1 <= int(row["days_ago"]) <= 730 and 0 <= int(row["hour"]) <= 23
        assert row["area_id"] in areas
        assert row["needs"] and set(row["needs"].split()) <= needs
        assert set(row["referred_service_ids"].split()) <= services
        assert row["disposition"] in DISPOSITIONS
        with_facility = row["disposition"] in ("transported", "facility-declined")
        assert bool(row["facility_id"]) == with_facility
        assert not row["facility_id"] or row["facility_id"] in services
        declined = row["disposition"] == "facility-declined"
        assert (row["decline_reason"] in DECLINE_REASONS) if declined else not row["decline_reason"]
        assert FICTIONAL_PERSON.match(row["person"])  # never anything like a real identifier
        assert row["connected_7_days"] in ("", "yes", "no")
        assert row["connected_30_days"] in ("", "yes", "no")
    dispositions = {row["disposition"] for row in log}
    assert dispositions == set(DISPOSITIONS)


def test_the_capacity_feed_matches_the_seed_capacities():
    seeded = {
        (s["id"], c["unit"]["name"]): (c["available"], c["maximum"])
        for s in json.loads((DEMO / "services.json").read_text())
        for c in s.get("capacities") or []
    }
    feed = rows("capacity.csv")
    assert {(r["service_id"], r["unit"]) for r in feed} == set(seeded)
    for r in feed:
        assert (int(r["available"]), int(r["maximum"])) == seeded[(r["service_id"], r["unit"])]
        assert int(r["minutes_ago"]) > 0
