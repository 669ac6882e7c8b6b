"""Slowing down password guessing on ``POST /login``: the policy (limits, keys, waits).

The Flask-Limiter glue that applies it to the login view is ``views/login_limits.py``; this
module reads no request and imports no Flask (the view passes the address and the email).

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
``request.remote_addr``, corrected behind proxies by ``PROXY_COUNT``
(``views.login_limits.init_app``).
"""

from __future__ import annotations

import math
import time
from typing import Any

from .accounts import normalize_email

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


def check_settings(config: Any) -> None:
    """Refuse settings the limits cannot express (at start-up, not at the first login)."""
    for name in SETTINGS.values():
        if int(config[name]) < 1:
            raise ValueError(f"{name} must be at least 1")
    if float(config["LOGIN_FAILURE_WINDOW_SECONDS"]) <= 0:
        raise ValueError("LOGIN_FAILURE_WINDOW_SECONDS must be more than 0")
    if int(config.get("PROXY_COUNT") or 0) < 0:
        raise ValueError("PROXY_COUNT must be 0 or more")


def limit_string(scope: str, config: Any) -> str:
    """``"5 per 900 second"`` for the scope's setting and the window (whole seconds, >= 1)."""
    window = max(1, math.ceil(float(config["LOGIN_FAILURE_WINDOW_SECONDS"])))
    return f"{int(config[SETTINGS[scope]])} per {window} second"


def email_key(email: str | None) -> str:
    """The normalised email as counted (empty when none was sent; cut to ``MAX_EMAIL_KEY``)."""
    return normalize_email(email or "")[:MAX_EMAIL_KEY]


def pair_key(address: str, email: str | None) -> str:
    """The key of the address-and-email limit ("" when no email was sent: not counted)."""
    counted = email_key(email)
    return f"{address}|{counted}" if counted else ""


def retry_after_seconds(window_reset: float) -> int:
    """Whole seconds (>= 1) until a breached limit whose window resets at ``window_reset``
    (seconds since the epoch) lets one more attempt through."""
    return max(1, math.ceil(window_reset - time.time()))
