"""The non-face alternative at an edge node: card and QR credentials registered at the control
plane are found at the edge (Measures art. 10: a working alternative on every device), with
the deployment's lookup key the control plane sends in the authenticated down sync, kept at
the edge sealed under its own master key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from facegate.service import Gate
from facegate.store import models as m
from facegate.store.keyring import DEPLOYMENT_LOOKUP
from facegate.store.vault import deployment_lookup_key
from raw_sql import raw_rows
from sites import CONSENT, Site, make_site

pytestmark = pytest.mark.both_databases

CARD, QR = "CARD-0042-7781", "qr-token-5b1e9c0d"


def down(control: Gate, edge: Gate, device_id: str) -> None:
    edge.sync_apply_down(control.sync_down_batch(device_id, edge.edge_state().down_applied_seq))


def person_with(control: Gate, site: Site, **secrets: str) -> str:
    subject = control.register_subject(date_of_birth=date(1970, 1, 2))
    control.record_consent(subject.id, site.deployment_id, CONSENT)
    for kind, secret in secrets.items():
        control.add_credential(subject.id, site.deployment_id, kind, secret)
    return subject.id


def test_alternative_required_card_and_qr_verify_at_an_edge(
    control: Gate, open_gate: Callable[[str, str], Gate]
) -> None:
    site = make_site(control)
    holder = person_with(control, site, card=CARD, qr=QR)
    edge = open_gate("edge", "edge")
    assert edge.ctx.vault.fingerprint != control.ctx.vault.fingerprint  # its own master key
    down(control, edge, site.device_id)

    card = edge.verify_alternative(site.device_id, "card", CARD)
    assert (card.matched, card.subject_id, card.method) == (True, holder, "card")
    assert edge.verify_alternative(site.device_id, "qr", QR).subject_id == holder
    wrong = edge.verify_alternative(site.device_id, "card", "CARD-0042-7782")
    assert (wrong.matched, wrong.reason) == (False, "no_match")
    assert not edge.verify_alternative(site.device_id, "card", QR).matched  # a QR is no card

    # A card issued later reaches the edge with the next sync; the control plane finds both.
    other = person_with(control, site, card="CARD-0099-0001")
    down(control, edge, site.device_id)
    assert edge.verify_alternative(site.device_id, "card", "CARD-0099-0001").subject_id == other
    assert control.verify_alternative(site.device_id, "card", CARD).subject_id == holder

    # The edge keeps the key sealed under its own master key: restarted, it still finds cards.
    ring = dict(raw_rows(edge.ctx.db, "SELECT name, wrapped FROM key_ring"))
    key = edge.ctx.vault.deployment_lookup_key(site.deployment_id)
    assert key is not None
    sealed = [w for n, w in ring.items() if n.startswith(DEPLOYMENT_LOOKUP)]
    assert len(sealed) == 1 and key not in sealed[0]
    edge.close()
    again = open_gate("edge", "edge")
    assert again.verify_alternative(site.device_id, "card", CARD).subject_id == holder


def test_alternative_required_an_edge_learns_only_its_deployments_lookup_key(
    control: Gate, open_gate: Callable[[str, str], Gate]
) -> None:
    site_a = make_site(control)
    site_b = make_site(control, name="Staff canteen")
    person_with(control, site_b, card=CARD)
    batch = control.sync_down_batch(site_a.device_id, 0)
    root = control.ctx.vault.lookup_key
    assert bytes.fromhex(batch.lookup_key) == deployment_lookup_key(root, site_a.deployment_id)
    assert batch.lookup_key not in (root.hex(), deployment_lookup_key(root, site_b.deployment_id))
    edge = open_gate("edge", "edge")
    edge.sync_apply_down(batch)
    assert edge.ctx.vault.deployment_lookup_key(site_b.deployment_id) is None


def test_alternative_required_a_legacy_card_digest_verifies_and_migrates_to_the_edge(
    control: Gate, open_gate: Callable[[str, str], Gate]
) -> None:
    site = make_site(control)
    holder = person_with(control, site, card=CARD)
    legacy = control.ctx.vault.lookup_digest(f"{site.deployment_id}|{CARD}")
    with control.ctx.db.transaction() as session:  # as a card added before per-deployment keys
        for row in session.query(m.Credential).filter_by(subject_id=holder):
            row.lookup_digest = legacy
    edge = open_gate("edge", "edge")
    down(control, edge, site.device_id)
    assert not edge.verify_alternative(site.device_id, "card", CARD).matched  # cannot find it

    # The control plane finds it by its legacy digest, and rewrites it under the deployment's
    # key; the edge finds it after its next sync.
    assert control.verify_alternative(site.device_id, "card", CARD).subject_id == holder
    down(control, edge, site.device_id)
    assert edge.verify_alternative(site.device_id, "card", CARD).subject_id == holder
    assert control.verify_alternative(site.device_id, "card", CARD).subject_id == holder
