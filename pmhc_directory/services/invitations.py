"""Invitation links for provider accounts: single use, with an expiry, shown once.

A coordinator invites a person (an email) to act for one organization. The link holds a random
secret; only its SHA-256 is stored, so the link cannot be read back from the database. Opening
the link lets the person choose a password, which creates a ``provider`` account for that
organization and uses the link up. An expired, used or unknown link is refused, and says which.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import normalize_uuid
from ..models import Organization, ProviderInvitation, Role, User
from .accounts import EMAIL_RE, AccountError, create_user, normalize_email
from .audit import record_change

#: How long an invitation link works unless the coordinator chooses otherwise (hours).
DEFAULT_VALID_HOURS = 72
#: Longest validity a coordinator may give a link (hours): a week.
MAX_VALID_HOURS = 7 * 24


class InvitationError(ValueError):
    """A link that cannot be used: ``reason`` is ``unknown``, ``expired`` or ``used``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_invitation(
    session: Session,
    organization_id: str,
    email: str,
    created_by: str,
    now: datetime,
    valid_hours: int = DEFAULT_VALID_HOURS,
) -> tuple[ProviderInvitation, str]:
    """A new invitation and its secret (put it in the link; it is not stored).

    :raises AccountError: bad email, an email that already has an account, an unknown
        organization, or a validity outside 1 hour to :data:`MAX_VALID_HOURS`.
    """
    email = normalize_email(email)
    if not EMAIL_RE.match(email):
        raise AccountError("email", f"{email!r} is not an email address.")
    if session.scalar(select(User.id).where(User.email == email)):
        raise AccountError("email", f"{email} already has an account.")
    try:
        organization = session.get(Organization, normalize_uuid(organization_id))
    except ValueError:
        organization = None
    if organization is None:
        raise AccountError("organization", "There is no such organization.")
    if not 1 <= valid_hours <= MAX_VALID_HOURS:
        raise AccountError("valid_hours", f"A link can be valid for 1 to {MAX_VALID_HOURS} hours.")
    secret = secrets.token_urlsafe(32)
    invitation = ProviderInvitation(
        organization_id=organization.id,
        email=email,
        token_hash=_hash(secret),
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(hours=valid_hours),
    )
    session.add(invitation)
    session.flush()
    record_change(
        session,
        resource_type="organization",
        resource_id=organization.id,
        action="update",
        user=created_by,
        field="provider_invitation",
        old=None,
        new={"email": email, "expires_at": invitation.expires_at.isoformat()},
        when=now,
    )
    return invitation, secret


def open_invitation(session: Session, secret: str, now: datetime) -> ProviderInvitation:
    """The invitation this link's secret belongs to, if it can still be used.

    :raises InvitationError: unknown secret, used link, or expired link.
    """
    invitation = session.scalar(
        select(ProviderInvitation).where(ProviderInvitation.token_hash == _hash(secret or ""))
    )
    if invitation is None:
        raise InvitationError("unknown", "This invitation link is not valid.")
    if invitation.used_at is not None:
        raise InvitationError(
            "used", "This invitation link has already been used. Log in, or ask for a new one."
        )
    if now >= invitation.expires_at:
        raise InvitationError(
            "expired", "This invitation link has expired. Ask your coordinator for a new one."
        )
    return invitation


def accept_invitation(session: Session, secret: str, password: str, now: datetime) -> User:
    """Create the provider account this link invites (password chosen now); the link is used.

    The row is locked (PostgreSQL) so two uses of one link at once make one account.

    :raises InvitationError: the link cannot be used.
    :raises AccountError: the password is too weak, or the email got an account meanwhile.
    """
    invitation = open_invitation(session, secret, now)
    session.refresh(invitation, with_for_update=True)
    invitation = open_invitation(session, secret, now)
    user = create_user(
        session, invitation.email, Role.PROVIDER, password, invitation.organization_id
    )
    invitation.used_at = now
    record_change(
        session,
        resource_type="organization",
        resource_id=invitation.organization_id,
        action="update",
        user=user.email,
        field="provider_account",
        old=None,
        new={"email": user.email},
        when=now,
    )
    session.flush()
    return user


def withdraw_invitation(
    session: Session, organization_id: str, invitation_id: str, by: str, now: datetime
) -> ProviderInvitation:
    """End an open invitation of this organization now (sent to the wrong person, not needed).

    :raises InvitationError: ``unknown`` when there is no such open invitation.
    """
    try:
        key = normalize_uuid(invitation_id)
    except ValueError:
        key = None
    invitation = session.get(ProviderInvitation, key) if key else None
    if (
        invitation is None
        or invitation.organization_id != organization_id
        or invitation.used_at is not None
        or invitation.expires_at <= now
    ):
        raise InvitationError("unknown", "There is no such open invitation.")
    invitation.used_at = now
    record_change(
        session,
        resource_type="organization",
        resource_id=organization_id,
        action="update",
        user=by,
        field="provider_invitation",
        old={"email": invitation.email},
        new="withdrawn",
        when=now,
    )
    session.flush()
    return invitation


def pending_invitations(
    session: Session, organization_id: str, now: datetime
) -> list[ProviderInvitation]:
    """The organization's invitations that can still be used, newest first."""
    return list(
        session.scalars(
            select(ProviderInvitation)
            .where(
                ProviderInvitation.organization_id == organization_id,
                ProviderInvitation.used_at.is_(None),
                ProviderInvitation.expires_at > now,
            )
            .order_by(ProviderInvitation.created_at.desc())
        )
    )


def provider_accounts(session: Session, organization_id: str) -> list[User]:
    """The organization's provider accounts, by email."""
    return list(
        session.scalars(
            select(User)
            .where(User.organization_id == organization_id, User.role == Role.PROVIDER)
            .order_by(User.email)
        )
    )
