"""The control plane as an edge node sees it: two HTTP calls, authenticated with the device's
key (``GET /v1/sync/down``, ``POST /v1/sync/up``)."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from facegate.errors import FacegateError
from facegate.loopback import is_loopback
from facegate.service.sync import DownBatch, SyncGap, UpBatch


class ControlPlaneError(FacegateError):
    """The control plane cannot be reached, or answered with an error."""

    code = "control_plane_error"


class ControlPlane:
    def __init__(
        self,
        url: str,
        device_key: str,
        *,
        timeout: float = 15.0,
        ca_file: Path | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ControlPlaneError(
                f"the control plane's URL must be http(s)://host[:port]: {url}",
                key="error.control_plane_error.url",
                params={"url": url},
            )
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ControlPlaneError(
                "the control plane is reached over HTTPS unless it runs on this machine "
                "(the device key travels with every request)",
                key="error.control_plane_error.https",
            )
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {device_key}"},
            timeout=timeout,
            verify=ssl.create_default_context(cafile=str(ca_file)) if ca_file else True,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def down(self, after: int) -> DownBatch:
        """The deployment's events after ``after``."""
        response = self._call("GET", "/v1/sync/down", params={"after": after})
        return DownBatch.from_dict(response)

    def up(self, batch: UpBatch) -> int:
        """Send the edge's events; the position the control plane now holds them up to."""
        response = self._call("POST", "/v1/sync/up", json=batch.to_dict())
        return int(response["acknowledged"])

    def _call(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **options)
        except httpx.HTTPError as exc:
            raise ControlPlaneError(
                f"control plane unreachable: {type(exc).__name__}",
                key="error.control_plane_error.unreachable",
            ) from exc
        try:
            body: Any = response.json()
        except ValueError:
            body = {}
        if response.status_code == 200:
            if not isinstance(body, dict):
                raise ControlPlaneError(
                    "the control plane answered with something else than JSON",
                    key="error.control_plane_error.not_json",
                )
            return body
        error = body.get("error", {}) if isinstance(body, dict) else {}
        if response.status_code == 409 and error.get("code") == SyncGap.code:
            raise SyncGap(str(error.get("message", "")), details=dict(error.get("details") or {}))
        raise ControlPlaneError(
            f"the control plane refused the sync ({response.status_code} "
            f"{error.get('code', '')}): {error.get('message', '')}".strip(),
            key="error.control_plane_error.refused",
            params={"status": response.status_code},
        )
