"""Signed session cookies (HMAC-SHA256 over a JSON payload, stdlib only).

The payload is readable by its holder but cannot be changed without the key; it holds ids and
roles, never an API key's secret. Each cookie carries its issue time and expires after
``max_age`` seconds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

from fastapi import Request, Response

CONSOLE_COOKIE = "fg_console"
KIOSK_COOKIE = "fg_kiosk"


def derive_secret(master_key: bytes, purpose: str = "web-session") -> bytes:
    """A signing key for cookies, derived from the master key (stable across restarts)."""
    return hmac.new(master_key, f"facegate:{purpose}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, secret: bytes, *, max_age: int = 8 * 3600) -> None:
        self.secret = secret
        self.max_age = max_age

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self.secret, body.encode(), hashlib.sha256).digest())

    def dumps(self, data: dict[str, Any]) -> str:
        body = _b64(json.dumps({"d": data, "t": int(time.time())}).encode())
        return f"{body}.{self._mac(body)}"

    def loads(self, value: str) -> dict[str, Any] | None:
        """The data, or None when the value is malformed, forged or expired."""
        body, _, mac = value.partition(".")
        if not body or not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            payload = json.loads(_unb64(body))
        except (ValueError, binascii.Error):
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("d"), dict):
            return None
        if time.time() - float(payload.get("t", 0)) > self.max_age:
            return None
        data: dict[str, Any] = payload["d"]
        return data


def read(request: Request, signer: Signer, name: str) -> dict[str, Any]:
    value = request.cookies.get(name)
    return (signer.loads(value) or {}) if value else {}


def write(
    response: Response, request: Request, signer: Signer, name: str, data: dict[str, Any]
) -> None:
    response.set_cookie(
        name,
        signer.dumps(data),
        max_age=signer.max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/")
