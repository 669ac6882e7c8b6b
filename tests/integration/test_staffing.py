"""Recording staffing FTEs: all or nothing, audited, and used by the provider ratios."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pmhc_directory.models import ChangeRecord, ServiceStaffing
from pmhc_directory.services.staffing import StaffingError, import_staffing_csv
from tests.factories import make_service


def test_staffing_rows_are_stored_and_audited(session, tmp_path):
    service = make_service(session, name="Clinic", types=("outpatient-mental-health",))
    path = tmp_path / "staff.csv"
    path.write_text(f"service_id,core_fte,psychiatrist_fte\n{service.id},6.5,1.5\n")
    assert import_staffing_csv(session, path, user="import:staff.csv") == 1
    row = session.get(ServiceStaffing, service.id)
    assert (row.core_fte, row.psychiatrist_fte) == (6.5, 1.5)
    fields = set(
        session.scalars(
            select(ChangeRecord.field_name).where(ChangeRecord.resource_id == service.id)
        )
    )
    assert {"core_fte", "psychiatrist_fte"} <= fields


def test_bad_rows_change_nothing_and_name_line_and_field(session, tmp_path):
    service = make_service(session, name="Clinic")
    path = tmp_path / "staff.csv"
    path.write_text(
        "service_id,core_fte,psychiatrist_fte\n"
        f"{service.id},2,1\n"
        "not-a-uuid,1,0\n"
        f"{service.id},1,3\n"
        "0b8f3f3e-0000-4000-8000-0000000000ff,1,0\n"
    )
    with pytest.raises(StaffingError) as info:
        import_staffing_csv(session, path, user="t")
    text = str(info.value)
    assert "line 3: service_id" in text
    assert "line 4: psychiatrist_fte" in text
    assert "0b8f3f3e-0000-4000-8000-0000000000ff does not exist" in text
    assert session.get(ServiceStaffing, service.id) is None


def test_recorded_staffing_feeds_the_provider_ratios(session, tmp_path):
    import json

    from pmhc_directory.models import AnalysisArea
    from pmhc_directory.services.planning import need_table

    ring = [[-106.7, 35.0], [-106.6, 35.0], [-106.6, 35.1], [-106.7, 35.1], [-106.7, 35.0]]
    session.add(
        AnalysisArea(
            id="S1",
            name="S1",
            population=60_000,
            geometry=json.dumps({"type": "Polygon", "coordinates": [ring]}),
            centre_lat=35.05,
            centre_lon=-106.65,
            min_lon=-106.7,
            min_lat=35.0,
            max_lon=-106.6,
            max_lat=35.1,
        )
    )
    service = make_service(session, name="Clinic", types=("outpatient-mental-health",))
    path = tmp_path / "staff.csv"
    path.write_text(f"service_id,core_fte,psychiatrist_fte\n{service.id},6,2\n")
    import_staffing_csv(session, path, user="t")
    ratios = need_table(session)["ratios"]
    # 60,000 people / 6 core FTE = 10,000:1; / 2 psychiatrist FTE = 30,000:1.
    assert (ratios["core_fte"], ratios["psychiatrist_fte"]) == (6, 2)
    assert ratios["population_per_core_fte"] == 10_000
    assert ratios["population_per_psychiatrist_fte"] == 30_000
    # 10,000:1 is over 6,000:1 and 30,000:1 reaches 20,000:1 and 30,000:1: a shortage area.
    assert ratios["meets_core_and_psychiatrist"] and ratios["meets_psychiatrist"]
