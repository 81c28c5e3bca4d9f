"""The prerequisites of activation and processing that every Gate checks by default: an
approved impact assessment of the current purpose and method, and a published notice that
still matches the deployment."""

from __future__ import annotations

from facegate.service.assessments import pipia_decision
from facegate.service.context import ActivationCheck
from facegate.service.notices import notice_decision

DEFAULT_PREREQUISITES: tuple[ActivationCheck, ...] = (pipia_decision, notice_decision)
