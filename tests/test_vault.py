"""The vault (bot.vault): personal data sealed at rest, opened only with the SECRET_KEY that sealed it."""

import base64
import secrets

import pytest
from cryptography.fernet import Fernet, InvalidToken

from bot.vault import Vault, _derive

KEY = secrets.token_urlsafe(32)
PHONE = "+22370000001"


def test_a_text_is_sealed_unreadable_and_opens_with_its_key():
    vault = Vault(KEY)
    sealed = vault.encrypt(PHONE)
    assert PHONE not in sealed and "70000001" not in base64.urlsafe_b64decode(sealed).decode("latin-1")
    assert Vault(KEY).decrypt(sealed) == PHONE


def test_the_same_text_sealed_twice_is_two_different_tokens():
    """Who wrote the same words, or has the same number, cannot be told from what is stored."""
    vault = Vault(KEY)
    assert vault.encrypt(PHONE) != vault.encrypt(PHONE)


def test_another_secret_key_opens_nothing():
    with pytest.raises(InvalidToken):
        Vault(secrets.token_urlsafe(32)).decrypt(Vault(KEY).encrypt(PHONE))
    with pytest.raises(InvalidToken):
        Vault(secrets.token_urlsafe(32)).decrypt_bytes(Vault(KEY).encrypt_bytes(b"a voice note"))


@pytest.mark.parametrize("position", [0, 1, 14, -1])
def test_a_changed_token_does_not_open(position):
    sealed = bytearray(Vault(KEY).encrypt_bytes(b"Il me menace"))
    sealed[position] ^= 0x01
    with pytest.raises(InvalidToken):
        Vault(KEY).decrypt_bytes(bytes(sealed))


@pytest.mark.parametrize("token", ["", "not a token", "AAAA", "gAAAAAB" + "x" * 80, "é"])
def test_what_is_not_a_token_does_not_open(token):
    with pytest.raises(InvalidToken):
        Vault(KEY).decrypt(token)


def test_what_was_sealed_before_with_fernet_still_opens():
    """Numbers, confidential reports, files and conversations stored before the vault moved to AES-GCM."""
    before = Fernet(base64.urlsafe_b64encode(_derive(KEY, b"encrypt")))
    assert Vault(KEY).decrypt(before.encrypt(PHONE.encode()).decode()) == PHONE
    assert Vault(KEY).decrypt_bytes(before.encrypt(b"a photo")) == b"a photo"
