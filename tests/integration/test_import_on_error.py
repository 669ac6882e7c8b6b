"""``--on-error skip`` and ``fail`` on a legacy 211 export with every problem class of issue
#15 (tests/legacy211_problems.py, a few thousand services): with skip every sound service is
in, every problem is in the report with its action, nothing invalid is stored and the services
that need a person are flagged for the verification queue; with fail nothing changes and the
report names everything."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pmhc_directory import validators
from pmhc_directory.hsds.legacy211 import stable_id
from pmhc_directory.models import (
    Address,
    ImportFlag,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
)
from pmhc_directory.services.imports import ImportFailed, import_file, write_report
from pmhc_directory.services.inventory import verification_queue
from tests.integration.test_legacy_imports import table_counts
from tests.legacy211_problems import Spoilt, build_messy_export

SERVICES = 2400


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Spoilt]:
    target = tmp_path_factory.mktemp("messy") / "export_211.zip"
    return target, build_messy_export(target, SERVICES)


def report_of(issues) -> list[dict[str, str]]:  # noqa: ANN001
    buffer = io.StringIO()
    write_report(buffer, issues)
    return list(csv.DictReader(io.StringIO(buffer.getvalue())))


def rows_for(report: list[dict[str, str]], file: str, field: str) -> list[dict[str, str]]:
    return [r for r in report if r["file"].endswith(file) and r["field"] == field]


def test_skip_imports_every_sound_service_and_reports_every_problem(
    session: Session, messy: tuple[Path, Spoilt]
) -> None:
    path, spoilt = messy
    summary = import_file(session, path, fmt="hsds1-csv", on_error="skip")
    report = report_of(summary.report_issues())
    assert set(report[0]) == {"file", "row", "record_id", "field", "severity", "problem", "action"}
    assert {r["action"] for r in report} <= {
        "skipped", "row-dropped", "field-dropped", "placeholder", "refused",
    }  # fmt: skip

    # every sound service is in; the nameless ones are skipped and reported
    originals = set(spoilt.manifest.hours)
    sound = originals - spoilt.skipped_services
    stored = set(session.scalars(select(Service.id)))
    assert {stable_id("services", o) for o in sound} <= stored
    assert not {stable_id("services", o) for o in spoilt.skipped_services} & stored
    assert summary.created == len(sound)
    assert summary.skipped == len(spoilt.skipped_services)
    skipped = rows_for(report, "services.csv", "name")
    assert {r["record_id"] for r in skipped} == spoilt.skipped_services
    assert {r["action"] for r in skipped} == {"skipped"}

    # each problem class is in the report with its action
    eligibility = rows_for(report, "eligibility.csv", "service_id")
    assert len(eligibility) == spoilt.empty_eligibility_rows
    assert {r["action"] for r in eligibility} == {"row-dropped"}
    placeholders = rows_for(report, "services.csv", "organization_id")
    assert {r["record_id"] for r in placeholders} == set(spoilt.missing_org_services)
    assert {r["action"] for r in placeholders} == {"placeholder"}
    urls = rows_for(report, "services.csv", "url")
    assert {r["record_id"] for r in urls} == set(spoilt.bad_url_services)
    assert {r["action"] for r in urls} == {"field-dropped"}
    times = rows_for(report, "regular_schedules.csv", "opens_at/closes_at")
    assert len(times) == spoilt.no_time_schedule_rows + len(spoilt.typo_time_services)
    assert {r["action"] for r in times} == {"row-dropped"}
    phones = rows_for(report, "phones.csv", "number")
    assert len(phones) == len(spoilt.empty_phone_services)
    addresses = [r for r in report if r["file"].endswith("physical_addresses.csv")]
    assert len(addresses) == len(spoilt.empty_address_locations)
    assert {r["action"] for r in addresses} == {"row-dropped"}
    taxonomy = rows_for(report, "taxonomy.csv", "id")
    assert sorted(r["record_id"] for r in taxonomy) == sorted(spoilt.repeated_taxonomy_ids)
    counts = summary.counts()
    assert counts["warnings"] == sum(1 for r in report if r["action"] != "skipped")

    # nothing invalid is stored
    assert not session.scalar(
        select(func.count(Address.id)).where(
            (Address.address_1 == "") | (Address.city == "") | (Address.postal_code == "")
        )
    )
    assert not session.scalar(select(func.count(Phone.id)).where(Phone.number == ""))
    for url in session.scalars(select(Service.url).where(Service.url.is_not(None))):
        validators.web_url(url)
    for original in spoilt.bad_url_services:
        assert session.get(Service, stable_id("services", original)).url is None
    for original in spoilt.hours_unknown_services:  # hours unknown: no schedule at all
        sid = stable_id("services", original)
        sal_ids = select(ServiceAtLocation.id).where(ServiceAtLocation.service_id == sid)
        assert not session.scalar(
            select(func.count(Schedule.id)).where(
                (Schedule.service_id == sid) | Schedule.service_at_location_id.in_(sal_ids)
            )
        )
    placeholder_names = {
        session.get(Service, stable_id("services", o)).organization.name
        for o in spoilt.missing_org_services
    }
    assert all(name.startswith("[Missing organization ") for name in placeholder_names)
    assert len(placeholder_names) == len(set(spoilt.missing_org_ids))
    assert session.scalar(
        select(func.count(Organization.id)).where(Organization.name.like("[Missing%"))
    ) == len(set(spoilt.missing_org_ids))

    # the services that need a person are flagged, with their problems
    flags = {
        flag.service_id: flag.problems
        for flag in session.scalars(select(ImportFlag).where(ImportFlag.status == "open"))
    }
    assert set(flags) == {stable_id("services", o) for o in spoilt.flagged_services}
    assert summary.flagged == len(flags)
    some = stable_id("services", spoilt.missing_org_services[0])
    assert "placeholder organization" in flags[some]
    unknown = stable_id("services", spoilt.hours_unknown_services[0])
    assert "hours unknown" in flags[unknown]
    queue = verification_queue(session, date(2026, 12, 7), 180)
    assert queue.imported.total == len(flags)
    shown = {item.id: item for item in queue.imported.items}
    assert shown and all(item.problems for item in shown.values())


def test_fail_changes_nothing_and_reports_everything(
    session: Session, messy: tuple[Path, Spoilt]
) -> None:
    path, spoilt = messy
    before = table_counts(session)
    with pytest.raises(ImportFailed) as failed:
        import_file(session, path, fmt="hsds1-csv", on_error="fail")
    session.rollback()
    assert table_counts(session) == before
    report = report_of(failed.value.errors)
    assert {r["action"] for r in report} == {"refused"}
    by_field = Counter((r["file"].rsplit("/", 1)[-1], r["field"]) for r in report)
    assert by_field[("eligibility.csv", "service_id")] == spoilt.empty_eligibility_rows
    assert by_field[("services.csv", "organization_id")] == len(spoilt.missing_org_services)
    assert by_field[("services.csv", "url")] == len(spoilt.bad_url_services)
    assert by_field[("services.csv", "name")] == len(spoilt.nameless_services)
    assert by_field[("phones.csv", "number")] == len(spoilt.empty_phone_services)
    assert by_field[("taxonomy.csv", "id")] == len(spoilt.repeated_taxonomy_ids)
    assert by_field[("regular_schedules.csv", "opens_at/closes_at")] == (
        spoilt.no_time_schedule_rows + len(spoilt.typo_time_services)
    )
    empty_addresses = {r["row"] for r in report if r["file"].endswith("physical_addresses.csv")}
    assert len(empty_addresses) == len(spoilt.empty_address_locations)
    assert len(report) == len(failed.value.errors) > 300  # every problem, not the first 50
