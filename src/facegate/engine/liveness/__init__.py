"""Liveness (presentation-attack detection): refuse printed and on-screen faces.

``PassiveLiveness`` scores one face in one image with the Silent-Face MiniFASNet pair, read from
the PyTorch checkpoints that ship in ``weights/`` (no PyTorch needed) and run on onnxruntime.
"""

from facegate.engine.liveness.passive import (
    DEFAULT_THRESHOLD,
    MODEL_ID,
    Checkpoint,
    LivenessResult,
    PassiveLiveness,
    check_single_face,
    shipped_checkpoints,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "MODEL_ID",
    "Checkpoint",
    "LivenessResult",
    "PassiveLiveness",
    "check_single_face",
    "shipped_checkpoints",
]
