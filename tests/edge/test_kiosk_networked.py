"""The kiosk of a networked deployment asks for the transmission consent on its own: a second,
unticked box, its own record (storage.networked_consent: M8, PIPL 29)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from facegate.api import create_app
from facegate.service import Gate
from facegate.service.access import issue_key
from facegate.store import models as m
from sites import Site, make_site

pytestmark = pytest.mark.both_databases


def field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, name
    return found.group(1)


def scopes(gate: Gate, deployment_id: str) -> Counter[str]:
    with gate.ctx.db.transaction(readonly=True) as session:
        return Counter(
            session.scalars(select(m.Consent.scope).where(m.Consent.deployment_id == deployment_id))
        )


def consent_at_kiosk(gate: Gate, site: Site, *, transmission: bool) -> str:
    key = issue_key(gate.ctx, "device", device_id=site.device_id, actor="test").token
    with TestClient(create_app(gate)) as client:
        login = client.get("/kiosk/login")
        client.post(
            "/kiosk/login", data={"api_key": key, "csrf_token": field(login.text, "csrf_token")}
        )
        age = client.get("/kiosk/face")
        client.post(
            "/kiosk/face",
            data={"date_of_birth": "1980-01-01", "csrf_token": field(age.text, "csrf_token")},
        )
        form = client.get("/kiosk/face/consent").text
        fields = {
            "choice": "agree",
            "consent": "yes",
            "csrf_token": field(form, "csrf_token"),
            "notice_hash": field(form, "notice_hash"),
        }
        if transmission:
            fields["transmission"] = "yes"
        done = client.post("/kiosk/face/consent", data=fields, follow_redirects=False)
        assert done.headers["location"].endswith("/kiosk/face/capture"), done.text
        return form


def test_storage_networked_consent_is_its_own_tick_at_the_kiosk(
    open_gate: Callable[[str, str], Gate],
) -> None:
    gate = open_gate("central", "standalone")
    site = make_site(gate, name="Payment desk", transfer_mode="networked")
    form = consent_at_kiosk(gate, site, transmission=True)
    assert 'name="transmission"' in form and "checked" not in form  # never pre-ticked
    assert scopes(gate, site.deployment_id) == Counter({"processing": 1, "transmission": 1})
    consent_at_kiosk(gate, site, transmission=False)
    assert scopes(gate, site.deployment_id) == Counter({"processing": 2, "transmission": 1})

    on_device = make_site(gate, name="North gate")
    assert 'name="transmission"' not in consent_at_kiosk(gate, on_device, transmission=False)
