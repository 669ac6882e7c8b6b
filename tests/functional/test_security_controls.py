"""Security controls of docs/security.md, checked from outside.

CSRF tokens on every form, session cookie flags, security headers and a CSP without inline
script, request size and upload type limits, and no secret among the tracked files.
"""

from __future__ import annotations

import io
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pmhc_directory.views.security import CONTENT_SECURITY_POLICY
from tests.conftest import REPO_ROOT
from tests.factories import make_location, make_service, make_user
from tests.functional.test_route_access_matrix import ROLES
from tests.functional.test_write_route_access import csrf_token, login


class PageParser(HTMLParser):
    """Forms (method, whether they carry a csrf_token field) and script elements of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []
        self.inline_scripts = 0
        self.event_handlers: list[str] = []
        self._in_script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.event_handlers += [name for name, _ in attrs if name.startswith("on")]
        if tag == "form":
            method = (values.get("method") or "get").lower()
            self.forms.append({"method": method, "action": values.get("action"), "csrf": False})
        elif tag == "input" and values.get("name") == "csrf_token" and self.forms:
            self.forms[-1]["csrf"] = True
        elif tag == "script":
            self._in_script_without_src = not values.get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script_without_src = False


@pytest.fixture
def records(session):
    service = make_service(session, name="Harbor Crisis Center")
    make_location(session, service, name="Harbor Main")
    session.commit()
    return service


def pages(app, service) -> list[str]:
    """Every GET page without variables, plus the pages of one real service."""
    found = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set())
        and "<" not in rule.rule
        and not rule.rule.startswith(("/api/", "/hsds"))
        and not rule.rule.endswith((".csv", ".json"))
    ]
    return found + [
        f"/services/{service.id}",
        f"/inventory/services/{service.id}/edit",
        f"/inventory/services/{service.id}/hours",
        f"/inventory/services/{service.id}/capacity",
        f"/inventory/services/{service.id}/areas",
        f"/inventory/services/{service.id}/history",
        f"/inventory/organizations/{service.organization_id}/edit",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("who", ["anonymous", *ROLES])
def test_every_post_form_has_a_csrf_token_and_no_page_has_inline_script(
    app, client, session, records, who
):
    if who == "provider":
        from tests.functional.test_route_access_matrix import make_provider

        make_provider(session)
        session.commit()
        login(client, "provider@example.org")
    elif who != "anonymous":
        make_user(session, who)
        session.commit()
        login(client, f"{who}@example.org")
    seen_forms = 0
    problems = []
    for path in pages(app, records):
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = PageParser()
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            if form["method"] == "post":
                seen_forms += 1
                if not form["csrf"]:
                    problems.append((path, form["action"], "no csrf_token"))
        if parser.inline_scripts:
            problems.append((path, None, f"{parser.inline_scripts} inline script(s)"))
        if parser.event_handlers:
            problems.append((path, None, f"inline handlers {parser.event_handlers}"))
    assert problems == []
    if who != "anonymous":
        assert seen_forms > 0  # at least the logout form


def test_a_form_post_without_the_token_is_refused(app, client, session):
    make_user(session, "coordinator")
    session.commit()
    login(client, "coordinator@example.org")
    response = client.post("/inventory/services/new", data={"name": "No token"})
    assert response.status_code == 400


def test_session_cookie_flags(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    make_user(session, "officer")
    session.commit()
    https = app.test_client()
    token_page = https.get("/login", base_url="https://localhost")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', token_page.get_data(as_text=True))
    assert token is not None
    response = https.post(
        "/login",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},  # Flask-WTF checks it over HTTPS
        data={
            "csrf_token": token.group(1),
            "email": "officer@example.org",
            "password": "correct horse battery staple",
        },
    )
    assert response.status_code == 302
    cookies = [v for k, v in response.headers.items() if k.lower() == "set-cookie"]
    session_cookie = next(c for c in cookies if c.startswith(app.config["SESSION_COOKIE_NAME"]))
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in session_cookie.split(";")}
    assert "secure" in flags
    assert "httponly" in flags
    assert flags["samesite"].lower() == "samesite=lax"


def test_default_settings_keep_cookies_secure():
    from pmhc_directory.config import Defaults

    assert Defaults.SESSION_COOKIE_SECURE is True
    assert Defaults.SESSION_COOKIE_HTTPONLY is True
    assert Defaults.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")
    assert Defaults.REMEMBER_COOKIE_SECURE is True


@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/openapi.json", "/no-such-page"])
def test_security_headers_on_pages_and_api(client, path):
    response = client.get(path)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert csp == CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"]


def test_a_body_over_the_size_limit_is_refused_with_413(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    big = "x" * 5000
    api = client.post("/api/v1/match", data=f'{{"near": "{big}"}}', content_type="application/json")
    assert api.status_code == 413
    assert api.get_json()["error"]["code"] == "too-large"
    page = client.post("/login", data={"email": big, "password": big})
    assert page.status_code == 413
    assert page.mimetype == "text/html"


def test_an_upload_that_is_not_geojson_is_refused_and_nothing_is_saved(
    app, client, session, records
):
    make_user(session, "coordinator")
    session.commit()
    login(client, "coordinator@example.org")
    path = f"/inventory/services/{records.id}/areas"
    token = csrf_token(client, path)
    html = client.get(path).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="([^"]*)"', html)
    data = {
        "csrf_token": token,
        "version": version.group(1) if version else "",
        "name": "Not a map",
        "geojson": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(200)), "picture.geojson"),
    }
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'id="geojson-error"' in response.get_data(as_text=True)
    session.expire_all()
    assert records.service_areas == []


# --- no secret in the repository ------------------------------------------------------------

PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
OUR_TOKEN = re.compile(r"pmhc_[A-Za-z0-9_-]{40,}")
ASSIGNED_SECRET = re.compile(
    r"(?i)\b[a-z_]*(password|passwd|secret|api_key|apikey|private_key)[a-z_]*\b"
    r"\s*[:=]\s*['\"][^'\"\s]{8,}['\"]"
)


def tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git work tree (git ls-files failed)")
    return [REPO_ROOT / name for name in listed.decode().split("\0") if name]


def looks_random(text: str) -> bool:
    return any(c.isupper() for c in text) and any(c.isdigit() for c in text)


def test_no_secret_is_tracked():
    files = tracked_files()
    assert files, "git ls-files listed nothing"
    problems = []
    for path in files:
        relative = path.relative_to(REPO_ROOT).as_posix()
        name = path.name
        if name == ".env" or name.startswith(".env.") or name in ("secret_key", "id_rsa"):
            problems.append((relative, "a secrets file"))
        if relative.startswith("instance/") and relative != "instance/README.md":
            problems.append((relative, "instance folder content"))
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if PRIVATE_KEY.search(text):
            problems.append((relative, "a private key"))
        for token in OUR_TOKEN.findall(text):
            if looks_random(token):
                problems.append((relative, f"a provider token {token[:9]}..."))
        if not relative.startswith("tests/"):  # test passwords are fictional by design
            problems += [(relative, m.group(0)[:40]) for m in ASSIGNED_SECRET.finditer(text)]
    assert problems == []


def test_the_secret_scan_finds_what_it_looks_for():
    header = "-----BEGIN OPENSSH " + "PRIVATE KEY-----"  # split so this file is not flagged
    assert PRIVATE_KEY.search(header)
    token = "pmhc_" + "Ab3" * 15
    assert OUR_TOKEN.search(token) and looks_random(token)
    assert ASSIGNED_SECRET.search('SECRET_KEY = "0123456789abcdef"')
    assert ASSIGNED_SECRET.search("db_password: 'hunter22hunter'")
    assert not ASSIGNED_SECRET.search("SECRET_KEY: str | None = None")
