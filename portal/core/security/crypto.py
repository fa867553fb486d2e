"""Encryption at rest for personal identifiers, and keyed hashes for lookups.

Names, phone numbers and identity numbers are stored with `EncryptedText` (Fernet: AES-128-CBC
with HMAC-SHA256, from `cryptography`). Several keys may be configured, newest first: new values
are written under the first, and values under any of them can be read, so keys can be rotated
with `flask --app wsgi rotate-keys`. Where a lookup by value is needed, a separate column holds
`lookup_hash(value)`, an HMAC-SHA256 under LOOKUP_KEY, which cannot be reversed without the key.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


class KeyRing:
    """The configured data-encryption keys and the lookup key, set once by `create_app`."""

    def __init__(self) -> None:
        self._fernet: MultiFernet | None = None
        self._lookup_key: bytes | None = None

    def configure(self, data_keys: Sequence[str], lookup_key: str) -> None:
        """Install the keys. `data_keys` are url-safe base64 Fernet keys, newest first.

        Raises ValueError if a key is not a valid Fernet key.
        """
        self._fernet = MultiFernet([Fernet(key.encode()) for key in data_keys])
        self._lookup_key = lookup_key.encode()

    @property
    def fernet(self) -> MultiFernet:
        """The MultiFernet of the configured keys. Raises RuntimeError before `configure`."""
        if self._fernet is None:
            raise RuntimeError("encryption keys are not configured; call create_app() first")
        return self._fernet

    @property
    def lookup_key(self) -> bytes:
        """The HMAC key for lookup hashes. Raises RuntimeError before `configure`."""
        if self._lookup_key is None:
            raise RuntimeError("lookup key is not configured; call create_app() first")
        return self._lookup_key


keyring = KeyRing()


def encrypt(plaintext: str) -> str:
    """Encrypt `plaintext` under the newest data key; returns a url-safe base64 token."""
    return keyring.fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt a token made by `encrypt` under any configured key.

    Raises cryptography.fernet.InvalidToken when no configured key can read it.
    """
    return keyring.fernet.decrypt(token.encode("ascii")).decode("utf-8")


def rotate(token: str) -> str:
    """Re-encrypt `token` under the newest key (for key rotation)."""
    return keyring.fernet.rotate(token.encode("ascii")).decode("ascii")


def lookup_hash(value: str, purpose: str = "lookup") -> str:
    """Return the hex HMAC-SHA256 of `value` under LOOKUP_KEY, separated by `purpose`.

    Callers normalise first (E.164 phone numbers, upper-case identity numbers), so that equal
    values give equal hashes. 64 hex characters.
    """
    message = f"{purpose}\x00{value}".encode("utf-8")
    return hmac.new(keyring.lookup_key, message, hashlib.sha256).hexdigest()


def hashes_match(value: str, expected_hash: str, purpose: str = "lookup") -> bool:
    """Compare `value` against a stored `lookup_hash` in constant time."""
    return hmac.compare_digest(lookup_hash(value, purpose), expected_hash)


class EncryptedText(TypeDecorator):
    """A column type that stores text encrypted with the key ring and returns it decrypted.

    None stays None. A value no configured key can read comes back as None rather than
    breaking the page that shows it; `rotate-keys` reports such rows.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        """Encrypt the value for storage (None stays None)."""
        if value is None:
            return None
        return encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        """Decrypt a stored value; None if no configured key can read it."""
        if value is None:
            return None
        try:
            return decrypt(value)
        except InvalidToken:
            return None


def phone_hash(e164: str) -> str:
    """The lookup hash of a mobile number; `e164` must already be normalised (`+8613800138000`)."""
    return lookup_hash(e164, "phone")


def resident_id_hash(id_number: str) -> str:
    """The lookup hash of a resident identity number, normalised first (18 characters, upper case)."""
    return lookup_hash(id_number, "resident-id")
