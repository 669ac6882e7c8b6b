"""Issue #17, security second round: each control with a test that fails without it.

Login races and revocable sessions run on an app with a database of its own (a SQLite file and a
scratch PostgreSQL database), because parallel requests need real, separate transactions.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from pmhc_directory import create_app
from pmhc_directory.db import get_database
from pmhc_directory.geo import geocoding
from pmhc_directory.models import ProblemReport, Role, User
from tests.conftest import make_test_config, prepare_database
from tests.factories import TEST_PASSWORD, make_service, make_user
from tests.functional.test_gaps_api import areas  # noqa: F401 (a fixture)
from tests.integration.test_backup import scratch_postgres  # noqa: F401 (a fixture)

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LOGIN_FAILED = "Email or password is not correct."
PARALLEL = 24


@pytest.fixture(params=["sqlite", "postgresql"])
def own_app(request, tmp_path: Path):
    """An app on its own database, with the default login limits (5 / 20 / 50)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'own.sqlite3'}"
    else:
        url = request.getfixturevalue("scratch_postgres")
    prepare_database(url)
    app = create_app(make_test_config(url, tmp_path / "instance", SEARCH_INDEX_DIR=":memory:"))
    app.extensions["pmhc_login_throttle"].clear()
    with get_database(app).session() as session:
        make_user(session, Role.COORDINATOR, email="target@example.org")
        session.commit()
    yield app
    app.extensions["pmhc_login_throttle"].clear()
    get_database(app).dispose()


def csrf_token(client, path: str = "/login") -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no csrf_token field on {path}"
    return match.group(1)


def log_in(client, email: str, password: str = TEST_PASSWORD, **kw):
    data = {"csrf_token": csrf_token(client), "email": email, "password": password}
    return client.post("/login", data=data, **kw)


# 1. Parallel failed logins ----------------------------------------------------------------------


def test_parallel_wrong_passwords_are_checked_no_more_than_the_limit(own_app):
    """All at once, for one email from one address: only LOGIN_MAX_FAILURES reach the password
    check, the rest get 429, and every checked failure is counted on the account."""
    clients = [own_app.test_client() for _ in range(PARALLEL)]
    tokens = [csrf_token(c) for c in clients]

    def attempt(n: int) -> tuple[int, bool]:
        response = clients[n].post(
            "/login",
            data={"csrf_token": tokens[n], "email": "target@example.org", "password": f"no{n}"},
        )
        return response.status_code, LOGIN_FAILED in response.get_data(as_text=True)

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        answers = list(pool.map(attempt, range(PARALLEL)))
    checked = [a for a in answers if a == (200, True)]
    refused = [a for a in answers if a[0] == 429]
    limit = own_app.config["LOGIN_MAX_FAILURES"]
    assert len(checked) == limit
    assert len(refused) == PARALLEL - limit
    with get_database(own_app).session() as session:
        user = session.scalar(select(User).where(User.email == "target@example.org"))
        assert user.failed_logins == limit


# 2. Revocable sessions --------------------------------------------------------------------------


@pytest.fixture
def coordinator(session) -> User:
    user = make_user(session, Role.COORDINATOR, email="coord@example.org")
    session.commit()
    return user


def replay(app, cookie: str):
    """A new browser (another User-Agent and forwarded address) holding a copied cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    other.environ_base.update(
        {"HTTP_USER_AGENT": "curl/8.0", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    )
    return other


def test_a_cookie_replayed_after_logout_opens_nothing(app, client, session, coordinator):
    service = make_service(session, name="Replay Receiving Center")
    session.commit()
    assert log_in(client, coordinator.email).status_code == 302
    token = csrf_token(client, "/inventory/queue")
    cookie = client.get_cookie("session").value
    assert client.get("/account").status_code == 200

    logout = client.post("/logout", data={"csrf_token": token})
    assert logout.status_code == 302
    other = replay(app, cookie)
    assert other.get("/account").status_code == 302
    assert other.get("/inventory/").status_code == 302
    verify = other.post(
        f"/inventory/services/{service.id}/verify", data={"csrf_token": token, "next": ""}
    )
    assert verify.status_code == 302
    assert verify.headers["Location"].startswith("/login")
    session.refresh(service)
    assert service.assured_date is None


@pytest.mark.parametrize(
    "change",
    [
        lambda u: setattr(u, "role", Role.PLANNER),
        lambda u: setattr(u, "active", False),
        lambda u: setattr(u, "password_hash", generate_password_hash("another pass phrase")),
    ],
    ids=["role", "deactivated", "password"],
)
def test_a_changed_role_password_or_active_flag_ends_the_session(
    client, session, coordinator, change
):
    assert log_in(client, coordinator.email).status_code == 302
    assert client.get("/account").status_code == 200
    change(session.get(User, coordinator.id))
    session.commit()
    assert client.get("/account").status_code == 302


def test_a_login_ends_after_the_absolute_lifetime_however_active(app, client, coordinator):
    assert log_in(client, coordinator.email).status_code == 302
    assert client.get("/account").status_code == 200
    lifetime = app.config["SESSION_ABSOLUTE_LIFETIME_SECONDS"]
    with client.session_transaction() as cookie_session:
        cookie_session["login_started"] -= lifetime + 1
    assert client.get("/account").status_code == 302


def test_sign_out_command_ends_every_session_of_a_user(app, client, runner, coordinator):
    assert log_in(client, coordinator.email).status_code == 302
    second = app.test_client()
    assert log_in(second, coordinator.email).status_code == 302
    result = runner.invoke(args=["sign-out", "Coord@Example.org"])
    assert result.exit_code == 0, result.output
    assert "Signed out coord@example.org everywhere" in result.output
    assert client.get("/account").status_code == 302
    assert second.get("/account").status_code == 302


def test_sign_out_command_names_an_unknown_email(runner):
    result = runner.invoke(args=["sign-out", "nobody@example.org"])
    assert result.exit_code != 0
    assert "no user with email nobody@example.org" in result.output


# 4. No looked-up place in the database ----------------------------------------------------------


class OnlineBackend:
    """Stands in for the online geocoder (no network): one address, and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def geocode(self, query, exactly_one=True, **_kwargs):
        self.calls += 1
        return SimpleNamespace(latitude=35.0838, longitude=-106.6456, address="77 Hidden Lane NW")


def test_an_online_lookup_leaves_no_row_with_the_place(app, client, connection, monkeypatch):
    backend = OnlineBackend()
    monkeypatch.setitem(app.config, "GEOCODER", "nominatim")
    monkeypatch.setattr(geocoding, "_make_backend", lambda *args: backend)
    first = client.post(
        "/api/v1/match", json={"near": "77 Hidden Lane NW", "needs": ["crisis-now"]}
    )
    assert first.status_code == 200, first.get_data(as_text=True)
    again = client.post(
        "/api/v1/match", json={"near": "77 hidden lane nw", "needs": ["crisis-now"]}
    )
    assert again.status_code == 200
    assert backend.calls == 1  # the answer was kept, in memory
    tables = sa.inspect(connection).get_table_names()
    assert "geocode_cache" not in tables
    for table in tables:
        query = sa.text(f'SELECT * FROM "{table}"')  # noqa: S608 (the database's own table names)
        for row in connection.execute(query):
            text = " ".join(str(value) for value in row)
            assert "Hidden Lane" not in text, table
            assert "35.0838" not in text, table


# 3, 10, 13, 14. Headers -------------------------------------------------------------------------


def test_results_page_sends_no_referrer_and_is_not_stored(client):
    response = client.get("/?near=Cedar+Bluff&age=34&gender=female&needs=crisis-now")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "path",
    [
        "/account",
        "/inventory/",
        "/inventory/queue",
        "/inventory/history.csv",
        "/outcomes/",
        "/outcomes/export.csv",
        "/planning/download/need.csv",
        "/handout",
    ],
)
def test_signed_in_pages_and_downloads_are_not_stored(client, coordinator, path):
    assert log_in(client, coordinator.email).status_code == 302
    response = client.get(path)
    assert response.status_code < 500
    assert response.headers["Cache-Control"] == "no-store", path


def test_static_files_stay_cacheable(client):
    with client.get("/static/css/app.css") as response:
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_hsts_only_over_https(app, client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == f"max-age={app.config['HSTS_SECONDS']}"


def test_an_untrusted_host_header_is_refused_not_reflected(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["directory.agency.example"])
    forged = client.get("/hsds/", headers={"Host": "evil.example"})
    assert forged.status_code == 400
    assert "evil.example" not in forged.get_data(as_text=True)
    assert forged.get_json()["error"]["code"] == "bad-request"
    trusted = client.get("/hsds/", headers={"Host": "directory.agency.example"})
    assert trusted.status_code == 200
    assert "http://directory.agency.example/" in trusted.get_data(as_text=True)


# 5. Anonymous writes limited --------------------------------------------------------------------

MATCH = {"lat": 35.0844, "lon": -106.6504, "needs": ["crisis-now"]}


def test_anonymous_lookups_are_limited_per_client(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOOKUP_RATE_LIMIT_ANONYMOUS", "3 per minute")
    for _ in range(3):
        assert client.post("/api/v1/match", json=MATCH).status_code == 200
    refused = client.post("/api/v1/match", json=MATCH)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too-many-requests"
    assert int(refused.headers["Retry-After"]) >= 1
    # The same budget covers the officer page's lookups; its bare form is not a lookup.
    assert client.get("/?lat=35.0844&lon=-106.6504&needs=crisis-now").status_code == 429
    assert client.get("/").status_code == 200
    # Another client address has its own budget.
    other = client.post("/api/v1/match", json=MATCH, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200


def test_signed_in_lookups_have_their_own_limit(app, client, coordinator, monkeypatch):
    monkeypatch.setitem(app.config, "LOOKUP_RATE_LIMIT_ANONYMOUS", "1 per minute")
    monkeypatch.setitem(app.config, "LOOKUP_RATE_LIMIT_STAFF", "3 per minute")
    assert log_in(client, coordinator.email).status_code == 302
    for _ in range(3):
        assert client.post("/api/v1/match", json=MATCH).status_code == 200
    assert client.get("/?lat=35.0844&lon=-106.6504&needs=crisis-now").status_code == 429


def test_problem_reports_are_limited_and_the_refused_ones_not_stored(
    app, client, session, monkeypatch
):
    monkeypatch.setitem(app.config, "PROBLEM_REPORT_RATE_LIMIT", "2 per hour")
    service = make_service(session, name="Flooded Queue Center")
    session.commit()
    token = csrf_token(client)
    form = {"csrf_token": token, "kind": "closed", "details": "Doors locked."}
    answers = [client.post(f"/services/{service.id}/problems", data=form) for _ in range(4)]
    assert [a.status_code for a in answers] == [302, 302, 429, 429]
    assert "Retry-After" in answers[-1].headers
    stored = session.scalar(
        select(sa.func.count())
        .select_from(ProblemReport)
        .where(ProblemReport.service_id == service.id)
    )
    assert stored == 2


def test_a_rate_limit_setting_that_cannot_be_read_stops_the_start(tmp_path, database_url):
    config = make_test_config(database_url, tmp_path / "instance", PROBLEM_REPORT_RATE_LIMIT="lots")
    with pytest.raises(ValueError, match="PROBLEM_REPORT_RATE_LIMIT"):
        create_app(config)


# 7. Inputs that gave 500 ------------------------------------------------------------------------

DEEP_JSON = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/match",
        "/api/v1/gaps/sites",
        "/api/v1/services/00000000-0000-0000-0000-000000000000/capacity",
    ],
)
def test_json_nested_a_thousand_deep_is_a_400(client, path):
    response = client.post(
        path,
        data=DEEP_JSON,
        content_type="application/json",
        headers={"Authorization": "Bearer pmhc_not-a-token"},
    )
    assert 400 <= response.status_code < 500
    assert set(response.get_json()["error"]) == {"code", "message", "field"}


def test_json_within_the_depth_limit_is_read(client):
    nested = {"lat": 35.0844, "lon": -106.6504, "needs": ["crisis-now"], "x": [[[[[1]]]]]}
    assert client.post("/api/v1/match", json=nested).status_code == 200


@pytest.mark.parametrize("page", ["100000000000000000000", "-100000000000000000000"])
def test_a_huge_page_number_is_a_4xx(client, page):
    response = client.get(f"/api/v1/services?page={page}")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "page"


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"]
)
def test_a_modified_after_at_the_ends_of_the_calendar_is_a_4xx(client, value):
    response = client.get("/hsds/services", query_string={"modified_after": value})
    assert 400 <= response.status_code < 500
    assert response.get_json()["error"]["field"] == "modified_after"


@pytest.mark.parametrize("path", ["/api/v1/gaps/need", "/planning/download/need.csv"])
def test_an_enormous_need_parameter_is_a_4xx(client, areas, path):  # noqa: F811
    response = client.get(path, query_string={"episodes_per_100k_month": "1e308"})
    assert 400 <= response.status_code < 500
    assert "episodes_per_100k_month" in response.get_data(as_text=True)


def test_the_planning_page_reports_an_enormous_need_parameter(client, areas):  # noqa: F811
    """The page reports a bad value and shows the defaults (its way with every bad value)."""
    response = client.get("/planning", query_string={"episodes_per_100k_month": "1e308"})
    assert response.status_code == 200
    assert "episodes_per_100k_month must be at most" in response.get_data(as_text=True)


def test_an_oversized_form_post_while_signed_in_gets_the_413_page(client, coordinator):
    assert log_in(client, coordinator.email).status_code == 302
    token = csrf_token(client, "/inventory/queue")
    big = "x" * (16 * 1024 * 1024 + 1)
    response = client.post(
        "/inventory/services/00000000-0000-0000-0000-000000000000/verify",
        data={"csrf_token": token, "next": big},
    )
    assert response.status_code == 413
    assert "<html" in response.get_data(as_text=True)


# 6. No staff e-mail published -------------------------------------------------------------------


@pytest.mark.parametrize("team", [None, "directory-team@agency.example"])
def test_verified_today_publishes_the_team_address_or_nothing(
    app, client, session, coordinator, monkeypatch, team
):
    monkeypatch.setitem(app.config, "ASSURER_EMAIL", team)
    service = make_service(session, name="Checked Receiving Center")
    session.commit()
    assert log_in(client, coordinator.email).status_code == 302
    token = csrf_token(client, "/inventory/queue")
    verify = client.post(
        f"/inventory/services/{service.id}/verify", data={"csrf_token": token, "next": ""}
    )
    assert verify.status_code == 303
    feed = client.get(f"/hsds/services/{service.id}")
    assert feed.status_code == 200
    assert coordinator.email not in feed.get_data(as_text=True)
    assert feed.get_json().get("assurer_email") == team
    assert feed.get_json()["assured_date"] is not None


# 11. mailto: links carry one address only -------------------------------------------------------

HOSTILE_EMAIL = "help@example.org?cc=attacker%40evil.example&subject=Hi&body=Click"


def test_a_hostile_service_email_gets_no_mailto_link(client, session):
    service = make_service(session, name="Mailto Center")
    service.email = HOSTILE_EMAIL  # as an old import could have stored it
    session.commit()
    page = client.get(f"/services/{service.id}").get_data(as_text=True)
    assert "mailto:" not in page
    assert "Mailto Center" in page


def test_a_valid_service_email_is_linked_and_encoded(client, session):
    service = make_service(session, name="Mailto Center Two")
    service.email = "intake?desk@example.org"
    session.commit()
    page = client.get(f"/services/{service.id}").get_data(as_text=True)
    assert 'href="mailto:intake%3Fdesk@example.org"' in page


@pytest.mark.parametrize(
    "address",
    [HOSTILE_EMAIL, "a@b", "a@exa_mple.org", "a@-example.org", "a b@example.org"],
)
def test_the_email_rule_refuses_what_is_not_one_address(address):
    from pmhc_directory.validators import email_address

    with pytest.raises(ValueError):
        email_address(address)


# 12. Command-line CSV is neutralised like the web downloads -------------------------------------

FORMULA = '=HYPERLINK("http://evil.example/","Open")'


def test_hsds_csv_export_neutralises_formulas_and_reads_back(runner, session, tmp_path):
    from pmhc_directory.hsds.tabular import read_package

    make_service(session, name=FORMULA)
    session.commit()
    folder = tmp_path / "package"
    result = runner.invoke(args=["export", "--format", "hsds-csv", str(folder)])
    assert result.exit_code == 0, result.output
    with (folder / "services.csv").open(newline="", encoding="utf-8") as handle:
        names = [row["name"] for row in csv.DictReader(handle)]
    assert "'" + FORMULA in names
    assert FORMULA not in names
    assert FORMULA in [service["name"] for service in read_package(folder)]


def test_outcomes_export_neutralises_formulas(runner, tmp_path, monkeypatch):
    from pmhc_directory.services import outcomes

    row = dict.fromkeys(outcomes.EXPORT_FIELDS, 0)
    row.update(month="2026-11", area_id=FORMULA, disposition="@SUM(A1)")
    monkeypatch.setattr(outcomes, "export_rows", lambda *args: [row])
    path = tmp_path / "outcomes.csv"
    result = runner.invoke(args=["outcomes", "export", str(path)])
    assert result.exit_code == 0, result.output
    with path.open(newline="", encoding="utf-8") as handle:
        (written,) = list(csv.DictReader(handle))
    assert written["area_id"] == "'" + FORMULA
    assert written["disposition"] == "'@SUM(A1)"


# 8. Service area uploads are capped and simplified ----------------------------------------------


def circle(vertices: int, jagged: float = 0.0) -> str:
    """A GeoJSON polygon of ``vertices`` corners around Albuquerque, radius 0.05 degrees; with
    ``jagged`` every other corner moves out by that many degrees (a saw edge)."""
    ring = []
    for n in range(vertices):
        angle = 2 * math.pi * n / vertices
        radius = 0.05 + (jagged if n % 2 else 0.0)
        ring.append(
            [
                round(-106.65 + radius * math.cos(angle), 7),
                round(35.08 + radius * math.sin(angle), 7),
            ]
        )
    ring.append(ring[0])
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def upload_area(client, service, text: str):
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    from tests.functional.test_editing_pages import form_fields

    path = f"/inventory/services/{service.id}/areas"
    data = MultiDict(form_fields(client, path))
    data["geojson"] = FileStorage(io.BytesIO(text.encode()), "area.geojson")
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(data)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_a_detailed_area_is_stored_simplified(client, session, coordinator):
    service = make_service(session, name="Area Center")
    session.commit()
    assert log_in(client, coordinator.email).status_code == 302
    response = upload_area(client, service, circle(40_000))
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    session.expire_all()
    (area,) = session.get(type(service), service.id).service_areas
    stored = json.loads(area.extent)["coordinates"][0]
    assert len(stored) <= 10_000
    assert len(stored) < 40_000 // 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (lambda: circle(120_000), "may be at most 2 MB"),
        (lambda: circle(30_000, jagged=0.01), "at most 10,000 are kept"),
    ],
    ids=["bytes", "vertices"],
)
def test_an_oversized_area_is_refused_and_nothing_saved(
    client, session, coordinator, text, message
):
    service = make_service(session, name="Huge Area Center")
    session.commit()
    assert log_in(client, coordinator.email).status_code == 302
    response = upload_area(client, service, text())
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(type(service), service.id).service_areas == []
