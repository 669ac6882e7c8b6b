"""Staff accounts: create, authenticate. Passwords are hashed with scrypt (werkzeug)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import Role, User

MIN_PASSWORD_LENGTH = 12
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@cache
def _dummy_hash() -> str:
    """The hash checked when the email is unknown, so a login takes as long either way (made at
    the first such login, not at import: scrypt takes 0.1 s of every worker's start)."""
    return generate_password_hash("not-a-real-password", method="scrypt")


class AccountError(ValueError):
    """A user-facing problem with account data; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normalize_email(email: str) -> str:
    return email.strip().lower()


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            "password", f"Password must be at least {MIN_PASSWORD_LENGTH} characters long."
        )


def create_user(
    session: Session,
    email: str,
    role: Role | str,
    password: str,
    organization_id: str | None = None,
) -> User:
    """Add a staff account; AccountError for a bad email, role, weak password or duplicate.

    A ``provider`` account needs the ``organization_id`` it acts for; other roles take none.
    """
    email = normalize_email(email)
    if not EMAIL_RE.match(email):
        raise AccountError("email", f"{email!r} is not an email address.")
    try:
        role = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise AccountError("role", f"Role must be one of {choices}.") from None
    organization_id = _organization_for(session, role, organization_id)
    validate_password(password)
    if session.scalar(select(User.id).where(User.email == email)):
        raise AccountError("email", f"A user with email {email} already exists.")
    user = User(
        email=email,
        role=role,
        password_hash=generate_password_hash(password, "scrypt"),
        organization_id=organization_id,
    )
    session.add(user)
    session.flush()
    return user


def _organization_for(session: Session, role: Role, organization_id: str | None) -> str | None:
    from ..db import normalize_uuid
    from ..models import Organization

    if role is not Role.PROVIDER:
        if organization_id:
            raise AccountError("organization", "Only provider accounts belong to an organization.")
        return None
    if not organization_id:
        raise AccountError("organization", "A provider account needs --organization ID.")
    try:
        key = normalize_uuid(organization_id)
    except ValueError:
        key = None
    if key is None or session.get(Organization, key) is None:
        raise AccountError("organization", f"There is no organization {organization_id!r}.")
    return key


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Records the login time."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        # Incremented in SQL: parallel failures each add one (a read-modify-write loses some).
        session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1)
            .execution_options(synchronize_session=False)
        )
        session.expire(user, ["failed_logins"])
        return None
    user.failed_logins = 0
    user.last_login_at = datetime.now(UTC)
    return user


def get_user(session: Session, user_id: str) -> User | None:
    return session.get(User, user_id)


def sign_out_everywhere(session: Session, email: str) -> User:
    """End every session of the user with ``email``; AccountError when there is none.

    The next request with any of the user's cookies is treated as logged out. Changing a
    password, role or active flag through the ORM does the same by itself (models/accounts.py).
    """
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise AccountError("email", f"There is no user with email {normalize_email(email)}.")
    user.revoke_sessions()
    session.flush()
    return user
