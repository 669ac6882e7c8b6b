"""The failed-login limits (``services.login_throttle``) applied to the login view with
Flask-Limiter: the limiter bound to the app, the keys read from the request, the decorator and
the clearing after a successful login.

Each attempt is counted *before* its password is checked (no ``deduct_when``: a count made after
the password check lets parallel requests through); the view calls :func:`forget_failures` after
a successful login.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, current_app, request
from flask import Response as FlaskResponse
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from ..extensions import limiter
from ..services import login_throttle as policy

F = TypeVar("F", bound=Callable[..., Any])

EXTENSION_KEY = "pmhc_login_throttle"


class LoginThrottle:
    """This app's handle on the login limits: ``clear()`` forgets every count (tests, admin)."""

    def clear(self) -> None:
        limiter.reset()


def init_app(app: Flask) -> None:
    """Bind Flask-Limiter to ``app``; trust ``PROXY_COUNT`` proxies for the client address."""
    policy.check_settings(app.config)
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies and not isinstance(app.wsgi_app, ProxyFix):
        # X-Forwarded-For gives remote_addr (the limits' key), X-Forwarded-Proto the scheme.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    limiter.init_app(app)
    app.extensions[EXTENSION_KEY] = LoginThrottle()


def _pair_key() -> str:
    return policy.pair_key(get_remote_address(), request.form.get("email"))


def _account_key() -> str:
    return policy.email_key(request.form.get("email"))


def _no_email() -> bool:
    """No email sent: nothing to count per email (the form answers "Enter your email")."""
    return not _account_key()


def forget_failures() -> None:
    """After a successful login: clear its pair's and its email's counts."""
    for checked in limiter.current_limits:
        if checked.request_args[-1].endswith(policy.CLEARED_ON_SUCCESS):
            limiter.limiter.clear(checked.limit, *checked.request_args)


def retry_after_seconds(breached: RequestLimit) -> int:
    """Whole seconds until the breached limit lets one more attempt through (>= 1)."""
    return policy.retry_after_seconds(breached.window[0])


def login_limits(on_breach: Callable[[RequestLimit], FlaskResponse | None]) -> Callable[[F], F]:
    """Decorate the login view with the three limits (POST only); every POST takes its place
    in each limit before the view runs."""
    keys = {
        policy.PAIR: _pair_key,
        policy.ACCOUNT: _account_key,
        policy.ADDRESS: get_remote_address,
    }

    def decorator(view: F) -> F:
        limited: Callable[..., Any] = view
        for scope, key_func in keys.items():
            limited = limiter.limit(
                _provider(scope),
                key_func=key_func,
                scope=scope,
                methods=["POST"],
                exempt_when=None if scope == policy.ADDRESS else _no_email,
                on_breach=on_breach,
            )(limited)
        # Flask-Limiter wraps with functools.wraps: the same call signature as ``view``.
        return cast(F, limited)

    return decorator


def _provider(scope: str) -> Callable[[], str]:
    return lambda: policy.limit_string(scope, current_app.config)
