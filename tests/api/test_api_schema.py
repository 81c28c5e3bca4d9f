"""Schemathesis against the OpenAPI document: no 5xx, every response as documented.

Runs in-process (ASGI) with an admin key; the device, operator and dpo routes see their
401/403 answers, which must match the document too. Bounded: a few examples per operation.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from api_support import Keys
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from facegate.api import ApiSettings
from sites import Site

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = 15
BUDGET_SECONDS = 60


@pytest.fixture
def api_settings() -> ApiSettings:
    """Limits high enough that the generated requests reach the Gate."""
    return ApiSettings(key_rate=1000, key_burst=10_000, subject_rate=1000, subject_burst=10_000)


def role_for(operation: Any) -> str:
    """The first role the operation allows that has a key here (a subject's rights: dpo)."""
    roles = [r for r in operation.definition.raw.get("x-roles", []) if r not in ("subject",)]
    return roles[0] if roles and roles[0] != "public" else "admin"


def fuzz(operation: Any, headers: dict[str, str], statuses: dict[int, int]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    run()


@pytest.mark.slow
def test_every_operation_conforms_to_the_document(
    client: TestClient, keys: Keys, north: Site
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    started = time.monotonic()
    tested = []
    statuses: dict[int, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        role = role_for(operation)
        if time.monotonic() - started > BUDGET_SECONDS:
            pytest.fail(f"over the {BUDGET_SECONDS} s budget after {len(tested)} operations")

        fuzz(operation, keys.header(role), statuses)
        tested.append(operation.label)
    assert len(tested) >= 30
    print(statuses)
    assert any(200 <= status < 300 for status in statuses)
