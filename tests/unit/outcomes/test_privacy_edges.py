"""outcomes.privacy at its edges: the suppression test itself, and instants whose zone does not
know its offset (issue #24: mutation score of the rule modules)."""

from __future__ import annotations

from datetime import datetime, tzinfo

import pytest

from pmhc_directory.outcomes.privacy import hour_floor, is_suppressed, suppressed_label


@pytest.mark.parametrize(
    ("count", "hidden"),
    [(0, False), (1, True), (10, True), (11, False), (12, False), (1000, False)],
)
def test_is_suppressed_is_one_to_below_the_threshold(count: int, hidden: bool) -> None:
    assert is_suppressed(count, 11) is hidden


def test_the_label_names_the_threshold() -> None:
    assert suppressed_label(11) == "<11"
    assert suppressed_label(5) == "<5"


class NoOffset(tzinfo):
    """A zone that does not know its offset: a datetime with it is naive (Python's rule)."""

    def utcoffset(self, dt: datetime | None) -> None:
        return None

    def dst(self, dt: datetime | None) -> None:
        return None

    def tzname(self, dt: datetime | None) -> str:
        return "unknown"


def test_hour_floor_refuses_a_zone_without_an_offset() -> None:
    with pytest.raises(ValueError, match="naive"):
        hour_floor(datetime(2026, 1, 13, 2, 47, tzinfo=NoOffset()))
