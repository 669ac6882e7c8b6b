"""Login wiring and the role check every write goes through."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request
from flask_login import current_user

from .db import get_session
from .extensions import login_manager
from .models import Role, User

F = TypeVar("F", bound=Callable[..., Any])

# Roles allowed to change the inventory.
EDITORS = (Role.COORDINATOR, Role.ADMIN)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    # A stolen session cookie used from elsewhere is logged out.
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        from .services.accounts import get_user

        try:
            return get_user(get_session(), user_id)
        except ValueError:
            return None

    @login_manager.unauthorized_handler
    def unauthorized() -> Any:
        if _wants_json():
            from .views.errors import json_error

            return json_error(401, "login-required", "Log in to use this.")
        from flask import flash, redirect, url_for

        flash(login_manager.login_message, "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/hsds/"))


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Allow the view only to logged-in users holding one of ``roles`` (401 / 403 otherwise)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def directory_reader(view: F) -> F:
    """Reading the directory: open to all while PUBLIC_DIRECTORY is on, else any staff login."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_app.config["PUBLIC_DIRECTORY"] and not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
