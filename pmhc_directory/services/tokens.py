"""Bearer tokens for the provider capacity API (spec/api.md 1 and 5).

A token is issued by an admin to one provider organization and lets it report capacity for that
organization's services only. The token is shown once, when created: the database keeps only
its SHA-256 hash (to find it again) and its first characters (``prefix``, so people can tell
tokens apart in lists and logs). Revoking sets ``revoked_at``; a revoked token never
authenticates again. Issuing and revoking are written to the change log (``api_token``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..db import normalize_uuid
from ..models import ApiToken, Organization
from .audit import record_change

TOKEN_PREFIX = "pmhc_"  # noqa: S105 (a public prefix, not a secret)
# Characters of the token kept in clear: "pmhc_" and 7 random characters (64**7 possibilities,
# so two tokens rarely share one, and far too few to help anyone guess the rest).
SHOWN_CHARS = 12
# Longer texts are not tokens; refused before hashing.
MAX_TOKEN_LENGTH = 200
MAX_LABEL_LENGTH = 200
RESOURCE_TYPE = "api_token"


class TokenError(ValueError):
    """A token request that cannot be done; ``message`` says why, for the person asking."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def hash_token(plaintext: str) -> str:
    """Hex SHA-256 of a token, as stored in ``ApiToken.token_hash``."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    organization_id: str,
    created_by: str,
    label: str | None = None,
    *,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue a new token for one organization; returns the row and the token (shown once).

    :param created_by: who issued it (a staff email or ``cli:<user>``), for the change log.
    :raises TokenError: the organization does not exist, or the label is too long.
    """
    try:
        org_id = normalize_uuid(organization_id)
    except ValueError:
        raise TokenError(f"{organization_id!r} is not an organization id.") from None
    organization = session.get(Organization, org_id)
    if organization is None:
        raise TokenError(f"There is no organization with id {org_id}.")
    label = (label or "").strip() or None
    if label is not None and len(label) > MAX_LABEL_LENGTH:
        raise TokenError(f"The label is longer than {MAX_LABEL_LENGTH} characters.")
    moment = now or datetime.now(UTC)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organization=organization,
        token_hash=hash_token(plaintext),
        prefix=plaintext[:SHOWN_CHARS],
        label=label,
        created_at=moment,
        created_by=created_by,
    )
    session.add(token)
    session.flush()
    record_change(
        session,
        resource_type=RESOURCE_TYPE,
        resource_id=token.id,
        action="create",
        user=created_by,
        field="organization_id",
        new=org_id,
        when=moment,
    )
    return token, plaintext


def authenticate_token(
    session: Session, plaintext: str | None, *, now: datetime | None = None
) -> ApiToken | None:
    """The live token with this text, or ``None`` (unknown, malformed or revoked).

    The token is found by its hash, so the database compares hashes, never the secret; the
    final comparison is constant-time as well. Sets ``last_used_at`` on success.
    """
    if not plaintext or len(plaintext) > MAX_TOKEN_LENGTH or not plaintext.isascii():
        return None
    digest = hash_token(plaintext)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None:
        return None
    token.last_used_at = now or datetime.now(UTC)
    return token


def find_token(session: Session, token_id_or_prefix: str) -> ApiToken:
    """The token with this id or shown prefix.

    :raises TokenError: none, or more than one token with that prefix.
    """
    text = (token_id_or_prefix or "").strip()
    if not text:
        raise TokenError("Give a token's id or its prefix (as shown by 'tokens list').")
    try:
        condition = ApiToken.id == normalize_uuid(text)
    except ValueError:
        # A prefix as listed, or the whole token pasted (found by its hash).
        if len(text) > SHOWN_CHARS:
            condition = ApiToken.token_hash == hash_token(text)
        else:
            condition = ApiToken.prefix == text
    matches = list(session.scalars(select(ApiToken).where(condition)))
    if not matches:
        raise TokenError(f"No token has the id or prefix {text[:SHOWN_CHARS]!r}.")
    if len(matches) > 1:
        raise TokenError(f"{len(matches)} tokens share the prefix {text!r}; revoke by id instead.")
    return matches[0]


def revoke_token(
    session: Session, token_id_or_prefix: str, by: str, *, now: datetime | None = None
) -> tuple[ApiToken, bool]:
    """Revoke a token by id or prefix; returns it and whether it was live until now.

    Revoking a revoked token changes nothing (``False``), so scripts may repeat it.

    :raises TokenError: see :func:`find_token`.
    """
    token = find_token(session, token_id_or_prefix)
    if token.revoked_at is not None:
        return token, False
    moment = now or datetime.now(UTC)
    token.revoked_at = moment
    record_change(
        session,
        resource_type=RESOURCE_TYPE,
        resource_id=token.id,
        action="update",
        user=by,
        field="revoked_at",
        new=moment,
        when=moment,
    )
    return token, True


def list_tokens(session: Session, organization_id: str | None = None) -> list[ApiToken]:
    """Tokens (live and revoked) with their organization, newest first.

    :raises TokenError: ``organization_id`` is not an id.
    """
    query = select(ApiToken).options(joinedload(ApiToken.organization))
    if organization_id is not None:
        try:
            query = query.where(ApiToken.organization_id == normalize_uuid(organization_id))
        except ValueError:
            raise TokenError(f"{organization_id!r} is not an organization id.") from None
    return list(session.scalars(query.order_by(ApiToken.created_at.desc(), ApiToken.id)))
