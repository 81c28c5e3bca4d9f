"""Option values the CLI checks before anything runs: a wrong one lists the valid ones.

The law's own vocabularies (``facegate.law.facts``) are the option types, so a value the law
adds is accepted here at once; the few the law does not name are listed here.
"""

from __future__ import annotations

from enum import StrEnum

from facegate.law.facts import (
    CaptureMode,
    ConsentForm,
    ConsentScope,
    GivenBy,
    LawfulBasis,
    Liveness,
    LocationType,
    Method,
    PurposeType,
    Sector,
    TransferMode,
)
from facegate.law.incident import OperatorKind


class CredentialKind(StrEnum):
    PIN = "pin"
    CARD = "card"
    QR = "qr"
    STAFF_CHECK = "staff_check"


class Severity(StrEnum):
    MINOR = "minor"
    MAJOR = "major"


__all__ = [
    "CaptureMode",
    "ConsentForm",
    "ConsentScope",
    "CredentialKind",
    "GivenBy",
    "LawfulBasis",
    "Liveness",
    "LocationType",
    "Method",
    "OperatorKind",
    "PurposeType",
    "Sector",
    "Severity",
    "TransferMode",
]


def one_of(values: type[StrEnum]) -> str:
    """The valid values, for an option's help (it wraps; a metavar listing them would not)."""
    return "one of: " + ", ".join(v.value for v in values)


PURPOSE_HELP = f"Kind of purpose, {one_of(PurposeType)}."
PLACE_HELP = f"Kind of place, {one_of(LocationType)}."
SECTOR_HELP = f"Sector, {one_of(Sector)}."
BASIS_HELP = f"Lawful basis, {one_of(LawfulBasis)}."
KIND_HELP = f"Kind of credential, {one_of(CredentialKind)}."
OPERATOR_KIND_HELP = (
    "Which incident-reporting clock applies: cii (critical information infrastructure, 1 h), "
    f"central_organ (2 h), other (4 h); {one_of(OperatorKind)}."
)
