"""The tabular export as other people's tools see it: the Frictionless Framework validates a
fresh demo export against the package's own descriptor and against the official HSDS 3.1
``datapackage.json`` (``../shared/hsds``) with its two known defects repaired (issue #16).

The official file's ``service_capacity`` declares only ``service_id`` and ``unit_id`` and
``unit`` no field, while both name ``id`` as primary key; the repair declares their fields
from the HSDS JSON schemas, as the directory's own descriptor does (docs/hsds-feed.md).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pmhc_directory.cli import SEED_DIR
from pmhc_directory.hsds.fields import BY_NAME
from pmhc_directory.services.exports import ExportFailed, export_file
from pmhc_directory.services.seed import load_demo
from tests.conftest import require_shared

frictionless = pytest.importorskip("frictionless")

pytestmark = pytest.mark.slow


def _errors(descriptor: Path) -> list[str]:
    report = frictionless.validate(str(descriptor))
    return [
        f"{task.name}: {error.type}: {error.message}"
        for task in report.tasks
        for error in task.errors
    ] + [f"package: {error.type}: {error.message}" for error in report.errors]


@pytest.fixture(scope="module")
def demo_package(app, tmp_path_factory) -> Path:
    """A demo export, written once for the module (the database rolled back after)."""
    from pmhc_directory.db import get_database

    folder = tmp_path_factory.mktemp("frictionless") / "package"
    database = get_database(app)
    original_factory = database.session_factory
    connection = database.engine.connect()
    outer = connection.begin()
    database.bind_to_connection(connection)
    try:
        with app.app_context():
            session = database.session()
            try:
                load_demo(session, SEED_DIR)
                session.flush()
                export_file(session, folder, fmt="hsds-csv")
            finally:
                session.close()
    finally:
        database.session_factory = original_factory
        outer.rollback()
        connection.close()
    return folder


def test_frictionless_validates_the_export_against_its_own_descriptor(demo_package: Path):
    assert _errors(demo_package / "datapackage.json") == []


def test_frictionless_validates_the_export_against_the_repaired_official_descriptor(
    demo_package: Path, tmp_path: Path
):
    official = json.loads(require_shared("hsds", "datapackage.json").read_text("utf-8"))
    for resource in official["resources"]:
        if resource["name"] in ("service_capacity", "unit"):
            resource["schema"]["fields"] = [f.as_json() for f in BY_NAME[resource["name"]].fields]
    package = tmp_path / "package"
    shutil.copytree(demo_package, package)
    (package / "datapackage.json").write_text(json.dumps(official), "utf-8")
    assert _errors(package / "datapackage.json") == []


def test_the_official_descriptor_unrepaired_fails_only_on_its_known_defects(
    demo_package: Path, tmp_path: Path
):
    """Guards the repair: the untouched official file is rejected for the two resources
    whose primary key names an undeclared ``id``, and for nothing else."""
    package = tmp_path / "package"
    shutil.copytree(demo_package, package)
    shutil.copy(require_shared("hsds", "datapackage.json"), package / "datapackage.json")
    failing = {line.split(":")[0] for line in _errors(package / "datapackage.json")}
    assert failing <= {"service_capacity", "unit", "package"} and failing


def test_times_and_date_times_are_written_as_table_schema_reads_them(demo_package: Path):
    import csv

    with (demo_package / "schedules.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    times = [r["opens_at"] for r in rows if r["opens_at"]]
    assert times and all(len(t) >= 8 and t[5] == ":" for t in times)
    with (demo_package / "services.csv").open(encoding="utf-8", newline="") as handle:
        stamps = [r["last_modified"] for r in csv.DictReader(handle)]
    assert stamps and all(s.endswith("Z") and "+" not in s for s in stamps)


def test_an_export_that_would_break_an_official_constraint_is_refused(session, tmp_path):
    from tests.factories import make_service

    service = make_service(session)
    service.organization.name = ""  # required by HSDS: the package would be invalid
    session.flush()
    with pytest.raises(ExportFailed, match="organization .*: name is required"):
        export_file(session, tmp_path / "out.zip", fmt="hsds-csv")
    assert not (tmp_path / "out.zip").exists()
