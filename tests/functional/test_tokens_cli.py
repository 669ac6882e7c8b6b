"""``flask tokens create | list | revoke`` through the CLI runner (spec/api.md 1).

The runner's commands open their session with ``get_session()``; requesting ``session`` makes
the ``connection`` fixture route it into the test's rolled-back transaction.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pmhc_directory.models import ApiToken
from pmhc_directory.services.tokens import authenticate_token
from tests.factories import make_organization


@pytest.fixture
def organization(session):
    org = make_organization(session, name="Crisis Center Inc")
    session.commit()
    return org


def create(runner, organization_id: str, *extra: str):
    return runner.invoke(args=["tokens", "create", "--organization", organization_id, *extra])


def test_create_prints_only_a_token_that_authenticates(runner, session, organization):
    result = create(runner, organization.id, "--label", "night desk")

    assert result.exit_code == 0, result.output + result.stderr
    plaintext = result.stdout.strip()
    assert result.stdout == plaintext + "\n", "stdout is the token and nothing else"
    assert plaintext.startswith("pmhc_")
    assert "shown only this once" in result.stderr
    assert plaintext not in result.stderr
    token = authenticate_token(session, plaintext)
    assert token is not None
    assert token.organization_id == organization.id
    assert token.label == "night desk"
    assert token.created_by.startswith("cli")


@pytest.mark.parametrize("bad_id", ["nope", "00000000-0000-0000-0000-000000000000"])
def test_create_for_an_unknown_organization_fails(runner, session, bad_id):
    result = create(runner, bad_id)
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "organization" in result.stderr
    assert "Traceback" not in result.output
    assert session.scalars(select(ApiToken)).all() == []


def test_create_needs_an_organization(runner, session):
    result = runner.invoke(args=["tokens", "create"])
    assert result.exit_code == 2
    assert "--organization" in result.stderr


def test_list_shows_prefixes_never_tokens(runner, session, organization):
    plaintext = create(runner, organization.id, "--label", "night desk").stdout.strip()
    other = make_organization(session, name="Other Org")
    session.commit()
    create(runner, other.id)

    listed = runner.invoke(args=["tokens", "list"])
    assert listed.exit_code == 0, listed.output
    assert plaintext[:12] in listed.stdout
    assert plaintext not in listed.stdout
    assert "Crisis Center Inc" in listed.stdout and "Other Org" in listed.stdout
    assert "night desk" in listed.stdout and "live" in listed.stdout

    only = runner.invoke(args=["tokens", "list", "--organization", organization.id])
    assert only.exit_code == 0
    assert "Crisis Center Inc" in only.stdout and "Other Org" not in only.stdout


def test_list_with_no_tokens(runner, session):
    org = make_organization(session, name="Tokenless")
    session.commit()
    result = runner.invoke(args=["tokens", "list", "--organization", org.id])
    assert result.exit_code == 0
    assert "No tokens." in result.stdout


def test_revoke_by_prefix_stops_the_token(runner, session, organization):
    plaintext = create(runner, organization.id).stdout.strip()

    result = runner.invoke(args=["tokens", "revoke", plaintext[:12]])

    assert result.exit_code == 0, result.output
    assert "Revoked" in result.stdout
    session.expire_all()
    assert authenticate_token(session, plaintext) is None
    listed = runner.invoke(args=["tokens", "list"]).stdout
    assert "revoked" in listed

    again = runner.invoke(args=["tokens", "revoke", plaintext[:12]])
    assert again.exit_code == 0
    assert "already revoked" in again.stdout


def test_revoke_by_id(runner, session, organization):
    plaintext = create(runner, organization.id).stdout.strip()
    token = authenticate_token(session, plaintext)
    assert token is not None
    session.commit()

    assert runner.invoke(args=["tokens", "revoke", token.id]).exit_code == 0
    session.expire_all()
    assert authenticate_token(session, plaintext) is None


def test_revoke_unknown_fails_cleanly(runner, session):
    result = runner.invoke(args=["tokens", "revoke", "pmhc_unknown"])
    assert result.exit_code == 1
    assert "No token" in result.stderr
    assert "Traceback" not in result.output
