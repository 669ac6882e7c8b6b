"""A service's facts as the lookup and planning read them: its types and attribute codes by
kind, its hours as hours-engine rules, its service-area shapes."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shapely.geometry import Point, shape

from ...hours import ScheduleError, ScheduleRule
from ...hours import select_rules as select_schedule_rules
from ...models import (
    Schedule,
    Service,
)
from ...taxonomy import ATTRIBUTE, PAYMENT, POPULATION, SERVICE_TYPE, Vocabulary

log = logging.getLogger(__name__)


def schedule_rules(schedules: Iterable[Schedule]) -> list[ScheduleRule]:
    """Schedule rows as hours-engine rules; ScheduleError when one cannot be read."""
    return [
        ScheduleRule.from_mapping({c.key: getattr(s, c.key) for c in Schedule.__table__.columns})
        for s in schedules
    ]


@dataclass(frozen=True)
class ServiceFacts:
    """A service's attribute codes by kind (codes the vocabulary does not know are left out)."""

    types: tuple[str, ...] = ()  # service types, in the listing's order, once each
    diversion: frozenset[str] = frozenset()  # diversion attributes (24/7, police drop-off...)
    eligibility: frozenset[str] = frozenset()  # populations the service is restricted to
    audience: frozenset[str] = frozenset()  # populations it is meant for (not a restriction)
    payments: frozenset[str] = frozenset()


#: One attribute as (taxonomy, code, link_type).
AttributeRow = tuple[str | None, str | None, str | None]


def facts_from_rows(rows: Iterable[AttributeRow], vocab: Vocabulary) -> ServiceFacts:
    """:class:`ServiceFacts` from a service's attributes as (taxonomy, code, link_type), in
    their order (plain rows: the candidate catalogue reads them without ORM objects)."""
    types: list[str] = []
    diversion: set[str] = set()
    eligibility: set[str] = set()
    audience: set[str] = set()
    payments: set[str] = set()
    for taxonomy, code, link_type in rows:
        if code is None or vocab.find(taxonomy or "", code) is None:
            continue
        if taxonomy == SERVICE_TYPE:
            types.append(code)
        elif taxonomy == ATTRIBUTE:
            diversion.add(code)
        elif taxonomy == PAYMENT:
            payments.add(code)
        elif taxonomy == POPULATION:
            (eligibility if link_type == "eligibility" else audience).add(code)
    return ServiceFacts(
        types=tuple(dict.fromkeys(types)),
        diversion=frozenset(diversion),
        eligibility=frozenset(eligibility),
        audience=frozenset(audience),
        payments=frozenset(payments),
    )


def service_facts(service: Service, vocab: Vocabulary) -> ServiceFacts:
    """:func:`facts_from_rows` of a loaded ``Service`` (its ``attributes`` relationship)."""
    return facts_from_rows(
        ((a.taxonomy_term.taxonomy, a.taxonomy_term.code, a.link_type) for a in service.attributes),
        vocab,
    )


def area_shapes(areas: Iterable[Any]) -> list[Any]:
    """The shapes of service-area rows given as GeoJSON (an unreadable one is logged and left
    out)."""
    shapes = []
    for area in areas:
        if area.extent and (area.extent_type or "geojson").lower() == "geojson":
            try:
                import json

                shapes.append(shape(json.loads(area.extent)))
            except (ValueError, TypeError, KeyError, AttributeError):
                log.warning("service area %s has an unreadable extent; ignored", area.id)
    return shapes


def inside_any(shapes: Sequence[Any], point: Point) -> bool:
    """Whether the point is in any of the shapes (not empty), covers: the edge counts."""
    return any(s.covers(point) for s in shapes)


def rules_or_none(schedules: Sequence[Schedule], service_id: str) -> list[ScheduleRule] | None:
    """:func:`schedule_rules`, or None (logged with the service id) when one cannot be read."""
    try:
        return schedule_rules(schedules)
    except ScheduleError as exc:
        log.warning("service %s has hours that cannot be read (%s)", service_id, exc.field)
        return None


def site_rules(
    service_rules: list[ScheduleRule],
    location_schedules: Sequence[Schedule],
    sal_schedules: Sequence[Schedule],
    service_id: str,
) -> list[ScheduleRule] | None:
    """The hours of one site: the service's, the location's or the site link's rules as the hours
    engine picks them (``hours.select_rules``); None when any of them cannot be read."""
    location_rules = rules_or_none(location_schedules, service_id)
    sal_rules = rules_or_none(sal_schedules, service_id)
    if location_rules is None or sal_rules is None:
        return None
    return select_schedule_rules(service_rules, location_rules, sal_rules)
