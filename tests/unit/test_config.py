"""Configuration load order: defaults, then instance/config.py, then PMHC_* variables."""

from __future__ import annotations

import pytest

from pmhc_directory import create_app


@pytest.fixture
def clean_env(monkeypatch):
    import os

    for key in list(os.environ):
        if key.startswith("PMHC_"):
            monkeypatch.delenv(key)
    return monkeypatch


def test_defaults_apply_without_instance_config(clean_env, tmp_path):
    clean_env.setenv("PMHC_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["TIMEZONE"] == "America/Denver"
    assert app.config["PUBLIC_DIRECTORY"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'pmhc.sqlite3'}"
    assert app.instance_path == str(tmp_path.resolve())


def test_instance_config_overrides_defaults_and_env_overrides_both(clean_env, tmp_path):
    (tmp_path / "config.py").write_text(
        'TIMEZONE = "America/Chicago"\nREVERIFY_DAYS = 90\nPUBLIC_DIRECTORY = True\n'
    )
    clean_env.setenv("PMHC_INSTANCE_PATH", str(tmp_path))
    clean_env.setenv("PMHC_PUBLIC_DIRECTORY", "false")
    app = create_app()
    assert app.config["TIMEZONE"] == "America/Chicago"
    assert app.config["REVERIFY_DAYS"] == 90
    assert app.config["PUBLIC_DIRECTORY"] is False


def test_secret_key_from_environment_is_used_and_not_written(clean_env, tmp_path):
    clean_env.setenv("PMHC_INSTANCE_PATH", str(tmp_path))
    clean_env.setenv("PMHC_SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_generated_secret_key_is_reused(clean_env, tmp_path):
    clean_env.setenv("PMHC_INSTANCE_PATH", str(tmp_path))
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second
    assert len(first) == 64


def test_unknown_time_zone_is_refused_with_the_setting_named(clean_env, tmp_path):
    clean_env.setenv("PMHC_INSTANCE_PATH", str(tmp_path))
    clean_env.setenv("PMHC_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="PMHC_TIMEZONE"):
        create_app()


def test_templates_come_from_the_top_level_folder(clean_env, tmp_path):
    clean_env.setenv("PMHC_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.template_folder.endswith("/templates")
    assert "pmhc_directory" not in app.template_folder


def test_unknown_online_geocoder_stops_the_app_at_start(clean_env, tmp_path):
    clean_env.setenv("PMHC_INSTANCE_PATH", str(tmp_path))
    clean_env.setenv("PMHC_GEOCODER", "no-such-geocoder")
    with pytest.raises(ValueError):
        create_app()
