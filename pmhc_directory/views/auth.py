"""Log in, log out, and the signed-in user's account page."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask import Response as FlaskResponse
from flask_limiter import RateLimitExceeded, RequestLimit
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ..auth import start_login_clock
from ..db import get_session
from ..extensions import limiter
from ..forms import LoginForm, LogoutForm
from ..services.accounts import authenticate
from . import login_limits, rate_limits

bp = Blueprint("auth", __name__)
# Failed-login limits (Flask-Limiter) and the proxy setting come with the login routes.
# The lookup and problem-report limits (views/rate_limits.py) share the limiter: their settings
# are checked here too.
# (state.app is typed as Flask's sans-IO base; blueprints are only registered on a Flask app)
bp.record_once(lambda state: login_limits.init_app(cast(Flask, state.app)))
bp.record_once(lambda state: rate_limits.check_settings(state.app.config))

LOGIN_FAILED = "Email or password is not correct."

# The account page body is the ``account_page`` macro of _macros.html.


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None (no open redirects).

    Only relative paths starting with a single ``/`` pass: ``//evil.com``, ``/\\evil.com``,
    ``https://evil.com`` and anything with control characters are refused.
    """
    if not target or len(target) > 2000:
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _refused(breached: RequestLimit) -> FlaskResponse:
    """The login page with the wait, 429 and ``Retry-After``; the password was not checked."""
    wait = login_limits.retry_after_seconds(breached)
    minutes = max(1, round(wait / 60))
    form = LoginForm()
    form.password.data = ""
    plural = "" if minutes == 1 else "s"
    message = f"Too many failed attempts. Try again in {minutes} minute{plural}."
    response = make_response(render_template("auth/login.html", form=form, error=message), 429)
    response.headers["Retry-After"] = str(wait)
    return response


@bp.app_errorhandler(RateLimitExceeded)
def rate_limit_exceeded(exc: RateLimitExceeded) -> Any:
    """Flask-Limiter's answer when an ``on_breach`` callback made one (the login page), else
    429 with ``Retry-After``: the JSON error shape under /api/, the error page elsewhere."""
    if exc.response is not None:
        return exc.response
    from .errors import _handle_http

    exc.description = "Too many requests from here; wait a little and try again."
    response = make_response(_handle_http(exc))
    breached = limiter.current_limit
    if breached is not None:
        response.headers["Retry-After"] = str(login_limits.retry_after_seconds(breached))
    return response


@bp.route("/login", methods=["GET", "POST"])
@login_limits.login_limits(on_breach=_refused)
def login() -> Any:
    form = LoginForm()
    if request.method == "GET":
        target = safe_next(request.args.get("next"))
        if current_user.is_authenticated:
            return redirect(target or _home(current_user))
        form.next.data = target or ""
        return render_template("auth/login.html", form=form)

    error = None
    if form.validate_on_submit():
        db_session = get_session()
        user = authenticate(db_session, form.email.data or "", form.password.data or "")
        # Commit either way: the login time, or the failed-login count.
        db_session.commit()
        if user is not None:
            # The attempt was counted before the check; a success clears its email's counts.
            login_limits.forget_failures()
            target = safe_next(form.next.data)
            # A fresh cookie session for the new identity; nothing from before carries over.
            session.clear()
            session.permanent = True
            start_login_clock()
            login_user(user)
            flash(f"Logged in as {user.email} ({user.role.value}).", "success")
            return redirect(target or _home(user))
        error = LOGIN_FAILED
    form.password.data = ""
    return render_template("auth/login.html", form=form, error=error)


def _home(user: Any) -> str:
    """Where a login lands without ``next``: providers on their own page, staff on the lookup."""
    return url_for("provider.index" if user.role.value == "provider" else "find.index")


@bp.post("/logout")
def logout() -> Response:
    form = LogoutForm()
    if not form.validate_on_submit():  # CSRFProtect answers first; this keeps the form honest
        abort(400)
    if current_user.is_authenticated:
        # Server-side: the old cookie (or a copy of it) no longer names a login.
        user = current_user._get_current_object()
        user.revoke_sessions()
        get_session().commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    public = current_app.config["PUBLIC_DIRECTORY"]
    return redirect(url_for("find.index" if public else "auth.login"))


@bp.get("/account")
@login_required
def account() -> str:
    return render_template("auth/account.html")


@bp.app_context_processor
def inject_logout_form() -> dict[str, Any]:
    """``logout_form()`` for the nav; built only when a template asks (signed-in users)."""
    return {"logout_form": LogoutForm}
