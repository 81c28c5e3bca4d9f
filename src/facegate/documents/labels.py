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
