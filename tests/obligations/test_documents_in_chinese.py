"""Documents in correct Chinese: every document facegate renders, in Chinese, from one site
with Chinese free text. No raw code of the law's vocabularies, no ISO date or timestamp, the
Measures' terms, a signature and seal block where a signature belongs, the provincial
cyberspace office by name (notice.required_items, pipia.before, filing.materials,
incident.notify, records.processing)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum

import pytest

from facegate.documents.filing import filing_html
from facegate.documents.incident import letter_html
from facegate.documents.notice import render_notice_html
from facegate.documents.pipia import render_pipia_html
from facegate.documents.records import records_html
from facegate.law import facts
from facegate.law.filing import FilingKind, FilingStatus
from facegate.law.incident import Severity
from facegate.law.pipia import PipiaStatus
from facegate.service import DeploymentSpec, DeviceSpec, Gate
from facegate.service import filing as filing_service
from facegate.service.assessments import pipia_document
from facegate.service.incidents import IncidentSpec, get_incident
from facegate.service.individuals import open_threshold_obligation
from sites import CONSENT, Clock

pytestmark = pytest.mark.both_databases

VOCABULARIES: tuple[type[StrEnum], ...] = (
    facts.PurposeType,
    facts.Method,
    facts.LocationType,
    facts.Sector,
    facts.TransferMode,
    facts.LawfulBasis,
    facts.ConsentScope,
    facts.GivenBy,
    facts.ConsentForm,
    facts.DeploymentStatus,
    facts.Liveness,
    PipiaStatus,
    FilingKind,
    FilingStatus,
    Severity,
)
BLACKLIST = frozenset(
    {v.value for vocabulary in VOCABULARIES for v in vocabulary}
    | {"dpo", "admin", "operator", "consent", "active", "none", "null", "true", "false", "cli"}
    | {"on_device", "networked", "capture_mode", "walk_through", "explicit_act", "liveness"}
)
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def visible(html: str) -> str:
    text = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", text)


def problems(html: str) -> list[str]:
    text = visible(html)
    found = [f"ISO date {m}" for m in ISO.findall(text)]
    found += [f"raw code {w}" for w in WORD.findall(text) if w.lower() in BLACKLIST]
    return found


@pytest.fixture
def documents(gate: Gate, clock: Clock) -> dict[str, str]:
    controller = gate.register_controller(
        name="朝阳物业服务有限公司",
        contact="010-12345678",
        address="北京市朝阳区幸福路1号",
        dpo="李伟",
    )
    spec = DeploymentSpec(
        name="北门门禁",
        purpose_type="access_control",
        purpose="三号楼住户经北门通行",
        necessity="住户要求免接触通行，门卡曾被转借和遗失",
        method="identify",
        why_not_verify="住户通行时不停留声明身份",
        location_type="residential_entrance",
        retention_days=365,
        alternatives=("密码键盘", "门岗人工核验"),
        mlps_level=2,
        entrusted_processor="安视科技有限公司",
    )
    deployment = gate.create_deployment(controller.id, spec)
    gate.register_device(
        deployment.id,
        DeviceSpec(
            name="北门摄像头",
            location_description="三号楼北门",
            location_type="residential_entrance",
        ),
    )
    gate.create_pipia(deployment.id)
    gate.confirm_pipia(deployment.id, gate.unconfirmed_pipia(deployment.id))
    gate.approve_pipia(deployment.id, approver="李伟", role="dpo")
    notice = gate.publish_notice(deployment.id)
    gate.activate(deployment.id)
    person = gate.register_subject(date_of_birth=date(1980, 1, 1))
    gate.record_consent(person.id, deployment.id, CONSENT)
    with gate.ctx.unit() as session:
        open_threshold_obligation(session, controller.id, 100_000, clock())
    incident = gate.record_incident(
        IncidentSpec(
            controller_id=controller.id,
            severity="major",
            description="备份硬盘遗失",
            occurred_at=datetime(2026, 9, 18, 0, 30, tzinfo=UTC),
            categories="人脸特征数据（已加密）",
            cause="运维人员遗失移动硬盘",
            harm="数据已加密，被还原的可能性低",
            measures="已轮换主密钥",
            remedies="无需采取措施",
            contact="010-12345678",
            deployment_ids=(deployment.id,),
        ),
        actor="dpo",
    )
    report = gate.pipia(deployment.id)
    letters = get_incident(gate.ctx, incident["id"])
    records = gate.processing_records(deployment.id, date(2026, 9, 1), date(2026, 9, 30))
    return {
        "notice": render_notice_html(
            notice.content, lang="zh", version=notice.version, sha256=notice.sha256
        ),
        "pipia": render_pipia_html(
            pipia_document(report.assessment, report.deployment, report.controller), lang="zh"
        ),
        "filing": filing_html(filing_service.package_data(gate.ctx, controller.id), "zh"),
        "incident_authority": letter_html(letters, "authority", "zh"),
        "incident_people": letter_html(letters, "people", "zh"),
        "records": records_html(records, "zh"),
    }


def test_every_chinese_document_has_no_raw_code_and_no_iso_date(
    documents: dict[str, str],
) -> None:
    found = {name: problems(html) for name, html in documents.items()}
    assert not any(found.values()), found


def test_documents_use_the_measures_terms_and_chinese_dates(documents: dict[str, str]) -> None:
    assert "人脸信息处理告知书" in documents["notice"]
    assert "辨识特定个人" in documents["notice"] and "辨识特定个人" in documents["pipia"]
    assert "第二级" in documents["pipia"] and "2026年9月18日" in documents["pipia"]
    assert "2026年9月18日08时30分（北京时间）" in documents["incident_authority"]
    assert "用途" not in visible(documents["pipia"])  # one term per concept: 应用场景
    assert "您" not in visible(documents["pipia"])  # no second person inside the PIPIA


@pytest.mark.parametrize("name", ["pipia", "filing", "incident_authority"])
def test_signature_and_seal_blocks(documents: dict[str, str], name: str) -> None:
    text = visible(documents[name])
    assert "签字" in text and "盖章" in text


def test_letters_and_filing_are_addressed_to_the_provincial_office_by_name(
    documents: dict[str, str],
) -> None:
    assert "致：北京市互联网信息办公室" in visible(documents["incident_authority"])
    assert "北京市互联网信息办公室" in visible(documents["filing"])
    assert "四小时内" in visible(documents["incident_authority"])  # the reporting deadline
