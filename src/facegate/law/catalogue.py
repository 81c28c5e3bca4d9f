"""The rules facegate enforces, one entry per code of ``measures.md``, with their sources.

``sources`` is the source column of ``measures.md`` as written there. ``articles`` is what a
refusal or a document cites: the same, unless a review made the citation more precise (a
paragraph or item, a clause of a standard, a further article). Both are kept in short form
("M6", "PIPL14 para. 2", "NDSR22", "SPC2(3)", "GB/T 35273 6.3", ...) and rendered for people by
:func:`format_articles`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Rule:
    """One rule: its stable code, where it comes from, what it says, and how it is enforced."""

    code: str
    articles: tuple[str, ...]
    summary_en: str
    summary_zh: str
    kind: str  # as in measures.md: "Gate", "Gate + Document", "Obligation", "Document", "—"
    sources: tuple[str, ...] = ()  # the source column of measures.md, split at commas


def split_articles(articles: str) -> tuple[str, ...]:
    """``"M6, PIPL14"`` -> ``("M6", "PIPL14")``; a bare number continues the citation before it,
    so ``"《…规定》 arts. 3, 6, 10"`` stays one citation."""
    parts: list[str] = []
    for part in (a.strip() for a in articles.split(",")):
        if parts and part.isdigit():
            parts[-1] = f"{parts[-1]}, {part}"
        else:
            parts.append(part)
    return tuple(parts)


def _rule(code: str, sources: str, kind: str, en: str, zh: str, cite: str = "") -> Rule:
    """``cite``: ";"-separated citations when they are more precise than ``sources``."""
    articles = tuple(a.strip() for a in cite.split(";")) if cite else split_articles(sources)
    return Rule(code, articles, en, zh, kind, split_articles(sources))


_RULES: tuple[Rule, ...] = (
    _rule(
        "scope.rnd_excluded",
        "M2 para. 2",
        "—",
        "Research and algorithm training fall outside the Measures; facegate only serves "
        "identifying or verifying people.",
        "研发和算法训练不适用本办法；facegate 只用于识别或验证身份。",
    ),
    _rule(
        "purpose.specific_necessary",
        "M4, PIPL6",
        "Gate",
        "Face recognition needs a specific purpose and a real need, and must be the least "
        "intrusive way; searching a whole group (1:N) only where checking one claimed identity "
        "(1:1) cannot serve.",
        "须有特定目的和充分必要性，采用对个人影响最小的方式；仅在一对一验证无法满足时才进行一对多识别。",
        cite="M4; PIPL6; PIPL28 para. 2",
    ),
    _rule(
        "notice.required_items",
        "M5, PIPL17, PIPL30, NDSR21",
        "Gate + Document",
        "Before processing, tell people clearly who is processing their face, why, how, for how "
        "long, why it is needed, how it affects them and how to use their rights; tell them "
        "again when any of it changes.",
        "处理前以显著方式、清晰易懂的语言告知处理者、目的、方式、保存期限、必要性、对权益的影响及行使权利的方式；"
        "事项变更时重新告知。",
    ),
    _rule(
        "notice.accessibility",
        "M5",
        "Document",
        "Notices must also be usable by elderly people and people with disabilities.",
        "告知内容应符合无障碍要求，方便老年人和残疾人获取。",
    ),
    _rule(
        "consent.separate",
        "M6, PIPL14, PIPL29, NDSR22, SPC4",
        "Gate",
        "Where consent is the basis, each person gives a separate, voluntary, explicit and "
        "informed consent for this use alone, never bundled with other terms.",
        "以同意为处理依据的，应取得个人单独、自愿、明确、充分知情的同意，不得与其他条款捆绑。",
        cite="M6; PIPL14; PIPL29; NDSR22; SPC2(3); SPC4",
    ),
    _rule(
        "consent.no_repeat_prompt",
        "NDSR22",
        "Gate",
        "Once a person has said no, do not keep asking them to consent.",
        "个人拒绝后，不得频繁重复征求同意。",
    ),
    _rule(
        "consent.withdraw",
        "M6, PIPL15, PIPL47",
        "Gate",
        "A person may withdraw consent easily; processing then stops and their face data is "
        "deleted.",
        "个人可以便捷地撤回同意；撤回后停止处理并删除其人脸信息。",
    ),
    _rule(
        "consent.written",
        "M6, PIPL14",
        "Gate",
        "Where a law or regulation requires written consent, consent must be given in writing.",
        "法律、行政法规规定应当取得书面同意的，应取得书面同意。",
    ),
    _rule(
        "consent.not_conditional",
        "PIPL16, SPC4",
        "Gate",
        "A product or service may not be refused to someone who will not consent, unless face "
        "processing is truly necessary for it.",
        "不得以个人不同意为由拒绝提供产品或服务，处理人脸信息属于提供服务所必需的除外。",
    ),
    _rule(
        "minor.guardian",
        "M7, PIPL31",
        "Gate + Document",
        "For a child under 14, a parent or guardian must consent, and special rules for minors "
        "apply.",
        "处理不满十四周岁未成年人的人脸信息，应取得其父母或其他监护人的同意，并制定专门处理规则。",
    ),
    _rule(
        "storage.on_device",
        "M8",
        "Gate",
        "Face data stays in the face recognition device and is not sent over the internet, "
        "unless a law requires it or the person separately consents.",
        "人脸信息应存储于人脸识别设备内，不得通过互联网对外传输，法律另有规定或取得个人单独同意的除外。",
    ),
    _rule(
        "storage.retention_minimum",
        "M8, PIPL19",
        "Gate",
        "Face data is kept no longer than the purpose needs.",
        "人脸信息的保存期限不得超过实现处理目的所必需的最短时间。",
    ),
    _rule(
        "pipia.before",
        "M9, PIPL55, PIPL56",
        "Gate + Document",
        "Before processing, carry out a personal information protection impact assessment of the "
        "purpose and method, the effect on people, the security risks and the protective "
        "measures.",
        "处理前应进行个人信息保护影响评估，涵盖目的和方式的合法性与必要性、对权益的影响、安全风险及保护措施。",
    ),
    _rule(
        "pipia.renew",
        "M9",
        "Gate",
        "A new impact assessment is needed when the purpose or method changes, or after a major "
        "security incident.",
        "处理目的、方式发生变化或发生重大安全事件后，应重新进行影响评估。",
    ),
    _rule(
        "records.processing",
        "M9",
        "Obligation + Document",
        "Keep records of the processing.",
        "对处理情况进行记录。",
    ),
    _rule(
        "records.three_years",
        "M9, PIPL56",
        "Gate",
        "Impact assessment reports and processing records are kept for at least three years.",
        "影响评估报告和处理情况记录应至少保存三年。",
    ),
    _rule(
        "alternative.required",
        "M10, SPC10",
        "Gate",
        "Where the same purpose can be reached another way, face recognition may not be the only "
        "way; people who do not consent get a reasonable, convenient alternative.",
        "存在其他非人脸识别方式可实现相同目的的，不得将人脸识别作为唯一方式；对不同意者应提供其他合理便捷的方式。",
    ),
    _rule(
        "identity.national_service",
        "M11",
        "Document",
        "For identity checks, the national online identity authentication service is encouraged.",
        "鼓励优先使用国家网络身份认证公共服务进行身份核验。",
    ),
    _rule(
        "coercion.prohibited",
        "M12, PIPL5",
        "Gate",
        "Nobody may be misled, tricked or pressured into face recognition, for example in the "
        "name of business or better service.",
        "不得以办理业务、提升服务质量等为由误导、欺诈、胁迫个人接受人脸识别。",
    ),
    _rule(
        "location.public_place",
        "M13, PIPL26",
        "Gate + Document",
        "Face devices in public places only where public safety needs them, covering a reasonable "
        "area and with prominent signs; consent is no substitute for that need (the consent "
        "exception of PIPL art. 26 covers only other uses of images already collected for public "
        "safety).",
        "在公共场所安装人脸识别设备应为维护公共安全所必需，合理确定采集区域并设置显著提示标识；"
        "个人同意不能替代这一必要性（个人信息保护法第二十六条的单独同意例外只涉及已为维护公共安全收集的图像的其他用途）。",
    ),
    _rule(
        "location.private_space",
        "M13",
        "Gate",
        "No face devices inside private spaces of public places, such as hotel rooms, public "
        "bathhouses, changing rooms and toilets.",
        "不得在宾馆客房、公共浴室、更衣室、卫生间等公共场所内部私密空间安装人脸识别设备。",
    ),
    _rule(
        "security.measures",
        "M14, PIPL51",
        "Gate",
        "Protect face data with encryption, audit, access control, authorisation management and "
        "intrusion defence, and meet graded protection (MLPS) duties where they apply.",
        "采取加密、安全审计、访问控制、授权管理、入侵检测和防御等措施，并依法履行网络安全等级保护等义务。",
    ),
    _rule(
        "filing.threshold",
        "M15, CAC 2025-05-28",
        "Obligation",
        "A controller holding face data of 100,000 people or more files with the provincial "
        "cyberspace office within 30 working days of reaching that number.",
        "存储人脸信息达到十万人的，应在达到之日起三十个工作日内向所在地省级以上网信部门备案。",
    ),
    _rule(
        "filing.materials",
        "M15, provincial notices 2025",
        "Document",
        "The filing contains the controller's details, the purpose and method, the quantity "
        "stored, the security measures, the processing rules and procedures, and the impact "
        "assessment report, with the supporting documents the province asks for.",
        "备案材料包括处理者基本情况、处理目的和方式、存储数量、安全保护措施、处理规则和操作规程、"
        "影响评估报告及省级网信部门要求的其他材料。",
    ),
    _rule(
        "filing.change",
        "M15, CAC 2025-05-28",
        "Obligation",
        "When filed information changes substantially, update the filing within 30 working days.",
        "备案信息发生实质性变更的，应在变更之日起三十个工作日内办理变更手续。",
    ),
    _rule(
        "filing.cancel",
        "M15",
        "Obligation",
        "When face recognition stops, cancel the filing within 30 working days and dispose of the "
        "face data lawfully.",
        "终止使用人脸识别技术的，应在三十个工作日内办理注销手续，并依法处置人脸信息。",
    ),
    _rule(
        "incident.notify",
        "PIPL57, NDSR11",
        "Obligation + Document",
        "After a leak, tampering or loss, act at once and tell the authorities and the people "
        "affected what happened, what was done, what they can do and whom to contact.",
        "发生泄露、篡改、丢失的，应立即采取补救措施，并通知主管部门和个人事件情况、已采取的措施、个人可采取的措施及联系方式。",
    ),
    _rule(
        "processor.entrusted",
        "PIPL21, NDSR12",
        "Document",
        "Processing entrusted to a vendor needs a contract on purpose, method, security and "
        "return or deletion at the end, and records of it.",
        "委托处理的，应与受托方约定处理目的、方式、保护措施及到期返还或删除，并留存记录。",
    ),
    _rule(
        "terms.no_unlimited_rights",
        "SPC11",
        "Document",
        "Standard terms that grant unlimited, irrevocable or sub-licensable rights over face data "
        "have no effect.",
        "格式条款要求个人授予无限期、不可撤销、可任意转授权等处理人脸信息权利的，无效。",
    ),
    _rule(
        "sector.automotive",
        "《汽车数据安全管理若干规定（试行）》 arts. 3, 6, 10",
        "Gate",
        "Face data from in-vehicle and exterior-vehicle cameras is processed in the vehicle and "
        "not provided outside it unless truly necessary; purposes other than driving safety need "
        "each person's separate consent; images of people outside the vehicle are important "
        "data.",
        "车内人脸信息原则上在车内处理，除确有必要外不向车外提供；驾驶安全以外的目的须取得个人单独同意；"
        "车外人员的人脸图像属于重要数据。",
    ),
    _rule(
        "rights.access_delete",
        "PIPL44-47, PIPL50",
        "Gate",
        "People may know about, see, copy, correct and delete their data, and their requests "
        "must be handled.",
        "个人有权知悉、查阅、复制、更正、删除其个人信息，处理者应及时受理和处理其请求。",
    ),
    _rule(
        "data.no_raw_images",
        "GB/T 41819-2022, GB/T 35273 6.3",
        "Gate",
        "Keep face templates, not face images, unless a purpose needs the images and the person "
        "agreed.",
        "除目的必需且经个人同意外，只保存人脸特征数据，不保存原始人脸图像。",
        cite="GB/T 41819-2022 7; GB/T 35273 6.3",
    ),
    _rule(
        "data.separate_identity",
        "GB/T 35273 6.3, GB/T 41819-2022",
        "Gate",
        "Keep face data apart from identity information.",
        "人脸信息应与身份信息分开存储。",
        cite="GB/T 35273 6.3; GB/T 41819-2022 7",
    ),
    _rule(
        "consent.purpose_change",
        "PIPL14 para. 2, NDSR22",
        "Gate",
        "A change of purpose or method needs the person's consent again: a consent covers the "
        "purpose and method it was given for, and recognition under an older one is refused "
        "until the person consents again (the alternative still works).",
        "处理目的、处理方式发生变更的，应当重新取得个人同意；同意只及于作出同意时的处理目的和方式，"
        "在个人重新同意前不得依据旧的同意进行识别（其他方式仍可使用）。",
    ),
    _rule(
        "capture.opt_in",
        "M6, M7, M10, M12, PIPL29, PIPL31",
        "Gate",
        "Where consent is the basis, only people who consented are processed: identification "
        "happens on the person's own act, on a frame with one face, and a face that matches "
        "nobody is discarded at once.",
        "以同意为处理依据的，只处理已同意者的人脸：仅在个人主动操作时进行辨识，每帧只处理一张人脸，"
        "未匹配的人脸立即丢弃。",
    ),
    _rule(
        "liveness.failed",
        "M14, M9",
        "Gate",
        "Presentation attacks (printed or on-screen faces) are refused as a necessary security "
        "measure against misuse.",
        "采取必要安全措施防范滥用，拒绝照片、屏幕等呈现攻击。",
    ),
    _rule(
        "retention.shortened",
        "M8, PIPL19",
        "Gate",
        "A shorter retention period applies at once to the face data already stored.",
        "缩短保存期限的，对已存储的人脸信息立即适用。",
    ),
    _rule(
        "storage.networked_consent",
        "M8, PIPL29",
        "Gate + Document",
        "Photos or templates leave the device over a network only under a law or with each "
        "person's separate consent to the transmission.",
        "人脸图像或特征仅在法律规定或取得个人对传输的单独同意时，方可通过网络离开设备。",
    ),
)

RULES: Mapping[str, Rule] = MappingProxyType({r.code: r for r in _RULES})
"""Every rule, by code, in the order of ``measures.md``."""


def rule(code: str) -> Rule:
    """The rule with this code; ``ValueError`` if there is none."""
    try:
        return RULES[code]
    except KeyError:
        raise ValueError(f"unknown rule code {code!r}") from None


_NAMED = {
    "M": "Measures",
    "PIPL": "PIPL",
    "NDSR": "Network Data Security Regulation",
    "SPC": "SPC Provisions",
}
_SHORT = re.compile(r"^(M|PIPL|NDSR|SPC)(\d+(?:-\d+)?(?:\(\d+\))?(?: para\. \d+)?)$")


def format_articles(articles: Iterable[str]) -> str:
    """Render short citations for people, grouping articles of one source in first-seen order.

    ``("M6", "PIPL14 para. 2", "SPC2(3)")`` -> ``"Measures art. 6; PIPL art. 14 para. 2; SPC
    Provisions art. 2(3)"``; citations that are not an article of a named source (standards,
    other regulations) stay as written.
    """
    groups: dict[str, list[str]] = {}
    for article in articles:
        match = _SHORT.match(article)
        if match is None:
            groups.setdefault(article, [])
            continue
        numbers = groups.setdefault(f"{_NAMED[match.group(1)]} art.", [])
        if match.group(2) not in numbers:
            numbers.append(match.group(2))
    return "; ".join(f"{name} {', '.join(nums)}" if nums else name for name, nums in groups.items())
