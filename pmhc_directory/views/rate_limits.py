"""Per-client limits on the public lookups and on problem reports (Flask-Limiter).

A lookup costs a geocode, a match and (for signed-in officers) an unmet-need record; a problem
report lands in the coordinators' queue. Without limits one client could flood either. Limits are
Flask-Limiter strings from the settings (``"30 per minute"``, ``"10 per hour"``), counted in a
moving window where ``RATELIMIT_STORAGE_URI`` says (per app process with ``memory://``):

* ``LOOKUP_RATE_LIMIT_ANONYMOUS``: lookups (the officer page with a query, ``/api/v1/match``)
  per client address, for visitors who are not signed in;
* ``LOOKUP_RATE_LIMIT_STAFF``: lookups per signed-in account (higher: staff are known);
* ``PROBLEM_REPORT_RATE_LIMIT``: problem reports per signed-in account, or per client address.

Past a limit the answer is 429 with ``Retry-After``: the error page, or the JSON error shape with
code ``too-many-requests`` under ``/api/``. The client address is ``request.remote_addr``,
corrected behind proxies by ``PROXY_COUNT`` (services/login_throttle.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse_many

from ..extensions import limiter

# Flask-Limiter's decorators keep a view's parameters and return type (not its identity).
P = ParamSpec("P")
R = TypeVar("R")

SETTINGS = ("LOOKUP_RATE_LIMIT_ANONYMOUS", "LOOKUP_RATE_LIMIT_STAFF", "PROBLEM_REPORT_RATE_LIMIT")


def check_settings(config: Any) -> None:
    """Refuse a limit Flask-Limiter cannot read, at start-up rather than at the first lookup."""
    for name in SETTINGS:
        value = config.get(name)
        try:
            parsed = parse_many(str(value))
        except ValueError:
            parsed = []
        if not parsed:
            raise ValueError(f"{name} must be a rate limit such as '30 per minute', not {value!r}")


def _signed_in() -> bool:
    return bool(current_user.is_authenticated)


def _client_key() -> str:
    return f"address:{get_remote_address()}"


def _account_or_client_key() -> str:
    return f"user:{current_user.id}" if _signed_in() else _client_key()


def _setting(name: str) -> Callable[[], str]:
    return lambda: str(current_app.config[name])


def lookup_limits(
    is_lookup: Callable[[], bool] = lambda: True,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Limit a lookup view: per client address when anonymous, per account when signed in.

    ``is_lookup`` tells whether this request is a lookup at all (the officer page without a
    query is only the form, and is not counted).
    """

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        # Shared limits: the page and the API spend one budget.
        view = limiter.shared_limit(
            _setting("LOOKUP_RATE_LIMIT_ANONYMOUS"),
            key_func=_client_key,
            scope="lookup-anonymous",
            exempt_when=lambda: _signed_in() or not is_lookup(),
        )(view)
        return limiter.shared_limit(
            _setting("LOOKUP_RATE_LIMIT_STAFF"),
            key_func=lambda: f"user:{current_user.id}",
            scope="lookup-staff",
            exempt_when=lambda: not _signed_in() or not is_lookup(),
        )(view)

    return decorator


def problem_report_limit(view: Callable[P, R]) -> Callable[P, R]:
    """Limit problem reports per signed-in account, or per client address when anonymous."""
    return limiter.limit(
        _setting("PROBLEM_REPORT_RATE_LIMIT"),
        key_func=_account_or_client_key,
        scope="problem-report",
    )(view)
