"""Checks on a WeChat callback before any bot work: freshness, signature, replay, envelope.

1. the timestamp must be within five minutes of our clock;
2. the signature must match (``msg_signature`` over the ciphertext in safe mode);
3. the body is parsed with defusedxml (and decrypted in safe mode);
4. the nonce must be unseen, unless it comes back with the same message (a WeChat retry).

Replies in safe mode are sealed here too: encrypted and signed into an envelope.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

from channels.wechat.crypto import CryptoError, MessageCrypto
from channels.wechat.replay import NonceVerdict, ReplayGuard
from channels.wechat.signature import sign, verify
from channels.wechat.xmlmsg import Inbound, XMLRejected, encrypted_envelope, parse_xml

TIMESTAMP_WINDOW_S = 300.0


class Refused(Exception):
    """The request is refused; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Verifier:
    """Checks callbacks of one official account and opens/seals their envelopes.

    Args:
        token: the Token configured in the WeChat console.
        crypto: the account's message crypto, or None for plaintext mode only.
        guard: where seen nonces are kept.
        clock: wall-clock seconds.
        max_body_bytes: larger bodies are refused with 413.
    """

    def __init__(
        self,
        *,
        token: str,
        crypto: MessageCrypto | None,
        guard: ReplayGuard,
        clock: Callable[[], float],
        max_body_bytes: int,
    ) -> None:
        self.token = token
        self.crypto = crypto
        self.guard = guard
        self.clock = clock
        self.max_body_bytes = max_body_bytes

    def check_fresh(self, params: Mapping[str, str]) -> tuple[str, str]:
        """The (timestamp, nonce) of a well-formed, fresh request."""
        timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
        if not timestamp.isdigit() or len(timestamp) > 12 or not 0 < len(nonce) <= 64:
            raise Refused(400, "missing or malformed timestamp/nonce")
        if abs(self.clock() - int(timestamp)) > TIMESTAMP_WINDOW_S:
            raise Refused(403, "stale timestamp")
        return timestamp, nonce

    async def check_nonce(self, nonce: str, fingerprint: str) -> None:
        """Refuse a nonce already seen with another fingerprint (message)."""
        verdict = await self.guard.check_nonce(nonce, fingerprint, self.clock())
        if verdict is NonceVerdict.REUSED:
            raise Refused(403, "reused nonce")

    async def verify_url(self, params: Mapping[str, str]) -> str:
        """The ``echostr`` of a genuine URL verification.

        Raises:
            Refused: bad signature, stale timestamp or reused nonce.
        """
        timestamp, nonce = self.check_fresh(params)
        if not verify(params.get("signature", ""), self.token, timestamp, nonce):
            raise Refused(403, "bad signature")
        echostr = params.get("echostr", "")
        if not echostr or len(echostr) > 128:
            raise Refused(400, "missing echostr")
        await self.check_nonce(nonce, "echo:" + hashlib.sha256(echostr.encode()).hexdigest())
        return echostr

    async def open_callback(self, params: Mapping[str, str], body: bytes) -> tuple[Inbound, bool]:
        """Check a message callback and read it; returns it and whether it was encrypted.

        Raises:
            Refused: forged, stale, replayed or malformed requests.
        """
        try:
            inbound, encrypted = self._open(params, body)
        except XMLRejected as exc:
            raise Refused(exc.status, str(exc)) from exc
        await self.check_nonce(params["nonce"], inbound.dedupe_key)
        return inbound, encrypted

    def _open(self, params: Mapping[str, str], body: bytes) -> tuple[Inbound, bool]:
        timestamp, nonce = self.check_fresh(params)
        encrypted = params.get("encrypt_type", "").lower() == "aes"
        if not encrypted:
            if not verify(params.get("signature", ""), self.token, timestamp, nonce):
                raise Refused(403, "bad signature")
            return Inbound.from_fields(parse_xml(body, self.max_body_bytes)), False
        if self.crypto is None:
            raise Refused(400, "safe mode is not configured (no EncodingAESKey)")
        outer = parse_xml(body, self.max_body_bytes)
        ciphertext = outer.get("Encrypt", "")
        if not ciphertext:
            raise Refused(400, "no Encrypt element")
        if not verify(params.get("msg_signature", ""), self.token, timestamp, nonce, ciphertext):
            raise Refused(403, "bad msg_signature")
        try:
            inner = self.crypto.decrypt(ciphertext)
        except CryptoError as exc:
            raise Refused(400, f"cannot decrypt: {exc}") from exc
        return Inbound.from_fields(parse_xml(inner.encode("utf-8"), self.max_body_bytes)), True

    def seal(self, xml: str, timestamp: str, nonce: str) -> str:
        """The safe-mode envelope carrying ``xml`` (needs the crypto)."""
        if self.crypto is None:
            raise ValueError("safe mode is not configured")
        ciphertext = self.crypto.encrypt(xml)
        signature = sign(self.token, timestamp, nonce, ciphertext)
        return encrypted_envelope(ciphertext, signature, timestamp, nonce)
