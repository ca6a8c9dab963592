"""Signatures and AES safe mode, checked against wechatpy as the reference peer."""

from __future__ import annotations

import base64
import os

import pytest
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from channels.wechat.crypto import (
    CryptoError,
    MessageCrypto,
    decode_aes_key,
    pkcs7_pad,
    pkcs7_unpad,
)
from channels.wechat.signature import sign, verify
from tests.channels.wechat.conftest import AES_KEY, APP_ID, TOKEN
from tests.channels.wechat.peer import wechat_signature

SAMPLES = ["", "a", "您好", "x" * 31, "y" * 32, "z" * 33, "老年助餐" * 40, "<xml>]]></xml>"]


def test_signature_matches_wechatpy() -> None:
    ours = sign(TOKEN, "1700000000", "12345")
    assert ours == wechat_signature(TOKEN, "1700000000", "12345")
    check_signature(TOKEN, ours, "1700000000", "12345")  # raises if wrong


def test_signature_over_ciphertext_matches_wechatpy() -> None:
    assert sign(TOKEN, "1", "2", "ENC+/=") == wechat_signature(TOKEN, "1", "2", "ENC+/=")


def test_verify_refuses_wrong_and_empty_signatures() -> None:
    good = sign(TOKEN, "1700000000", "12345")
    assert verify(good, TOKEN, "1700000000", "12345")
    assert verify(good.upper(), TOKEN, "1700000000", "12345")
    assert not verify(good, TOKEN, "1700000001", "12345")
    assert not verify("", TOKEN, "1700000000", "12345")
    assert not verify("签名", TOKEN, "1700000000", "12345")
    with pytest.raises(InvalidSignatureException):
        check_signature(TOKEN, sign("other-token", "1", "2"), "1", "2")


def test_pkcs7_uses_32_byte_blocks() -> None:
    assert len(pkcs7_pad(b"a" * 32)) == 64  # aligned input gets a full block
    assert pkcs7_pad(b"abc")[-1] == 29
    assert pkcs7_unpad(pkcs7_pad(b"abc")) == b"abc"
    # Not whole 32-byte blocks (e.g. 16 bytes ending in a plausible pad) is bad padding too.
    for bad in (b"", b"abc\x00", b"abc\x21", b"ab\x01\x02", b"a" * 15 + b"\x01"):
        with pytest.raises(CryptoError):
            pkcs7_unpad(bad)


def test_aes_key_must_be_43_base64_characters() -> None:
    assert len(decode_aes_key(AES_KEY)) == 32
    for bad in ("", AES_KEY[:-1], AES_KEY + "A", "!" * 43):
        with pytest.raises(ValueError):
            decode_aes_key(bad)


@pytest.mark.parametrize("message", SAMPLES)
def test_wechatpy_ciphertext_is_decrypted(message: str) -> None:
    key = base64.b64decode(AES_KEY + "=")
    encrypted = PrpCrypto(key).encrypt(message, APP_ID).decode()
    assert MessageCrypto(AES_KEY, APP_ID).decrypt(encrypted) == message


@pytest.mark.parametrize("message", SAMPLES)
def test_our_ciphertext_is_decrypted_by_wechatpy(message: str) -> None:
    key = base64.b64decode(AES_KEY + "=")
    encrypted = MessageCrypto(AES_KEY, APP_ID).encrypt(message)
    assert PrpCrypto(key).decrypt(encrypted, APP_ID) == message


def test_full_envelope_round_trip_with_wechatpy() -> None:
    """An encrypted reply built from our parts passes wechatpy's signature check."""
    ours = MessageCrypto(AES_KEY, APP_ID)
    encrypted = ours.encrypt("<xml><Content><![CDATA[好]]></Content></xml>")
    signature = sign(TOKEN, "1700000000", "99", encrypted)
    envelope = (
        f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
        f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
        "<TimeStamp>1700000000</TimeStamp><Nonce><![CDATA[99]]></Nonce></xml>"
    )
    plain = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
        envelope, signature, "1700000000", "99"
    )
    assert "好" in plain


def test_random_prefix_makes_ciphertexts_differ() -> None:
    crypto = MessageCrypto(AES_KEY, APP_ID)
    assert crypto.encrypt("same") != crypto.encrypt("same")
    fixed = os.urandom(16)
    assert crypto.encrypt("same", fixed) == crypto.encrypt("same", fixed)


def test_message_for_another_app_is_refused() -> None:
    other = MessageCrypto(AES_KEY, "wx-other-app").encrypt("hello")
    with pytest.raises(CryptoError, match="another app"):
        MessageCrypto(AES_KEY, APP_ID).decrypt(other)


def test_message_under_another_key_is_refused() -> None:
    other_key = base64.b64encode(os.urandom(32)).decode()[:43]
    encrypted = MessageCrypto(other_key, APP_ID).encrypt("hello")
    with pytest.raises(CryptoError):
        MessageCrypto(AES_KEY, APP_ID).decrypt(encrypted)


@pytest.mark.parametrize(
    "garbage", ["", "not base64!", "QUJD", base64.b64encode(b"x" * 17).decode()]
)
def test_garbage_ciphertext_is_refused(garbage: str) -> None:
    with pytest.raises(CryptoError):
        MessageCrypto(AES_KEY, APP_ID).decrypt(garbage)


def test_declared_length_beyond_plaintext_is_refused() -> None:
    crypto = MessageCrypto(AES_KEY, APP_ID)
    key = base64.b64decode(AES_KEY + "=")
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    plain = pkcs7_pad(os.urandom(16) + (10_000).to_bytes(4, "big") + b"short" + APP_ID.encode())
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    forged = base64.b64encode(enc.update(plain) + enc.finalize()).decode()
    with pytest.raises(CryptoError, match="length"):
        crypto.decrypt(forged)
