"""``pmhc create-user --role provider --organization ID`` through the real click command."""

from __future__ import annotations

from sqlalchemy import select

from pmhc_directory.models import Role, User
from tests.factories import make_organization

PASSWORD = "a very long password"


def create(runner, *args: str):
    return runner.invoke(args=["create-user", *args], env={"PMHC_PASSWORD": PASSWORD})


def test_a_provider_account_is_created_for_its_organization(runner, session):
    organization = make_organization(session, name="Unit Org")
    session.commit()
    result = create(
        runner, "Nurse@Unit.example.org", "--role", "provider", "--organization", organization.id
    )
    assert result.exit_code == 0, result.output
    assert "Created provider nurse@unit.example.org" in result.output
    user = session.scalars(select(User).where(User.email == "nurse@unit.example.org")).one()
    assert (user.role, user.organization_id) == (Role.PROVIDER, organization.id)


def test_provider_without_or_with_an_unknown_organization_is_refused(runner, session):
    missing = create(runner, "a@example.org", "--role", "provider")
    assert missing.exit_code != 0
    assert "--organization" in missing.output
    unknown = create(
        runner, "b@example.org", "--role", "provider", "--organization", "not-an-organization"
    )
    assert unknown.exit_code != 0
    assert "no organization" in unknown.output
    assert session.scalars(select(User)).all() == []


def test_other_roles_take_no_organization(runner, session):
    organization = make_organization(session)
    session.commit()
    result = create(runner, "c@example.org", "--role", "officer", "--organization", organization.id)
    assert result.exit_code != 0
    assert "Only provider accounts" in result.output
