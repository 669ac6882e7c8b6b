"""Who a place is for, as short tags in plain words for a result card (issue #14 item 6).

The hard rules exclude a place only on facts the officer gave; a place with a limit the
officer did not speak to (no age given, gender not asked) is shown, and these tags say the
limit so the officer can see it at a glance: ``18+``, ``Under 18``, ``Women only``,
``Veterans only``, ``Voluntary only``, ``Appointment needed``.
"""

from __future__ import annotations

import re

from pmhc_directory.taxonomy import POPULATION, Vocabulary

from .model import Candidate
from .policy import Policy
from .rules import GENDER_POPULATIONS

_APPOINTMENT = re.compile(
    r"\bappointments?\b|\bby referral\b|\breferral (?:is )?(?:needed|required)\b", re.I
)
_NO_APPOINTMENT = re.compile(r"\bno appointment|\bwalk[- ]?in", re.I)


def age_tag(low: int | None, high: int | None) -> str | None:
    """``18+``, ``Under 18``, ``Ages 16-25`` (None when the place takes every age)."""
    low = low or None
    if low is None and high is None:
        return None
    if high is None:
        return f"{low}+"
    if low is None:
        return f"Under {high + 1}"
    return f"Ages {low}-{high}"


def eligibility_tags(candidate: Candidate, policy: Policy, vocabulary: Vocabulary) -> list[str]:
    """Age range, gender, populations, voluntary only and appointment needed, in that order."""
    tags: list[str] = []
    age = age_tag(candidate.minimum_age, candidate.maximum_age)
    if age is not None:
        tags.append(age)
    genders = candidate.eligibility_populations & GENDER_POPULATIONS
    if genders and genders != GENDER_POPULATIONS:
        tags.append("Women only" if "women" in genders else "Men only")
    groups = sorted(candidate.eligibility_populations - GENDER_POPULATIONS)
    if age is not None and groups and all(policy.age_range(code) for code in groups):
        groups = []  # "Ages 12-17" already says what "youth only" would
    if groups:
        names = []
        for code in groups:
            found = policy.age_range(code)
            term = vocabulary.find(POPULATION, code)
            name = term.name if term else code.replace("-", " ")
            if found is not None:
                name = f"{name.split(' (')[0]}, {found.words}"
            names.append(name)
        tags.append(" or ".join(names) + " only")
    if "voluntary-only" in candidate.attributes:
        tags.append("Voluntary only")
    process = candidate.application_process or ""
    if (
        "walk-in" not in candidate.attributes
        and _APPOINTMENT.search(process)
        and not _NO_APPOINTMENT.search(process)
    ):
        tags.append("Appointment needed")
    return tags
