"""Record-filing with the cyberspace office (M15; CAC announcement of 2025-05-28).

``filing.threshold``: 100,000 distinct individuals whose face information is stored, counted
per controller; file within 30 working days of the day it is reached; a controller already
there before the Measures came into force (2025-06-01) had to file by 2025-07-14.
``filing.change``: a substantive change of filed information, 30 working days.
``filing.cancel``: face recognition stopped, 30 working days, face data disposed of.
``filing.materials``: what the filing holds, and the scans provincial offices ask for.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from facegate.law.calendar import DueDate, HolidayOverrides, add_working_days

THRESHOLD = 100_000
"""Distinct individuals whose face information is stored (M15)."""

FILING_WORKING_DAYS = 30
MEASURES_IN_FORCE = date(2025, 6, 1)
PRE_MEASURES_DUE = date(2025, 7, 14)
"""CAC 2025-05-28: controllers over the threshold before 2025-06-01 file by this day (it is
also the 30th working day after 2025-06-01)."""


class FilingKind(StrEnum):
    THRESHOLD = "threshold"
    CHANGE = "change"
    CANCEL = "cancel"


class FilingStatus(StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"


RULE_OF_KIND: Mapping[FilingKind, str] = {
    FilingKind.THRESHOLD: "filing.threshold",
    FilingKind.CHANGE: "filing.change",
    FilingKind.CANCEL: "filing.cancel",
}


def threshold_reached(individuals: int) -> bool:
    return individuals >= THRESHOLD


def threshold_due(reached_on: date, overrides: HolidayOverrides | None = None) -> DueDate:
    """When the filing is due for a controller that reached the threshold on ``reached_on``."""
    if reached_on < MEASURES_IN_FORCE:
        return DueDate(PRE_MEASURES_DUE, False, "CAC announcement 2025-05-28")
    return add_working_days(reached_on, FILING_WORKING_DAYS, overrides)


def follow_up_due(on: date, overrides: HolidayOverrides | None = None) -> DueDate:
    """A change or cancellation: 30 working days from the day of the change or stop."""
    return add_working_days(on, FILING_WORKING_DAYS, overrides)


_NEXT: Mapping[tuple[FilingStatus, str], FilingStatus] = {
    (FilingStatus.OPEN, "submit"): FilingStatus.SUBMITTED,
    (FilingStatus.SUBMITTED, "accept"): FilingStatus.ACCEPTED,
}


def next_status(current: str, action: str) -> FilingStatus:
    """open -submit-> submitted -accept-> accepted; ``ValueError`` for anything else."""
    try:
        return _NEXT[(FilingStatus(current), action)]
    except (KeyError, ValueError):
        raise ValueError(f"a filing that is {current} cannot be {action}ed") from None


# -- filed information and its substantive changes -------------------------------------------

CONTROLLER_FILED_FIELDS: tuple[str, ...] = ("name", "contact", "address", "dpo")
DEPLOYMENT_FILED_FIELDS: tuple[str, ...] = (
    "name",
    "purpose_type",
    "purpose",
    "method",
    "transfer_mode",
    "retention_days",
    "entrusted_processor",
    "storage_location",
    "security_measures",
)
"""What the filing states about the controller and each purpose (M15: purpose and method,
quantity and security measures, processing rules): a change to any of these (or a purpose
added or ended) is substantive. ``storage_location`` is where the face information is kept
(the devices' places, or the control plane for a networked deployment);
``security_measures`` the protective measures in force (cipher, keys, audit, graded
protection level)."""


def threshold_trigger_key(cancelled_filing_id: str | None) -> str:
    """The threshold obligation's key: one per filing cycle. After a filing was cancelled
    (face recognition stopped, ``filing.cancel``), reaching the threshold again opens a new
    obligation (M15 applies afresh to the processing that resumed)."""
    kind = FilingKind.THRESHOLD.value
    return kind if cancelled_filing_id is None else f"{kind}:after:{cancelled_filing_id}"


def filed_snapshot(
    controller: Mapping[str, Any], deployments: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The filed information, from the controller and its deployments in use (by id)."""
    return {
        "controller": {k: controller.get(k) for k in CONTROLLER_FILED_FIELDS},
        "deployments": {
            str(d["id"]): {k: d.get(k) for k in DEPLOYMENT_FILED_FIELDS}
            for d in sorted(deployments, key=lambda d: str(d["id"]))
        },
    }


def snapshot_hash(snapshot: Mapping[str, Any]) -> str:
    text = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def substantive_changes(filed: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """``controller.name``, ``deployment <id>.purpose``, ``deployment <id> added``, ..."""
    changes = [
        f"controller.{k}"
        for k in CONTROLLER_FILED_FIELDS
        if filed.get("controller", {}).get(k) != current.get("controller", {}).get(k)
    ]
    old: Mapping[str, Any] = filed.get("deployments", {})
    new: Mapping[str, Any] = current.get("deployments", {})
    for dep_id in sorted(set(old) | set(new)):
        if dep_id not in new:
            changes.append(f"deployment {dep_id} ended")
        elif dep_id not in old:
            changes.append(f"deployment {dep_id} added")
        else:
            # Only what was filed can have changed: a field this build files but an older
            # filing did not record is compared from the next filing on.
            changes.extend(
                f"deployment {dep_id}.{k}"
                for k in DEPLOYMENT_FILED_FIELDS
                if k in old[dep_id] and old[dep_id].get(k) != new[dep_id].get(k)
            )
    return changes


# -- the filing package (filing.materials) ---------------------------------------------------


@dataclass(frozen=True)
class Material:
    key: str
    en: str
    zh: str


MATERIALS: tuple[Material, ...] = (
    Material("controller", "Basic information of the controller", "个人信息处理者基本情况"),
    Material("purpose_method", "Purpose and method of processing", "处理人脸信息的目的和方式"),
    Material(
        "quantity_security",
        "Quantity of face information stored and security measures",
        "存储的人脸信息数量和安全保护措施",
    ),
    Material(
        "rules_procedures",
        "Processing rules and operating procedures",
        "处理人脸信息的规则和操作规程",
    ),
    Material(
        "pipia",
        "Personal information protection impact assessment report",
        "个人信息保护影响评估报告",
    ),
    Material(
        "other", "Other materials the cyberspace office requires", "网信部门要求提供的其他材料"
    ),
)
"""What a filing holds (M15)."""

CHECKLIST: tuple[Material, ...] = (
    Material("basic_form", "Basic-information form", "基本情况表"),
    Material("frt_form", "Facial recognition technology filing form", "人脸识别技术应用备案表"),
    Material("pipia_report", "PIPIA report (signed)", "个人信息保护影响评估报告"),
    Material(
        "business_licence",
        "Business licence with unified social credit code (scan)",
        "营业执照（统一社会信用代码）扫描件",
    ),
    Material("legal_rep_id", "ID of the legal representative (scan)", "法定代表人身份证件扫描件"),
    Material("agent_id", "ID of the agent (scan)", "经办人身份证件扫描件"),
    Material("power_of_attorney", "Power of attorney, sealed (scan)", "加盖公章的授权委托书扫描件"),
    Material("undertaking", "Undertaking, sealed (scan)", "加盖公章的承诺书扫描件"),
)
"""Scans provincial offices ask for in practice (provincial notices 2025): ticked off by the
operator."""

CHECKLIST_KEYS: frozenset[str] = frozenset(m.key for m in CHECKLIST)
