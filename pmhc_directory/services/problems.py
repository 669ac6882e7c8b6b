"""'Report a problem with this listing': stored for the coordinators' queue.

A report is about the listing (wrong phone, closed, refused a drop-off...), never about the
person the officer is helping. Nothing here reads the request or commits.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..db import normalize_uuid
from ..models import Service
from ..models.lookup import PROBLEM_KINDS, ProblemReport

#: Longest free-text note accepted with a report.
MAX_DETAILS = 500

#: Plain words for each kind, in the order the form lists them.
PROBLEM_KIND_LABELS: dict[str, str] = {
    "closed": "It was closed",
    "refused": "They turned someone away",
    "wrong-phone": "Phone number is wrong",
    "wrong-hours": "Hours are wrong",
    "wrong-address": "Address or directions are wrong",
    "other": "Something else",
}
if set(PROBLEM_KIND_LABELS) != set(PROBLEM_KINDS):
    raise RuntimeError("every problem kind needs a label")


class ProblemReportError(ValueError):
    """A report that cannot be stored; ``field`` names the form field (``kind``, ``details``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class UnknownServiceError(LookupError):
    """No service with this id (or the id is not a UUID)."""


def report_problem(
    session: Session,
    service_id: str,
    kind: str,
    details: str | None,
    reported_by: str | None,
) -> ProblemReport:
    """Add an open problem report for ``service_id`` (flushed, not committed).

    :param kind: one of ``PROBLEM_KINDS``.
    :param details: optional note about the listing, at most ``MAX_DETAILS`` characters after
        trimming; blank is stored as "".
    :param reported_by: the staff account's email when logged in, else None (anonymous).
    :raises UnknownServiceError: no such service.
    :raises ProblemReportError: an unknown kind or a note that is too long.
    """
    try:
        service_id = normalize_uuid(service_id)
    except ValueError:
        raise UnknownServiceError(service_id) from None
    if session.get(Service, service_id) is None:
        raise UnknownServiceError(service_id)
    kind = (kind or "").strip()
    if kind not in PROBLEM_KINDS:
        raise ProblemReportError("kind", "Choose what is wrong with the listing from the list.")
    text = (details or "").strip()
    if len(text) > MAX_DETAILS:
        raise ProblemReportError(
            "details",
            f"The note is {len(text)} characters long; keep it to {MAX_DETAILS} or fewer.",
        )
    report = ProblemReport(service_id=service_id, kind=kind, details=text, reported_by=reported_by)
    session.add(report)
    session.flush()
    return report
