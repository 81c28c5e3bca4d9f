"""The active challenge's judge: blink and head turns from 68-point landmarks, in order."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from facegate.engine import FaceEngine
from facegate.engine.liveness.challenge import (
    ACTIONS,
    TURN,
    Signals,
    SixtyEightPointLandmarker,
    judge,
    new_challenge,
    signals,
)

OPEN, SHUT = Signals(0.30, 0.0), Signals(0.12, 0.0)
LEFT, RIGHT = Signals(0.28, 0.25), Signals(0.28, -0.25)


def performing(*steps: str, frames_each: int = 8) -> list[Signals | None]:
    """Frames of someone doing ``steps``: each a few frames of the action among open, frontal
    frames."""
    action = {"blink": [SHUT, SHUT], "turn_left": [LEFT] * 3, "turn_right": [RIGHT] * 3}
    out: list[Signals | None] = []
    for step in steps:
        out += [OPEN] * (frames_each - len(action[step])) + action[step]
    return [*out, OPEN, OPEN]


def test_new_challenge_is_every_action_in_a_random_order() -> None:
    seen = {new_challenge(random.Random(seed)) for seed in range(40)}
    assert all(sorted(order) == sorted(ACTIONS) for order in seen)
    assert len(seen) == 6  # all the orders come up


@pytest.mark.parametrize("order", [tuple(p) for p in (ACTIONS, ACTIONS[::-1])])
def test_the_steps_done_in_order_pass(order: tuple[str, ...]) -> None:
    verdict = judge(performing(*order), order)
    assert verdict.passed and verdict.done == order and verdict.reason == ""


def test_the_steps_in_another_order_fail() -> None:
    asked = ("blink", "turn_left", "turn_right")
    verdict = judge(performing("turn_left", "turn_right", "blink"), asked)
    assert not verdict.passed
    assert verdict.done == ("blink",)
    assert verdict.reason == "turn_left_not_seen"


def test_a_still_face_fails_at_the_first_step() -> None:
    for steps in (ACTIONS, ACTIONS[::-1]):
        verdict = judge([OPEN] * 40, steps)
        assert not verdict.passed and verdict.done == ()


def test_a_turned_still_photo_passes_one_turn_but_never_the_challenge() -> None:
    verdict = judge([LEFT] * 40, ("turn_left", "blink", "turn_right"))
    assert not verdict.passed and verdict.done == ("turn_left",)


def test_closed_eyes_of_a_turned_head_are_not_a_blink() -> None:
    turned_shut = Signals(0.12, TURN + 0.05)
    frames = [OPEN] * 5 + [turned_shut] * 3 + [OPEN] * 5
    assert judge(frames, ("blink",)).reason == "blink_not_seen"


def test_too_few_frames_with_a_face_fail() -> None:
    frames: list[Signals | None] = [None] * 30 + performing(*ACTIONS)[:10]
    assert judge(frames, ACTIONS).reason == "face_not_seen"
    assert judge([], ACTIONS).reason == "face_not_seen"


def test_signals_from_real_landmarks(engine: FaceEngine, fixtures_dir: Path) -> None:
    landmarker = SixtyEightPointLandmarker()

    def of(image: np.ndarray) -> Signals:
        return signals(landmarker.points(image, engine.locate(image)[0].box))

    frontal = of(engine.load(fixtures_dir / "obama_1.jpg"))
    assert abs(frontal.yaw) < 0.05
    assert 0.18 < frontal.ear < 0.40
    turned = engine.load(fixtures_dir / "obama_2.jpg")  # the head turned: nose to image left
    mirrored = np.ascontiguousarray(turned[:, ::-1])
    assert of(turned).yaw < -TURN
    assert of(mirrored).yaw > TURN
