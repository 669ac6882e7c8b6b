#!/usr/bin/env python3
"""Soak test: mixed traffic against gunicorn on loopback for a bounded time (issue #9 item 4).

    python benchmarks/soak.py                       # 300 s, 2 reader threads, 1 provider
    python benchmarks/soak.py --seconds 60 --readers 2 --json /tmp/soak.json

Prepares a temporary instance with the demo jurisdiction (``init-db``, ``seed``, a provider
token from ``tokens create``), starts gunicorn (``--workers``, default 2) on 127.0.0.1 at a free
port, and for ``--seconds`` sends, from ``--readers`` client threads with no pause between
requests (closed loop, keep-alive connections):

* ``match_get``  ``GET /api/v1/match`` with varied places, needs and filters;
* ``match_post`` ``POST /api/v1/match`` with the same fields as JSON;
* ``search``     ``GET /api/v1/services?q=...``;
* ``page_find``  ``GET /?near=...&needs=...`` (the officer lookup page);
* ``page_dir``   ``GET /directory`` and ``GET /services/<id>``;

while ``--providers`` threads (default 1) each post ``POST /api/v1/services/<id>/capacity``
with the token every ``--report-every`` seconds (default 0.5), as a provider's system would.
Then it stops the server and prints, per kind: count, errors, p50 and p95 in ms; errors by kind
and status; and the bars of spec/product.md (match p95 under 60 ms over HTTP; search p95 under
50 ms). Exit code 1 when any request failed or a bar was missed.

Traffic goes to 127.0.0.1 only, and every loop ends by the deadline: the run stops by itself.
With ``--database URL`` the given (empty or disposable) database is used instead of SQLite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
BARS_MS = {"match_get": 60.0, "match_post": 60.0, "search": 50.0}
# Places in the demo jurisdiction (seed/demo/places.csv) and the needs an officer picks.
NEEDS = ["crisis-now", "suicide-risk", "intoxicated", "withdrawal", "mental-health-care", "housing"]
WORDS = ["crisis", "sobering", "detox", "youth", "mobile", "respite", "peer", "shelter", "sobrng"]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def flask(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "pmhc_directory", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def prepare(env: dict[str, str]) -> dict[str, Any]:
    """Schema, demo data and a provider token; returns what the traffic needs."""
    import sqlalchemy as sa

    flask(["init-db"], env)
    flask(["seed"], env)
    engine = sa.create_engine(env["PMHC_DATABASE_URL"])
    with engine.connect() as conn:
        org_id, service_ids = None, []
        rows = conn.execute(
            sa.text("SELECT organization_id, id FROM services ORDER BY organization_id, id")
        ).all()
        by_org: dict[Any, list[Any]] = defaultdict(list)
        for org, service in rows:
            by_org[org].append(service)
        org_id, service_ids = max(by_org.items(), key=lambda item: len(item[1]))
        places = [
            r[0] for r in conn.execute(sa.text("SELECT name FROM places ORDER BY name")).all()
        ]
        all_ids = [r[1] for r in rows]
    engine.dispose()
    token = flask(["tokens", "create", "--organization", str(_uuid(org_id))], env).strip()
    return {
        "token": token.splitlines()[-1],
        "capacity_ids": [_uuid(s) for s in service_ids],
        "service_ids": [_uuid(s) for s in all_ids],
        "places": places or ["Juniper"],
    }


def _uuid(value: Any) -> str:
    text = str(value).replace("-", "")
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def start_server(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    handle = log.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"{HOST}:{port}",
            "--access-logfile",
            "-",
            "--access-logformat",
            "%(m)s %(U)s %(s)s %(M)sms",
            "wsgi:app",
        ],  # fmt: skip
        cwd=REPO,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited early; see {log}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/api/v1/services?q=crisis")
            if conn.getresponse().status == 200:
                conn.close()
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 120 s")


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[tuple[str, str]] = Counter()

    def add(self, kind: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.latencies[kind].append(ms)
            if error:
                self.errors[(kind, error)] += 1


def reader_requests(rng: random.Random, data: dict[str, Any]) -> tuple[str, str, str, Any]:
    """One request of the mix: (kind, method, path, JSON body or None)."""
    kind = rng.choices(
        ["match_get", "match_post", "search", "page_find", "page_dir"], [30, 15, 25, 15, 15]
    )[0]
    query: dict[str, Any] = {
        "near": rng.choice(data["places"]),
        "needs": ",".join(rng.sample(NEEDS, rng.randint(1, 2))),
    }
    if rng.random() < 0.3:
        query["age"] = rng.randint(12, 80)
    if rng.random() < 0.3:
        query["transport"] = "true"
    if kind == "match_get":
        return kind, "GET", "/api/v1/match?" + urlencode(query), None
    if kind == "match_post":
        return kind, "POST", "/api/v1/match", query
    if kind == "search":
        q = " ".join(rng.sample(WORDS, rng.randint(1, 2)))
        return kind, "GET", "/api/v1/services?" + urlencode({"q": q}), None
    if kind == "page_find":
        return kind, "GET", "/?" + urlencode(query), None
    if rng.random() < 0.5:
        return kind, "GET", "/directory", None
    return kind, "GET", f"/services/{rng.choice(data['service_ids'])}", None


def send(
    conn: http.client.HTTPConnection, method: str, path: str, body: Any, headers: dict[str, str]
) -> int:
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers = {**headers, "Content-Type": "application/json"}
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


def timed(
    recorder: Recorder,
    port: int,
    conn: http.client.HTTPConnection,
    kind: str,
    request: tuple[str, str, Any, dict[str, str]],
) -> http.client.HTTPConnection:
    started = time.perf_counter()
    error = None
    try:
        status = send(conn, *request)
        if status != 200:
            error = f"HTTP {status}"
    except (OSError, http.client.HTTPException) as exc:
        error = type(exc).__name__
        conn.close()
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
    recorder.add(kind, (time.perf_counter() - started) * 1000, error)
    return conn


def reader(seed: int, port: int, deadline: float, data: dict[str, Any], rec: Recorder) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    while time.monotonic() < deadline:
        kind, method, path, body = reader_requests(rng, data)
        conn = timed(rec, port, conn, kind, (method, path, body, {}))
    conn.close()


def provider(
    seed: int, port: int, deadline: float, every: float, data: dict[str, Any], rec: Recorder
) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Authorization": f"Bearer {data['token']}"}
    while time.monotonic() < deadline:
        maximum = rng.randint(4, 40)
        body = {"unit": "bed", "available": rng.randint(0, maximum), "maximum": maximum}
        path = f"/api/v1/services/{rng.choice(data['capacity_ids'])}/capacity"
        conn = timed(rec, port, conn, "capacity", ("POST", path, body, headers))
        time.sleep(max(0.0, min(every, deadline - time.monotonic())))
    conn.close()


def report(rec: Recorder, seconds: float) -> dict[str, Any]:
    figures: dict[str, Any] = {"seconds": round(seconds, 1), "kinds": {}}
    total = sum(len(v) for v in rec.latencies.values())
    errors = sum(rec.errors.values())
    print(f"{'kind':<11} {'count':>7} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind in sorted(rec.latencies):
        values = rec.latencies[kind]
        kind_errors = sum(n for (k, _e), n in rec.errors.items() if k == kind)
        p50, p95 = percentile(values, 50), percentile(values, 95)
        figures["kinds"][kind] = {
            "count": len(values),
            "errors": kind_errors,
            "p50_ms": round(p50, 1),
            "p95_ms": round(p95, 1),
            "max_ms": round(max(values), 1),
        }
        print(f"{kind:<11} {len(values):>7} {kind_errors:>6} {p50:>8.1f} {p95:>8.1f} "
              f"{max(values):>8.1f}")  # fmt: skip
    print(f"total {total} requests in {seconds:.0f} s ({total / seconds:.1f}/s), {errors} errors")
    for (kind, error), count in sorted(rec.errors.items()):
        print(f"  error: {kind} {error} x{count}")
    figures.update(total=total, errors=errors, errors_by_kind={
        f"{k} {e}": n for (k, e), n in rec.errors.items()
    })  # fmt: skip
    missed = []
    for kind, bar in BARS_MS.items():
        p95 = figures["kinds"].get(kind, {}).get("p95_ms")
        ok = p95 is not None and p95 < bar
        print(f"bar: {kind} p95 {p95} ms < {bar:.0f} ms: {'met' if ok else 'MISSED'}")
        if not ok:
            missed.append(kind)
    figures["bars_missed"] = missed
    return figures


def show_server_errors(log: Path, limit: int = 10) -> None:
    """The server's own error lines (the app logs why it answered 5xx), counted by message."""
    lines = log.read_text(errors="replace").splitlines()
    found = Counter(
        line.split("] ", 1)[-1][:200]
        for line in lines
        if "ERROR" in line or "unavailable" in line or "Traceback" in line
    )
    for message, count in found.most_common(limit):
        print(f"  server: x{count} {message}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--readers", type=int, default=2, help="client threads (1-16)")
    parser.add_argument("--providers", type=int, default=1, help="capacity threads (0-4)")
    parser.add_argument("--report-every", type=float, default=0.5, help="seconds between reports")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--database", default=None, help="database URL (default: SQLite file)")
    parser.add_argument("--json", type=Path, default=None, help="also write figures here")
    args = parser.parse_args()
    if not (1 <= args.readers <= 16 and 0 <= args.providers <= 4 and 0 < args.seconds <= 3600):
        parser.error("--readers 1-16, --providers 0-4, --seconds up to 3600")

    folder = Path(tempfile.mkdtemp(prefix="pmhc-soak-"))
    url = args.database or f"sqlite:///{folder / 'pmhc.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMHC_")}
    env.update(
        PMHC_INSTANCE_PATH=str(folder),
        PMHC_DATABASE_URL=url,
        PMHC_CAPACITY_RATE_LIMIT_PER_MINUTE="0",
        PMHC_LOG_LEVEL="WARNING",
    )
    server = None
    try:
        say(f"preparing the demo instance in {folder}")
        data = prepare(env)
        port = free_port()
        say(f"starting gunicorn ({args.workers} workers) on {HOST}:{port}")
        server = start_server(env, port, args.workers, folder / "gunicorn.log")
        recorder = Recorder()
        started = time.monotonic()
        deadline = started + args.seconds
        threads = [
            threading.Thread(target=reader, args=(i, port, deadline, data, recorder))
            for i in range(args.readers)
        ] + [
            threading.Thread(
                target=provider,
                args=(1000 + i, port, deadline, args.report_every, data, recorder),
            )
            for i in range(args.providers)
        ]
        say(f"{args.readers} readers and {args.providers} providers for {args.seconds:.0f} s")
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 120)
        figures = report(recorder, time.monotonic() - started)
        figures.update(
            readers=args.readers, providers=args.providers, workers=args.workers,
            database="sqlite" if url.startswith("sqlite") else "postgresql",
        )  # fmt: skip
        if figures["errors"]:
            show_server_errors(folder / "gunicorn.log")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
        return 1 if figures["errors"] or figures["bars_missed"] else 0
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
