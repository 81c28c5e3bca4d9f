"""Words for the law's vocabularies, in plain Chinese and English."""

from __future__ import annotations

PURPOSE_TYPES: dict[str, tuple[str, str]] = {
    "access_control": ("entry control", "出入管理"),
    "payment": ("payment", "支付"),
    "attendance": ("attendance", "考勤"),
    "hotel_checkin": ("hotel check-in", "酒店入住登记"),
    "public_safety": ("public safety", "维护公共安全"),
    "driving_safety": ("driving safety", "驾驶安全"),
    "other": ("other", "其他"),
}

METHODS: dict[str, tuple[str, str]] = {
    "verify": (
        "we compare your face with the one face you enrolled, when you claim to be you (1:1)",
        "在您声明身份时，将您的人脸与您本人登记的人脸比对（人脸验证，一对一）",
    ),
    "identify": (
        "we compare your face with the faces enrolled for this service only, to find who you "
        "are (1:N)",
        "将您的人脸与本应用场景已登记的人脸比对以辨识特定个人（人脸辨识，一对多），不与其他应用场景的数据比对",
    ),
}

METHOD_NAMES: dict[str, tuple[str, str]] = {
    "verify": ("face verification (1:1, against one claimed identity)", "人脸验证（一对一比对）"),
    "identify": (
        "face identification (1:N, to identify a specific person)",
        "人脸辨识（一对多比对，辨识特定个人）",
    ),
}
"""The method as a document names it (the Measures' own terms; no second person)."""

ROLES: dict[str, tuple[str, str]] = {
    "dpo": ("person in charge of personal information protection", "个人信息保护负责人"),
    "admin": ("administrator", "系统管理员"),
    "operator": ("operator", "操作员"),
    "legal": ("legal counsel", "法务负责人"),
}

LOCATION_TYPES: dict[str, tuple[str, str]] = {
    "residential_entrance": ("residential entrance", "住宅小区出入口"),
    "office": ("office", "办公场所"),
    "hotel_lobby": ("hotel lobby", "酒店大堂"),
    "shop": ("shop", "商店"),
    "payment_counter": ("payment counter", "收银台"),
    "transport_hub": ("transport hub", "交通枢纽"),
    "scenic_area": ("scenic area", "景区"),
    "vehicle_cabin": ("vehicle cabin", "车内"),
    "vehicle_exterior": ("vehicle exterior", "车外"),
    "other": ("other place", "其他场所"),
}

OPERATOR_KINDS: dict[str, tuple[str, str]] = {
    "cii": ("critical information infrastructure operator", "关键信息基础设施运营者"),
    "central_organ": ("central or state organ", "中央和国家机关"),
    "other": ("network operator", "网络运营者"),
}

LAWFUL_BASES: dict[str, tuple[str, str]] = {
    "consent": ("your separate consent", "您的单独同意"),
    "legal_duty": ("a legal duty", "履行法定职责或法定义务"),
    "contract_necessity": ("a contract you are party to", "订立、履行您作为一方当事人的合同所必需"),
}


def label(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    """The label in ``lang`` ("en" or "zh"); the key itself when unknown."""
    pair = table.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "zh" else pair[0]


LAWFUL_BASIS_NAMES: dict[str, tuple[str, str]] = {
    "consent": ("the person's separate consent", "个人的单独同意"),
    "legal_duty": (
        "necessary to perform a statutory duty or obligation",
        "为履行法定职责或者法定义务所必需",
    ),
    "contract_necessity": (
        "necessary to conclude or perform a contract to which the person is a party",
        "为订立、履行个人作为一方当事人的合同所必需",
    ),
}
"""The lawful basis as a document names it (third person)."""

DEPLOYMENT_STATUSES: dict[str, tuple[str, str]] = {
    "draft": ("not yet in use", "尚未启用"),
    "active": ("in use", "使用中"),
    "suspended": ("suspended", "已暂停"),
    "stopped": ("stopped", "已停止"),
}

TRANSFER_MODES: dict[str, tuple[str, str]] = {
    "on_device": ("kept in the recognition device", "存储于人脸识别设备内"),
    "networked": (
        "sent over a network with each person's separate consent",
        "经个人单独同意通过网络传输",
    ),
}

SECTORS: dict[str, tuple[str, str]] = {
    "general": ("general", "一般行业"),
    "automotive": ("automotive", "汽车"),
    "finance": ("finance", "金融"),
    "hospitality": ("hospitality", "住宿餐饮"),
    "education": ("education", "教育"),
    "government": ("government", "政务"),
}

PIPIA_STATUSES: dict[str, tuple[str, str]] = {
    "draft": ("draft", "草稿"),
    "approved": ("approved", "已批准"),
    "stale": ("no longer valid", "已失效"),
    "none": ("none made", "尚未开展"),
    "unknown:": ("unknown", "未知"),
}

FILING_KINDS: dict[str, tuple[str, str]] = {
    "threshold": ("filing (100,000 individuals reached)", "备案（存储人脸信息达十万人）"),
    "change": ("change of filed information", "备案信息变更"),
    "cancel": ("cancellation of the filing", "注销备案"),
}

FILING_STATUSES: dict[str, tuple[str, str]] = {
    "open": ("to be filed", "待办理"),
    "submitted": ("submitted", "已提交"),
    "accepted": ("accepted", "已备案"),
}

SEVERITIES: dict[str, tuple[str, str]] = {
    "minor": ("minor", "一般"),
    "major": ("major", "重大"),
}

LIVENESS: dict[str, tuple[str, str]] = {
    "off": ("no liveness check", "不进行活体检测"),
    "passive": ("passive liveness check on every capture", "每次采集进行静默活体检测"),
    "active": (
        "passive liveness check, and a blink-and-turn challenge at the kiosk",
        "静默活体检测，并在自助终端进行眨眼、转头等动作活体检测",
    ),
}

CAPTURE_MODES: dict[str, tuple[str, str]] = {
    "explicit_act": (
        "only when the person acts (presents at the terminal, presses a button, enters an "
        "opt-in lane), one face at a time",
        "仅在个人主动使用时（在终端前出示、按下按钮或进入自愿通道）逐一采集",
    ),
    "walk_through": ("every face the camera sees", "采集摄像头所见的所有人脸"),
}
"""Capture modes (the gate part of issue 12 defines them; an unknown one falls back to a
neutral label, never a raw code)."""


def label_or(table: dict[str, tuple[str, str]], key: str, lang: str, fallback: str) -> str:
    """As ``label``, but an unknown key gives ``fallback`` instead of the raw code."""
    pair = table.get(key)
    if pair is None:
        return fallback
    return pair[1] if lang == "zh" else pair[0]
