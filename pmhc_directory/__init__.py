"""PMHC Directory: crisis-service directory, officer lookup and gap analysis.

``create_app`` is the application factory; it reads like a table of contents.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_ENV = "PMHC_INSTANCE_PATH"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask application.

    :param test_config: settings that replace ``instance/config.py`` and the environment
        (tests pass the database URL and switches here).
    """
    app = Flask(
        __name__,
        instance_path=_instance_path(test_config),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    load_config(app, test_config)
    configure_logging(app)
    protect_instance_files(app)
    ensure_secret_key(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_context(app)
    register_security_headers(app)
    register_commands(app)
    return app


def _instance_path(test_config: dict[str, Any] | None) -> str:
    if test_config and test_config.get("INSTANCE_PATH"):
        path = Path(test_config["INSTANCE_PATH"])
    elif os.environ.get(INSTANCE_ENV):
        path = Path(os.environ[INSTANCE_ENV])
    else:
        path = PROJECT_ROOT / "instance"
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Defaults, then instance/config.py, then PMHC_* variables (or the test dict)."""
    app.config.from_object("pmhc_directory.config.Defaults")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("PMHC")
    else:
        app.config.update(test_config)
    if not app.config.get("DATABASE_URL"):
        db_file = Path(app.instance_path) / "pmhc.sqlite3"
        app.config["DATABASE_URL"] = f"sqlite:///{db_file}"
    from .timezones import validate_zone_name

    validate_zone_name(app.config["TIMEZONE"])
    # An unknown online geocoder or a missing user agent stops the app here, not at 2 a.m.
    from .geo.geocoding import online_geocoder

    online_geocoder(app.config["GEOCODER"], user_agent=app.config["GEOCODER_USER_AGENT"])


def configure_logging(app: Flask) -> None:
    app.logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    logging.getLogger("alembic").setLevel(logging.WARNING)


def protect_instance_files(app: Flask) -> None:
    """Instance folder 0700, SQLite database files 0600 (pmhc_directory/instance_files.py)."""
    from .instance_files import protect_instance

    protect_instance(app.instance_path, app.config["DATABASE_URL"])


def ensure_secret_key(app: Flask) -> None:
    """Use the configured key, else the one in the instance folder, else generate one there."""
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.instance_path) / "secret_key"
    if key_file.exists():
        app.config["SECRET_KEY"] = key_file.read_text().strip()
        return
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    app.config["SECRET_KEY"] = key


def register_extensions(app: Flask) -> None:
    from . import auth, db, search
    from .extensions import csrf

    db.init_app(app)
    csrf.init_app(app)
    auth.init_app(app)
    search.init_app(app)


def register_blueprints(app: Flask) -> None:
    from .views import api, auth, directory, editing, find, inventory, outcomes, planning

    app.register_blueprint(find.bp)
    app.register_blueprint(directory.bp)
    app.register_blueprint(planning.bp)
    app.register_blueprint(auth.bp)
    # Routes of the inventory blueprint that live in their own modules.
    from .views import geocode_button  # noqa: F401

    app.register_blueprint(inventory.bp)
    from .views import imports

    app.register_blueprint(imports.bp)
    app.register_blueprint(editing.bp)
    app.register_blueprint(outcomes.bp)
    from .views import provider

    app.register_blueprint(provider.bp)
    app.register_blueprint(provider.admin_bp)
    # Routes of the api blueprint that live in their own modules.
    from .views import api_capacity, api_gaps, api_match  # noqa: F401

    app.register_blueprint(api.bp)
    from .views import openapi

    app.register_blueprint(openapi.bp)
    from .views import hsds_api

    app.register_blueprint(hsds_api.bp)
    # The JSON API takes no cookie-authenticated form posts: POST bodies must be
    # application/json (which a cross-site form cannot send without CORS preflight) and writes
    # use bearer tokens, so CSRF tokens do not apply there.
    from .extensions import csrf

    csrf.exempt(api.bp)


def register_error_handlers(app: Flask) -> None:
    from .views import errors

    errors.init_app(app)


def register_template_context(app: Flask) -> None:
    from .views import context

    context.init_app(app)


def register_security_headers(app: Flask) -> None:
    from .views import security

    security.init_app(app)


def register_commands(app: Flask) -> None:
    from . import cli

    cli.init_app(app)
