"""Settings are read once per environment, and a changed environment takes effect at once."""

import pytest

from tracker.config import SettingsInvalid, get_settings


def test_a_changed_environment_takes_effect_at_once_and_a_bad_value_is_refused_every_time(monkeypatch):
    monkeypatch.setenv("TRACKER_SESSION_TIMEOUT_MINUTES", "15")
    first = get_settings()

    assert first.session_timeout_minutes == 15
    assert get_settings() is first
    monkeypatch.setenv("TRACKER_SESSION_TIMEOUT_MINUTES", "45")
    assert get_settings().session_timeout_minutes == 45
    monkeypatch.setenv("TRACKER_SESSION_TIMEOUT_MINUTES", "0")
    for _ in range(2):
        with pytest.raises(SettingsInvalid) as refused:
            get_settings()
        assert str(refused.value) == (
            "TRACKER_SESSION_TIMEOUT_MINUTES=0 is not allowed: it must be a whole number above 0, e.g. 30."
        )
    monkeypatch.setenv("TRACKER_SESSION_TIMEOUT_MINUTES", "15")
    assert get_settings().session_timeout_minutes == 15
