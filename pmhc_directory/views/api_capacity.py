"""``POST /api/v1/services/<id>/capacity`` for providers (spec/api.md 5).

A provider sends ``Authorization: Bearer <token>`` (a token an admin issued to its organization
with ``flask tokens create``) and ``{"unit": "bed", "available": 3, "maximum": 16}``; the server
sets ``updated``. Answers: 200 with the stored figure; 401 without a valid token; 429 over the
rate limit; 404 for an unknown service; 403 for another organization's service; 400 / 415 for a
body that is not a JSON object; 422 for a bad figure, naming the field. See docs/providers.md.

The rate limit (``CAPACITY_RATE_LIMIT_PER_MINUTE`` requests per token in any 60 seconds, 0 for
none) is counted in this process's memory: each app server process counts on its own, so with
N processes a token may make up to N times the limit. That is enough to stop a runaway script;
it is not a security boundary (tokens are the boundary).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, jsonify, request
from werkzeug.exceptions import BadRequest

from ..db import get_session
from ..services.capacity import CapacityInputError, find_service, is_stale, report_capacity
from ..services.tokens import authenticate_token
from .api import bp
from .errors import input_error, json_error

DEFAULT_RATE_LIMIT_PER_MINUTE = 60
WINDOW_SECONDS = 60.0


class SlidingWindowLimiter:
    """At most ``limit`` hits per key in any ``window`` seconds, counted in this process.

    Refused hits are not counted, so a client that waits ``Retry-After`` gets through.
    """

    def __init__(self, window: float = WINDOW_SECONDS, clock: Any = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int) -> float:
        """Count a hit; 0.0 when allowed, else the seconds until one would be."""
        if limit <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= limit:
                return max(hits[0] + self.window - now, 0.001)
            hits.append(now)
            self._forget_idle(now)
            return 0.0

    def _forget_idle(self, now: float) -> None:
        # Keep memory bounded by the number of tokens active in the last window.
        if len(self._hits) > 1000:
            idle = [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]
            for key in idle:
                del self._hits[key]

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


limiter = SlidingWindowLimiter()


def _unauthorized(message: str) -> Any:
    response = json_error(401, "invalid-token", message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="pmhc-capacity"'
    return response


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _rate_limit() -> int:
    value = current_app.config.get("CAPACITY_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT_PER_MINUTE)
    return int(value)


@bp.post("/services/<service_id>/capacity", endpoint="report_capacity")
def report_capacity_view(service_id: str) -> Any:
    """Store a provider's capacity figure for one of its services."""
    session = get_session()
    now = datetime.now(UTC)
    plaintext = _bearer_token()
    if plaintext is None:
        return _unauthorized("Send the provider token as 'Authorization: Bearer <token>'.")
    token = authenticate_token(session, plaintext, now=now)
    if token is None:
        return _unauthorized("The token is not valid (unknown or revoked).")

    wait = limiter.hit(token.id, _rate_limit())
    if wait:
        session.rollback()
        response = json_error(
            429, "too-many-requests", "Too many capacity reports with this token; wait a minute."
        )
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response

    service = find_service(session, service_id, for_update=True)
    if service is None:
        session.commit()  # keeps last_used_at
        return json_error(404, "not-found", "There is no service with this id.")
    if service.organization_id != token.organization_id:
        current_app.logger.warning(
            "capacity token %s refused for service %s of another organization",
            token.prefix,
            service.id,
        )
        session.commit()
        return json_error(
            403, "forbidden", "This token may only report capacity for its own organization."
        )

    if not request.is_json:
        session.commit()
        return json_error(
            415, "unsupported-media-type", "Send the body as JSON (Content-Type: application/json)."
        )
    try:
        body = request.get_json()
    except BadRequest:
        session.commit()
        return json_error(400, "invalid-json", "The request body is not valid JSON.")
    if not isinstance(body, dict):
        session.commit()
        return json_error(400, "invalid-json", "The request body must be a JSON object.")

    try:
        row = report_capacity(
            session,
            service,
            body.get("unit"),
            body.get("available"),
            body.get("maximum"),
            source=f"token:{token.prefix}",
            now=now,
        )
    except CapacityInputError as exc:
        session.commit()  # nothing was written but last_used_at
        return input_error(exc)
    answer = {
        "service_id": service.id,
        "unit": row.unit.name,
        "available": row.available,
        "maximum": row.maximum,
        "updated": row.updated.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).isoformat(),
        "stale": is_stale(row, now, float(current_app.config["CAPACITY_FRESH_HOURS"])),
    }
    session.commit()
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response
