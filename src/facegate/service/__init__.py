"""The Gate and its use cases: the only layer that changes state."""

from facegate.service.consents import ConsentSpec
from facegate.service.errors import (
    BadRequest,
    Conflict,
    DuplicateIdentity,
    NotFound,
    UnknownController,
    UnknownDeployment,
    UnknownDevice,
    UnknownSubject,
)
from facegate.service.gate import Gate, NotInitialised
from facegate.service.registry import DeploymentSpec, DeviceSpec
from facegate.service.results import Enrolment, FaceMatch, Identification, Verification

__all__ = [
    "BadRequest",
    "Conflict",
    "ConsentSpec",
    "DeploymentSpec",
    "DeviceSpec",
    "DuplicateIdentity",
    "Enrolment",
    "FaceMatch",
    "Gate",
    "Identification",
    "NotFound",
    "NotInitialised",
    "UnknownController",
    "UnknownDeployment",
    "UnknownDevice",
    "UnknownSubject",
    "Verification",
]
