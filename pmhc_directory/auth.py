"""Login wiring and the role check every write goes through."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Flask, abort, current_app, request, session
from flask_login import current_user

from .db import get_session
from .extensions import login_manager
from .models import Role, User

# A guarded view keeps its parameters. Its return type is the view's own: the refusal
# (Flask-Login's unauthorized(), untyped) is a response Flask accepts from any view.
P = ParamSpec("P")
R = TypeVar("R")

# Roles allowed to change the inventory.
EDITORS = (Role.COORDINATOR, Role.ADMIN)
# Session key: when this login began (Unix seconds).
LOGIN_STARTED = "login_started"
# The jurisdiction's own staff; provider accounts see only their organization (views/provider).
STAFF_ROLES = (Role.OFFICER, Role.COORDINATOR, Role.PLANNER, Role.ADMIN)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    # A stolen session cookie used from elsewhere is logged out.
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(cookie_id: str) -> User | None:
        return user_of_session(cookie_id)

    @login_manager.unauthorized_handler
    def unauthorized() -> Any:
        if _wants_json():
            from .views.errors import json_error

            return json_error(401, "login-required", "Log in to use this.")
        from flask import flash, redirect, url_for

        flash(login_manager.login_message, "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def user_of_session(cookie_id: str) -> User | None:
    """The user a session cookie names, or None when that login has ended.

    The cookie holds ``<user id>:<session nonce>`` (``User.get_id``). The login has ended when
    the nonce is no longer the user's (logout, ``pmhc sign-out``, a changed password, role or
    active flag), the account is disabled, or the login is older than
    ``SESSION_ABSOLUTE_LIFETIME_SECONDS`` whatever the activity since.
    """
    from .services.accounts import get_user

    user_id, _, nonce = (cookie_id or "").partition(":")
    if not nonce or not login_within_lifetime():
        return None
    try:
        user = get_user(get_session(), user_id)
    except ValueError:
        return None
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(user.session_nonce.encode(), nonce.encode()):
        return None
    return user


def start_login_clock() -> None:
    """Note in the session when this login began (for the absolute lifetime)."""
    session[LOGIN_STARTED] = int(time.time())


def login_within_lifetime() -> bool:
    """True while this session's login is younger than ``SESSION_ABSOLUTE_LIFETIME_SECONDS``."""
    started = session.get(LOGIN_STARTED)
    if not isinstance(started, int):
        return False
    age = time.time() - started
    return 0 <= age < float(current_app.config["SESSION_ABSOLUTE_LIFETIME_SECONDS"])


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/hsds/"))


def roles_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Allow the view only to logged-in users holding one of ``roles`` (401 / 403 otherwise)."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def directory_reader(view: Callable[P, R]) -> Callable[P, R]:
    """Reading the directory: open to all while PUBLIC_DIRECTORY is on, else any staff login."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if not current_app.config["PUBLIC_DIRECTORY"]:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role == Role.PROVIDER:  # a private directory is for staff only
                abort(403)
        return view(*args, **kwargs)

    return wrapped
