"""Every route in the URL map x every role (and anonymous) x public directory on and off.

The expected outcome of each endpoint is the explicit table ``ACCESS`` below; a route whose
endpoint is not in the table fails ``test_every_route_is_classified``, so a new route has to be
classified before it lands. Outcomes, as seen from outside:

* ``ok``: the request gets past the access check (any answer but a login demand or 403);
* ``login``: a redirect to /login (pages) or 401 (JSON under /api/ and /hsds);
* ``forbidden``: 403.

Only the access check is judged here; what allowed requests do is tested elsewhere. Ids in
paths are random, so allowed requests about records mostly answer 404.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.factories import TEST_PASSWORD, make_organization, make_user
from tests.functional.test_write_route_access import csrf_token, login

ROLES = ("officer", "coordinator", "planner", "admin", "provider")
WHO = ("anonymous", *ROLES)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# Classes of access: who gets past the check, by public-directory setting.
PUBLIC = "public"  # anyone, whatever the setting (the way in, static files, API description)
READ = "read"  # the directory: anyone while PUBLIC_DIRECTORY is on, else any staff login
STAFF = "staff"  # any logged-in role but provider (providers see only their organization)
ANY_LOGIN = "any-login"  # every logged-in role, providers included (their own account)
PROVIDERS = "providers"  # provider accounts only (/provider)
EDITORS = "editors"  # coordinator, admin
LOGGERS = "loggers"  # officer, coordinator, admin (encounter log)
LEADS = "leads"  # coordinator, admin (outcomes follow-up and scorecard answers)
TOKEN = "token"  # provider bearer token only: cookies never grant it (401 for everyone)

ALLOWED_ROLES = {
    STAFF: set(ROLES) - {"provider"},
    ANY_LOGIN: set(ROLES),
    PROVIDERS: {"provider"},
    EDITORS: {"coordinator", "admin"},
    LOGGERS: {"officer", "coordinator", "admin"},
    LEADS: {"coordinator", "admin"},
}

ACCESS = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.account": ANY_LOGIN,
    # Provider self-service: the phone page and its writes, the invitation link (the link is
    # the credential), and the coordinators' side.
    "provider.index": PROVIDERS,
    "provider.capacity": PROVIDERS,
    "provider.closure": PROVIDERS,
    "provider.alert": PROVIDERS,
    "provider.propose_hours": PROVIDERS,
    "provider.propose_details": PROVIDERS,
    "provider.invitation": PUBLIC,
    "provider_admin.providers": EDITORS,
    "provider_admin.withdraw_invitation": EDITORS,
    "provider_admin.decide": EDITORS,
    "provider_admin.stale_capacity": EDITORS,
    "provider_admin.stale_capacity_csv": EDITORS,
    "openapi.openapi_document": PUBLIC,
    "planning.leaflet": PUBLIC,  # vendored map library files
    # Reading the directory.
    "find.index": READ,
    "find.handout": READ,
    "find.report_problem": READ,
    "directory.browse": READ,
    "directory.service": READ,
    "planning.index": READ,
    "planning.report": READ,
    "planning.download": READ,
    "api.match": READ,
    "api.search_services": READ,
    "api.gaps_coverage": READ,
    "api.gaps_coverage_week": READ,
    "api.gaps_access": READ,
    "api.gaps_need": READ,
    "api.gaps_sites": READ,
    "api.gaps_unmet": READ,
    "api.gaps_services": READ,
    "api.report_capacity": TOKEN,
    # Inventory workspace.
    "inventory.index": STAFF,
    "inventory.queue": STAFF,
    "inventory.history": STAFF,
    "inventory.history_csv": STAFF,
    "inventory.all_history_csv": STAFF,
    "inventory.verify": EDITORS,
    "inventory.resolve": EDITORS,
    "inventory.dismiss": EDITORS,
    "inventory.geocode_missing": EDITORS,
    # The import page: upload, dry run, report, confirm (coordinators and admins).
    "imports.index": EDITORS,
    "imports.upload": EDITORS,
    "imports.run": EDITORS,
    "imports.status": EDITORS,
    "imports.report": EDITORS,
    "imports.confirm": EDITORS,
    "editing.new_service": EDITORS,
    "editing.edit_service": EDITORS,
    "editing.edit_hours": EDITORS,
    "editing.edit_capacity": EDITORS,
    "editing.edit_areas": EDITORS,
    "editing.edit_location": EDITORS,
    "editing.edit_organization": EDITORS,
    # Outcomes.
    "outcomes.index": STAFF,
    "outcomes.export_csv": STAFF,
    "outcomes.scorecard": STAFF,
    "outcomes.new_encounter": LOGGERS,
    "outcomes.follow_ups": LEADS,
    "outcomes.follow_up": LEADS,
    "outcomes.answer": LEADS,
}


def make_provider(session, email: str = "provider@example.org"):
    """A provider account of a new organization (provider accounts need one)."""
    from pmhc_directory.services.accounts import create_user

    organization = make_organization(session)
    return create_user(session, email, "provider", TEST_PASSWORD, organization.id)


def access_class(rule) -> str | None:
    if rule.rule.startswith("/hsds"):
        return READ  # the HSDS API profile: public reading like /api/v1/services
    return ACCESS.get(rule.endpoint)


def expected(access: str, who: str, public: bool) -> str:
    if access == PUBLIC:
        return "ok"
    if access == TOKEN:
        return "login"
    if access == READ:
        if who == "provider" and not public:
            return "forbidden"  # a private directory is for the jurisdiction's staff
        return "ok" if public or who != "anonymous" else "login"
    if who == "anonymous":
        return "login"
    return "ok" if who in ALLOWED_ROLES[access] else "forbidden"


def concrete_path(rule) -> str:
    """The rule with a value in each variable (the first choice of ``any(...)`` converters)."""

    def value(match: re.Match[str]) -> str:
        converter = match.group(1) or ""
        if converter.startswith("any("):
            return converter[4:].split(",")[0].strip()
        if converter == "path":
            return "leaflet.js"
        return str(uuid.uuid4())

    return re.sub(r"<(?:([^:>]+):)?[^>]+>", value, rule.rule)


def outcome(response) -> str:
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 401:
        return "login"
    redirect = response.status_code in (301, 302, 303, 307, 308)
    if redirect and "/login" in response.headers.get("Location", ""):
        return "login"
    return "ok"


def requests_to_make(app):
    """(rule, method) for every route; logout last (it ends the session it is sent in)."""
    found = [
        (rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) & set(METHODS))
    ]
    return sorted(found, key=lambda item: item[0].endpoint == "auth.logout")


def test_every_route_is_classified(app):
    unclassified = sorted(
        f"{rule.endpoint} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if access_class(rule) is None
    )
    assert unclassified == [], "classify these routes in ACCESS"


def test_the_table_names_no_route_that_is_gone(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(ACCESS) - endpoints == set()


@pytest.mark.slow
@pytest.mark.parametrize("public", [True, False], ids=["public", "private"])
@pytest.mark.parametrize("who", WHO)
def test_access_matrix(app, client, session, monkeypatch, who, public):
    if who == "provider":
        make_provider(session)
        session.commit()
        login(client, "provider@example.org")
    elif who != "anonymous":
        make_user(session, who)
        session.commit()
        login(client, f"{who}@example.org")
    monkeypatch.setitem(app.config, "PUBLIC_DIRECTORY", public)
    token = csrf_token(client, "/account" if who != "anonymous" else "/login")
    wrong = []
    checked = 0
    for rule, method in requests_to_make(app):
        access = access_class(rule)
        assert access is not None, rule.endpoint
        data = {"csrf_token": token} if method != "GET" else None
        response = client.open(concrete_path(rule), method=method, data=data)
        response.close()  # file answers (static, vendored scripts) hold their file open
        want = expected(access, who, public)
        got = outcome(response)
        if rule.endpoint == "auth.logout" and response.status_code == 302:
            got = "ok"  # logging out sends you to the login page when the directory is private
        checked += 1
        if got != want or response.status_code >= 500:
            wrong.append((method, rule.rule, want, got, response.status_code))
    assert checked > 40
    assert wrong == []
