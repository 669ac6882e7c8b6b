"""Provider tokens and capacity reports against the database (spec/api.md 1 and 5)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from pmhc_directory.models import ApiToken, CapacityReport, ChangeRecord, Unit
from pmhc_directory.services.capacity import (
    CapacityInputError,
    capacity_history,
    find_service,
    report_capacity,
)
from pmhc_directory.services.tokens import (
    TokenError,
    authenticate_token,
    create_token,
    find_token,
    list_tokens,
    revoke_token,
)
from tests.factories import make_organization, make_service
from tests.scenario_builders import unit_named

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- tokens


def all_column_text(session, row) -> list[str]:
    """Every column value of a row, as text, read back from the database."""
    session.expire(row)
    mapper = inspect(type(row))
    return [str(getattr(row, column.key)) for column in mapper.column_attrs]


def test_create_token_stores_only_the_hash_and_prefix(session):
    org = make_organization(session, name="Crisis Center Inc")
    token, plaintext = create_token(session, org.id, "admin@example.org", "night desk")
    session.commit()

    assert plaintext.startswith("pmhc_") and len(plaintext) > 40
    assert token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert token.prefix == plaintext[:12]
    assert token.label == "night desk"
    assert token.created_by == "admin@example.org"
    assert token.revoked_at is None and token.last_used_at is None
    # The token itself is in no column; only its first 12 characters are.
    values = all_column_text(session, token)
    assert not any(plaintext in value for value in values)
    assert not any(plaintext[12:20] in value for value in values)


def test_every_token_is_different(session):
    org = make_organization(session)
    texts = {create_token(session, org.id, "admin@example.org")[1] for _ in range(5)}
    assert len(texts) == 5


def test_create_token_is_written_to_the_change_log(session):
    org = make_organization(session)
    token, _ = create_token(session, org.id, "admin@example.org")
    session.flush()
    rows = session.scalars(
        select(ChangeRecord).where(
            ChangeRecord.resource_type == "api_token", ChangeRecord.resource_id == token.id
        )
    ).all()
    assert [(r.last_action_type, r.updated_by, r.replacement_value) for r in rows] == [
        ("create", "admin@example.org", org.id)
    ]


@pytest.mark.parametrize("bad_id", ["", "nope", "00000000-0000-0000-0000-000000000000"])
def test_create_token_for_an_unknown_organization_is_refused(session, bad_id):
    with pytest.raises(TokenError):
        create_token(session, bad_id, "admin@example.org")
    assert session.scalars(select(ApiToken)).all() == []


def test_authenticate_finds_a_live_token_and_records_its_use(session):
    org = make_organization(session)
    token, plaintext = create_token(session, org.id, "admin@example.org")

    found = authenticate_token(session, plaintext, now=NOW)

    assert found is token
    assert token.last_used_at == NOW


@pytest.mark.parametrize(
    "text", [None, "", "pmhc_forged", "x" * 500, "pmhc_\u00e9t\u00e9", "Bearer pmhc_"]
)
def test_authenticate_refuses_unknown_and_malformed_tokens(session, text):
    org = make_organization(session)
    create_token(session, org.id, "admin@example.org")
    assert authenticate_token(session, text) is None


def test_a_token_with_one_character_changed_does_not_authenticate(session):
    org = make_organization(session)
    _, plaintext = create_token(session, org.id, "admin@example.org")
    forged = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    assert authenticate_token(session, forged) is None


def test_revoked_token_no_longer_authenticates(session):
    org = make_organization(session)
    token, plaintext = create_token(session, org.id, "admin@example.org")

    revoked, changed = revoke_token(session, token.prefix, "admin@example.org", now=NOW)

    assert revoked is token and changed is True
    assert token.revoked_at == NOW
    assert authenticate_token(session, plaintext) is None
    again, changed_again = revoke_token(session, token.id, "admin@example.org")
    assert again is token and changed_again is False
    assert token.revoked_at == NOW
    log = session.scalars(
        select(ChangeRecord).where(
            ChangeRecord.resource_id == token.id, ChangeRecord.field_name == "revoked_at"
        )
    ).all()
    assert len(log) == 1 and log[0].updated_by == "admin@example.org"


def test_find_token_by_id_prefix_or_whole_token(session):
    org = make_organization(session)
    token, plaintext = create_token(session, org.id, "admin@example.org")
    assert find_token(session, token.id) is token
    assert find_token(session, token.id.upper()) is token
    assert find_token(session, f" {token.prefix} ") is token
    assert find_token(session, plaintext) is token
    for unknown in ("", "pmhc_nothing", "pmhc_" + "x" * 40):
        with pytest.raises(TokenError):
            find_token(session, unknown)


def test_list_tokens_by_organization(session):
    first = make_organization(session, name="First")
    second = make_organization(session, name="Second")
    a, _ = create_token(session, first.id, "admin@example.org", now=NOW)
    b, _ = create_token(session, second.id, "admin@example.org", now=NOW + timedelta(hours=1))
    session.flush()
    assert [t.id for t in list_tokens(session)] == [b.id, a.id]
    assert [t.id for t in list_tokens(session, first.id)] == [a.id]
    with pytest.raises(TokenError):
        list_tokens(session, "not-an-id")


# --------------------------------------------------------------------------- capacity


def capacity_changes(session, service) -> list[ChangeRecord]:
    return list(
        session.scalars(
            select(ChangeRecord)
            .where(
                ChangeRecord.resource_type == "service",
                ChangeRecord.resource_id == service.id,
                ChangeRecord.field_name == "capacity",
            )
            .order_by(ChangeRecord.last_action_date)
        )
    )


def test_report_creates_the_capacity_row_history_and_change_record(session):
    service = make_service(session)

    row = report_capacity(session, service, "bed", 3, 16, "token:pmhc_abcdefg", NOW)
    session.commit()

    assert (row.unit.name, row.unit.scheme, row.available, row.maximum, row.updated) == (
        "bed",
        "PMHC",
        3,
        16,
        NOW,
    )
    session.expire_all()
    assert [(c.available, c.maximum) for c in service.capacities] == [(3, 16)]
    history = capacity_history(session, service.id)
    assert [(p.unit, p.available, p.maximum, p.source, p.updated) for p in history] == [
        ("bed", 3, 16, "token:pmhc_abcdefg", NOW)
    ]
    assert history[0].occupied == 13
    [change] = capacity_changes(session, service)
    assert change.last_action_type == "update"
    assert change.updated_by == "token:pmhc_abcdefg"
    assert change.previous_value == ""
    assert '"available":3' in change.replacement_value
    assert '"maximum":16' in change.replacement_value


def test_second_report_updates_the_row_and_appends_history(session):
    service = make_service(session)
    report_capacity(session, service, "bed", 3, 16, "token:a", NOW)
    later = NOW + timedelta(hours=2)

    row = report_capacity(session, service, "Bed ", 0, None, "token:a", later)
    session.commit()
    session.expire_all()

    assert [(c.available, c.maximum, c.updated) for c in service.capacities] == [(0, 16, later)]
    assert row.maximum == 16, "an omitted maximum keeps the one last reported"
    history = capacity_history(session, service.id)
    assert [(p.available, p.maximum) for p in history] == [(3, 16), (0, 16)]
    assert [p.available for p in capacity_history(session, service.id, since=later)] == [0]
    assert [p.available for p in capacity_history(session, service.id, until=later)] == [3]
    changes = capacity_changes(session, service)
    assert len(changes) == 2
    assert '"available":3' in changes[1].previous_value
    assert '"available":0' in changes[1].replacement_value


def test_reports_for_two_units_keep_two_rows(session):
    service = make_service(session)
    report_capacity(session, service, "bed", 3, 16, "token:a", NOW)
    report_capacity(session, service, "chair", 5, 8, "token:a", NOW)
    session.flush()
    assert sorted((c.unit.name, c.available) for c in service.capacities) == [
        ("bed", 3),
        ("chair", 5),
    ]
    assert len(session.scalars(select(Unit).where(Unit.scheme == "PMHC")).all()) >= 2


def test_report_reuses_an_existing_unit_row(session):
    service = make_service(session)
    existing = unit_named(session, "chair")
    row = report_capacity(session, service, "chair", 1, 2, "token:a", NOW)
    assert row.unit is existing


@pytest.mark.parametrize(
    ("unit", "available", "maximum", "field"),
    [
        ("bed", -1, 16, "available"),
        ("bed", 1.5, 16, "available"),
        ("bed", 3.0, 16, "available"),
        ("bed", "3", 16, "available"),
        ("bed", True, 16, "available"),
        ("bed", None, 16, "available"),
        ("bed", [3], 16, "available"),
        ("bed", 10**12, None, "available"),
        ("bed", 3, -16, "maximum"),
        ("bed", 3, "16", "maximum"),
        ("bed", 3, False, "maximum"),
        ("bed", 17, 16, "available"),
        ("room", 3, 16, "unit"),
        ("", 3, 16, "unit"),
        (None, 3, 16, "unit"),
        (7, 3, 16, "unit"),
    ],
)
def test_invalid_reports_are_refused_and_write_nothing(session, unit, available, maximum, field):
    service = make_service(session)
    with pytest.raises(CapacityInputError) as caught:
        report_capacity(session, service, unit, available, maximum, "token:a", NOW)
    assert caught.value.field == field
    assert caught.value.message
    session.flush()
    assert service.capacities == []
    assert session.scalars(select(CapacityReport)).all() == []
    assert capacity_changes(session, service) == []


def test_available_above_the_kept_maximum_is_refused(session):
    service = make_service(session)
    report_capacity(session, service, "bed", 3, 16, "token:a", NOW)
    with pytest.raises(CapacityInputError) as caught:
        report_capacity(session, service, "bed", 20, None, "token:a", NOW)
    assert caught.value.field == "available"
    assert "16" in caught.value.message


def test_zero_is_a_valid_figure(session):
    service = make_service(session)
    row = report_capacity(session, service, "team", 0, 0, "token:a", NOW)
    assert (row.available, row.maximum) == (0, 0)


def test_naive_time_is_refused(session):
    service = make_service(session)
    with pytest.raises(ValueError, match="aware"):
        report_capacity(session, service, "bed", 1, 2, "token:a", NOW.replace(tzinfo=None))


def test_find_service_by_id(session):
    service = make_service(session)
    assert find_service(session, service.id) is service
    assert find_service(session, service.id, for_update=True) is service
    assert find_service(session, "not-a-uuid") is None
    assert find_service(session, "00000000-0000-0000-0000-000000000000") is None
    with pytest.raises(ValueError):
        capacity_history(session, "not-a-uuid")
