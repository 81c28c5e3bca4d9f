"""Times as people read them: Beijing time by default, another zone when configured."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from jinja2 import Environment

from facegate.config import ConfigError, load_settings
from facegate.messages.jinja import install
from facegate.messages.times import UnknownZone, local_time, zone, zone_label

NOON_UTC = datetime(2026, 11, 30, 16, 12, 5, tzinfo=UTC)


def test_utc_is_shown_in_beijing_time() -> None:
    assert local_time(NOON_UTC) == "2026-12-01 00:12"
    assert local_time(NOON_UTC, precision="second") == "2026-12-01 00:12:05"
    assert local_time(NOON_UTC, precision="date") == "2026-12-01"  # the Beijing date
    assert local_time(NOON_UTC, with_zone=True) == "2026-12-01 00:12（北京时间）"
    assert local_time(NOON_UTC, with_zone=True, lang="en") == "2026-12-01 00:12 (Beijing time)"


def test_naive_times_and_iso_strings_are_utc() -> None:
    assert local_time(NOON_UTC.replace(tzinfo=None)) == "2026-12-01 00:12"
    assert local_time("2026-11-30T16:12:05+00:00") == "2026-12-01 00:12"
    assert local_time("2026-11-30T16:12:05Z") == "2026-12-01 00:12"
    assert local_time("2026-11-30T16:12:05") == "2026-12-01 00:12"
    assert local_time(date(2026, 11, 30)) == "2026-11-30"
    assert local_time(None) == ""
    assert local_time("never") == "never"


def test_another_zone_when_configured() -> None:
    assert local_time(NOON_UTC, "Europe/Berlin") == "2026-11-30 17:12"
    assert local_time(NOON_UTC, "UTC", with_zone=True, lang="en") == "2026-11-30 16:12 (UTC)"
    assert zone_label("America/New_York", "en", NOON_UTC) == "America/New_York UTC-05:00"
    with pytest.raises(UnknownZone):
        zone("Mars/Olympus")


def test_the_zone_is_a_setting(tmp_path: Path) -> None:
    assert load_settings(tmp_path, env={}).time_zone == "Asia/Shanghai"
    env = {"FACEGATE_TIME_ZONE": "Asia/Hong_Kong"}
    assert load_settings(tmp_path, env=env).time_zone == "Asia/Hong_Kong"
    (tmp_path / "facegate.toml").write_text('time_zone = "Europe/Berlin"\n')
    assert load_settings(tmp_path, env={}).time_zone == "Europe/Berlin"
    (tmp_path / "facegate.toml").write_text('time_zone = "Beijing"\n')
    with pytest.raises(ConfigError, match="time zone"):
        load_settings(tmp_path, env={})


def test_the_jinja_filter_follows_the_page() -> None:
    env = Environment(autoescape=True)
    install(env)
    page = env.from_string(
        "{{ when|local_time }} · {{ when|local_time('date') }} · {{ zone_note() }}"
    )
    assert page.render(when=NOON_UTC) == "2026-12-01 00:12 · 2026-12-01 · 时间均为北京时间"
    english = page.render(when=NOON_UTC, lang="en", time_zone="Europe/Berlin")
    assert english.startswith("2026-11-30 17:12 · 2026-11-30 · Times are Europe/Berlin UTC+01:00")
    install(env, time_zone="UTC")  # the console installs the configured zone
    assert env.from_string("{{ when|local_time }}").render(when=NOON_UTC) == "2026-11-30 16:12"
