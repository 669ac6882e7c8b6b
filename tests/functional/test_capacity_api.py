"""``POST /api/v1/services/<id>/capacity`` over HTTP (spec/api.md 5), and its effect on match."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pmhc_directory.models import CapacityReport, ChangeRecord
from pmhc_directory.services.tokens import create_token, revoke_token
from tests.scenario_builders import ORIGIN_LAT, ORIGIN_LON, ROUND_THE_CLOCK, build_service, offset

BODY = {"unit": "bed", "available": 3, "maximum": 16}


def url(service_id: str) -> str:
    return f"/api/v1/services/{service_id}/capacity"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, status: int, code: str | None = None, field: str | None = None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "field"}
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    assert error["field"] == field
    return error


@pytest.fixture
def facility(session):
    """A crisis receiving center open 24/7 near the scenario origin, with an old full report."""
    lat, lon = offset(2, 0)
    return build_service(
        session,
        "Night Receiving Center",
        types=("crisis-receiving",),
        attributes=("open-24-7", "accepts-law-enforcement-dropoff"),
        lat=lat,
        lon=lon,
        schedules=ROUND_THE_CLOCK,
        capacity={
            "available": 0,
            "maximum": 16,
            "unit": "bed",
            "updated": datetime.now(UTC) - timedelta(days=3),
        },
    )


@pytest.fixture
def token(session, facility) -> str:
    _, plaintext = create_token(session, facility.organization_id, "admin@example.org")
    session.commit()
    return plaintext


def post(client, service_id: str, token: str | None, body=BODY, **kwargs):
    headers = bearer(token) if token is not None else {}
    headers.update(kwargs.pop("headers", {}))
    if "data" in kwargs:
        return client.post(url(service_id), headers=headers, **kwargs)
    return client.post(url(service_id), headers=headers, json=body, **kwargs)


def match_result(client, service_id: str) -> dict:
    response = client.get(
        "/api/v1/match",
        query_string={"lat": ORIGIN_LAT, "lon": ORIGIN_LON, "types": "crisis-receiving"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    found = [r for r in answer["results"] if r["service_id"] == service_id]
    assert found, f"not a result; excluded: {answer['excluded']}"
    return found[0]


# --------------------------------------------------------------------------- success


def test_valid_report_is_stored_and_shows_in_match_at_once(client, session, facility, token):
    before = client.get(
        "/api/v1/match",
        query_string={"lat": ORIGIN_LAT, "lon": ORIGIN_LON, "types": "crisis-receiving"},
    ).get_json()
    old = [r for r in before["results"] if r["service_id"] == facility.id]
    assert old and old[0]["capacity"]["stale"] is True

    started = datetime.now(UTC)
    response = post(client, facility.id, token)

    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["service_id"] == facility.id
    assert (answer["unit"], answer["available"], answer["maximum"]) == ("bed", 3, 16)
    assert answer["stale"] is False
    updated = datetime.fromisoformat(answer["updated"])
    assert updated.utcoffset() is not None, "updated carries an offset"
    assert started - timedelta(seconds=1) <= updated <= datetime.now(UTC) + timedelta(seconds=1)
    assert response.headers["Cache-Control"] == "no-store"

    capacity = match_result(client, facility.id)["capacity"]
    assert capacity["available"] == 3
    assert capacity["maximum"] == 16
    assert capacity["unit"] == "bed"
    assert capacity["stale"] is False
    assert datetime.fromisoformat(capacity["updated"]) == updated


def test_report_of_zero_makes_match_exclude_the_facility_as_full(client, session, facility, token):
    assert post(client, facility.id, token, {"unit": "bed", "available": 0}).status_code == 200
    answer = client.get(
        "/api/v1/match",
        query_string={"lat": ORIGIN_LAT, "lon": ORIGIN_LON, "types": "crisis-receiving"},
    ).get_json()
    excluded = [e for e in answer["excluded"] if e["service_id"] == facility.id]
    assert excluded and "full" in [r["code"] for r in excluded[0]["reasons"]]


def test_valid_report_keeps_history_and_change_log(client, session, facility, token):
    prefix = token[:12]
    assert post(client, facility.id, token).status_code == 200
    assert post(client, facility.id, token, {"unit": "bed", "available": 5}).status_code == 200

    reports = session.scalars(
        select(CapacityReport)
        .where(CapacityReport.service_id == facility.id)
        .order_by(CapacityReport.updated)
    ).all()
    assert [(r.available, r.maximum, r.source) for r in reports] == [
        (3, 16, f"token:{prefix}"),
        (5, 16, f"token:{prefix}"),
    ]
    changes = session.scalars(
        select(ChangeRecord).where(
            ChangeRecord.resource_id == facility.id, ChangeRecord.field_name == "capacity"
        )
    ).all()
    assert len(changes) == 2
    assert {c.updated_by for c in changes} == {f"token:{prefix}"}


def test_bearer_scheme_is_case_insensitive(client, facility, token):
    response = post(client, facility.id, None, headers={"Authorization": f"bearer  {token}"})
    assert response.status_code == 200


# --------------------------------------------------------------------------- 401


def assert_unauthorized(response):
    assert_error(response, 401, "invalid-token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_no_token_is_401(client, facility, token):
    assert_unauthorized(post(client, facility.id, None))


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token pmhc_x", "pmhc_x"]
)
def test_malformed_authorization_is_401(client, facility, token, header):
    assert_unauthorized(post(client, facility.id, None, headers={"Authorization": header}))


def test_token_in_another_scheme_is_401(client, facility, token):
    assert_unauthorized(
        post(client, facility.id, None, headers={"Authorization": f"Basic {token}"})
    )


def test_forged_token_is_401(client, facility, token):
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert_unauthorized(post(client, facility.id, forged))
    assert_unauthorized(post(client, facility.id, "pmhc_" + "x" * 43))


def test_revoked_token_is_401(client, session, facility, token):
    revoke_token(session, token[:12], "admin@example.org")
    session.commit()
    assert_unauthorized(post(client, facility.id, token))


def test_401_comes_before_404_so_ids_cannot_be_probed(client, facility, token):
    assert_unauthorized(post(client, "00000000-0000-0000-0000-000000000000", "pmhc_forged"))


# --------------------------------------------------------------------------- 403 / 404


def test_another_organizations_service_is_403(client, session, facility, token):
    other = build_service(session, "Someone Else's Center", lat=ORIGIN_LAT, lon=ORIGIN_LON)
    session.commit()

    assert_error(post(client, other.id, token), 403, "forbidden")
    assert other.capacities == []
    session.expire_all()
    assert other.capacities == []


@pytest.mark.parametrize("service_id", ["00000000-0000-0000-0000-000000000000", "not-an-id"])
def test_unknown_service_is_404(client, facility, token, service_id):
    assert_error(post(client, service_id, token), 404, "not-found")


# --------------------------------------------------------------------------- 400 / 415 / 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"unit": "bed", "available": -1, "maximum": 16}, "available"),
        ({"unit": "bed", "available": 1.5, "maximum": 16}, "available"),
        ({"unit": "bed", "available": "3", "maximum": 16}, "available"),
        ({"unit": "bed", "available": True, "maximum": 16}, "available"),
        ({"unit": "bed", "maximum": 16}, "available"),
        ({"unit": "bed", "available": 17, "maximum": 16}, "available"),
        ({"unit": "bed", "available": 3, "maximum": -1}, "maximum"),
        ({"unit": "bed", "available": 3, "maximum": 2.5}, "maximum"),
        ({"unit": "room", "available": 3, "maximum": 16}, "unit"),
        ({"available": 3, "maximum": 16}, "unit"),
    ],
)
def test_invalid_figures_are_422_naming_the_field(client, session, facility, token, body, field):
    error = assert_error(post(client, facility.id, token, body), 422, "invalid", field)
    assert field in error["message"]
    assert session.scalars(select(CapacityReport)).all() == []


def test_available_above_the_stored_maximum_is_422(client, facility, token):
    # The facility's last report said 16 beds at most.
    assert_error(
        post(client, facility.id, token, {"unit": "bed", "available": 20}), 422, None, "available"
    )


@pytest.mark.parametrize("data", ['{"unit": "bed", "available": 3', "not json", ""])
def test_malformed_json_is_400(client, facility, token, data):
    response = post(
        client, facility.id, token, data=data, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "invalid-json")


@pytest.mark.parametrize("body", [[{"unit": "bed", "available": 3}], 3, "bed", None])
def test_json_that_is_not_an_object_is_400(client, facility, token, body):
    response = post(
        client,
        facility.id,
        token,
        data=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "invalid-json")


def test_form_encoded_body_is_415(client, facility, token):
    response = post(client, facility.id, token, data={"unit": "bed", "available": "3"})
    assert_error(response, 415, "unsupported-media-type")


def test_other_methods_answer_json(client, facility, token):
    response = client.get(url(facility.id), headers=bearer(token))
    assert_error(response, 405)


def test_last_use_is_recorded(client, session, facility, token):
    from pmhc_directory.services.tokens import find_token

    assert post(client, facility.id, token).status_code == 200
    session.expire_all()
    assert find_token(session, token[:12]).last_used_at is not None


# --------------------------------------------------------------------------- 429


def test_rate_limit_answers_429_with_retry_after(
    app, client, session, facility, token, monkeypatch
):
    monkeypatch.setitem(app.config, "CAPACITY_RATE_LIMIT_PER_MINUTE", 3)
    for available in (1, 2, 3):
        response = post(client, facility.id, token, {"unit": "bed", "available": available})
        assert response.status_code == 200

    refused = post(client, facility.id, token, {"unit": "bed", "available": 4})

    assert_error(refused, 429, "too-many-requests")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # The refused report was not stored.
    assert match_result(client, facility.id)["capacity"]["available"] == 3
    # Another organization's token has its own allowance.
    other = build_service(session, "Other Center", lat=ORIGIN_LAT, lon=ORIGIN_LON)
    _, other_token = create_token(session, other.organization_id, "admin@example.org")
    session.commit()
    assert post(client, other.id, other_token).status_code == 200


def test_the_default_rate_limit_is_60_per_minute(app):
    from pmhc_directory.views.api_capacity import DEFAULT_RATE_LIMIT_PER_MINUTE

    assert app.config.get("CAPACITY_RATE_LIMIT_PER_MINUTE", 60) == 60
    assert DEFAULT_RATE_LIMIT_PER_MINUTE == 60


def test_sliding_window_limiter():
    from pmhc_directory.views.api_capacity import SlidingWindowLimiter

    now = [1000.0]
    limiter = SlidingWindowLimiter(window=60.0, clock=lambda: now[0])
    assert [limiter.hit("a", 2) for _ in range(2)] == [0.0, 0.0]
    assert limiter.hit("a", 2) == pytest.approx(60.0)
    assert limiter.hit("b", 2) == 0.0
    now[0] += 30
    assert limiter.hit("a", 2) == pytest.approx(30.0)
    now[0] += 30
    assert limiter.hit("a", 2) == 0.0
    assert limiter.hit("a", 0) == 0.0, "0 switches the limit off"
