"""Encryption at rest and keyed lookup hashes for personal data, derived from SECRET_KEY.

Texts and files are sealed with AES-256-GCM (an authenticated cipher: a changed token does not open). Every
message's turn opens and seals where its conversation waits, and Fernet, which the vault used before, cost four
times as much (bench/turn_cpu.py); what Fernet sealed then still opens.
"""

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# A sealed value: this version byte, a random nonce, then the ciphertext and its tag. A Fernet token's first
# byte is 0x80, so the two are told apart.
VERSION = b"\x01"
NONCE_BYTES = 12


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"baro", info=purpose).derive(secret.encode())


class Vault:
    """Separate keys for encryption and for hashing, so one never weakens the other.

    Opening what does not open (changed, or sealed under another SECRET_KEY) raises cryptography's InvalidToken.
    """

    def __init__(self, secret_key: str):
        if not secret_key:
            raise ValueError("SECRET_KEY is empty")
        self._aead = AESGCM(_derive(secret_key, b"seal"))
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret_key, b"encrypt")))  # what was sealed before
        self._hash_key = _derive(secret_key, b"lookup-hash")

    def encrypt(self, value: str) -> str:
        return base64.urlsafe_b64encode(self.encrypt_bytes(value.encode())).decode()

    def decrypt(self, token: str) -> str:
        try:
            sealed = base64.urlsafe_b64decode(token)
        except (binascii.Error, ValueError) as error:
            raise InvalidToken from error
        if not sealed.startswith(VERSION):
            return self._fernet.decrypt(token).decode()
        return self.decrypt_bytes(sealed).decode()

    def encrypt_bytes(self, value: bytes) -> bytes:
        """A file (a voice note, a photo), sealed with the same key as texts."""
        nonce = os.urandom(NONCE_BYTES)
        return VERSION + nonce + self._aead.encrypt(nonce, value, VERSION)

    def decrypt_bytes(self, token: bytes) -> bytes:
        if not token.startswith(VERSION):
            return self._fernet.decrypt(token)
        nonce, sealed = token[1 : 1 + NONCE_BYTES], token[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, VERSION)
        except (InvalidTag, ValueError) as error:
            raise InvalidToken from error

    def lookup_hash(self, value: str) -> str:
        """Deterministic, so a number can be found without storing it in clear."""
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()
