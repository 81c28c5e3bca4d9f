"""The vault: sealed templates, swapped ciphertext, crypto-shredding, identity records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from store_rows import add_deployment, add_subject

from facegate.store import Database, TemplateUnreadable, Vault, new_id
from facegate.store import models as m
from facegate.store.vault import (
    IDENTITY_INFO,
    WRAP_INFO,
    derive_key,
    identity_aad,
    template_aad,
)
from raw_sql import raw_rows

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases

LATER = datetime.now(UTC) + timedelta(days=30)


def _vector(seed: int) -> npt.NDArray[np.float64]:
    return np.random.default_rng(seed).normal(size=128)


def _seal(
    vault: Vault, session: Session, subject_id: str, deployment_id: str, seed: int
) -> m.Template:
    return vault.seal_template(
        session,
        subject_id,
        deployment_id,
        new_id(),
        _vector(seed),
        engine="dlib",
        model_version="resnet-v1",
        expires_at=LATER,
    )


def test_round_trip(db: Database, vault: Vault) -> None:
    with db.transaction() as session:
        deployment = add_deployment(session)
        subject = add_subject(session)
        template = _seal(vault, session, subject.id, deployment.id, 1)
        template_id = template.id
    with db.transaction(readonly=True) as session:
        row = session.get(m.Template, template_id)
        assert row is not None
        vector = vault.open_template(session, row)
    assert vector.dtype == np.float32
    np.testing.assert_array_equal(vector, _vector(1).astype(np.float32))
    assert row.expires_at == LATER
    assert (row.engine, row.model_version) == ("dlib", "resnet-v1")


def test_one_data_key_per_subject_and_deployment(db: Database, vault: Vault) -> None:
    with db.transaction() as session:
        first, second = add_deployment(session, "a"), add_deployment(session, "b")
        subject = add_subject(session)
        t1 = _seal(vault, session, subject.id, first.id, 1)
        t2 = _seal(vault, session, subject.id, first.id, 2)
        t3 = _seal(vault, session, subject.id, second.id, 3)
        assert t1.data_key_id == t2.data_key_id != t3.data_key_id
        assert session.scalar(select(func.count()).select_from(m.DataKey)) == 2


def test_swapped_ciphertext_fails_to_decrypt(db: Database, vault: Vault) -> None:
    with db.transaction() as session:
        deployment = add_deployment(session)
        subject = add_subject(session)
        a = _seal(vault, session, subject.id, deployment.id, 1)
        b = _seal(vault, session, subject.id, deployment.id, 2)
        a.nonce, b.nonce = b.nonce, a.nonce
        a.ciphertext, b.ciphertext = b.ciphertext, a.ciphertext
    with db.transaction(readonly=True) as session:
        for template_id in (a.id, b.id):
            row = session.get(m.Template, template_id)
            assert row is not None
            with pytest.raises(TemplateUnreadable) as caught:
                vault.open_template(session, row)
            assert caught.value.code == "template_unreadable"


def test_ciphertext_moved_to_another_subject_fails_to_decrypt(db: Database, vault: Vault) -> None:
    with db.transaction() as session:
        deployment = add_deployment(session)
        alice, bob = add_subject(session), add_subject(session)
        a = _seal(vault, session, alice.id, deployment.id, 1)
        b = _seal(vault, session, bob.id, deployment.id, 2)
        b.nonce, b.ciphertext, b.data_key_id = a.nonce, a.ciphertext, a.data_key_id
        with pytest.raises(TemplateUnreadable):
            vault.open_template(session, b)


def test_another_master_key_cannot_open(db: Database, vault: Vault) -> None:
    with db.transaction() as session:
        deployment = add_deployment(session)
        subject = add_subject(session)
        template = _seal(vault, session, subject.id, deployment.id, 1)
        with pytest.raises(TemplateUnreadable):
            Vault(b"\x00" * 32).open_template(session, template)


@pytest.mark.both_databases
def test_shredded_ciphertext_read_from_the_file_cannot_be_decrypted(
    db: Database, vault: Vault, master_key: bytes
) -> None:
    with db.transaction() as session:
        deployment = add_deployment(session)
        subject = add_subject(session)
        template = _seal(vault, session, subject.id, deployment.id, 1)
        kept = _seal(vault, session, add_subject(session).id, deployment.id, 2)
    [(nonce, ciphertext)] = raw_rows(
        db, "SELECT nonce, ciphertext FROM templates WHERE id = ?", template.id
    )

    with db.transaction() as session:
        assert vault.shred(session, subject.id) == 1

    assert raw_rows(db, "SELECT count(*) FROM templates WHERE id = ?", template.id) == [(0,)]
    keys = raw_rows(
        db, "SELECT wrapped_key, destroyed_at FROM data_keys WHERE subject_id = ?", subject.id
    )
    assert len(keys) == 1
    assert keys[0][0] is None and keys[0][1] is not None

    # With the master key and everything left in the database, the copy stays sealed.
    aad = template_aad(subject.id, deployment.id, template.id)
    for key in (
        master_key,
        derive_key(master_key, WRAP_INFO),
        derive_key(master_key, IDENTITY_INFO),
    ):
        with pytest.raises(InvalidTag):
            AESGCM(key).decrypt(nonce, ciphertext, aad)
    copy = m.Template(
        id=template.id,
        subject_id=subject.id,
        deployment_id=deployment.id,
        data_key_id=template.data_key_id,
        engine="dlib",
        model_version="resnet-v1",
        nonce=nonce,
        ciphertext=ciphertext,
        expires_at=LATER,
    )
    with db.transaction(readonly=True) as session, pytest.raises(TemplateUnreadable):
        vault.open_template(session, copy)

    # Other subjects are untouched.
    with db.transaction(readonly=True) as session:
        row = session.get(m.Template, kept.id)
        assert row is not None
        np.testing.assert_array_equal(vault.open_template(session, row), _vector(2).astype("f4"))


def test_shred_one_deployment_keeps_the_others(db: Database, vault: Vault) -> None:
    with db.transaction() as session:
        first, second = add_deployment(session, "a"), add_deployment(session, "b")
        subject = add_subject(session)
        _seal(vault, session, subject.id, first.id, 1)
        _seal(vault, session, subject.id, first.id, 2)
        other = _seal(vault, session, subject.id, second.id, 3)
        assert vault.shred(session, subject.id, first.id) == 2
        assert vault.open_template(session, other).shape == (128,)
        # A later enrolment gets a fresh key.
        fresh = _seal(vault, session, subject.id, first.id, 4)
        assert vault.open_template(session, fresh).shape == (128,)
        assert vault.shred(session, subject.id) == 2
        assert session.scalar(select(func.count()).select_from(m.Template)) == 0
        live = select(func.count()).select_from(m.DataKey).where(m.DataKey.destroyed_at.is_(None))
        assert session.scalar(live) == 0


def test_bad_embeddings_are_refused(db: Database, vault: Vault) -> None:
    with db.transaction() as session:
        deployment = add_deployment(session)
        subject = add_subject(session)
        for bad in (np.zeros((2, 2)), np.array([]), np.array([1.0, np.nan])):
            with pytest.raises(ValueError):
                vault.seal_template(
                    session, subject.id, deployment.id, new_id(), bad, "e", "v", LATER
                )


def test_identity_round_trip_under_its_own_key(
    db: Database, vault: Vault, master_key: bytes
) -> None:
    identity = {"name": "张三", "id_number": "110101199003070000", "phone": "13800000000"}
    with db.transaction() as session:
        subject = add_subject(session)
        assert vault.open_identity(session, subject.id) is None
        vault.seal_identity(session, subject.id, identity)
        assert vault.open_identity(session, subject.id) == identity
        vault.seal_identity(session, subject.id, {"name": "李四"})
        assert vault.open_identity(session, subject.id) == {"name": "李四"}
        row = session.get(m.Identity, subject.id)
        assert row is not None
        assert "李四".encode() not in row.ciphertext
        # The identity key is not the master key, nor the key that wraps face data keys.
        for key in (master_key, derive_key(master_key, WRAP_INFO)):
            with pytest.raises(InvalidTag):
                AESGCM(key).decrypt(row.nonce, row.ciphertext, identity_aad(subject.id))
        opened = AESGCM(derive_key(master_key, IDENTITY_INFO)).decrypt(
            row.nonce, row.ciphertext, identity_aad(subject.id)
        )
        assert "李四" in opened.decode()


def test_identity_tampering_is_detected(db: Database, vault: Vault) -> None:
    from facegate.store import IdentityUnreadable

    with db.transaction() as session:
        alice, bob = add_subject(session), add_subject(session)
        vault.seal_identity(session, alice.id, {"name": "Alice"})
        row = session.get(m.Identity, alice.id)
        assert row is not None
        session.add(m.Identity(subject_id=bob.id, nonce=row.nonce, ciphertext=row.ciphertext))
        session.flush()
        with pytest.raises(IdentityUnreadable):
            vault.open_identity(session, bob.id)


def test_shredded_bytes_leave_the_sqlite_file(tmp_path: Path, vault: Vault) -> None:
    """Defence in depth beside crypto-shredding: secure_delete overwrites the freed bytes, so
    once the WAL is checkpointed (here: the last connection closes) neither the ciphertext
    nor the wrapped key is left anywhere in the database files."""
    directory = tmp_path / "data"
    db = Database.for_data_dir(directory)
    db.upgrade()
    with db.transaction() as session:
        deployment = add_deployment(session)
        subject = add_subject(session)
        template = _seal(vault, session, subject.id, deployment.id, 1)
        key_row = vault.live_data_key(session, subject.id, deployment.id)
        assert key_row is not None and key_row.wrapped_key is not None
        secrets = (template.ciphertext, key_row.wrapped_key)
    db.dispose()

    def found(secret: bytes) -> bool:
        return any(secret in path.read_bytes() for path in directory.iterdir())

    assert all(found(secret) for secret in secrets)
    db = Database.for_data_dir(directory)
    with db.transaction() as session:
        vault.shred(session, subject.id)
    db.dispose()
    assert not any(found(secret) for secret in secrets)


def _ahead(vault: Vault, db: Database, subject_id: str, deployment_id: str, seed: int):  # type: ignore[no-untyped-def]
    with db.transaction(readonly=True) as session:
        return vault.seal_ahead(
            session, subject_id, deployment_id, new_id(), _vector(seed),
            engine="dlib", model_version="resnet-v1",
        )  # fmt: skip


def _live_keys(db: Database, subject_id: str) -> int:
    with db.transaction(readonly=True) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(m.DataKey)
                .where(m.DataKey.subject_id == subject_id, m.DataKey.destroyed_at.is_(None))
            )
            or 0
        )


def _opens(vault: Vault, db: Database, template_id: str, seed: int) -> bool:
    with db.transaction(readonly=True) as session:
        row = session.get(m.Template, template_id)
        assert row is not None
        return bool(np.allclose(vault.open_template(session, row), _vector(seed)))


def test_sealed_ahead_under_a_new_key_is_stored_with_it(db: Database, vault: Vault) -> None:
    with db.transaction() as session:
        deployment_id, subject_id = add_deployment(session).id, add_subject(session).id
    sealed = _ahead(vault, db, subject_id, deployment_id, 1)
    assert sealed.new_key is not None
    with db.transaction() as session:
        stored = vault.store_sealed(session, sealed, expires_at=LATER, created_at=LATER)
    before, after = stored.versions
    assert after == before + 1 and stored.data_key_id == sealed.data_key_id
    assert _live_keys(db, subject_id) == 1
    assert _opens(vault, db, sealed.template_id, 1)


def test_sealed_ahead_when_another_writer_made_the_key_is_sealed_again_under_it(
    db: Database, vault: Vault
) -> None:
    """Two enrolments of one person, both sealed before either wrote: one live key."""
    with db.transaction() as session:
        deployment_id, subject_id = add_deployment(session).id, add_subject(session).id
    sealed = _ahead(vault, db, subject_id, deployment_id, 1)
    with db.transaction() as session:
        other = _seal(vault, session, subject_id, deployment_id, 2)
    with db.transaction() as session:
        stored = vault.store_sealed(session, sealed, expires_at=LATER, created_at=LATER)
    assert stored.data_key_id == other.data_key_id != sealed.data_key_id
    assert _live_keys(db, subject_id) == 1
    assert _opens(vault, db, sealed.template_id, 1)


def test_sealed_ahead_under_a_key_destroyed_meanwhile_is_never_stored_under_it(
    db: Database, vault: Vault
) -> None:
    """Deletion = key destruction: a template sealed under a key destroyed before the write is
    sealed again under a new key, never written under the destroyed one."""
    with db.transaction() as session:
        deployment_id, subject_id = add_deployment(session).id, add_subject(session).id
        first = _seal(vault, session, subject_id, deployment_id, 2)
    sealed = _ahead(vault, db, subject_id, deployment_id, 1)
    assert sealed.data_key_id == first.data_key_id and sealed.new_key is None
    with db.transaction() as session:
        vault.shred(session, subject_id, deployment_id)
    with db.transaction() as session:
        stored = vault.store_sealed(session, sealed, expires_at=LATER, created_at=LATER)
    assert stored.data_key_id != first.data_key_id
    assert _live_keys(db, subject_id) == 1
    assert _opens(vault, db, sealed.template_id, 1)
