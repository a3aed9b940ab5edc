"""Encryption at rest of stored media: AES-256-GCM with named keys, so that keys can rotate.

An object is ``MAGIC | len(key id) | key id | nonce (12 bytes) | ciphertext + tag``. The object's storage
name is the associated data: a blob copied under another name does not decrypt. ``MEDIA_ENCRYPTION_KEYS``
is ``id:base64key,id:base64key``: the first key encrypts, every listed key decrypts, so a new key goes
first and an old one stays listed until nothing uses it (``portal.media.storage.Storage.reencrypt``).
"""
from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"PM1"
NONCE_BYTES = 12
KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")


class DecryptError(Exception):
    """The blob is not ours, was altered, or its key is not configured."""


def new_key() -> str:
    """A fresh 256-bit key, base64 (urlsafe), for MEDIA_ENCRYPTION_KEYS."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()


@dataclass(frozen=True)
class Keyring:
    current: str  # the id of the key that encrypts
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """``id:base64key,…`` → a keyring; ValueError naming what is wrong (never the key itself)."""
        keys: dict[str, bytes] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            key_id, _, encoded = item.partition(":")
            if not KEY_ID.fullmatch(key_id):
                raise ValueError("each key is id:base64key, the id of letters, digits, _ . - (32 at most)")
            try:
                raw = base64.urlsafe_b64decode(encoded.strip() + "=" * (-len(encoded.strip()) % 4))
            except ValueError:
                raise ValueError(f"key {key_id} is not base64") from None
            if len(raw) != 32:
                raise ValueError(f"key {key_id} must be 32 bytes (256 bits)")
            if key_id in keys:
                raise ValueError(f"key id {key_id} is listed twice")
            keys[key_id] = raw
        if not keys:
            raise ValueError("no key")
        return cls(next(iter(keys)), keys)

    def encrypt(self, data: bytes, name: str) -> bytes:
        key_id = self.current.encode()
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, data, name.encode())
        return MAGIC + bytes([len(key_id)]) + key_id + nonce + sealed

    def key_id_of(self, blob: bytes) -> str:
        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 1:
            raise DecryptError("not an encrypted media object")
        length = blob[len(MAGIC)]
        return blob[len(MAGIC) + 1:len(MAGIC) + 1 + length].decode("ascii", "replace")

    def decrypt(self, blob: bytes, name: str) -> bytes:
        key_id = self.key_id_of(blob)
        key = self.keys.get(key_id)
        if key is None:
            raise DecryptError(f"key {key_id!r} is not configured")
        start = len(MAGIC) + 1 + len(key_id)
        nonce, sealed = blob[start:start + NONCE_BYTES], blob[start + NONCE_BYTES:]
        try:
            return AESGCM(key).decrypt(nonce, sealed, name.encode())
        except InvalidTag:
            raise DecryptError("the object does not decrypt with its key (altered, or another key)") from None
