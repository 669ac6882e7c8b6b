"""The login throttle's counting, with a fake clock."""

from __future__ import annotations

import pytest

from pmhc_directory.services.login_throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_refuses_after_max_failures_until_the_oldest_leaves_the_window():
    clock = Clock()
    throttle = LoginThrottle(3, 60, clock=clock)
    key = ("10.0.0.1", "a@example.org")
    for _ in range(3):
        assert throttle.retry_after(key) == 0
        throttle.record_failure(key)
        clock.now += 10
    assert throttle.retry_after(key) == pytest.approx(30)  # first failure at 1000, now 1030
    clock.now += 30
    assert throttle.retry_after(key) == 0


def test_keys_are_independent_and_reset_clears_one():
    throttle = LoginThrottle(1, 60, clock=Clock())
    throttle.record_failure(("ip", "a@example.org"))
    assert throttle.retry_after(("ip", "a@example.org")) > 0
    assert throttle.retry_after(("ip", "b@example.org")) == 0
    assert throttle.retry_after(("other-ip", "a@example.org")) == 0
    throttle.reset(("ip", "a@example.org"))
    assert throttle.retry_after(("ip", "a@example.org")) == 0


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        LoginThrottle(0, 60)
