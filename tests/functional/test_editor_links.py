"""Editors reach the editing pages from a listing; readers see no edit links."""

from __future__ import annotations

import pytest

from tests.factories import make_service, make_user
from tests.functional.test_write_route_access import login


@pytest.mark.parametrize(("role", "shown"), [("coordinator", True), ("officer", False)])
def test_edit_links_on_the_service_page(client, session, role, shown):
    service = make_service(session, name="Linked Service")
    make_user(session, role)
    session.commit()
    login(client, f"{role}@example.org")
    html = client.get(f"/services/{service.id}").get_data(as_text=True)
    for path in ("edit", "hours", "capacity", "areas", "history"):
        assert (f"/inventory/services/{service.id}/{path}" in html) is shown, path
