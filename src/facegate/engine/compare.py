"""Distances between embeddings, the same-person verdict and a similarity score.

The verdict is ``distance <= threshold``. The similarity score maps the distance through a
logistic curve centred on the threshold:

    similarity = 1 / (1 + exp((distance - threshold) / SIMILARITY_SCALE))

so it lies in (0, 1), falls strictly as the distance grows, and is 0.5 exactly at the threshold
(above 0.5 means "same person"). It is a display aid, not a probability.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from facegate.engine.types import Embedding

SIMILARITY_SCALE = 0.06


class ModelMismatch(ValueError):
    """Embeddings from different models are not comparable."""


def distance(a: Embedding, b: Embedding) -> float:
    if a.model != b.model:
        raise ModelMismatch(f"cannot compare a {a.model} embedding with a {b.model} one")
    return float(np.linalg.norm(a.vector.astype(np.float64) - b.vector.astype(np.float64)))


def similarity(dist: float, threshold: float) -> float:
    z = (dist - threshold) / SIMILARITY_SCALE
    if z > 700:  # exp overflow guard; the score is 0 to double precision
        return 0.0
    return 1.0 / (1.0 + math.exp(z))


@dataclass(frozen=True)
class Comparison:
    distance: float
    similarity: float
    same_person: bool
    threshold: float
    model: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "distance": round(self.distance, 6),
            "similarity": round(self.similarity, 6),
            "same_person": self.same_person,
            "threshold": self.threshold,
            "model": self.model,
        }


def compare(a: Embedding, b: Embedding, threshold: float) -> Comparison:
    d = distance(a, b)
    return Comparison(
        distance=d,
        similarity=similarity(d, threshold),
        same_person=d <= threshold,
        threshold=threshold,
        model=a.model,
    )
