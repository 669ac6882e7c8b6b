"""'Report a problem' from a result card: stored for the coordinators' queue."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from pmhc_directory.models import ProblemReport, Role
from pmhc_directory.models.lookup import PROBLEM_KINDS
from pmhc_directory.services import problems
from tests.factories import TEST_PASSWORD, make_service, make_user

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
THANKS = "Thanks, the coordinators will check this listing."
RESULTS = "/?near=87110&needs=crisis-now"


def text_of(response) -> str:
    return response.get_data(as_text=True)


def csrf_token(client, path: str = "/login") -> str:
    match = CSRF_RE.search(text_of(client.get(path)))
    assert match
    return match.group(1)


def report_count(session) -> int:
    return session.scalar(select(func.count()).select_from(ProblemReport))


@pytest.fixture
def service(session):
    service = make_service(session, name="Listing With A Problem")
    session.commit()
    return service


def post_report(client, service_id: str, token: str | None = "auto", **fields: str):
    data = {"kind": "wrong-phone", "details": "", "next": RESULTS, "anchor": "result-abc-1"}
    data.update(fields)
    if token == "auto":
        token = csrf_token(client)
    if token is not None:
        data["csrf_token"] = token
    return client.post(f"/services/{service_id}/problems", data=data)


def test_report_is_stored_and_the_officer_goes_back_to_the_results(client, session, service):
    response = post_report(
        client, service.id, kind="wrong-phone", details="  The number rings a fax.  "
    )

    assert response.status_code == 302
    # Back at the same card, which shows the thanks (issue #14 item 8), not a flash at the top.
    assert response.headers["Location"] == (f"{RESULTS}&again=1&reported=result-abc-1#result-abc-1")
    report = session.scalar(select(ProblemReport))
    assert report.service_id == service.id
    assert report.kind == "wrong-phone"
    assert report.details == "The number rings a fax."
    assert report.status == "open"
    assert report.reported_by is None  # anonymous while the directory is public
    assert THANKS not in text_of(client.get("/directory"))


def test_logged_in_reporter_is_recorded(client, session, service):
    user = make_user(session, Role.OFFICER, email="reporting.officer@example.org")
    session.commit()
    client.post(
        "/login",
        data={"csrf_token": csrf_token(client), "email": user.email, "password": TEST_PASSWORD},
    )

    # Signed in, the token comes from the log-out form in the navigation.
    token = csrf_token(client, "/directory")
    response = post_report(client, service.id, token=token, kind="closed")

    assert response.status_code == 302
    assert session.scalar(select(ProblemReport.reported_by)) == "reporting.officer@example.org"


def test_without_next_goes_to_the_service_page(client, session, service):
    response = post_report(client, service.id, next="")

    assert response.headers["Location"] == f"/services/{service.id}"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_unsafe_next_is_ignored(client, service, target):
    response = post_report(client, service.id, next=target)

    assert response.headers["Location"] == f"/services/{service.id}"


def test_bad_anchor_is_dropped(client, service):
    response = post_report(client, service.id, anchor='x"><script>')

    assert response.headers["Location"] == f"{RESULTS}&again=1"


def test_csrf_token_is_required(client, session, service):
    before = report_count(session)

    missing = post_report(client, service.id, token=None)
    wrong = post_report(client, service.id, token="not-a-token")

    assert missing.status_code == 400 and wrong.status_code == 400
    assert "Form expired" in text_of(missing)
    assert report_count(session) == before


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"kind": "rude-staff"}, "Choose what is wrong"),
        ({"kind": ""}, "Choose what is wrong"),
        ({"details": "x" * 501}, "keep it to 500 or fewer"),
    ],
)
def test_invalid_report_is_a_400_with_the_reason(client, session, service, fields, words):
    before = report_count(session)

    response = post_report(client, service.id, **fields)

    assert response.status_code == 400
    assert words in text_of(response)
    assert "Traceback" not in text_of(response)
    assert report_count(session) == before


def test_details_of_exactly_500_characters_are_kept(client, session, service):
    response = post_report(client, service.id, details="y" * 500)

    assert response.status_code == 302
    assert len(session.scalar(select(ProblemReport.details))) == 500


@pytest.mark.parametrize("service_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_unknown_service_is_404(client, session, service_id):
    response = post_report(client, service_id)

    assert response.status_code == 404
    assert report_count(session) == 0


def test_private_directory_needs_a_login(client, session, service, app, monkeypatch):
    token = csrf_token(client)
    monkeypatch.setitem(app.config, "PUBLIC_DIRECTORY", False)

    response = post_report(client, service.id, token=token)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert report_count(session) == 0


def test_get_is_not_allowed(client, service):
    assert client.get(f"/services/{service.id}/problems").status_code == 405


# The service function ----------------------------------------------------------------------------


def test_report_problem_service_validates(session, service):
    with pytest.raises(problems.ProblemReportError) as bad_kind:
        problems.report_problem(session, service.id, "nonsense", None, None)
    with pytest.raises(problems.ProblemReportError) as too_long:
        problems.report_problem(session, service.id, "other", "z" * 501, None)
    with pytest.raises(problems.UnknownServiceError):
        problems.report_problem(session, str(uuid.uuid4()), "other", None, None)

    assert bad_kind.value.field == "kind"
    assert too_long.value.field == "details"


def test_every_kind_has_a_plain_label_and_can_be_stored(session, service):
    assert list(problems.PROBLEM_KIND_LABELS) != []
    for kind in PROBLEM_KINDS:
        report = problems.report_problem(session, service.id, kind, None, "c@example.org")
        assert report.kind == kind and report.details == ""
        assert problems.PROBLEM_KIND_LABELS[kind]
