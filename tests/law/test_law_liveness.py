"""liveness.failed (Measures art. 14, art. 9): what follows from the liveness verdict, and what
the impact assessment and the notice say about the setting."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from law_factories import deployment
from test_law_notice import FACTS
from test_law_pipia import SECURITY, _text

from facegate.documents.notice import notice_content
from facegate.law import (
    ATTACK_WINDOW,
    ATTACKS_BEFORE_ALERT,
    Liveness,
    attack_alert_due,
    challenge_required,
    check_presentation,
    liveness_required,
)
from facegate.law.notice import PublishedNotice, check_published_notice
from facegate.law.pipia_draft import draft_aspects

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("setting", [Liveness.PASSIVE, Liveness.ACTIVE])
def test_liveness_failed_refused_when_any_face_is_an_attack(setting: Liveness) -> None:
    decision = check_presentation(deployment(liveness=setting), [True, False])
    assert not decision.allowed
    assert decision.codes == ("liveness.failed",)
    assert decision.articles == ("M14", "M9")
    assert "alternative" in decision.reasons[0].message


@pytest.mark.parametrize("setting", list(Liveness))
def test_liveness_failed_allowed_for_live_faces(setting: Liveness) -> None:
    assert check_presentation(deployment(liveness=setting), [True, True]).allowed


def test_liveness_failed_allowed_when_the_deployment_turns_liveness_off() -> None:
    assert check_presentation(deployment(liveness=Liveness.OFF), [False]).allowed


def test_liveness_settings() -> None:
    assert deployment().liveness == Liveness.PASSIVE  # the default
    assert [liveness_required(deployment(liveness=s)) for s in Liveness] == [False, True, True]
    assert [challenge_required(deployment(liveness=s)) for s in Liveness] == [False, False, True]


@pytest.mark.parametrize(
    ("minutes_ago", "alerted", "due"),
    [
        ((), False, False),
        ((0, 1), False, False),  # two attacks are not yet a pattern
        ((0, 2, 4), False, True),  # three within five minutes
        ((0, 2, 5), False, True),  # the window includes its edge
        ((0, 2, 6), False, False),  # the third is older than five minutes
        ((0, 1, 2, 3), True, False),  # one alert per burst
    ],
)
def test_liveness_failed_repeated_attacks_raise_an_alert(
    minutes_ago: tuple[int, ...], alerted: bool, due: bool
) -> None:
    attacks = [NOW - timedelta(minutes=m) for m in minutes_ago]
    assert attack_alert_due(attacks, NOW, alerted=alerted) is due
    assert (3, timedelta(minutes=5)) == (ATTACKS_BEFORE_ALERT, ATTACK_WINDOW)


def test_pipia_draft_states_the_liveness_setting_truthfully() -> None:
    passive = _text(draft_aspects(deployment(), SECURITY))
    assert "passive liveness check" in passive and "静默活体检测" in passive
    assert "blink" not in passive
    active = _text(draft_aspects(deployment(liveness=Liveness.ACTIVE), SECURITY))
    assert "blink" in active and "眨眼" in active
    off = _text(draft_aspects(deployment(liveness=Liveness.OFF), SECURITY))
    assert "switched off" in off and "已关闭活体检测" in off
    assert "passive liveness check" not in off
    for text in (passive, active, off):
        assert "Impersonation" in text


def _notice_text(**changes: object) -> str:
    content = notice_content(dataclasses.replace(FACTS, **changes))
    return "\n".join(
        p for section in content["sections"] for lang in ("en", "zh")
        for p in section["paragraphs"][lang]
    )  # fmt: skip


def test_notice_states_the_liveness_setting_truthfully() -> None:
    assert "live person is in front of it" in _notice_text()
    assert "眨眼" in _notice_text(liveness="active")
    off = _notice_text(liveness="off")
    assert "does not check whether a live person" in off
    assert "a printed or on-screen face is refused" not in off


def test_notice_published_before_the_liveness_item_is_not_stale_for_it() -> None:
    current = dataclasses.replace(FACTS)
    old = {k: v for k, v in current.as_dict().items() if k != "liveness"}
    assert check_published_notice(current, PublishedNotice(1, "x" * 64, old), 1).allowed
    changed = dataclasses.replace(FACTS, liveness="off")
    decision = check_published_notice(changed, PublishedNotice(1, "x" * 64, current.as_dict()), 1)
    assert not decision.allowed
    assert "liveness changed" in decision.reasons[0].message
