"""WeChat's message encryption (WXBizMsgCrypt-compatible), built on ``cryptography``.

Plaintext layout before encryption::

    random(16 bytes) | len(msg) as 4-byte big-endian | msg (UTF-8) | app id

padded with PKCS#7 to a 32-byte block (WeChat's choice, not AES's 16), encrypted with
AES-256-CBC. The key is ``base64(EncodingAESKey + "=")``; the IV is the key's first 16 bytes.
The ciphertext travels base64-encoded.
"""

from __future__ import annotations

import base64
import binascii
import os
import struct

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeChat pads to 32 bytes


class CryptoError(ValueError):
    """A ciphertext could not be decrypted, or was meant for another app."""


def pkcs7_pad(data: bytes, block: int = BLOCK) -> bytes:
    """Pad ``data`` with PKCS#7 to a multiple of ``block`` bytes (a full block if aligned)."""
    padder = padding.PKCS7(block * 8).padder()
    return padder.update(data) + padder.finalize()


def pkcs7_unpad(data: bytes, block: int = BLOCK) -> bytes:
    """Remove and check PKCS#7 padding of ``block``-byte blocks.

    Raises:
        CryptoError: the padding is malformed (or ``data`` is not whole blocks).
    """
    if not data:
        raise CryptoError("empty plaintext")
    unpadder = padding.PKCS7(block * 8).unpadder()
    try:
        return unpadder.update(data) + unpadder.finalize()
    except ValueError as exc:
        raise CryptoError("bad padding") from exc


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """Turn the 43-character EncodingAESKey into the 32-byte AES key.

    Raises:
        ValueError: the key does not have 43 base64 characters.
    """
    if len(encoding_aes_key) != 43:
        raise ValueError("EncodingAESKey must have 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError("EncodingAESKey is not base64") from exc
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return key


class MessageCrypto:
    """Encrypts and decrypts message bodies of one official account.

    Args:
        encoding_aes_key: the 43-character EncodingAESKey from the WeChat console.
        app_id: the account's AppID; decrypted messages must carry it.
    """

    def __init__(self, encoding_aes_key: str, app_id: str) -> None:
        if not app_id:
            raise ValueError("app_id is required")
        self._key = decode_aes_key(encoding_aes_key)
        self._app_id = app_id.encode("utf-8")

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def encrypt(self, message: str, random16: bytes | None = None) -> str:
        """Encrypt ``message``; returns the base64 text for the ``Encrypt`` element.

        Args:
            message: the plaintext XML.
            random16: 16 random bytes (taken from ``os.urandom`` if omitted; tests fix it).
        """
        random16 = os.urandom(16) if random16 is None else random16
        if len(random16) != 16:
            raise ValueError("random16 must have 16 bytes")
        body = message.encode("utf-8")
        plain = pkcs7_pad(random16 + struct.pack(">I", len(body)) + body + self._app_id)
        enc = self._cipher().encryptor()
        return base64.b64encode(enc.update(plain) + enc.finalize()).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        """Decrypt the base64 ``Encrypt`` text and check the app id.

        Raises:
            CryptoError: malformed input, bad padding or length, or another app's message.
        """
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CryptoError("ciphertext is not base64") from exc
        if not raw or len(raw) % 16:
            raise CryptoError("ciphertext length is not a multiple of the AES block")
        dec = self._cipher().decryptor()
        plain = pkcs7_unpad(dec.update(raw) + dec.finalize())
        if len(plain) < 20:
            raise CryptoError("plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise CryptoError("declared length exceeds the plaintext")
        body, app_id = plain[20 : 20 + length], plain[20 + length :]
        if app_id != self._app_id:
            raise CryptoError("message is for another app id")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CryptoError("plaintext is not UTF-8") from exc
