"""Every write route refuses anonymous users and officers, whatever route is added later.

Routes are read from the app's URL map, so a new POST route is covered the day it is added.
Public writes are listed explicitly, with the reason each is public.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.factories import TEST_PASSWORD, make_user

# Write routes that are deliberately open, and why.
PUBLIC_WRITES = {
    "auth.login": "the way in",
    "auth.logout": "ends your own session (CSRF-protected)",
    "find.report_problem": "officers report from the field while the directory is public",
    "api.match": "a read: POST keeps a person's location and needs out of URLs",
    "api.report_capacity": "bearer-token auth for providers, tested in test_capacity_api",
    "api.gaps_sites": "a read: POST carries a candidate list too long for a URL",
    "provider.invitation": "the single-use link is the credential (test_provider_pages)",
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Writes that some reader roles must be able to make, and the roles allowed: officers log
# encounters from the field (spec/product.md 3.4). Other roles are still checked for 403.
ROLE_WRITES = {"outcomes.new_encounter": {"officer", "coordinator", "admin"}}
# Provider accounts write only their own organization's figures (test_provider_pages checks
# they cannot reach another's); no other role may use these routes.
PROVIDER_WRITES = {
    "provider.capacity",
    "provider.closure",
    "provider.alert",
    "provider.propose_hours",
    "provider.propose_details",
}
for _endpoint in PROVIDER_WRITES:
    ROLE_WRITES[_endpoint] = {"provider"}


def write_rules(app):
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & WRITE_METHODS
        if methods and rule.endpoint not in PUBLIC_WRITES and rule.endpoint != "static":
            yield rule, sorted(methods)[0]


def concrete_path(rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?[^>]+>", str(uuid.uuid4()), rule.rule)


def csrf_token(client, page: str) -> str:
    """A valid CSRF token of this client's session, taken from a form on ``page``."""
    html = client.get(page).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match is not None, f"no CSRF token on {page}"
    return match.group(1)


def login(client, email):
    response = client.post(
        "/login",
        data={
            "email": email,
            "password": TEST_PASSWORD,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]


def test_there_are_write_routes_to_check(app):
    assert list(write_rules(app)), "no protected write routes found: is the URL map empty?"


def test_anonymous_writes_are_sent_to_login_or_refused(app, client):
    token = csrf_token(client, "/login")
    for rule, method in write_rules(app):
        # A valid CSRF token, so the answer shows the login check, not the CSRF check.
        response = client.open(concrete_path(rule), method=method, data={"csrf_token": token})
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, rule.rule
        else:
            assert response.status_code in (302, 303), (rule.rule, response.status_code)
            assert "/login" in response.headers["Location"], rule.rule


@pytest.mark.parametrize("role", ["officer", "planner"])
def test_readers_may_not_write(app, client, session, role):
    make_user(session, role)
    session.commit()
    login(client, f"{role}@example.org")
    token = csrf_token(client, "/account")
    for rule, method in write_rules(app):
        if rule.rule.startswith("/api/") or role in ROLE_WRITES.get(rule.endpoint, ()):
            continue
        response = client.open(concrete_path(rule), method=method, data={"csrf_token": token})
        # 403 before anything else: the role check comes before looking the record up, so a
        # reader learns nothing about it (not even whether it exists).
        assert response.status_code == 403, (rule.rule, response.status_code)


def test_providers_write_only_through_their_own_routes(app, client, session):
    from tests.functional.test_route_access_matrix import make_provider

    make_provider(session)
    session.commit()
    login(client, "provider@example.org")
    token = csrf_token(client, "/account")
    checked = 0
    for rule, method in write_rules(app):
        if rule.rule.startswith("/api/"):
            continue
        response = client.open(concrete_path(rule), method=method, data={"csrf_token": token})
        if rule.endpoint in PROVIDER_WRITES:
            # Past the role check, and a service that is not theirs is not found.
            assert response.status_code == 404, (rule.rule, response.status_code)
            checked += 1
        else:
            assert response.status_code == 403, (rule.rule, response.status_code)
    assert checked == len(PROVIDER_WRITES)
