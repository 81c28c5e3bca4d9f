"""Photos in requests: ``multipart/form-data`` (an ``image`` file part and text fields) or JSON
with ``image_base64``. The body is refused (413) on its Content-Length, or while it streams in,
as soon as it passes the limit: it is never read whole first. Image bytes live in memory only
and are never logged.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.types import Message

from facegate.api.errors import BodyTooLarge
from facegate.api.state import ApiState, client_address
from facegate.engine.errors import ImageTooLarge
from facegate.engine.image import read_bytes
from facegate.service import BadRequest
from facegate.service.access import Principal

F = TypeVar("F", bound=BaseModel)

JSON = "application/json"
MULTIPART = "multipart/form-data"


async def read_body(request: Request, state: ApiState, who: Principal | None) -> bytes:
    cap = state.settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise BadRequest("Content-Length is not a number") from None
        if size > cap:
            await _too_large(request, state, who, size)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > cap:
            await _too_large(request, state, who, len(body))
    return bytes(body)


async def _too_large(request: Request, state: ApiState, who: Principal | None, size: int) -> None:
    await run_in_threadpool(
        state.alerts.raise_alert,
        "image_too_large",
        principal=who,
        source=client_address(request),
        detail=f"request body of at least {size} bytes",
    )
    cap = state.settings.max_body_bytes
    raise BodyTooLarge(
        f"the request body is over {cap / 1e6:.1f} MB; images are limited to "
        f"{state.settings.image_limits.max_bytes / 1e6:.1f} MB",
        details={"max_bytes": state.settings.image_limits.max_bytes},
    )


def _fields(model: type[F], values: dict[str, Any]) -> F:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise BadRequest(f"invalid fields: {problems}") from None


async def read_image(
    request: Request, state: ApiState, who: Principal | None, model: type[F]
) -> tuple[F, bytes]:
    """(the other fields, validated by ``model``; the image's bytes within the byte limit)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in (JSON, MULTIPART):
        raise BadRequest(f"send the photo as {MULTIPART} (an 'image' part) or {JSON}")
    body = await read_body(request, state, who)
    if kind == JSON:
        try:
            values = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("the body is not valid JSON") from None
        if not isinstance(values, dict):
            raise BadRequest("the body must be a JSON object")
        encoded = values.pop("image_base64", None)
        if not isinstance(encoded, str):
            raise BadRequest("image_base64 (a string) is required")
        fields = _fields(model, values)
        try:
            image = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("image_base64 is not valid base64") from None
    else:
        fields, image = await _multipart(request, body, model)
    try:
        return fields, read_bytes(image, state.settings.image_limits)
    except ImageTooLarge:
        await _too_large(request, state, who, len(image))
        raise  # pragma: no cover - _too_large raises


async def _multipart(request: Request, body: bytes, model: type[F]) -> tuple[F, bytes]:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    form = await Request(request.scope, replay).form(max_files=1, max_fields=20)
    try:
        upload = form.get("image")
        if not isinstance(upload, UploadFile):
            raise BadRequest("the 'image' file part is required")
        image = await upload.read()
        values = {k: v for k, v in form.multi_items() if k != "image" and isinstance(v, str)}
        if len(values) != len([k for k, _ in form.multi_items() if k != "image"]):
            raise BadRequest("only one file part, 'image', is accepted")
        return _fields(model, values), image
    finally:
        await form.close()


def request_body(json_model: type[BaseModel], form_fields: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of a photo endpoint: JSON with base64, or multipart."""
    form_schema = form_fields.model_json_schema()
    properties = dict(form_schema.get("properties", {}))
    properties["image"] = {"type": "string", "format": "binary", "description": "The photo"}
    return {
        "requestBody": {
            "required": True,
            "content": {
                MULTIPART: {
                    "schema": {
                        "type": "object",
                        "properties": properties,
                        "required": [*form_schema.get("required", []), "image"],
                    }
                },
                JSON: {"schema": json_model.model_json_schema()},
            },
        }
    }
