"""A first draft of the four aspects of an impact assessment, pre-filled from what the system
knows: the deployment's own description and the security settings facegate actually applies.

The draft is a starting point for the people who assess, never the assessment itself: every
statement it makes beyond quoting the deployment's own description is marked unconfirmed
(``Statement.confirmed``), and the assessment is approved only after a person has confirmed
or replaced each one (``law.pipia.check_approval``).
"""

from __future__ import annotations

from dataclasses import dataclass

from facegate.documents.chinese import zh_level, zh_text
from facegate.documents.labels import LAWFUL_BASIS_NAMES, PURPOSE_TYPES, label
from facegate.law.facts import CaptureMode, DeploymentFacts, Liveness, Method, TransferMode
from facegate.law.notice import may_enrol_minors
from facegate.law.pipia import Aspect, Conclusion, RiskLevel, Statement


@dataclass(frozen=True)
class SecurityFacts:
    """The protective measures in force, as the service reports them."""

    template_cipher: str  # e.g. "AES-256-GCM"
    per_subject_keys: bool
    audit_hash_chained: bool
    raw_images_kept: bool
    identity_separated: bool
    index_per_deployment: bool
    entrusted_processor: str
    mlps_level: int | None


def _s(en: str, zh: str) -> Statement:
    """A drafted statement: unconfirmed until a person confirms or replaces it."""
    return Statement(en, zh, confirmed=False)


def _q(en: str, zh: str) -> Statement:
    """A statement that only quotes the deployment's own description."""
    return Statement(en, zh)


def draft_aspects(d: DeploymentFacts, security: SecurityFacts) -> dict[str, Aspect]:
    """The four aspects (PIPL56), pre-filled."""
    return {
        "purpose": _purpose(d),
        "impact": _impact(d),
        "risks": _risks(d, security),
        "safeguards": _safeguards(d, security),
    }


def _alternatives(d: DeploymentFacts) -> tuple[str, str]:
    names = [a for a in d.alternatives if a.strip()]
    if not names and d.alternative_legal_basis.strip():
        # M10 "unless laws provide otherwise": the recorded basis (12b renders it by name)
        basis = d.alternative_legal_basis.strip()
        return f"none: state rules provide otherwise ({basis})", f"无（法律另有规定：{basis}）"
    if not names:
        return "none recorded", "未登记"
    english = [a for a in d.english.get("alternatives", ()) if a.strip()] or names
    return ", ".join(english), "、".join(zh_text(n) for n in names)


def _free(d: DeploymentFacts, key: str) -> tuple[str, str]:
    """(English, Chinese) of a free-text field: the Chinese never replaced by English."""
    chinese = str(getattr(d, key))
    return str(d.english.get(key) or chinese), zh_text(chinese)


def _capture(d: DeploymentFacts) -> Statement:
    """How faces come to be captured (capture.opt_in): a minimal line, rendered fully later."""
    if d.capture_mode == CaptureMode.WALK_THROUGH:
        return _s(
            "Capture: every face in the camera's view (walk-through).",
            "采集方式：采集摄像头视野内的所有人脸（通行式）。",
        )
    return _s(
        "Capture: only on the person's own act (presenting at the terminal); one face per "
        "frame; a face that matches nobody is discarded at once, leaving only a count.",
        "采集方式：仅在个人主动操作（在终端前主动刷脸）时采集；每帧只处理一张人脸；未匹配的人脸立即丢弃，仅保留计数。",
    )


def _purpose(d: DeploymentFacts) -> Aspect:
    alt_en, alt_zh = _alternatives(d)
    method_en = (
        "1:N identification (a face against the deployment's own enrolled set)"
        if d.method == Method.IDENTIFY
        else "1:1 verification (a face against one claimed identity)"
    )
    method_zh = (
        "人脸辨识（一对多比对，辨识特定个人，仅在本应用场景已登记的人脸中比对）"
        if d.method == Method.IDENTIFY
        else "人脸验证（一对一比对，仅与所声称身份的人脸比对）"
    )
    findings = [
        _q(
            f"Purpose ({label(PURPOSE_TYPES, d.purpose_type, 'en')}): {_free(d, 'purpose')[0]}",
            f"处理目的（{label(PURPOSE_TYPES, d.purpose_type, 'zh')}）：{_free(d, 'purpose')[1]}",
        ),
        _q(
            f"Why face recognition is necessary: {_free(d, 'necessity')[0]}",
            f"必要性：{_free(d, 'necessity')[1]}",
        ),
        _s(f"Method: {method_en}.", f"处理方式：{method_zh}。"),
        _capture(d),
        _s(
            f"Lawful basis: {label(LAWFUL_BASIS_NAMES, d.lawful_basis, 'en')}; face information is "
            "sensitive personal information, processed only for this specific purpose with "
            "strict protection.",
            f"处理依据：{label(LAWFUL_BASIS_NAMES, d.lawful_basis, 'zh')}；"
            "人脸信息属于敏感个人信息，仅为特定目的并在采取严格保护措施的情形下处理。",
        ),
        _s(
            f"Other ways to reach the same purpose remain available: {alt_en}. Face "
            "recognition is never the only way in.",
            f"存在可实现相同目的的其他方式：{alt_zh}。人脸识别不是唯一方式。",
        ),
        _s(
            "Least intrusive option for checking identity: where a person's identity must be "
            "verified, the national network identity authentication public service "
            "(国家网络身份认证公共服务) is considered as an alternative that avoids storing "
            "face data here (Measures art. 11).",
            "身份核验优先考虑国家网络身份认证公共服务，可避免在本系统中存储人脸信息（《人脸识别技术应用安全管理办法》第十一条）。",
        ),
    ]
    if d.method == Method.IDENTIFY:
        findings.append(
            _q(
                f"Why 1:1 verification would not serve: {_free(d, 'why_not_verify')[0]}",
                "不采用人脸验证（一对一）而辨识特定个人（一对多）的理由："
                f"{_free(d, 'why_not_verify')[1]}",
            )
        )
    measures = [
        _s(
            "Processing is limited to this deployment's purpose; faces enrolled here are "
            "invisible to every other deployment.",
            "处理限于本应用场景；在此登记的人脸对其他应用场景不可见。",
        ),
        _s(
            "A change of purpose or method makes this assessment stale at once and stops "
            "processing until a new one is approved.",
            "处理目的或方式变更后本评估立即失效，在新评估批准前停止处理。",
        ),
    ]
    return Aspect(tuple(findings), tuple(measures))


def _impact(d: DeploymentFacts) -> Aspect:
    alt_en, alt_zh = _alternatives(d)
    findings = [
        _s(
            "Face data cannot be changed like a password: its misuse could enable tracking, "
            "impersonation or discrimination, and the harm may be lasting.",
            "人脸信息无法像密码一样更换，一旦被滥用可能导致跟踪、冒用身份或歧视，损害可能持久。",
        ),
        _s(
            "People who do not consent could be excluded from the service if no alternative "
            "existed.",
            "如无替代方式，不同意的个人可能被排除在服务之外。",
        ),
    ]
    if d.public_place:
        findings.append(
            _s(
                "The device is in a public place: passers-by may be captured without "
                "intending to use the service.",
                "设备位于公共场所，可能采集到无意使用服务的路人。",
            )
        )
    measures = [
        _s(
            f"Separate, explicit consent per person and purpose, never bundled, never "
            f"pre-ticked; the alternative ({alt_en}) is offered with equal prominence.",
            f"逐人逐应用场景取得单独、明确的同意，不捆绑、不默认勾选；同等显著地提供替代方式（{alt_zh}）。",
        ),
        _s(
            "Consent can be withdrawn in the same channels; withdrawal destroys the person's "
            "face data at once.",
            "可通过相同渠道撤回同意；撤回后立即销毁其人脸信息。",
        ),
        _s(
            "Children under 14 are enrolled only with a parent's or guardian's consent.",
            "不满十四周岁的未成年人须经父母或其他监护人同意方可登记。",
        ),
        _s(
            "People can access, copy, correct and delete their data through the controller's "
            "contact.",
            "个人可通过处理者的联系方式查阅、复制、更正、删除其个人信息。",
        ),
    ]
    return Aspect(tuple(findings), tuple(measures))


def _risks(d: DeploymentFacts, security: SecurityFacts) -> Aspect:
    networked = d.transfer_mode == TransferMode.NETWORKED
    findings = [
        _s(
            "Leakage: a copy of the database or a backup could expose face templates.",
            "泄露：数据库或备份被复制可能导致人脸特征数据外泄。",
        ),
        _s(
            "Tampering: records or templates could be altered to let someone in or hide access.",
            "篡改：记录或特征数据被修改，可能导致冒用通行或掩盖访问痕迹。",
        ),
        _s(
            "Loss or damage: failure of storage could lose templates and records.",
            "丢失、毁损：存储故障可能导致特征数据和记录丢失。",
        ),
        _s(
            "Illegal acquisition, sale or use: staff or intruders could take face data for "
            "other purposes.",
            "非法获取、出售或使用：内部人员或入侵者可能将人脸信息挪作他用。",
        ),
        _s(
            "Transfer: face data sent over a network could be intercepted."
            if networked
            else "Transfer: face information is kept on the device and not sent over a network, "
            "so the risk of interception in transit is low.",
            "传输：通过网络传输的人脸信息可能被截获。"
            if networked
            else "传输：人脸信息存储于设备本地，不经网络对外传输，传输中被截获的风险较低。",
        ),
    ]
    findings.append(
        _s(
            "Impersonation: someone could hold up a printed photo or a screen showing an "
            "enrolled person's face.",
            "冒用：他人可能手持已登记人员的打印照片或屏幕图像冒充其本人。",
        )
    )
    if security.entrusted_processor.strip():
        findings.append(
            _s(
                f"Entrusted processing: {security.entrusted_processor} processes face data on "
                "the controller's behalf.",
                f"委托处理：{security.entrusted_processor}代表处理者处理人脸信息。",
            )
        )
    measures = [
        _s(
            "Harm is reduced because no face images are kept and templates are useless "
            "without the keys.",
            "不保存人脸图像，且无密钥无法使用特征数据，可降低危害。",
        ),
        liveness_statement(d),
    ]
    return Aspect(tuple(findings), tuple(measures))


def liveness_statement(d: DeploymentFacts) -> Statement:
    """What the deployment does against printed and on-screen faces (M14), as set."""
    if d.liveness == Liveness.OFF:
        return _s(
            "Liveness detection is switched off for this deployment: a printed or on-screen "
            "face of an enrolled person would not be recognised as an attack, so the risk of "
            "impersonation is not controlled by the system.",
            "本用途已关闭活体检测：已登记人员的打印照片或屏幕图像不会被识别为攻击，冒用风险未由系统控制。",
        )
    passive_en = (
        "Every captured face passes a passive liveness check (two MiniFASNet networks); a "
        "printed or on-screen face is refused at enrolment, verification and identification, "
        "the refusal is audited, and three attacks at one device within five minutes raise a "
        "security alert."
    )
    passive_zh = (
        "每次采集的人脸均经过静默活体检测（两个 MiniFASNet 网络）；"
        "打印或屏幕上的人脸在注册、验证和识别时均被拒绝，"
        "拒绝记录审计日志，同一设备五分钟内三次攻击即触发安全告警。"
    )
    if d.liveness == Liveness.ACTIVE:
        return _s(
            passive_en + " At the kiosk the person also completes a challenge over live camera "
            "frames (blink, turn the head left and right, in random order); photo upload is not "
            "offered.",
            passive_zh
            + "在自助终端，本人还需在实时画面中完成随机顺序的眨眼、左右转头动作，"
            + "且不提供上传照片。",
        )
    return _s(passive_en, passive_zh)


def _safeguards(d: DeploymentFacts, security: SecurityFacts) -> Aspect:
    findings = [
        _s(
            f"Templates are encrypted with {security.template_cipher}"
            + (" under a data key per person and deployment" if security.per_subject_keys else "")
            + "; deleting a person destroys their key (crypto-shredding).",
            f"人脸特征数据以 {security.template_cipher} 加密"
            + ("，每人每应用场景使用独立数据密钥" if security.per_subject_keys else "")
            + "；删除时销毁密钥。",
        ),
        _s(
            "The audit log is append-only and hash-chained, holds no biometric data, and can "
            "be verified."
            if security.audit_hash_chained
            else "The audit log is not hash-chained.",
            "审计日志仅追加、哈希链式关联、不含生物识别数据，可校验完整性。"
            if security.audit_hash_chained
            else "审计日志未采用哈希链。",
        ),
        _s(
            "No raw face images are kept; photos exist in memory only."
            if not security.raw_images_kept
            else "Raw face images are kept.",
            "不保存原始人脸图像，照片仅在内存中处理。"
            if not security.raw_images_kept
            else "保存原始人脸图像。",
        ),
        _s(
            "Identity information is stored apart from face data under its own key."
            if security.identity_separated
            else "Identity information is stored with face data.",
            "身份信息与人脸信息分开存储，使用独立密钥。"
            if security.identity_separated
            else "身份信息与人脸信息未分开存储。",
        ),
        _s(
            "The 1:N search index is scoped to this deployment only."
            if security.index_per_deployment
            else "The search index is shared between deployments.",
            "一对多检索索引仅限本应用场景。"
            if security.index_per_deployment
            else "检索索引在多个应用场景间共享。",
        ),
        _s(
            f"Templates expire after {d.retention_days} days and are then purged; expired "
            "templates never match.",
            f"特征数据保存 {d.retention_days} 天后到期并被清除，到期数据不再参与比对。",
        ),
        _s(
            "Face data stays on the device (no transfer over the internet)."
            if d.transfer_mode == TransferMode.ON_DEVICE
            else "Face data is transferred over a network only with separate consent or a "
            "recorded legal basis; every transfer is audited.",
            "人脸信息存储于设备内，不通过互联网对外传输。"
            if d.transfer_mode == TransferMode.ON_DEVICE
            else "仅在取得单独同意或有法律依据时通过网络传输人脸信息，每次传输均记录审计。",
        ),
        _s(
            f"Graded protection (MLPS): level {security.mlps_level}."
            if security.mlps_level
            else "Graded protection (MLPS) level: not recorded; record it if the system is graded.",
            f"网络安全等级保护：{zh_level(security.mlps_level)}。"
            if security.mlps_level
            else "网络安全等级保护级别：未登记；如已定级应予登记。",
        ),
    ]
    if security.entrusted_processor.strip():
        findings.append(
            _s(
                f"Entrusted processor {security.entrusted_processor}: a contract must fix the "
                "purpose, method, protective measures and the return or deletion of the data "
                "at the end, and records of the entrustment must be kept (PIPL art. 21); "
                "confirm that it does.",
                f"受托方{security.entrusted_processor}：应以合同约定委托处理的目的、方式、保护措施及到期返还或删除，"
                "并留存记录（《个人信息保护法》第二十一条）；请确认合同已作此约定。",
            )
        )
    measures = [
        _s(
            "The measures match the sensitivity of face data: encryption, access control "
            "and audit apply to every operation, and the law is checked before each one.",
            "保护措施与人脸信息的敏感程度相适应：每项操作均加密、受访问控制和审计，并在操作前进行合规校验。",
        ),
    ]
    return Aspect(tuple(findings), tuple(measures))


def draft_conclusion(d: DeploymentFacts, security: SecurityFacts) -> Conclusion:
    """An overall conclusion to review: a risk level from what raises it (1:N identification,
    a public place, transmission over a network, children, an entrusted processor), processing
    may proceed on the conditions the measures set. Unconfirmed, like the rest of the draft."""
    raising = [
        d.method == Method.IDENTIFY,
        d.public_place,
        d.transfer_mode == TransferMode.NETWORKED,
        may_enrol_minors(d),
        bool(security.entrusted_processor.strip()),
    ]
    level = (
        RiskLevel.HIGH if sum(raising) >= 2 else RiskLevel.MEDIUM if any(raising) else RiskLevel.LOW
    )
    conditions = [
        _s(
            "Face recognition is used only for the stated purpose and method, with each "
            "person's separate consent (a guardian's under 14) or the recorded lawful basis.",
            "仅为所述目的、以所述方式处理，并取得个人的单独同意（不满十四周岁的取得监护人同意）或具备所记录的法定依据。",
        ),
        _s(
            "The non-face alternative stays available on equal terms.",
            "始终以同等条件提供非人脸识别的替代方式。",
        ),
        _s(
            "The protective measures assessed above stay in force; the assessment is renewed "
            "before any change of purpose or method and after a major security incident.",
            "上述保护措施持续有效；处理目的、方式变更前或发生重大安全事件后重新评估。",
        ),
    ]
    return Conclusion(level, True, tuple(conditions), confirmed=False)
