"""The command line as a black box (spec/api.md 1): real processes on an empty instance folder."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.hsds_schema import service_validator

REPO = Path(__file__).resolve().parents[2]


def run(args: list[str], instance: Path, db_url: str, **env: str) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PMHC_")}
    environment = {
        **inherited,
        "PMHC_INSTANCE_PATH": str(instance),
        "PMHC_DATABASE_URL": db_url,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "pmhc_directory", *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    folder = tmp_path / "instance"
    folder.mkdir()
    return folder


@pytest.mark.slow
def test_commands_in_order_on_an_empty_instance(instance, fresh_database_url, tmp_path):
    url = fresh_database_url
    assert "Database ready" in ok(run(["init-db"], instance, url))
    ok(run(["init-db"], instance, url))  # idempotent

    seeded = ok(run(["seed"], instance, url))
    assert "analysis areas" in seeded
    again = ok(run(["seed"], instance, url))
    assert " 0 created, 0 updated" in again

    exported = tmp_path / "services.json"
    assert "Exported" in ok(run(["export", str(exported), "--format", "hsds-json"], instance, url))
    services = json.loads(exported.read_text())
    demo = json.loads((REPO / "seed" / "demo" / "services.json").read_text())
    # Every demo service plus the national lines.
    assert len(services) > len(demo)
    assert {s["id"] for s in demo} <= {s["id"] for s in services}

    reimported = ok(run(["import", str(exported), "--format", "hsds-json"], instance, url))
    assert "0 created, 0 updated" in reimported

    created = ok(
        run(
            ["create-user", "Coord@Example.org", "--role", "coordinator"],
            instance,
            url,
            PMHC_PASSWORD="a very long password",
        )
    )
    assert "coord@example.org" in created
    duplicate = run(
        ["create-user", "coord@example.org", "--role", "planner"],
        instance,
        url,
        PMHC_PASSWORD="a very long password",
    )
    assert duplicate.returncode != 0
    assert "already exists" in duplicate.stderr
    assert "Traceback" not in duplicate.stderr


@pytest.mark.slow
def test_exported_services_validate_against_hsds_schema(instance, fresh_database_url, tmp_path):
    validator = service_validator()
    ok(run(["init-db"], instance, fresh_database_url))
    ok(run(["seed"], instance, fresh_database_url))
    exported = tmp_path / "out.json"
    ok(run(["export", str(exported), "--format", "hsds-json"], instance, fresh_database_url))
    services = json.loads(exported.read_text())
    problems = [
        f"{service['id']}: {error.json_path}: {error.message}"
        for service in services
        for error in validator.iter_errors(service)
    ]
    assert problems == []


def test_bad_import_changes_nothing_and_names_record_and_field(
    instance, fresh_database_url, tmp_path
):
    ok(run(["init-db"], instance, fresh_database_url))
    before = tmp_path / "before.json"
    ok(run(["export", str(before), "--format", "hsds-json"], instance, fresh_database_url))

    good = json.loads(before.read_text())[0]
    good = {**good, "id": "0b8f3f3e-0000-4000-8000-000000000001", "name": "Brand new"}
    good.pop("phones", None), good.pop("schedules", None), good.pop("attributes", None)
    good.pop("languages", None)
    bad = {**good, "id": "0b8f3f3e-0000-4000-8000-000000000002", "status": "open-ish"}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([good, bad]))

    result = run(["import", str(path), "--format", "hsds-json"], instance, fresh_database_url)
    assert result.returncode != 0
    assert "0b8f3f3e-0000-4000-8000-000000000002" in result.stderr
    assert "status" in result.stderr
    assert "Traceback" not in result.stderr

    after = tmp_path / "after.json"
    ok(run(["export", str(after), "--format", "hsds-json"], instance, fresh_database_url))
    assert json.loads(after.read_text()) == json.loads(before.read_text())


def test_secret_key_is_generated_privately_in_the_instance(instance, fresh_database_url):
    ok(run(["init-db"], instance, fresh_database_url))
    key_file = instance / "secret_key"
    assert key_file.exists()
    assert len(key_file.read_text().strip()) >= 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = key_file.read_text()
    ok(run(["init-db"], instance, fresh_database_url))
    assert key_file.read_text() == first


def test_pmhc_script_takes_instance_option(tmp_path):
    folder = tmp_path / "via-option"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMHC_")}
    if os.environ.get("PMHC_TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("the --instance check uses the instance's own SQLite database")
    result = subprocess.run(
        [sys.executable, "-m", "pmhc_directory.cli", "--instance", str(folder), "init-db"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert (folder / "pmhc.sqlite3").exists()


def test_bad_timezone_setting_is_a_clear_error(instance, fresh_database_url):
    result = run(["init-db"], instance, fresh_database_url, PMHC_TIMEZONE='"Mars/Olympus"')
    assert result.returncode != 0
    assert "PMHC_TIMEZONE" in result.stderr
