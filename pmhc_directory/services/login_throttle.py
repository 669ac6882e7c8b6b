"""Slowing down password guessing on ``POST /login``, with Flask-Limiter.

Three limits count login *attempts* (every POST to the login form that names an email; the
address limit counts every POST) in a moving window of ``LOGIN_FAILURE_WINDOW_SECONDS``:

* ``LOGIN_MAX_FAILURES`` per client address and email: what a person who mistypes meets;
* ``LOGIN_ACCOUNT_MAX_FAILURES`` per email from any address: locks the account against guessing
  spread over many addresses (higher, since anyone can spend it on a colleague's email);
* ``LOGIN_ADDRESS_MAX_FAILURES`` per client address over all emails: stops one machine trying
  many accounts.

Each attempt is counted *before* its password is checked, by the storage's atomic
"take a place in the window" (``acquire_entry`` under a per-key lock in memory, a Lua script in
Redis), so attempts sent together cannot all pass a check made before any of them was counted:
at most the limit's number of passwords are ever checked per window. A full limit is answered
with 429 and ``Retry-After`` without looking at the password. A successful login clears the
counts of its address-and-email pair and of its email, so a person who logs in is never held back
by their own earlier attempts; the address count is not cleared (one success does not excuse a
machine that tried many other accounts) and so counts successful logins too.

Counts live where ``RATELIMIT_STORAGE_URI`` says: ``memory://`` counts in each app server
process; ``redis://...`` shares them between servers. The client address is
``request.remote_addr``, corrected behind proxies by ``PROXY_COUNT`` (see :func:`init_app`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from ..extensions import limiter
from .accounts import normalize_email

F = TypeVar("F", bound=Callable[..., Any])

EXTENSION_KEY = "pmhc_login_throttle"
# Scopes of the three limits (part of each storage key).
PAIR, ACCOUNT, ADDRESS = "login-pair", "login-account", "login-address"
# Cleared by a successful login; the address count is not (one success does not excuse a
# machine that tried many other accounts).
CLEARED_ON_SUCCESS = (PAIR, ACCOUNT)
SETTINGS = {
    PAIR: "LOGIN_MAX_FAILURES",
    ACCOUNT: "LOGIN_ACCOUNT_MAX_FAILURES",
    ADDRESS: "LOGIN_ADDRESS_MAX_FAILURES",
}
# Longest email used in a key (the form allows 320 characters).
MAX_EMAIL_KEY = 320


class LoginThrottle:
    """This app's handle on the login limits: ``clear()`` forgets every count (tests, admin)."""

    def clear(self) -> None:
        limiter.reset()


def check_settings(config: Any) -> None:
    """Refuse settings the limits cannot express (at start-up, not at the first login)."""
    for name in SETTINGS.values():
        if int(config[name]) < 1:
            raise ValueError(f"{name} must be at least 1")
    if float(config["LOGIN_FAILURE_WINDOW_SECONDS"]) <= 0:
        raise ValueError("LOGIN_FAILURE_WINDOW_SECONDS must be more than 0")
    if int(config.get("PROXY_COUNT") or 0) < 0:
        raise ValueError("PROXY_COUNT must be 0 or more")


def init_app(app: Flask) -> None:
    """Bind Flask-Limiter to ``app``; trust ``PROXY_COUNT`` proxies for the client address."""
    check_settings(app.config)
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies and not isinstance(app.wsgi_app, ProxyFix):
        # X-Forwarded-For gives remote_addr (the limits' key), X-Forwarded-Proto the scheme.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    limiter.init_app(app)
    app.extensions[EXTENSION_KEY] = LoginThrottle()


def limit_string(scope: str, config: Any) -> str:
    """``"5 per 900 second"`` for the scope's setting and the window (whole seconds, >= 1)."""
    window = max(1, math.ceil(float(config["LOGIN_FAILURE_WINDOW_SECONDS"])))
    return f"{int(config[SETTINGS[scope]])} per {window} second"


def submitted_email() -> str:
    """The normalised email of the login form (empty when none was sent)."""
    return normalize_email(request.form.get("email", ""))[:MAX_EMAIL_KEY]


def pair_key() -> str:
    email = submitted_email()
    return f"{get_remote_address()}|{email}" if email else ""


def account_key() -> str:
    return submitted_email()


def _no_email() -> bool:
    """No email sent: nothing to count per email (the form answers "Enter your email")."""
    return not submitted_email()


def forget_failures() -> None:
    """After a successful login: clear its pair's and its email's counts."""
    for checked in limiter.current_limits:
        if checked.request_args[-1].endswith(CLEARED_ON_SUCCESS):
            limiter.limiter.clear(checked.limit, *checked.request_args)


def retry_after_seconds(breached: RequestLimit) -> int:
    """Whole seconds until the breached limit lets one more attempt through (>= 1)."""
    return max(1, math.ceil(breached.window[0] - time.time()))


def login_limits(on_breach: Callable[[RequestLimit], Response]) -> Callable[[F], F]:
    """Decorate the login view with the three limits (POST only).

    Every POST takes its place in each limit before the view runs (no ``deduct_when``: a count
    made after the password check lets parallel requests through); the view calls
    :func:`forget_failures` after a successful login.
    """
    keys = {PAIR: pair_key, ACCOUNT: account_key, ADDRESS: get_remote_address}

    def decorator(view: F) -> F:
        for scope, key_func in keys.items():
            view = limiter.limit(
                _provider(scope),
                key_func=key_func,
                scope=scope,
                methods=["POST"],
                exempt_when=None if scope == ADDRESS else _no_email,
                on_breach=on_breach,
            )(view)
        return view

    return decorator


def _provider(scope: str) -> Callable[[], str]:
    return lambda: limit_string(scope, current_app.config)
