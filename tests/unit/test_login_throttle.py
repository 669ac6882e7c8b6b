"""The failed-login limits (Flask-Limiter) on a bare Flask app, with a fake clock.

The real login page is tested in tests/functional/test_auth.py; here the three limits, the
moving window, clearing on success and the proxy setting are checked one by one.
"""

from __future__ import annotations

import types

import pytest
from flask import Flask, Response, request

from pmhc_directory.services import login_throttle as policy
from pmhc_directory.views import login_limits

CHECKED: list[str] = []


def _refused(breached) -> Response:
    wait = login_limits.retry_after_seconds(breached)
    return Response("refused", 429, {"Retry-After": str(wait)})


@login_limits.login_limits(on_breach=_refused)
def attempt() -> str:
    """Stands in for the login view: 'right' is the only right password."""
    CHECKED.append(request.form["email"])
    if request.form["password"] == "right":
        login_limits.forget_failures()
        return "ok"
    return "wrong"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    import limits.storage.memory

    fake = Clock()
    monkeypatch.setattr(limits.storage.memory, "time", types.SimpleNamespace(time=fake.time))
    monkeypatch.setattr(policy, "time", types.SimpleNamespace(time=fake.time))
    return fake


def make_app(**settings: object) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="test",
        LOGIN_MAX_FAILURES=3,
        LOGIN_ACCOUNT_MAX_FAILURES=5,
        LOGIN_ADDRESS_MAX_FAILURES=7,
        LOGIN_FAILURE_WINDOW_SECONDS=60,
        RATELIMIT_STORAGE_URI="memory://",
        PROXY_COUNT=0,
    )
    app.config.update(settings)
    login_limits.init_app(app)
    app.add_url_rule("/try", view_func=attempt, methods=["POST"])
    return app


@pytest.fixture
def app(clock):
    app = make_app()
    app.extensions[login_limits.EXTENSION_KEY].clear()
    CHECKED.clear()
    yield app
    app.extensions[login_limits.EXTENSION_KEY].clear()


def post(app: Flask, email: str, password: str = "wrong", address: str = "10.0.0.1", **kw):
    return app.test_client().post(
        "/try",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        **kw,
    )


def test_refuses_after_max_failures_until_the_oldest_leaves_the_window(app, clock):
    for _ in range(3):
        assert post(app, "a@example.org").status_code == 200
        clock.now += 10
    CHECKED.clear()
    refused = post(app, "a@example.org", "right")
    assert refused.status_code == 429
    assert CHECKED == []  # the password was not looked at
    # First failure at t, now t + 30: the window of 60 s frees a place in 30 s.
    assert int(refused.headers["Retry-After"]) == 30
    clock.now += 29
    assert post(app, "a@example.org", "right").status_code == 429
    clock.now += 2
    assert post(app, "a@example.org", "right").get_data(as_text=True) == "ok"


def test_pairs_are_independent_and_success_clears_its_pair(app):
    for _ in range(3):
        post(app, "a@example.org")
    assert post(app, "a@example.org").status_code == 429
    assert post(app, "b@example.org").status_code == 200
    assert post(app, "a@example.org", address="10.0.0.2").status_code == 200
    # Success from the other address clears the email's counts, not the first pair's.
    assert post(app, "a@example.org", "right", address="10.0.0.2").status_code == 200
    assert post(app, "a@example.org").status_code == 429


def test_success_clears_earlier_failures_of_the_pair(app):
    for _ in range(2):
        post(app, "a@example.org")
    assert post(app, "a@example.org", "right").get_data(as_text=True) == "ok"
    for _ in range(2):
        assert post(app, "a@example.org").status_code == 200
    assert post(app, "a@example.org", "right").status_code == 200


def test_email_is_locked_after_failures_from_many_addresses(app):
    for n in range(5):
        assert post(app, "Chief@Example.org ", address=f"10.0.1.{n}").status_code == 200
    # A new address, the right password, the same account (normalised): refused.
    assert post(app, "chief@example.org", "right", address="10.0.2.1").status_code == 429
    assert post(app, "other@example.org", "right", address="10.0.2.1").status_code == 200


def test_one_address_trying_many_emails_is_stopped(app):
    for n in range(7):
        assert post(app, f"user{n}@example.org").status_code == 200
    assert post(app, "user99@example.org", "right").status_code == 429
    assert post(app, "user99@example.org", "right", address="10.0.0.9").status_code == 200


def test_requests_without_an_email_are_not_counted_per_email(app):
    for _ in range(4):
        assert post(app, "").status_code == 200
    assert post(app, "a@example.org", "right").status_code == 200


def test_forwarded_for_is_ignored_without_proxies(app):
    for n in range(3):
        post(app, "a@example.org", headers={"X-Forwarded-For": f"192.0.2.{n}"})
    refused = post(app, "a@example.org", headers={"X-Forwarded-For": "192.0.2.50"})
    assert refused.status_code == 429


def test_behind_one_proxy_the_forwarded_client_address_counts(clock):
    app = make_app(PROXY_COUNT=1)
    app.extensions[login_limits.EXTENSION_KEY].clear()
    try:
        for _ in range(3):
            post(app, "a@example.org", headers={"X-Forwarded-For": "192.0.2.1"})
        assert (
            post(app, "a@example.org", headers={"X-Forwarded-For": "192.0.2.1"}).status_code == 429
        )
        # The same proxy address, another client behind it: not refused.
        assert (
            post(app, "a@example.org", headers={"X-Forwarded-For": "192.0.2.2"}).status_code == 200
        )
    finally:
        app.extensions[login_limits.EXTENSION_KEY].clear()


def test_limit_strings_follow_the_settings():
    config = {"LOGIN_MAX_FAILURES": 5, "LOGIN_FAILURE_WINDOW_SECONDS": 899.5}
    assert policy.limit_string(policy.PAIR, config) == "5 per 900 second"


@pytest.mark.parametrize(
    "setting",
    [
        {"LOGIN_MAX_FAILURES": 0},
        {"LOGIN_ACCOUNT_MAX_FAILURES": 0},
        {"LOGIN_ADDRESS_MAX_FAILURES": -1},
        {"LOGIN_FAILURE_WINDOW_SECONDS": 0},
        {"PROXY_COUNT": -1},
    ],
)
def test_bad_settings_are_refused_at_start(setting):
    with pytest.raises(ValueError, match=next(iter(setting))):
        make_app(**setting)
