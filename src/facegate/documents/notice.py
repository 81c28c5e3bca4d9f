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

from facegate.documents.chinese import zh_text
from facegate.documents.labels import LAWFUL_BASES, LOCATION_TYPES, METHODS, PURPOSE_TYPES, label
from facegate.documents.render import html_to_pdf, render_html
from facegate.law.notice import NoticeFacts

LANGS = ("zh", "en")
HTML_LANG = {"zh": "zh-CN", "en": "en"}
NOTICE_PATH = "/v1/deployments/{id}/notice"
DEMO_PUBLIC_URL = "http://127.0.0.1:8000"

Content = dict[str, Any]


# How faces come to be captured (capture.opt_in); 12b renders this properly.
CAPTURE: dict[str, tuple[str, str]] = {
    "explicit_act": (
        "Your face is captured only when you act yourself (presenting yourself at the "
        "terminal); the faces of people walking past are not processed.",
        "仅在您本人主动操作（如在终端前主动刷脸）时采集您的人脸，不处理路过人员的人脸。",
    ),
    "walk_through": (
        "The camera captures the faces of everyone in its view.",
        "摄像头采集其视野范围内所有人员的人脸。",
    ),
}


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
    english = [a for a in f.english.get("alternatives", ()) if a.strip()] or names
    return _pair(", ".join(english), "、".join(zh_text(n) for n in names))


def _free(f: NoticeFacts, key: str) -> dict[str, str]:
    """A free-text field in both languages: the Chinese as entered (never English in its
    place), the English where it was given, else the Chinese."""
    chinese = str(getattr(f, key))
    return _pair(str(f.english.get(key) or chinese), zh_text(chinese))


def _categories(f: NoticeFacts) -> list[dict[str, str]]:
    """The categories of personal information processed (PIPL 17)."""
    items = [
        _pair(
            "Face information: a template (numbers computed from your face) for this purpose "
            "only; the photo is not kept.",
            "人脸信息：仅为本目的生成的人脸特征数据，不保存照片。",
        ),
        _pair(
            "Identity information you give when you register (such as your name, ID number or "
            "telephone), kept encrypted and apart from your face information.",
            "您登记时提供的身份信息（如姓名、证件号码、电话），加密并与人脸信息分开存储。",
        ),
        _pair(
            "Your date of birth, or your statement that you are 14 or older, to apply the "
            "rules for children.",
            "出生日期或您已满十四周岁的声明，用于适用未成年人保护规则。",
        ),
        _pair(
            "Records of each recognition (time, device, result), without any image.",
            "每次识别的记录（时间、设备、结果），不含图像。",
        ),
        _pair(
            "For the other way in: your PIN, card or code, stored only as a one-way hash.",
            "使用替代方式时的密码、卡号或二维码凭证，仅以不可逆的摘要值保存。",
        ),
        _pair(
            "Your consent records: what you agreed to, when, and which notice you were shown.",
            "您的同意记录：同意的事项、时间及当时所示告知书的版本。",
        ),
    ]
    if f.minors:
        items.append(
            _pair(
                "For a child under 14: the parent's or guardian's relation to the child.",
                "不满十四周岁未成年人的：监护人与未成年人的关系。",
            )
        )
    return items


def _basis(f: NoticeFacts) -> list[dict[str, str]]:
    """What the person is told about consent depends on the lawful basis."""
    if f.lawful_basis == "consent":
        return [
            _pair(
                "We only use your face after you agree separately to this use alone.",
                "只有在您就此单独表示同意后，我们才会处理您的人脸信息。",
            ),
            _pair(
                "You can withdraw your consent at any time, the same way you gave it; your face "
                "data is then deleted at once.",
                "您可以随时以同意时的方式撤回同意，撤回后您的人脸信息将立即删除。",
            ),
        ]
    basis_en = label(LAWFUL_BASES, f.lawful_basis, "en")
    basis_zh = label(LAWFUL_BASES, f.lawful_basis, "zh")
    return [
        _pair(
            f"We process your face information because it is necessary for {basis_en} "
            "(PIPL art. 13), not on the basis of your consent; you are told of it here "
            "before any processing.",
            f"我们处理您的人脸信息的依据是{basis_zh}（《个人信息保护法》第十三条），而非您的同意；"
            "我们在处理前以本告知书告知您。",
        ),
        _pair(
            "You can still use the other way in, and ask us to delete your face information "
            "once it is no longer necessary for that purpose.",
            "您仍可选择替代方式；处理目的已实现或不再必要时，您可以要求我们删除您的人脸信息。",
        ),
    ]


def _minors_rules(f: NoticeFacts) -> list[dict[str, str]]:
    """The special processing rules for the personal information of children under 14
    (PIPL art. 31; Measures art. 7; NDSR art. 21)."""
    del f
    return [
        _pair(
            "1. A child under 14 is enrolled only with the separate consent of a parent or other "
            "guardian, given in person; we record who consented and their relation to the child.",
            "一、不满十四周岁未成年人的人脸信息，仅在取得其父母或者其他监护人的单独同意后处理；"
            "我们记录同意人及其与未成年人的关系。",
        ),
        _pair(
            "2. We check the age on the day of consent from the date of birth; without it, a "
            "person who does not state that they are 14 or older is treated as a child.",
            "二、我们按同意当日的出生日期核验年龄；未提供出生日期且未声明已满十四周岁的，按未成年人对待。",
        ),
        _pair(
            "3. The guardian can at any time see, correct or delete the child's information and "
            "withdraw consent, the same way as consent was given; withdrawal deletes the child's "
            "face information at once.",
            "三、监护人可以随时以同意时的方式查阅、更正、删除未成年人的信息或者撤回同意；撤回后立即删除其人脸信息。",
        ),
        _pair(
            "4. A child's face information is used for this purpose only, never sent over a "
            "network or given to others, and kept no longer than this purpose needs and never "
            "beyond the retention period above.",
            "四、未成年人的人脸信息仅用于本目的，不通过网络对外传输或向他人提供，保存期限以实现本目的所必需为限，且不超过上述保存期限。",
        ),
        _pair(
            "5. The child can always use the other way in, and is never refused the service "
            "because the guardian did not consent.",
            "五、未成年人始终可以使用替代方式，不因监护人未同意而被拒绝提供服务。",
        ),
    ]


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
        _section("controller", _pair("Who we are", "个人信息处理者"), *who),
        _section(
            "purpose",
            _pair("What we use your face for, and how", "处理目的和方式"),
            _pair(
                f"Purpose ({purpose_en}): {_plain(_free(f, 'purpose')['en'])}.",
                f"目的（{purpose_zh}）：{_plain(_free(f, 'purpose')['zh'])}。",
            ),
            _pair(
                f"How: {METHODS.get(f.method, (f.method, f.method))[0]}.",
                f"方式：{METHODS.get(f.method, (f.method, f.method))[1]}。",
            ),
            _pair(*CAPTURE.get(f.capture_mode, CAPTURE["explicit_act"])),
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
                f"Why face recognition is needed: {_plain(_free(f, 'necessity')['en'])}.",
                f"必要性：{_plain(_free(f, 'necessity')['zh'])}。",
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
            "categories",
            _pair("What personal information we process", "处理的个人信息种类"),
            *_categories(f),
        ),
        _section(
            "rights",
            _pair("Your choices and rights", "您的选择和权利"),
            _pair(
                f"Face recognition is optional. You can use another way instead: {alt['en']}. "
                "Saying no changes nothing else, and we will not keep asking you.",
                f"人脸识别不是必选项，您可以改用其他方式：{alt['zh']}。拒绝不会影响您使用服务，我们也不会反复询问。",
            ),
            *_basis(f),
            _pair(
                "You have the right to know and to decide how your personal information is "
                "processed, and to restrict or refuse its processing (PIPL art. 44); to access "
                "and copy it, and to have it transferred to another processor you name where "
                "the conditions set by the cyberspace administration are met (art. 45); to have "
                "it corrected or supplemented (art. 46); to have it deleted (art. 47); and to "
                "ask us to explain these processing rules (art. 48).",
                "您有权知悉、决定对您个人信息的处理，有权限制或者拒绝他人对您个人信息进行处理（《个人信息保护法》第四十四条）；"
                "有权查阅、复制您的个人信息，符合国家网信部门规定条件的，有权请求将其转移至您指定的个人信息处理者（第四十五条）；"
                "有权请求更正、补充（第四十六条）和删除（第四十七条）；有权要求我们对本处理规则进行解释说明（第四十八条）。",
            ),
            _pair(
                f"How to exercise these rights: contact {contact}"
                + (f" (person in charge: {f.dpo})" if f.dpo.strip() else "")
                + ", or use the “my data” page at the kiosk; we answer without undue delay and "
                "explain any refusal.",
                f"行使上述权利的方式：联系{contact}"
                + (f"（个人信息保护负责人：{f.dpo}）" if f.dpo.strip() else "")
                + "，或在现场终端的“我的信息”页面办理；我们将及时受理并答复，拒绝的将说明理由。",
            ),
            _pair(
                "If you think your face information is processed unlawfully, you may complain "
                "to or report it to the cyberspace administration or the public security organs "
                "(Measures art. 17).",
                "您认为您的人脸信息处理活动违法的，可以向网信部门、公安机关等有关部门投诉、举报（《人脸识别技术应用安全管理办法》第十七条）。",
            ),
        ),
    ]
    if f.minors:
        sections.append(
            _section(
                "minors",
                _pair("Children under 14: our rules", "不满十四周岁未成年人个人信息处理规则"),
                *_minors_rules(f),
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
                "This is a public place: images captured here serve public safety only; using "
                "them for anything else needs your separate consent.",
                "本场所为公共场所：在此采集的图像仅用于维护公共安全；用于其他目的的，应当取得您的单独同意。",
            )
        )
    sections.append(_section("other", _pair("Other matters", "其他事项"), *other))
    if f.transfer_mode == "on_device":
        where_en, where_zh = "on this device", "存于本设备"
    else:
        where_en = "sent over a network only with your separate consent"
        where_zh = "经您单独同意方通过网络传输"
    return {
        "title": _pair("Notice on the processing of face information", "人脸信息处理告知书"),
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
