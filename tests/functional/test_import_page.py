"""The import page (/inventory/import): upload, format detection, dry run with the problems
table and CSV, confirm, the audit row, the flagged listings in the queue, one import at a time,
a dead run released, bounded uploads and zips. Jobs run in the request here
(IMPORT_IN_BACKGROUND off); tests/browser/test_import_page.py watches a background run."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pmhc_directory.hsds.legacy211 import stable_id
from pmhc_directory.hsds.readers import detect_format
from pmhc_directory.models import ChangeRecord, ImportFlag, ImportRun, Service
from tests.factories import make_user
from tests.functional.test_write_route_access import csrf_token, login
from tests.legacy211_problems import build_messy_export

PAGE = "/inventory/import/"


@pytest.fixture
def inline(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_IN_BACKGROUND", False)


@pytest.fixture(scope="module")
def messy_zip(tmp_path_factory):
    target = tmp_path_factory.mktemp("upload") / "metro211_export.zip"
    return target, build_messy_export(target, 120)


def upload(client, path: Path, **fields):
    data = {"csrf_token": csrf_token(client, PAGE), "fmt": "auto", "on_error": "skip", **fields}
    with path.open("rb") as handle:
        data["file"] = (io.BytesIO(handle.read()), path.name)
    return client.post(PAGE, data=data, content_type="multipart/form-data")


def test_dry_run_report_confirm_and_queue(client, session, inline, messy_zip):
    path, spoilt = messy_zip
    make_user(session, "coordinator")
    session.commit()
    before = session.scalar(select(func.count(Service.id)))  # the national lines
    login(client, "coordinator@example.org")
    assert client.get(PAGE).status_code == 200

    response = upload(client, path)
    assert response.status_code == 303
    run_url = response.headers["Location"]
    page = client.get(run_url).get_data(as_text=True)
    assert "Dry run: nothing has changed yet" in page
    assert "Legacy 211 export" in page  # the format was detected
    run = session.scalars(select(ImportRun)).one()
    assert run.status == "checked" and run.active is None and run.fmt == "hsds1-csv"
    sound = len(set(spoilt.manifest.hours) - spoilt.skipped_services)
    assert json.loads(run.dry_run_summary)["created"] == sound
    assert session.scalar(select(func.count(Service.id))) == before  # a dry run writes nothing
    # the problems table and the full CSV
    report = client.get(f"{run_url}/report.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(report.get_data(as_text=True))))
    assert rows and {"placeholder", "row-dropped", "field-dropped", "skipped"} <= {
        r["action"] for r in rows
    }
    assert f'Problems <span class="count">({len(rows)})</span>' in page
    status = client.get(f"{run_url}/status.json").get_json()
    assert status["status"] == "checked"

    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    response = client.post(f"{run_url}/confirm", data={"csrf_token": token})
    assert response.status_code == 303
    page = client.get(run_url).get_data(as_text=True)
    assert "Imported" in page
    session.expire_all()
    assert session.scalar(select(func.count(Service.id))) == before + sound
    run = session.get(ImportRun, run.id)
    assert run.status == "done" and json.loads(run.summary)["created"] == sound
    assert not Path(run.stored_path).exists()  # the upload is removed once done
    audit = session.scalars(
        select(ChangeRecord).where(ChangeRecord.resource_type == "import")
    ).one()
    assert audit.updated_by == "coordinator@example.org" and path.name in audit.replacement_value
    changed_by = session.scalar(
        select(ChangeRecord.updated_by).where(ChangeRecord.resource_type == "service").limit(1)
    )
    assert changed_by == f"import:{path.name} by coordinator@example.org"

    flagged = {f.service_id for f in session.scalars(select(ImportFlag))}
    assert flagged == {stable_id("services", o) for o in spoilt.flagged_services}
    queue = client.get("/inventory/queue").get_data(as_text=True)
    assert 'id="queue-imported"' in queue
    some = stable_id("services", spoilt.missing_org_services[0])
    assert f'id="imported-{some}"' in queue and "placeholder organization" in queue
    # verifying a flagged service takes it out of the queue
    token = csrf_token(client, "/inventory/queue")
    client.post(f"/inventory/services/{some}/verify", data={"csrf_token": token})
    session.expire_all()
    assert session.scalar(select(ImportFlag.status).where(ImportFlag.service_id == some)) == (
        "cleared"
    )


def test_second_import_is_refused_while_one_runs(client, session, inline, messy_zip, tmp_path):
    path, _spoilt = messy_zip
    make_user(session, "admin")
    running = ImportRun(
        file_name="big.ndjson",
        stored_path=str(tmp_path / "big.ndjson"),
        fmt="hsds-ndjson",
        on_error="skip",
        status="importing",
        active=1,
        phase="Importing",
        done=10,
        started_by="other@example.org",
        heartbeat=datetime.now(UTC),
    )
    session.add(running)
    session.commit()
    login(client, "admin@example.org")
    page = client.get(PAGE).get_data(as_text=True)
    assert "Another import is running" in page and "big.ndjson" in page
    response = upload(client, path)
    assert response.status_code == 409
    assert "Only one import runs at a time" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(ImportRun.id))) == 1

    # a run whose job died (no sign of life for a long time) no longer blocks
    running.heartbeat = running.created_at = datetime.now(UTC) - timedelta(hours=2)
    session.commit()
    response = upload(client, path)
    assert response.status_code == 303
    session.expire_all()
    assert session.get(ImportRun, running.id).status == "failed"


def test_unconfirmed_dry_runs_are_given_up_after_a_day(client, session, inline, messy_zip):
    path, _spoilt = messy_zip
    make_user(session, "coordinator")
    session.commit()
    login(client, "coordinator@example.org")
    first = client.get(upload(client, path).headers["Location"])
    assert first.status_code == 200
    old = session.scalars(select(ImportRun)).one()
    assert old.status == "checked" and Path(old.stored_path).exists()
    old.created_at = datetime.now(UTC) - timedelta(days=2)
    session.commit()
    assert upload(client, path).status_code == 303
    session.expire_all()
    old = session.get(ImportRun, old.id)
    assert old.status == "failed" and not Path(old.stored_path).exists()


def test_fail_mode_dry_run_names_every_problem(client, session, inline, messy_zip):
    path, _spoilt = messy_zip
    make_user(session, "coordinator")
    session.commit()
    login(client, "coordinator@example.org")
    response = upload(client, path, on_error="fail")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing was changed" in page
    run = session.scalars(select(ImportRun)).one()
    rows = list(csv.DictReader(io.StringIO(run.report)))
    assert len(rows) == json.loads(run.dry_run_summary)["errors"] > 50
    assert {r["action"] for r in rows} == {"refused"}


def test_uploads_and_zips_are_bounded(client, session, inline, app, monkeypatch, tmp_path):
    make_user(session, "coordinator")
    session.commit()
    login(client, "coordinator@example.org")
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("services.csv", "id,organization_id,name\n" + "x" * 3_000_000)
        archive.writestr("organizations.csv", "id,name\n")
    monkeypatch.setitem(app.config, "IMPORT_MAX_UNZIPPED_MB", 1)
    response = upload(client, bomb)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing was changed" in page
    run = session.scalars(select(ImportRun)).one()
    assert "IMPORT_MAX_UNZIPPED_MB" in run.report
    monkeypatch.setitem(app.config, "IMPORT_MAX_UPLOAD_MB", 0.2)
    response = upload(client, bomb)  # ~3 KB compressed: under the upload limit
    assert response.status_code == 303
    large = tmp_path / "large.json"
    large.write_bytes(b"[" + b" " * 300_000 + b"]")  # in memory in the test client (< 500 KB)
    response = upload(client, large)
    assert response.status_code == 413
    assert "larger than 0.2 MB" in response.get_data(as_text=True)


def test_undetectable_file_asks_for_the_format(client, session, inline, tmp_path):
    make_user(session, "coordinator")
    session.commit()
    login(client, "coordinator@example.org")
    odd = tmp_path / "notes.txt"
    odd.write_text("hello")
    response = upload(client, odd)
    assert response.status_code == 400
    assert "choose its format" in response.get_data(as_text=True)
    assert not session.scalar(select(func.count(ImportRun.id)))


def test_detect_format(tmp_path, messy_zip):
    path, _spoilt = messy_zip
    assert detect_format(path, path.name) == "hsds1-csv"
    package = tmp_path / "package.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("datapackage.json", "{}")
    assert detect_format(package, "package.zip") == "hsds-csv"
    (tmp_path / "a.json").write_text('[{"id": "x"}]')
    assert detect_format(tmp_path / "a.json", "a.json") == "hsds-json"
    (tmp_path / "a.ndjson").write_text('{"id": "x"}\n{"id": "y"}\n')
    assert detect_format(tmp_path / "a.ndjson", "a.ndjson") == "hsds-ndjson"
    (tmp_path / "lines.json").write_text('{"id": "x"}\n{"id": "y"}\n')
    assert detect_format(tmp_path / "lines.json", "lines.json") == "hsds-ndjson"
    (tmp_path / "mh.csv").write_text("name1,name2,street1\nA,,1 Main\n")
    assert detect_format(tmp_path / "mh.csv", "mh.csv") == "samhsa-csv"
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    assert detect_format(tmp_path / "other.csv", "other.csv") is None
