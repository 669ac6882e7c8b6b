"""Recording provider staffing (FTE) for the population-to-provider ratios planners use."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import normalize_uuid
from ..models import Service, ServiceStaffing
from .audit import record_field_changes


class StaffingError(ValueError):
    """Problems in a staffing file; ``problems`` names each line and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(problems[:20]))


def _fte(value: str | None, field: str, where: str, problems: list[str]) -> float | None:
    try:
        number = float((value or "").strip() or "0")
    except ValueError:
        problems.append(f"{where}: {field} {value!r} is not a number")
        return None
    if not math.isfinite(number) or number < 0 or number > 10_000:
        problems.append(f"{where}: {field} must be between 0 and 10000 FTE")
        return None
    return number


def import_staffing_csv(session: Session, path: Path, user: str) -> int:
    """Set FTEs from ``service_id,core_fte,psychiatrist_fte`` rows (all or nothing).

    Core FTE counts HRSA's core mental-health professionals; psychiatrists are among them.
    """
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise StaffingError([f"{path}: cannot read ({exc})"]) from None
    problems: list[str] = []
    parsed: dict[str, tuple[float, float]] = {}
    for line, row in enumerate(rows, start=2):
        where = f"line {line}"
        try:
            service_id = normalize_uuid(row.get("service_id") or "")
        except ValueError:
            problems.append(f"{where}: service_id {row.get('service_id')!r} is not a UUID")
            continue
        core = _fte(row.get("core_fte"), "core_fte", where, problems)
        psychiatrists = _fte(row.get("psychiatrist_fte"), "psychiatrist_fte", where, problems)
        if core is None or psychiatrists is None:
            continue
        if psychiatrists > core:
            problems.append(f"{where}: psychiatrist_fte is part of core_fte and cannot exceed it")
            continue
        parsed[service_id] = (core, psychiatrists)
    known = set(session.scalars(select(Service.id).where(Service.id.in_(list(parsed)))))
    problems += [f"service {sid} does not exist" for sid in parsed if sid not in known]
    if not rows:
        problems.append(f"{path}: no rows")
    if problems:
        raise StaffingError(problems)
    for service_id, (core, psychiatrists) in parsed.items():
        staffing = session.get(ServiceStaffing, service_id) or ServiceStaffing(
            service_id=service_id
        )
        before = {"core_fte": staffing.core_fte, "psychiatrist_fte": staffing.psychiatrist_fte}
        staffing.core_fte, staffing.psychiatrist_fte = core, psychiatrists
        session.add(staffing)
        record_field_changes(
            session,
            resource_type="service",
            resource_id=service_id,
            user=user,
            before=before,
            after={"core_fte": core, "psychiatrist_fte": psychiatrists},
        )
    session.flush()
    return len(parsed)
