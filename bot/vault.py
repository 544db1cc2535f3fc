"""Encryption at rest and keyed lookup hashes for personal data, derived from SECRET_KEY."""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"baro", info=purpose).derive(secret.encode())


class Vault:
    """Separate keys for encryption and for hashing, so one never weakens the other."""

    def __init__(self, secret_key: str):
        if not secret_key:
            raise ValueError("SECRET_KEY is empty")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret_key, b"encrypt")))
        self._hash_key = _derive(secret_key, b"lookup-hash")

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def encrypt_bytes(self, value: bytes) -> bytes:
        """A file (a voice note, a photo), encrypted with the same key as texts."""
        return self._fernet.encrypt(value)

    def decrypt_bytes(self, token: bytes) -> bytes:
        return self._fernet.decrypt(token)

    def lookup_hash(self, value: str) -> str:
        """Deterministic, so a number can be found without storing it in clear."""
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()
