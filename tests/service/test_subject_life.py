"""The whole life of a subject through the Gate, with real photos and a real store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from facegate.law import Refused
from facegate.service import Gate
from facegate.store import Vault
from facegate.store import models as m
from facegate.store.errors import TemplateUnreadable
from raw_sql import raw_rows
from sites import CONSENT, Site, make_site

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def raw(gate: Gate, sql: str, *args: object) -> list[tuple[object, ...]]:
    return raw_rows(gate.ctx.db, sql, *args)


def stored_template_decrypts(gate: Gate, row: dict[str, object]) -> bool:
    """Rebuild a template row from bytes copied off disk and ask a fresh vault (holding the
    master key) to open it with whatever data keys the database still holds."""
    vault = Vault(gate.ctx.master_key)
    with gate.ctx.db.transaction() as session:
        template = m.Template(**row)  # type: ignore[arg-type]
        try:
            vault.open_template(session, template)
        except TemplateUnreadable:
            return False
        return True


def test_life_of_a_subject(gate: Gate, site: Site, data_dir: Path, fixtures: Path) -> None:
    other = make_site(gate, name="Staff canteen")
    person = gate.register_subject(date_of_birth=date(1961, 8, 4), identity={"name": "B. Obama"})

    # Consent, then enrolment.
    gate.record_consent(person.id, site.deployment_id, CONSENT)
    enrolment = gate.enrol(person.id, site.deployment_id, fixtures / "obama_1.jpg")
    assert enrolment.model == "dlib-resnet-v1"

    # Verify 1:1 with another photo: a match.
    verified = gate.verify(site.device_id, person.id, fixtures / "obama_2.jpg")
    assert verified.matched
    assert verified.distance is not None and verified.distance < 0.6

    # Identify 1:N: found at its own deployment's device only.
    found = gate.identify(site.device_id, fixtures / "obama_3.jpg")
    assert [f.subject_id for f in found.faces] == [person.id]
    elsewhere = gate.identify(other.device_id, fixtures / "obama_3.jpg")
    # consent-based: a face that matches nobody is discarded, only counted
    assert elsewhere.faces == [] and elsewhere.unmatched == 1

    # A stranger is not identified.
    stranger = gate.identify(site.device_id, fixtures / "biden.jpg")
    assert not stranger.matched

    # Withdraw: templates destroyed at once, and what was on disk cannot be decrypted.
    columns = [
        "id", "subject_id", "deployment_id", "data_key_id", "engine", "model_version",
        "nonce", "ciphertext", "expires_at",
    ]  # fmt: skip
    [values] = raw(gate, f"SELECT {', '.join(columns)} FROM templates")
    copied = dict(zip(columns, values, strict=True))
    copied["expires_at"] = enrolment.expires_at
    assert stored_template_decrypts(gate, copied)  # the check can tell a live key
    withdrawal = gate.withdraw_consent(person.id, site.deployment_id)
    assert withdrawal.templates_destroyed == 1
    assert raw(gate, "SELECT count(*) FROM templates") == [(0,)]
    assert [row[0] for row in raw(gate, "SELECT wrapped_key FROM data_keys")] == [None]
    assert not stored_template_decrypts(gate, copied)

    with pytest.raises(Refused) as refused:
        gate.verify(site.device_id, person.id, fixtures / "obama_2.jpg")
    assert "consent.separate" in refused.value.decision.codes
    assert not gate.identify(site.device_id, fixtures / "obama_3.jpg").matched

    # The audit chain holds, until someone edits one byte of one row.
    check = gate.verify_audit()
    assert check.ok, check.reason
    seq, actor = raw(gate, "SELECT seq, actor FROM audit_events ORDER BY seq LIMIT 1 OFFSET 5")[0]
    assert isinstance(actor, str)
    tampered = chr(ord(actor[0]) ^ 1) + actor[1:]
    raw(gate, "UPDATE audit_events SET actor = ? WHERE seq = ?", tampered, seq)
    broken = gate.verify_audit()
    assert not broken.ok
    assert broken.broken_seq == seq
