"""The lookup's settings from the app's configuration (zone, travel model, policy, roads)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from ...geo.distance import TravelModel
from ...matching.policy import Policy, default_policy, make_policy


@dataclass(frozen=True)
class LookupSettings:
    """What a lookup needs from the deployment's settings (``settings_from_config``)."""

    zone: ZoneInfo  # the jurisdiction's time zone: hours are read and answers written in it
    travel: TravelModel
    capacity_fresh_hours: float = 12.0
    # The jurisdiction's ages, hand-over types, tiers and weights (matching.policy).
    policy: Policy = field(default_factory=default_policy)
    # Unmet need: one record per lookup intent within this many hours.
    unmet_intent_hours: float = 4.0
    # The road network (geo.roads.RoadNetwork) in use, or None: set per lookup by
    # load_candidates from the database (docs/roads.md).
    roads: Any = None
    road_snap_max_km: float = 1.0
    road_snap_speed_kmh: float = 15.0


def policy_from_config(config: Mapping[str, Any]) -> Policy:
    """The jurisdiction's lookup policy from the settings (``PolicyError`` names a bad one)."""
    parts = (
        config.get("AGE_POPULATIONS"),
        config.get("HANDOVER_SERVICE_TYPES"),
        config.get("NEED_TIERS"),
        config.get("RANKING_WEIGHTS"),
    )
    if all(part is None for part in parts):
        return default_policy()
    key = json_key(parts)
    with _policies_lock:
        found = _policies.get(key)
        if found is None:
            found = _policies[key] = make_policy(
                age_populations=parts[0],
                handover_types=parts[1],
                need_tiers=parts[2],
                ranking_weights=parts[3],
            )
        return found


_policies: dict[str, Policy] = {}
_policies_lock = threading.Lock()  # a memo of immutable policies keyed by their settings


def json_key(value: Any) -> str:
    """A stable text key of JSON-like settings (the policy memo is keyed by their content)."""
    import json

    return json.dumps(value, sort_keys=True, default=str)


def settings_from_config(config: Mapping[str, Any]) -> LookupSettings:
    """The lookup's settings from an app's configuration (``KeyError`` for a missing one)."""
    return LookupSettings(
        policy=policy_from_config(config),
        unmet_intent_hours=float(config.get("UNMET_NEED_INTENT_HOURS", 4)),
        zone=ZoneInfo(config["TIMEZONE"]),
        travel=TravelModel(
            circuity=float(config["TRAVEL_CIRCUITY"]), speed_kmh=float(config["TRAVEL_SPEED_KMH"])
        ),
        capacity_fresh_hours=float(config["CAPACITY_FRESH_HOURS"]),
        road_snap_max_km=float(config["ROAD_SNAP_MAX_KM"]),
        road_snap_speed_kmh=float(config["ROAD_SNAP_SPEED_KMH"]),
    )
