"""Real headless Chromium (Debian's package) driven by Playwright against a live server.

The server is the real app in a background thread, on its own temporary database with the
demo jurisdiction loaded, listening on loopback only. Every page a test opens is watched: a
console error or a request to anything but this server fails the test.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from pmhc_directory import create_app
from pmhc_directory.cli import SEED_DIR
from pmhc_directory.db import get_database
from pmhc_directory.schema import upgrade
from pmhc_directory.services.reference_data import load_reference_data
from pmhc_directory.services.seed import load_demo
from pmhc_directory.serving import ClosingBodies
from tests.conftest import make_test_config, temporary_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        message = "Debian's chromium is not installed (apt-get install chromium); .ci/run does it"
        if os.environ.get("PMHC_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("live")
    with temporary_database(folder) as url:
        # Real cookie settings: Secure cookies, which Chromium accepts from http://localhost.
        app = create_app(
            make_test_config(
                url, folder / "instance", SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True
            )
        )
        database = get_database(app)
        upgrade(database.engine)
        with Session(database.engine) as session:
            load_reference_data(session)
            load_demo(session, SEED_DIR)
            session.commit()
        yield app
        database.dispose()


@pytest.fixture(scope="module")
def live_server(live_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, ClosingBodies(live_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(chromium_path: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class PageWatch:
    """Console errors, page errors and off-machine requests seen by one page."""

    def __init__(self) -> None:
        self.console_errors: list[str] = []
        self.offsite_requests: list[str] = []

    def assert_clean(self) -> None:
        assert self.console_errors == [], f"console errors: {self.console_errors}"
        assert self.offsite_requests == [], f"off-machine requests: {self.offsite_requests}"


@pytest.fixture
def page(browser, live_server: str):
    """A phone-sized page (390 x 844) that fails the test on console errors or off-site requests."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=live_server)
    page = context.new_page()
    watch = PageWatch()
    page.on(
        "console",
        lambda msg: watch.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: watch.console_errors.append(str(exc)))

    def guard(route):
        host = urlsplit(route.request.url).hostname
        if host in ("localhost", "127.0.0.1") or route.request.url.startswith("data:"):
            route.continue_()
        else:
            watch.offsite_requests.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.watch = watch
    yield page
    context.close()
    watch.assert_clean()


@pytest.fixture
def live_user(live_app) -> tuple[str, str]:
    """A coordinator account in the live server's database (email, password)."""
    from pmhc_directory.services.accounts import create_user

    email, password = "browser.coordinator@example.org", "a long browser test password"
    with Session(get_database(live_app).engine) as session:
        from sqlalchemy import select

        from pmhc_directory.models import User

        if session.scalar(select(User).where(User.email == email)) is None:
            create_user(session, email, "coordinator", password)
            session.commit()
    return email, password


# WCAG 2.0/2.1/2.2 A and AA rules, as axe-core tags them.
AXE_WCAG22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def serious_axe_violations(page, tags: list[str] | None = None) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each.

    axe-core comes from the ``axe-playwright-python`` package (its bundled ``axe.min.js``), put
    into the page through the DevTools protocol, so the page makes no request for it.
    """
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": tags or AXE_WCAG22_AA}}
    results = Axe().run(page, options=options)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
