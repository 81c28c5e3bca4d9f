"""Typed errors of the store, each with a stable machine code."""

from __future__ import annotations

from facegate.errors import FacegateError


class StoreError(FacegateError):
    code = "store_error"


class KeyFileInsecure(StoreError):
    """The master key file can be read by the group or by others."""

    code = "key_file_insecure"


class MasterKeyInvalid(StoreError):
    """The master key (file or environment) is not base64 of 32 bytes."""

    code = "master_key_invalid"


class TemplateUnreadable(StoreError):
    """The template's data key is destroyed, or its ciphertext fails authentication."""

    code = "template_unreadable"


class IdentityUnreadable(StoreError):
    """An identity record fails authentication (tampered, or sealed under another key)."""

    code = "identity_unreadable"


class MasterKeyMismatch(StoreError):
    """The master key is not the one this database's data is wrapped under."""

    code = "master_key_mismatch"


class MasterKeyMissing(StoreError):
    """No master key, but the database holds data wrapped under one: creating a new key would
    make every template and identity unreadable for good."""

    code = "master_key_missing"


class JournalDamaged(StoreError):
    """The deletion journal cannot be read or extended."""

    code = "journal_damaged"
