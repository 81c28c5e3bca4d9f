"""Why an edge could not sync, in the reader's language: the sync report carries the typed
error, which the CLI renders from the catalogue (Chinese without English or raw codes), while
the report's ``error`` and the log keep the exact English."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from facegate.edge import ControlPlane, EdgeNode
from facegate.edge.client import ControlPlaneError
from facegate.messages.errors import error_text
from facegate.service import Gate

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def _unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def _refusing(request: httpx.Request) -> httpx.Response:
    body = {"error": {"code": "forbidden", "message": "this device key is revoked"}}
    return httpx.Response(403, json=body)


@pytest.mark.parametrize(
    ("handler", "english", "chinese"),
    [
        (_unreachable, "control plane unreachable: ConnectError", "无法连接控制中心"),
        (
            _refusing,
            "the control plane refused the sync (403 forbidden): this device key is revoked",
            "控制中心拒绝了同步（HTTP 403）",
        ),
    ],
)
def test_a_failed_sync_reads_in_chinese_and_keeps_its_english(
    open_gate: Callable[[str, str], Gate],
    handler: Callable[[httpx.Request], httpx.Response],
    english: str,
    chinese: str,
) -> None:
    edge = open_gate("edge", "edge")
    plane = ControlPlane(
        "http://127.0.0.1:8000", "device-key", transport=httpx.MockTransport(handler)
    )
    node = EdgeNode(edge, plane, "device-key")
    try:
        report = node.sync_once()
    finally:
        plane.close()
    assert report.ok is False
    assert isinstance(report.failure, ControlPlaneError)
    assert report.error == english
    assert error_text(report.failure, "en") == english  # the CLI's English, as before
    zh = error_text(report.failure, "zh")
    assert chinese in zh and not LATIN_WORD.search(zh.replace("HTTP", "")), zh


def test_a_control_plane_url_is_refused_in_chinese() -> None:
    with pytest.raises(ControlPlaneError) as refused:
        ControlPlane("ftp://example.cn", "device-key")
    assert (
        error_text(refused.value, "zh")
        == "控制中心的地址必须是 http(s)://主机[:端口] 的形式：ftp://example.cn"
    )
    with pytest.raises(ControlPlaneError) as plain:
        ControlPlane("http://example.cn", "device-key")
    assert CJK.search(error_text(plain.value, "zh")) and "HTTPS" in error_text(plain.value, "zh")
    assert error_text(plain.value, "en").startswith("the control plane is reached over HTTPS")
