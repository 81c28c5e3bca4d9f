"""The competent authorities by name: the cyberspace office of the province (autonomous
region, municipality) where the controller is located receives its record-filing (M15) and
its incident reports (《国家网络安全事件报告管理办法》 art. 4)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Province:
    zh: str  # full name, e.g. 广东省
    short: str  # 广东
    en: str  # Guangdong

    @property
    def office_zh(self) -> str:
        return f"{self.zh}互联网信息办公室"

    @property
    def office_en(self) -> str:
        return f"Cyberspace Administration of {self.en}"


PROVINCES: tuple[Province, ...] = tuple(
    Province(zh, short, en)
    for zh, short, en in (
        ("北京市", "北京", "Beijing"),
        ("天津市", "天津", "Tianjin"),
        ("河北省", "河北", "Hebei"),
        ("山西省", "山西", "Shanxi"),
        ("内蒙古自治区", "内蒙古", "Inner Mongolia"),
        ("辽宁省", "辽宁", "Liaoning"),
        ("吉林省", "吉林", "Jilin"),
        ("黑龙江省", "黑龙江", "Heilongjiang"),
        ("上海市", "上海", "Shanghai"),
        ("江苏省", "江苏", "Jiangsu"),
        ("浙江省", "浙江", "Zhejiang"),
        ("安徽省", "安徽", "Anhui"),
        ("福建省", "福建", "Fujian"),
        ("江西省", "江西", "Jiangxi"),
        ("山东省", "山东", "Shandong"),
        ("河南省", "河南", "Henan"),
        ("湖北省", "湖北", "Hubei"),
        ("湖南省", "湖南", "Hunan"),
        ("广东省", "广东", "Guangdong"),
        ("广西壮族自治区", "广西", "Guangxi"),
        ("海南省", "海南", "Hainan"),
        ("重庆市", "重庆", "Chongqing"),
        ("四川省", "四川", "Sichuan"),
        ("贵州省", "贵州", "Guizhou"),
        ("云南省", "云南", "Yunnan"),
        ("西藏自治区", "西藏", "Tibet"),
        ("陕西省", "陕西", "Shaanxi"),
        ("甘肃省", "甘肃", "Gansu"),
        ("青海省", "青海", "Qinghai"),
        ("宁夏回族自治区", "宁夏", "Ningxia"),
        ("新疆维吾尔自治区", "新疆", "Xinjiang"),
    )
)

GENERIC_OFFICE_ZH = "个人信息处理者所在地省级网信部门"
GENERIC_OFFICE_EN = "the provincial cyberspace office where the controller is located"


def province_of(address: str) -> Province | None:
    """The province an address names (Chinese or English), or None. ``Shanxi`` and
    ``Shaanxi`` are told apart by their spelling, as in official usage."""
    text = address.strip()
    if not text:
        return None
    for province in PROVINCES:
        if province.zh in text or province.short in text:
            return province
    for province in PROVINCES:
        if re.search(rf"\b{re.escape(province.en)}\b", text, re.IGNORECASE):
            return province
    return None


def filing_office(address: str) -> tuple[str, str]:
    """(zh, en) name of the office that receives this controller's filings and reports."""
    province = province_of(address)
    if province is None:
        return GENERIC_OFFICE_ZH, GENERIC_OFFICE_EN
    return province.office_zh, province.office_en
