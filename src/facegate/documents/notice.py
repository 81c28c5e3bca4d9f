"""The transparency notice and the public sign, from the same content.

:func:`notice_content` turns the facts into the notice's text in Chinese and English (plain
language, one section per item the law requires). That content is what is published,
hashed and bound to consents; the HTML pages and the printable sign only lay it out.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

import segno

from facegate.documents.labels import LAWFUL_BASES, LOCATION_TYPES, METHODS, PURPOSE_TYPES, label
from facegate.documents.render import html_to_pdf, render_html
from facegate.law.notice import NoticeFacts

LANGS = ("zh", "en")
HTML_LANG = {"zh": "zh-CN", "en": "en"}
NOTICE_PATH = "/v1/deployments/{id}/notice"
DEMO_PUBLIC_URL = "http://127.0.0.1:8000"

Content = dict[str, Any]


def _pair(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


def _section(key: str, heading: dict[str, str], *paragraphs: dict[str, str]) -> dict[str, Any]:
    return {
        "key": key,
        "heading": heading,
        "paragraphs": {lang: [p[lang] for p in paragraphs] for lang in LANGS},
    }


def _plain(text: str) -> str:
    """A sentence without its final full stop (the notice adds its own)."""
    return text.strip().rstrip(".。")


def _alternatives(f: NoticeFacts) -> dict[str, str]:
    names = [a for a in f.alternatives if a.strip()]
    return _pair(", ".join(names), "、".join(names))


def _liveness(f: NoticeFacts) -> dict[str, str]:
    """What the camera does against printed and on-screen faces, as the deployment is set."""
    if f.liveness == "off":
        return _pair(
            "This deployment does not check whether a live person is in front of the camera.",
            "本场景不检测摄像头前是否为真人活体。",
        )
    passive = _pair(
        "So that nobody can use a photo or a screen showing your face, the camera checks that "
        "a live person is in front of it; a printed or on-screen face is refused.",
        "为防止他人使用您的照片或屏幕图像冒充您，摄像头会检测其前方是否为真人活体；打印或屏幕上的人脸将被拒绝。",
    )
    if f.liveness == "active":
        return _pair(
            passive["en"] + " At the kiosk you will be asked to blink and turn your head; "
            "photos cannot be uploaded there.",
            passive["zh"] + "在自助终端，您需要按提示眨眼和转头，且不能上传照片。",
        )
    return passive


def notice_content(f: NoticeFacts) -> Content:
    """The notice, both languages, as plain data (what is published and hashed)."""
    alt = _alternatives(f)
    purpose_en = label(PURPOSE_TYPES, f.purpose_type, "en")
    purpose_zh = label(PURPOSE_TYPES, f.purpose_type, "zh")
    place_en = label(LOCATION_TYPES, f.location_type, "en")
    place_zh = label(LOCATION_TYPES, f.location_type, "zh")
    contact = f.controller_contact.strip()
    who = [
        _pair(
            f"{f.controller_name} processes your face information for “{f.deployment_name}”.",
            f"{f.controller_name}为“{f.deployment_name}”处理您的人脸信息。",
        ),
        _pair(f"Contact: {contact}.", f"联系方式：{contact}。"),
    ]
    if f.controller_address.strip():
        who.append(_pair(f"Address: {f.controller_address}.", f"地址：{f.controller_address}。"))
    if f.dpo.strip():
        who.append(
            _pair(
                f"Person in charge of personal information: {f.dpo}.",
                f"个人信息保护负责人：{f.dpo}。",
            )
        )
    sections = [
        _section("controller", _pair("Who we are", "处理者"), *who),
        _section(
            "purpose",
            _pair("What we use your face for, and how", "处理目的和方式"),
            _pair(
                f"Purpose ({purpose_en}): {_plain(f.purpose)}.",
                f"目的（{purpose_zh}）：{_plain(f.purpose)}。",
            ),
            _pair(
                f"How: {METHODS.get(f.method, (f.method, f.method))[0]}.",
                f"方式：{METHODS.get(f.method, (f.method, f.method))[1]}。",
            ),
            _pair(
                f"Where: {place_en}. We keep a template (numbers computed from your face), "
                "not your photo. Photos are deleted as soon as the template is made.",
                f"地点：{place_zh}。我们只保存由人脸计算出的特征数据，不保存照片；照片在生成特征数据后立即删除。",
            ),
            _pair(
                f"Legal basis: {label(LAWFUL_BASES, f.lawful_basis, 'en')}.",
                f"处理依据：{label(LAWFUL_BASES, f.lawful_basis, 'zh')}。",
            ),
        ),
        _section(
            "retention",
            _pair("How long we keep it", "保存期限"),
            _pair(
                f"We keep your face template for {f.retention_days} days from enrolment.",
                f"您的人脸特征数据自登记之日起保存 {f.retention_days} 天。",
            ),
            _pair(
                "When that period ends, the template is deleted automatically and can no longer "
                "be used; to keep using face recognition you would be asked again.",
                "期限届满后，特征数据将被自动删除且不能再被使用；如需继续使用人脸识别，将重新征求您的同意。",
            ),
        ),
        _section(
            "necessity",
            _pair("Why it is needed, and how it affects you", "必要性及对您权益的影响"),
            _pair(
                f"Why face recognition is needed: {_plain(f.necessity)}.",
                f"必要性：{_plain(f.necessity)}。",
            ),
            _pair(
                "Face information is sensitive: it cannot be changed like a password, and its "
                "misuse could harm your dignity, property or safety. We encrypt it, keep it "
                "apart from your name, and record every use.",
                "人脸信息属于敏感个人信息，无法像密码一样更换，一旦被滥用可能危害您的人格尊严、财产或人身安全。"
                "我们对其加密、与您的姓名分开存储，并记录每一次使用。",
            ),
        ),
        _section(
            "rights",
            _pair("Your choices and rights", "您的选择和权利"),
            _pair(
                f"Face recognition is optional. You can use another way instead: {alt['en']}. "
                "Saying no changes nothing else, and we will not keep asking you.",
                f"人脸识别不是必选项，您可以改用其他方式：{alt['zh']}。拒绝不会影响您使用服务，我们也不会反复询问。",
            ),
            _pair(
                "We only use your face after you agree separately to this use alone.",
                "只有在您就此单独表示同意后，我们才会处理您的人脸信息。",
            ),
            _pair(
                "You can withdraw your consent at any time, the same way you gave it; your face "
                "data is then deleted at once.",
                "您可以随时以同意时的方式撤回同意，撤回后您的人脸信息将立即删除。",
            ),
            _pair(
                f"You can ask to see, copy, correct or delete your information: contact "
                f"{contact}. If we do not answer, you may complain to the cyberspace "
                "administration.",
                f"您可以通过 {contact} 要求查阅、复制、更正或删除您的个人信息；"
                "如未获处理，可向网信部门投诉、举报。",
            ),
        ),
    ]
    if f.minors:
        sections.append(
            _section(
                "minors",
                _pair("Children under 14", "不满十四周岁的未成年人"),
                _pair(
                    "A child under 14 is enrolled only with the consent of a parent or "
                    "guardian, who can withdraw it and exercise the child's rights at any time.",
                    "不满十四周岁未成年人的人脸信息，须经其父母或其他监护人同意方可处理；监护人可随时撤回同意并代为行使权利。",
                ),
                _pair(
                    "We apply our special rules for minors' information: the least data, the "
                    "shortest time, and no use beyond this purpose.",
                    "我们对未成年人个人信息适用专门的处理规则：最少数据、最短期限，不超出本目的使用。",
                ),
            )
        )
    other = [
        _liveness(f),
        _pair(
            "Your face data stays in the recognition device and is not sent over the internet."
            if f.transfer_mode == "on_device"
            else "Your face data is sent over a network only with your separate consent or "
            "where a law requires it.",
            "您的人脸信息存储于人脸识别设备内，不通过互联网对外传输。"
            if f.transfer_mode == "on_device"
            else "仅在取得您单独同意或法律规定时通过网络传输您的人脸信息。",
        ),
        _pair(
            "Your consent covers only this purpose and this place, and ends when you withdraw "
            "it or the keeping period ends. We never sell your face data.",
            "您的同意仅限于本目的和本场所，在您撤回或保存期限届满时终止。我们不会出售您的人脸信息。",
        ),
        _pair(
            "If any of this changes, we will tell you again before using your face.",
            "上述事项发生变更的，我们将在处理前重新告知您。",
        ),
    ]
    if f.entrusted_processor.strip():
        other.append(
            _pair(
                f"{f.entrusted_processor} operates the system for us under a contract that "
                "limits it to this purpose and requires it to delete the data at the end.",
                f"{f.entrusted_processor}受我们委托运营本系统，合同约定其仅限于本目的处理，并在委托结束时删除数据。",
            )
        )
    if f.public_place:
        other.append(
            _pair(
                "This is a public place: images captured here serve public safety only, unless "
                "you separately agree otherwise.",
                "本场所为公共场所：在此采集的图像仅用于维护公共安全，取得您单独同意的除外。",
            )
        )
    sections.append(_section("other", _pair("Other matters", "其他事项"), *other))
    if f.transfer_mode == "on_device":
        where_en, where_zh = "on this device", "存于本设备"
    else:
        where_en = "sent over a network only with your separate consent"
        where_zh = "经您单独同意方通过网络传输"
    return {
        "title": _pair("Notice on face recognition", "人脸识别告知"),
        "deployment": f.deployment_name,
        "controller": f.controller_name,
        "sections": sections,
        "short": {
            "en": [
                f"Face recognition in use: {purpose_en}.",
                f"Run by {f.controller_name} ({contact}).",
                f"Templates kept {f.retention_days} days, {where_en}; no photos kept.",
                f"Do not want it? Use: {alt['en']}.",
                "Withdraw or ask about your data at any time.",
            ],
            "zh": [
                f"此处使用人脸识别：{purpose_zh}。",
                f"处理者：{f.controller_name}（{contact}）。",
                f"特征数据保存{f.retention_days}天，{where_zh}，不保存照片。",
                f"不愿使用？可选择：{alt['zh']}。",
                "您可随时撤回同意或查询您的信息。",
            ],
        },
    }


def content_hash(content: Content) -> str:
    """SHA-256 hex of the canonical JSON of the notice content (what consents bind to)."""
    body = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def notice_texts(content: Content) -> list[str]:
    """Every sentence of the notice and its short form, both languages (for checks)."""
    texts = [content["title"]["en"], content["title"]["zh"]]
    for section in content["sections"]:
        texts += [section["heading"]["en"], section["heading"]["zh"]]
        for lang in LANGS:
            texts += section["paragraphs"][lang]
    for lang in LANGS:
        texts += content["short"][lang]
    return texts


class PublicUrlInvalid(ValueError):
    """The configured public URL cannot be printed on a sign."""


def check_public_url(base_url: str, *, demo: bool = False) -> str:
    """The public base URL, normalised (no trailing slash). It must be an absolute http(s)
    URL with a host and no query; a loopback or unspecified address only in a demo (a sign
    pointing at 127.0.0.1 sends people nowhere). ``PublicUrlInvalid`` otherwise."""
    base = base_url.strip().rstrip("/")
    if not base:
        raise PublicUrlInvalid(
            "no public URL is configured: set public_url in facegate.toml or "
            "FACEGATE_PUBLIC_URL to the address people reach this service at"
        )
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublicUrlInvalid(f"the public URL {base!r} is not an absolute http(s) address")
    if parts.query or parts.fragment:
        raise PublicUrlInvalid(f"the public URL {base!r} must not have a query or fragment")
    if not demo and _local(parts.hostname):
        raise PublicUrlInvalid(
            f"the public URL {base!r} is a local address that people cannot reach; "
            "configure the address of the service as seen from outside"
        )
    return base


def _local(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or address.is_link_local


def notice_url(deployment_id: str, base_url: str, *, demo: bool = False) -> str:
    """Where the full notice is served: the notice page under the public base URL, or
    ``base_url`` itself with ``{id}`` replaced by the deployment id when it names the page."""
    if "{id}" in base_url:
        return check_public_url(base_url.replace("{id}", deployment_id), demo=demo)
    return check_public_url(base_url, demo=demo) + NOTICE_PATH.replace("{id}", deployment_id)


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG."""
    return str(segno.make(url, error="m").svg_inline(scale=5, dark="#000000", light="#ffffff"))


def _langs(lang: str) -> tuple[str, ...]:
    if lang == "bilingual":
        return LANGS
    if lang not in LANGS:
        raise ValueError(f"language must be zh, en or bilingual, not {lang!r}")
    return (lang,)


def render_notice_html(
    content: Content,
    *,
    lang: str = "zh",
    version: int,
    sha256: str,
    large: bool = False,
    url: str = "",
) -> str:
    """The full notice as an accessible HTML page: ``lang`` is zh, en or bilingual;
    ``large`` switches to large type."""
    langs = _langs(lang)
    return render_html(
        "notice.html",
        c=content,
        langs=langs,
        html_lang=HTML_LANG[langs[0]],
        lang_attr=HTML_LANG,
        version=version,
        sha256=sha256,
        large=large,
        url=url,
    )


def render_sign_html(content: Content, *, url: str, version: int) -> str:
    return render_html(
        "sign.html", c=content, url=url, qr=qr_svg(url), version=version, lang_attr=HTML_LANG
    )


def render_sign_pdf(content: Content, *, url: str, version: int) -> bytes:
    """The printable A4 sign for the place where the devices are: both languages, the short
    form and a QR code to the full notice."""
    return html_to_pdf(render_sign_html(content, url=url, version=version))


def render_notice_pdf(content: Content, *, lang: str, version: int, sha256: str) -> bytes:
    return html_to_pdf(render_notice_html(content, lang=lang, version=version, sha256=sha256))
