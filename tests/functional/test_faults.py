"""Faults while the app serves (issue #9 item 3): the answers stay right or fail clearly.

* the search index folder deleted, or its files overwritten with garbage: rebuilt, same answers;
* PostgreSQL stopped and started (a throwaway cluster of our own, never the shared server):
  503 with ``Retry-After`` (JSON under /api/, a page elsewhere), then normal answers again;
* an import killed with SIGKILL while writing: nothing of the file is in the database;
* a full disk (a 64 KiB tmpfs) during export and backup: a clear message, no file, exit code 1.

Each test uses a SQLite file of its own seeded with the demo jurisdiction (``seed``), never the
shared test database. See docs/RELIABILITY.md for how to rerun them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pmhc_directory import create_app
from pmhc_directory.db import get_database
from tests.conftest import make_test_config, prepare_database

REPO = Path(__file__).resolve().parents[2]
DEMO_SERVICES = REPO / "seed" / "demo" / "services.json"
# A word of one demo service's name, and that name (checked against the seed file below).
QUERY = "sobering"
MATCH = "/api/v1/match?lat=35.08&lon=-106.65&needs=crisis-now"


def flask_command(
    args: list[str], instance: Path, db_url: str, **popen: object
) -> subprocess.Popen:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PMHC_")}
    environment = {**inherited, "PMHC_INSTANCE_PATH": str(instance), "PMHC_DATABASE_URL": db_url}
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "pmhc_directory", *args],
        cwd=REPO,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,  # type: ignore[arg-type]
    )


def run_flask(args: list[str], instance: Path, db_url: str) -> subprocess.CompletedProcess:
    process = flask_command(args, instance, db_url)
    out, err = process.communicate(timeout=600)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An instance folder and a SQLite file holding the demo jurisdiction (a pristine copy)."""
    folder = tmp_path_factory.mktemp("seeded")
    url = f"sqlite:///{folder / 'pmhc.sqlite3'}"
    for command in (["init-db"], ["seed"]):
        done = run_flask(command, folder, url)
        assert done.returncode == 0, done.stdout + done.stderr
    return folder, url


@pytest.fixture
def instance(seeded, tmp_path) -> tuple[Path, str]:
    """A private copy of the seeded instance (database file only; no search index yet)."""
    folder = tmp_path / "instance"
    folder.mkdir()
    source = sqlite3.connect(str(seeded[0] / "pmhc.sqlite3"))
    target = sqlite3.connect(str(folder / "pmhc.sqlite3"))
    source.backup(target)
    source.close()
    target.close()
    return folder, f"sqlite:///{folder / 'pmhc.sqlite3'}"


def service_count(url: str, where: str = "", **params: object) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            query = sa.text(f"SELECT count(*) FROM services {where}")  # noqa: S608 (fixed text)
            return conn.execute(query, params).scalar()
    finally:
        engine.dispose()


def expected_hits(query: str) -> set[str]:
    """Demo services whose name has the word (the index ranks by more fields; names suffice)."""
    services = json.loads(DEMO_SERVICES.read_text())
    return {s["name"] for s in services if query in s["name"].lower()}


# ---------------------------------------------------------------------------------------------
# a. The search index deleted or corrupted while serving


@pytest.fixture
def serving_app(instance):
    folder, url = instance
    app = create_app(make_test_config(url, folder))  # index in <instance>/search-index
    yield app
    get_database(app).dispose()


def search_names(client, query: str) -> set[str]:
    response = client.get(f"/api/v1/services?q={query}&per_page=100")
    assert response.status_code == 200, response.get_data(as_text=True)
    return {item["name"] for item in response.get_json()["contents"]}


def test_search_index_folder_deleted_while_serving_is_rebuilt(serving_app):
    client = serving_app.test_client()
    wanted = expected_hits(QUERY)
    assert wanted  # the seed has sobering centers
    first = search_names(client, QUERY)
    assert wanted <= first
    folder = Path(serving_app.instance_path) / "search-index"
    assert any(folder.iterdir())

    shutil.rmtree(folder)

    assert search_names(client, QUERY) == first
    assert any(folder.iterdir())  # written again
    assert search_names(client, QUERY) == first


def test_search_index_files_corrupted_while_serving_are_rebuilt(serving_app):
    client = serving_app.test_client()
    first = search_names(client, QUERY)
    assert expected_hits(QUERY) <= first
    folder = Path(serving_app.instance_path) / "search-index"
    files = [p for p in folder.iterdir() if p.is_file()]
    assert files

    for path in files:
        size = max(path.stat().st_size, 64)
        path.write_bytes(os.urandom(size))

    assert search_names(client, QUERY) == first
    # The HTML directory search reads the same index: its results are search hits (a page
    # that ignored q would list the first services by name, most of them not hits).
    page = client.get(f"/directory?q={QUERY}&inactive=y")
    assert page.status_code == 200
    shown = set(
        re.findall(r'<h3 class="result-name"><a [^>]+>([^<]+)</a>', page.get_data(as_text=True))
    )
    assert expected_hits(QUERY) <= shown <= first


def test_search_index_files_truncated_while_serving_are_rebuilt(serving_app):
    client = serving_app.test_client()
    first = search_names(client, QUERY)
    folder = Path(serving_app.instance_path) / "search-index"

    for path in folder.iterdir():
        if path.is_file():
            path.write_bytes(b"")

    assert search_names(client, QUERY) == first


# ---------------------------------------------------------------------------------------------
# b. PostgreSQL stopped and started


def postgres_bin() -> Path | None:
    root = Path("/usr/lib/postgresql")
    versions = sorted(root.iterdir(), reverse=True) if root.is_dir() else []
    for version in versions:
        if (version / "bin" / "initdb").exists() and (version / "bin" / "pg_ctl").exists():
            return version / "bin"
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A throwaway PostgreSQL cluster on a free loopback port (trust auth, no fsync)."""

    def __init__(self, bin_dir: Path, root: Path, port: int) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.data = root / "data"
        self.port = port
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        done = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def init(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options, "-w",
            "-l", str(self.root / "server.log"), "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("runuser is missing: cannot run initdb as the postgres user")
    root = Path(tempfile.mkdtemp(prefix="pmhc-pg-"))
    if os.geteuid() == 0:
        try:
            shutil.chown(root, user="postgres", group="postgres")
        except (LookupError, PermissionError) as exc:
            shutil.rmtree(root)
            pytest.skip(f"no postgres user to own a throwaway cluster: {exc}")
    cluster = Cluster(bin_dir, root, free_port())
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster.running:
            cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def assert_unavailable_json(response) -> None:
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.headers["Retry-After"].isdigit()
    error = response.get_json()["error"]
    assert error["code"] == "database-unavailable"
    assert error["message"] and error["field"] is None


def assert_unavailable_page(response) -> None:
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert response.headers["Retry-After"].isdigit()
    text = response.get_data(as_text=True)
    assert "temporarily unavailable" in text
    assert "Traceback" not in text and "psycopg" not in text and "OperationalError" not in text


def test_unreachable_sqlite_file_gives_503_and_recovers_when_it_appears(instance, tmp_path):
    """The same answers without a PostgreSQL cluster: the database file's folder is missing."""
    folder, _url = instance
    missing = tmp_path / "not-yet"
    url = f"sqlite:///{missing / 'pmhc.sqlite3'}"
    app = create_app(make_test_config(url, tmp_path / "app-instance"))
    client = app.test_client()
    try:
        assert_unavailable_json(client.get(f"/api/v1/services?q={QUERY}"))
        assert_unavailable_json(client.get(MATCH))
        assert_unavailable_page(client.get("/"))

        missing.mkdir()
        shutil.copy(folder / "pmhc.sqlite3", missing / "pmhc.sqlite3")

        assert expected_hits(QUERY) <= search_names(client, QUERY)
        assert client.get("/").status_code == 200
    finally:
        get_database(app).dispose()


@pytest.mark.slow
def test_postgresql_stopped_gives_503_and_recovers_when_started(cluster, tmp_path):
    admin = sa.create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE pmhc")
    admin.dispose()
    url = cluster.url("pmhc")
    prepare_database(url)
    app = create_app(make_test_config(url, tmp_path / "instance"))
    client = app.test_client()
    try:
        healthy = client.get("/api/v1/services?q=crisis")
        assert healthy.status_code == 200
        national = healthy.get_json()["total_items"]
        assert national > 0  # the national lines of the reference data
        assert client.get("/").status_code == 200
        assert client.get(MATCH).status_code == 200

        cluster.stop()

        assert_unavailable_json(client.get("/api/v1/services?q=crisis"))
        assert_unavailable_json(client.get("/hsds/services"))
        assert_unavailable_json(client.get(MATCH))
        assert_unavailable_page(client.get("/"))
        assert_unavailable_page(client.get("/directory"))

        cluster.start()

        again = client.get("/api/v1/services?q=crisis")
        assert again.status_code == 200, again.get_data(as_text=True)
        assert again.get_json()["total_items"] == national
        assert client.get("/").status_code == 200
        assert client.get("/hsds/services").status_code == 200
        assert client.get(MATCH).status_code == 200
    finally:
        get_database(app).dispose()


# ---------------------------------------------------------------------------------------------
# c. An import killed midway

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Shared reference rows keep their ids (they exist already); everything else gets new ones.
KEEP_IDS = {"taxonomy_term", "taxonomy_term_id", "taxonomy_id", "unit", "unit_id"}


def _new_ids(value: object, copy: int, key: str | None = None) -> object:
    if key in KEEP_IDS:
        return value
    if isinstance(value, dict):
        return {k: _new_ids(v, copy, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_new_ids(v, copy, key) for v in value]
    if isinstance(value, str) and UUID_RE.match(value):
        return str(uuid.uuid5(uuid.UUID(value), f"fault-copy-{copy}"))
    return value


def big_import_file(path: Path, copies: int) -> set[str]:
    """``copies`` renamed copies of the demo services with new ids; returns the service ids."""
    demo = json.loads(DEMO_SERVICES.read_text())
    records = []
    for copy in range(copies):
        for service in demo:
            record = _new_ids(service, copy)
            record["name"] = f"{service['name']} (copy {copy})"  # type: ignore[index]
            records.append(record)
    path.write_text(json.dumps(records))
    return {r["id"] for r in records}  # type: ignore[index]


@pytest.mark.slow
def test_import_killed_while_writing_leaves_nothing_partial(instance, tmp_path):
    folder, url = instance
    source = tmp_path / "big.json"
    # 24,000 services: about 20 s of writing at the import's speed, so the kill lands midway.
    ids = big_import_file(source, copies=300)
    before = service_count(url)

    process = flask_command(["import", str(source)], folder, url)
    seen: list[str] = []
    reader = threading.Thread(target=lambda: seen.extend(process.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    deadline = time.monotonic() + 300
    while not any("Importing" in line for line in seen):
        assert process.poll() is None, "import ended before it started writing: " + "".join(seen)
        assert time.monotonic() < deadline, "no 'Importing' progress within 300 s"
        time.sleep(0.05)
    # "Importing" is printed as the first batch is written; let a few batches go. (The write-
    # ahead log is no sign of progress: the import's page cache holds its pages until COMMIT.)
    time.sleep(3.0)
    assert process.poll() is None, "import finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    reader.join(timeout=10)
    process.stdout.close()  # type: ignore[union-attr]
    process.stderr.close()  # type: ignore[union-attr]

    assert process.returncode == -signal.SIGKILL
    assert "Imported" not in "".join(seen)
    some = sorted(ids)[:500]
    marks = ",".join(f":i{n}" for n in range(len(some)))
    params = {f"i{n}": value.replace("-", "") for n, value in enumerate(some)}
    assert service_count(url, f"WHERE id IN ({marks})", **params) == 0
    assert service_count(url, "WHERE name LIKE '%(copy %'") == 0
    assert service_count(url) == before
    connection = sqlite3.connect(str(folder / "pmhc.sqlite3"))
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        connection.close()
    # The app still works on the database (and the same import can then run to the end).
    app = create_app(make_test_config(url, folder))
    try:
        assert expected_hits(QUERY) <= search_names(app.test_client(), QUERY)
    finally:
        get_database(app).dispose()


# ---------------------------------------------------------------------------------------------
# d. A full disk during export (and backup)


@pytest.fixture
def tiny_disk(tmp_path) -> Iterator[Path]:
    """A 64 KiB tmpfs, unmounted afterwards; skips where mounting is not permitted."""
    if shutil.which("mount") is None or shutil.which("umount") is None:
        pytest.skip("mount / umount are not installed")
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)


@pytest.mark.parametrize(
    "command, message",
    [
        (["export", "{target}", "--format", "hsds-json"], "Export failed: the disk is full"),
        (["backup", "{target}"], "Backup failed: the disk is full"),
    ],
    ids=["export", "backup"],
)
def test_full_disk_is_a_clear_error_and_leaves_no_file(instance, tiny_disk, command, message):
    folder, url = instance
    target = tiny_disk / "out.file"
    args = [part.replace("{target}", str(target)) for part in command]

    done = run_flask(args, folder, url)

    assert done.returncode == 1, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tiny_disk.iterdir()) == []  # neither the file nor a temporary one
