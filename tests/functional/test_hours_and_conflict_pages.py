"""The hours editor's free-form times and error summary, and the conflict page (issue #22 items
3 and 4), over HTTP."""

from __future__ import annotations

import re

import pytest

from pmhc_directory.db import get_database
from pmhc_directory.models import Role, Service
from tests.factories import make_location, make_service, make_user
from tests.functional.test_auth import log_in
from tests.functional.test_editing_pages import form_fields, reread, submit


@pytest.fixture
def service(session):
    svc = make_service(session, name="Harbor Crisis Center", attributes=("walk-in",))
    make_location(session, svc, name="Harbor Main")
    session.commit()
    return svc


@pytest.fixture
def logged_in(client, session):
    user = make_user(session, Role.COORDINATOR, email="coord-hours@example.org")
    session.commit()
    assert log_in(client, user.email).status_code == 302
    return client


def saved_times(app, service_id) -> list[tuple[str, str, str]]:
    with get_database(app).session() as check:
        return sorted(
            (s.byday, s.opens_at, s.closes_at) for s in check.get(Service, service_id).schedules
        )


def test_the_editor_reads_times_as_the_211_importer_does(app, logged_in, service):
    path = f"/inventory/services/{service.id}/hours"
    response = submit(
        logged_in,
        path,
        form_fields(logged_in, path),
        windows__0__days=["FR"],
        windows__0__opens_at="11pm",
        windows__0__closes_at="7 a.m.",
        windows__1__days=["MO"],
        windows__1__opens_at="noon",
        windows__1__closes_at="midnight",
        windows__2__days=["TU"],
        windows__2__opens_at="0930",
        windows__2__closes_at="5:30 PM",
        action="save",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert saved_times(app, service.id) == [
        ("FR", "23:00", "07:00"),
        ("MO", "12:00", "23:59"),
        ("TU", "09:30", "17:30"),
    ]


def test_every_bad_time_is_flagged_with_a_summary_and_nothing_is_saved(app, logged_in, service):
    path = f"/inventory/services/{service.id}/hours"
    response = submit(
        logged_in,
        path,
        form_fields(logged_in, path),
        windows__0__days=["FR"],
        windows__0__opens_at="11pmm",
        windows__0__closes_at="25:00",
        windows__1__days=["SA"],
        windows__1__opens_at="late",
        windows__1__closes_at="7am",
        action="save",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    summary = html[html.index('class="notice notice-danger error-summary"') :]
    summary = summary[: summary.index("</div>")]
    assert "Nothing was saved" in summary
    for field in ("windows-0-opens_at", "windows-0-closes_at", "windows-1-opens_at"):
        assert f'href="#{field}"' in summary
        assert f'id="{field}-error"' in html
    assert 'href="#windows-1-closes_at"' not in summary
    assert "&ldquo;11pmm&rdquo; is not a time of day" in html or "“11pmm” is not" in html
    # No parser jargon (ISO times with offsets) reaches the person.
    assert not re.search(r"\d\d:\d\d:\d\d[+-]\d\d:\d\d", html)
    assert saved_times(app, service.id) == []
    assert reread(app, Service, service.id).version == 1


def test_a_bad_time_alone_still_shows_the_nothing_saved_banner(app, logged_in, service):
    path = f"/inventory/services/{service.id}/hours"
    response = submit(
        logged_in,
        path,
        form_fields(logged_in, path),
        windows__0__days=["MO"],
        windows__0__opens_at="9am",
        windows__0__closes_at="5 in the evening",
        action="preview",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was saved" in html
    assert 'href="#windows-0-closes_at"' in html


def test_other_problems_are_listed_with_a_bad_time(app, logged_in, service):
    path = f"/inventory/services/{service.id}/hours"
    response = submit(
        logged_in,
        path,
        form_fields(logged_in, path),
        windows__0__opens_at="9am",
        windows__0__closes_at="9pmx",
        action="save",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tick at least one day." in html
    assert 'href="#windows-0-days-0"' in html
    assert 'href="#windows-0-closes_at"' in html


def test_time_fields_have_no_placeholder_values(logged_in, service):
    html = logged_in.get(f"/inventory/services/{service.id}/hours").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="windows-0-opens_at"[^>]*>', html).group(0)
    assert "placeholder" not in field
    assert 'inputmode="numeric"' not in field  # "pm" must be typeable on a phone


def test_conflict_page_shows_only_what_differs_in_local_time(app, logged_in, service):
    path = f"/inventory/services/{service.id}/edit"
    fields = form_fields(logged_in, path)
    assert submit(logged_in, path, fields, name="Harbor Crisis Centre").status_code == 302
    # The hours editor's 24/7 switch adds open-24-7, which the details form does not offer.
    hours = f"/inventory/services/{service.id}/hours"
    assert (
        submit(logged_in, hours, form_fields(logged_in, hours), always_open="y").status_code == 302
    )

    response = submit(logged_in, path, fields, description="Walk in any time.")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    differing = re.findall(r'<tr class="differs">\s*<th scope="row">([^<]+?) <span', html)
    assert sorted(differing) == ["Description", "Name"]
    assert "open-24-7" not in html
    # History shows local times (America/Denver in the tests): so does the conflict page.
    assert re.search(r"at [^)]*(MST|MDT|-0[67]:?00)", html), html[html.index("<h1") :][:600]
