"""Login, logout, the account page and the role check, over HTTP with CSRF switched on."""

from __future__ import annotations

import re

import pytest
from flask_login import login_user
from werkzeug.exceptions import Forbidden

from pmhc_directory.auth import roles_required
from pmhc_directory.models import Role, User
from tests.factories import TEST_PASSWORD, make_user

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LOGIN_FAILED = "Email or password is not correct."


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the first form on ``path``."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no csrf_token field on {path}"
    return match.group(1)


def log_in(client, email: str, password: str = TEST_PASSWORD, **extra: str):
    data = {"csrf_token": csrf_token(client), "email": email, "password": password, **extra}
    return client.post("/login", data=data)


@pytest.fixture
def officer(session) -> User:
    user = make_user(session, Role.OFFICER, email="officer@example.org")
    session.commit()
    return user


def test_login_page_has_a_csrf_protected_form(client):
    response = client.get("/login")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert CSRF_RE.search(html)
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html
    assert '<label for="email">Email</label>' in html


def test_login_success_redirects_home_and_shows_the_user(client, officer):
    response = log_in(client, "Officer@Example.org ")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "officer@example.org" in page
    assert "Logged in as officer@example.org (officer)." in page
    assert ">Log out</button>" in page
    assert 'href="/login"' not in page


def test_login_makes_a_permanent_secure_session_cookie(client, officer, app):
    response = log_in(client, officer.email)

    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie  # session.permanent: lasts PERMANENT_SESSION_LIFETIME
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    # Tests run over http; the default configuration keeps the Secure flag.
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_login_records_the_login_time(client, officer, session):
    log_in(client, officer.email)

    session.refresh(officer)
    assert officer.last_login_at is not None
    assert officer.failed_logins == 0


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("officer@example.org", "wrong password, long enough"),
        ("nobody@example.org", TEST_PASSWORD),
    ],
)
def test_failed_login_gives_one_generic_message(client, officer, email, password):
    response = log_in(client, email, password)
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert LOGIN_FAILED in html
    assert "unknown" not in html.lower()
    assert password not in html  # the password is never echoed back
    assert client.get("/account").status_code == 302


def test_failed_login_is_counted(client, officer, session):
    log_in(client, officer.email, "wrong password, long enough")

    session.refresh(officer)
    assert officer.failed_logins == 1


def test_inactive_user_is_refused(client, session):
    user = make_user(session, Role.COORDINATOR, email="gone@example.org")
    user.active = False
    session.commit()

    response = log_in(client, "gone@example.org")

    assert LOGIN_FAILED in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_empty_fields_are_reported_per_field(client):
    response = client.post("/login", data={"csrf_token": csrf_token(client)})
    html = response.get_data(as_text=True)

    assert "Enter your email address." in html
    assert "Enter your password." in html
    assert 'aria-invalid="true"' in html


def test_login_follows_a_relative_next(client, officer):
    response = log_in(client, officer.email, next="/directory?type=mobile-crisis")

    assert response.headers["Location"] == "/directory?type=mobile-crisis"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example/",
        "http:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "directory",
        "/ok\r\nSet-Cookie: x=1",
    ],
)
def test_login_refuses_an_open_redirect(client, officer, target):
    response = log_in(client, officer.email, next=target)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_page_drops_an_unsafe_next(client):
    html = client.get("/login?next=//evil.example").get_data(as_text=True)

    assert "evil.example" not in html


def test_login_page_keeps_a_safe_next(client):
    html = client.get("/login?next=/account").get_data(as_text=True)

    assert 'name="next" type="hidden" value="/account"' in html


def test_login_without_csrf_token_is_refused(client, officer):
    response = client.post("/login", data={"email": officer.email, "password": TEST_PASSWORD})

    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_login_page_redirects_a_logged_in_user(client, officer):
    log_in(client, officer.email)

    response = client.get("/login")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_logout_by_get_is_not_allowed(client, officer):
    log_in(client, officer.email)

    response = client.get("/logout")

    assert response.status_code == 405
    assert "<h1>Method Not Allowed</h1>" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 200


def test_logout_without_csrf_token_is_refused(client, officer):
    log_in(client, officer.email)

    response = client.post("/logout")

    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 200


def test_logout_with_csrf_token_ends_the_session(client, officer):
    log_in(client, officer.email)
    token = csrf_token(client, "/account")  # the nav's logout form

    response = client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 302
    assert client.get("/account").status_code == 302
    assert "You are logged out." in client.get("/").get_data(as_text=True)


def test_account_needs_a_login(client):
    response = client.get("/account")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account"


def test_account_shows_email_and_role(client, session):
    make_user(session, Role.PLANNER, email="planner@example.org")
    session.commit()
    log_in(client, "planner@example.org")

    html = client.get("/account").get_data(as_text=True)

    assert "<dd>planner@example.org</dd>" in html
    assert "<dd>Planner</dd>" in html


def _editor_only_view() -> str:
    return "edited"


def test_roles_required_redirects_anonymous_users(app, session):
    view = roles_required(Role.COORDINATOR, Role.ADMIN)(_editor_only_view)
    with app.test_request_context("/inventory"):
        response = view()
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_roles_required_forbids_other_roles(app, session):
    user = make_user(session, Role.OFFICER)
    view = roles_required(Role.COORDINATOR, Role.ADMIN)(_editor_only_view)
    with app.test_request_context("/inventory"):
        login_user(user)
        with pytest.raises(Forbidden):
            view()


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_roles_required_lets_listed_roles_in(app, session, role):
    user = make_user(session, role)
    view = roles_required(Role.COORDINATOR, Role.ADMIN)(_editor_only_view)
    with app.test_request_context("/inventory"):
        login_user(user)
        assert view() == "edited"


def test_repeated_failures_are_throttled_without_checking_the_password(
    app, client, officer, session
):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert log_in(client, officer.email, "wrong password, long enough").status_code == 200
    refused = log_in(client, officer.email)  # the right password, but too late
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many failed attempts" in refused.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # still not logged in
    # Another account tried from the same place is not affected.
    make_user(session, Role.PLANNER, email="planner@example.org")
    session.commit()
    assert log_in(client, "planner@example.org").status_code == 302


def test_a_successful_login_clears_earlier_failures(app, client, officer):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        log_in(client, officer.email, "wrong password, long enough")
    assert log_in(client, officer.email).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    # The count started again: a full set of failures is allowed before the next refusal.
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert log_in(client, officer.email, "wrong password, long enough").status_code == 200
    assert log_in(client, officer.email).status_code == 302
