"""How the change log writes values, and the optimistic-lock check."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from pmhc_directory.services.audit import VersionConflictError, as_text, check_version


def test_values_are_stored_as_stable_text():
    assert as_text(None) == ""
    assert as_text(date(2026, 11, 1)) == "2026-11-01"
    assert as_text({"b", "a"}) == '["a","b"]'
    assert as_text({"z": 1, "a": 2}) == '{"a":2,"z":1}'
    assert as_text(12) == "12"


def test_check_version_accepts_the_same_version_and_refuses_others():
    row = SimpleNamespace(id="x", version=3)
    check_version("service", row, "3")
    with pytest.raises(VersionConflictError) as info:
        check_version("service", row, 2)
    assert (info.value.expected, info.value.actual) == (2, 3)
    with pytest.raises(VersionConflictError):
        check_version("service", row, "not a number")
