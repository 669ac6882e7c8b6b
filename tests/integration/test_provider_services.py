"""Provider self-service use cases against the database: invitations, capacity through the
capacity service, closures and alerts, proposals, and the stale-capacity list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pmhc_directory.models import CapacityReport, ChangeRecord, ProviderInvitation, Role
from pmhc_directory.services import invitations, proposals
from pmhc_directory.services import provider_updates as updates
from pmhc_directory.services.accounts import AccountError, create_user
from pmhc_directory.services.audit import VersionConflictError
from pmhc_directory.services.capacity import CapacityInputError, report_capacity
from pmhc_directory.services.editing import EditError, HoursInput
from pmhc_directory.services.tokens import create_token
from tests.factories import TEST_PASSWORD, make_organization, make_service

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def service(session):
    return make_service(session, name="Unit A")


@pytest.fixture
def provider(session, service):
    return create_user(
        session, "charge@unit.example.org", Role.PROVIDER, TEST_PASSWORD, service.organization_id
    )


# --------------------------------------------------------------------------- accounts


def test_a_provider_account_needs_an_existing_organization(session, service):
    with pytest.raises(AccountError) as missing:
        create_user(session, "p@example.org", "provider", TEST_PASSWORD)
    assert missing.value.field == "organization"
    with pytest.raises(AccountError):
        create_user(session, "p@example.org", "provider", TEST_PASSWORD, "not-an-id")
    with pytest.raises(AccountError):
        create_user(
            session,
            "p@example.org",
            "provider",
            TEST_PASSWORD,
            "00000000-0000-0000-0000-000000000001",
        )
    with pytest.raises(AccountError):
        create_user(session, "o@example.org", "officer", TEST_PASSWORD, service.organization_id)


def test_invitation_stores_only_a_hash_and_works_once(session, service):
    invitation, secret = invitations.create_invitation(
        session, service.organization_id, "New@Unit.example.org", "c@example.org", NOW
    )
    assert invitation.email == "new@unit.example.org"
    assert secret not in invitation.token_hash
    assert invitation.expires_at == NOW + timedelta(hours=invitations.DEFAULT_VALID_HOURS)
    user = invitations.accept_invitation(session, secret, TEST_PASSWORD, NOW + timedelta(hours=1))
    assert (user.role, user.organization_id) == (Role.PROVIDER, service.organization_id)
    with pytest.raises(invitations.InvitationError) as used:
        invitations.accept_invitation(session, secret, TEST_PASSWORD, NOW + timedelta(hours=2))
    assert used.value.reason == "used"
    assert invitations.pending_invitations(session, service.organization_id, NOW) == []


def test_an_expired_invitation_is_refused_and_makes_no_account(session, service):
    _, secret = invitations.create_invitation(
        session, service.organization_id, "late@example.org", "c@example.org", NOW, valid_hours=1
    )
    with pytest.raises(invitations.InvitationError) as expired:
        invitations.accept_invitation(session, secret, TEST_PASSWORD, NOW + timedelta(hours=1))
    assert expired.value.reason == "expired"
    with pytest.raises(invitations.InvitationError) as unknown:
        invitations.open_invitation(session, secret + "x", NOW)
    assert unknown.value.reason == "unknown"


def test_a_weak_password_leaves_the_invitation_usable(session, service):
    _, secret = invitations.create_invitation(
        session, service.organization_id, "weak@example.org", "c@example.org", NOW
    )
    with pytest.raises(AccountError):
        invitations.accept_invitation(session, secret, "short", NOW)
    invitation = session.scalars(select(ProviderInvitation)).one()
    assert invitation.used_at is None


# --------------------------------------------------------------------------- capacity


def test_a_provider_update_stores_exactly_what_a_token_report_stores(session, service, provider):
    twin = make_service(session, name="Unit B", organization=service.organization)
    _, token = create_token(session, service.organization_id, "admin@example.org")
    updates.update_capacity(session, provider, service, "bed", "set", NOW, "3")
    report_capacity(session, twin, "bed", 3, None, f"token:{token[:12]}", NOW)

    def stored(of):
        (row,) = of.capacities
        reports = session.scalars(
            select(CapacityReport).where(CapacityReport.service_id == of.id)
        ).all()
        changes = session.scalars(
            select(ChangeRecord).where(
                ChangeRecord.resource_id == of.id, ChangeRecord.field_name == "capacity"
            )
        ).all()
        return (
            (row.unit.name, row.available, row.maximum, row.updated),
            [(r.available, r.maximum, r.updated) for r in reports],
            [(c.previous_value, c.replacement_value) for c in changes],
        )

    assert stored(service) == stored(twin)
    assert session.scalars(
        select(CapacityReport.source).where(CapacityReport.service_id == service.id)
    ).all() == ["user:charge@unit.example.org"]


def test_plus_minus_full_and_set_keep_the_maximum(session, service, provider):
    report_capacity(session, service, "bed", 4, 10, "token:abc", NOW)
    steps = [("minus", None, 3), ("plus", "2", 5), ("full", None, 0), ("set", "10", 10)]
    for action, value, expected in steps:
        row = updates.update_capacity(session, provider, service, "bed", action, NOW, value)
        assert (row.available, row.maximum) == (expected, 10), action
    with pytest.raises(CapacityInputError):
        updates.update_capacity(session, provider, service, "bed", "plus", NOW)  # 11 > 10
    with pytest.raises(updates.ProviderInputError):
        updates.update_capacity(session, provider, service, "bed", "explode", NOW)


def test_minus_without_a_figure_asks_for_set(session, service, provider):
    with pytest.raises(updates.ProviderInputError):
        updates.update_capacity(session, provider, service, "bed", "minus", NOW)
    assert updates.update_capacity(session, provider, service, "bed", "plus", NOW).available == 1


def test_a_provider_reaches_only_its_organizations_services(session, service, provider):
    other = make_service(session, name="Elsewhere")
    assert updates.provider_service(session, provider, service.id) is service
    for key in (other.id, "nope", "00000000-0000-0000-0000-000000000001"):
        with pytest.raises(updates.NotTheirsError):
            updates.provider_service(session, provider, key)
    assert [s.name for s in updates.provider_services(session, provider)] == ["Unit A"]


def test_closure_and_alert_limits_and_audit(session, service, provider):
    with pytest.raises(updates.ProviderInputError):
        updates.close_until(session, provider, service, NOW, NOW)
    with pytest.raises(updates.ProviderInputError):
        updates.close_until(session, provider, service, NOW + timedelta(days=15), NOW)
    updates.close_until(session, provider, service, NOW + timedelta(hours=6), NOW)
    assert service.closed_until == NOW + timedelta(hours=6)
    with pytest.raises(updates.ProviderInputError):
        updates.set_alert(session, provider, service, "x" * 201, NOW + timedelta(hours=1), NOW)
    with pytest.raises(updates.ProviderInputError):
        updates.set_alert(session, provider, service, "Full", NOW + timedelta(days=8), NOW)
    updates.set_alert(
        session, provider, service, " No  beds  for women ", NOW + timedelta(hours=1), NOW
    )
    assert service.alert == "No beds for women"
    changes = session.scalars(
        select(ChangeRecord).where(ChangeRecord.resource_id == service.id)
    ).all()
    assert {(c.field_name, c.updated_by) for c in changes} == {
        ("closed_until", "user:charge@unit.example.org"),
        ("alert", "user:charge@unit.example.org"),
    }


# --------------------------------------------------------------------------- proposals

OVERNIGHT = HoursInput(windows=[{"days": ["FR", "SA"], "opens_at": "22:00", "closes_at": "06:00"}])


def test_accepted_hours_are_an_edit_by_the_coordinator(session, service, provider):
    proposal = proposals.propose_hours(session, provider, service, OVERNIGHT, NOW)
    assert proposal.status == "pending"
    assert service.schedules == []
    assert "10:00 PM" in proposal.summary
    proposals.accept_proposal(session, proposal.id, service.version, "c@example.org", NOW)
    assert [(s.byday, s.opens_at, s.closes_at) for s in service.schedules] == [
        ("FR,SA", "22:00", "06:00")
    ]
    assert proposal.status == "accepted"
    with pytest.raises(proposals.ProposalError):
        proposals.reject_proposal(session, proposal.id, "c@example.org", NOW)


def test_accepting_on_a_stale_version_changes_nothing(session, service, provider):
    proposal = proposals.propose_hours(session, provider, service, OVERNIGHT, NOW)
    with pytest.raises(VersionConflictError):
        proposals.accept_proposal(session, proposal.id, service.version - 1, "c@example.org", NOW)
    assert service.schedules == []
    assert proposal.status == "pending"


def test_a_rejected_proposal_leaves_the_service_alone(session, service, provider):
    proposal = proposals.propose_hours(session, provider, service, OVERNIGHT, NOW)
    version = service.version
    proposals.reject_proposal(session, proposal.id, "c@example.org", NOW)
    session.flush()
    assert (service.version, service.schedules, proposal.status) == (version, [], "rejected")
    assert proposals.pending_proposals(session) == []


def test_unreadable_hours_are_not_proposed(session, service, provider):
    with pytest.raises(EditError) as refused:
        proposals.propose_hours(
            session,
            provider,
            service,
            HoursInput(windows=[{"days": ["MO"], "opens_at": "", "closes_at": "06:00"}]),
            NOW,
        )
    assert "windows-0-opens_at" in refused.value.errors


# --------------------------------------------------------------------------- stale list


def test_stale_list_holds_old_and_never_reported_facilities(session, service, provider):
    lone = make_organization(session, name="No reporting")
    make_service(session, name="Never asked", organization=lone)  # reports nothing: not listed
    make_service(
        session, name="Our line", types=("crisis-line",), organization=service.organization
    )
    fresh = make_service(session, name="Fresh", organization=service.organization)
    old = make_service(session, name="Old")
    report_capacity(session, fresh, "bed", 1, None, "token:x", NOW - timedelta(hours=1))
    report_capacity(session, old, "chair", 2, None, "token:y", NOW - timedelta(hours=20))
    found = updates.stale_facilities(session, NOW, 12)
    assert [(f.service, f.unit) for f in found] == [("Unit A", None), ("Old", "chair")]
    assert found[1].last_reported == NOW - timedelta(hours=20)


def test_an_expired_provider_alert_is_not_published_in_hsds(session, service, provider):
    from pmhc_directory.hsds.serialize import service_to_hsds

    now = datetime.now(UTC)
    updates.set_alert(
        session, provider, service, "No beds for women", now + timedelta(hours=1), now
    )
    assert service_to_hsds(service)["alert"] == "No beds for women"
    service.alert_expires_at = now - timedelta(seconds=1)
    assert "alert" not in service_to_hsds(service)


def test_a_coordinator_alert_replaces_a_provider_alert_and_does_not_expire(
    session, service, provider
):
    from pmhc_directory.services import editing

    now = datetime.now(UTC)
    updates.set_alert(session, provider, service, "Side door only", now + timedelta(hours=1), now)
    session.flush()
    form = editing.service_snapshot(service)
    assert form["alert"] == "Side door only"
    editing.update_service(session, service.id, form, service.version, "c@example.org")
    assert service.alert_expires_at is not None  # saved unchanged: still the provider's

    form = editing.service_snapshot(service)
    form["alert"] = "Closed for repairs: call first"
    editing.update_service(session, service.id, form, service.version, "c@example.org")
    assert (service.alert, service.alert_expires_at) == ("Closed for repairs: call first", None)


def test_the_editor_does_not_offer_an_expired_alert(session, service, provider):
    from pmhc_directory.services import editing

    now = datetime.now(UTC)
    updates.set_alert(session, provider, service, "Gone by now", now + timedelta(hours=1), now)
    service.alert_expires_at = now - timedelta(seconds=1)
    assert editing.service_snapshot(service)["alert"] is None
