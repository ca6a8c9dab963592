"""WeChat official-account channel: ``GET/POST /wechat`` (plaintext and AES safe mode).

Modules: ``signature`` and ``crypto`` (WXBizMsgCrypt-compatible), ``verification``
(timestamp, signature, nonce; opening and sealing envelopes), ``xmlmsg`` (defusedxml parsing,
reply XML), ``replay`` (nonce and MsgId state), ``turns`` (one turn per message across
WeChat's retries, the reply deadline, late delivery), ``replies`` (what to answer),
``buttons`` and ``formatting`` (numbered choices, 2,048-byte parts), ``customer_service``
(API client), ``service`` (the channel facade), ``deps`` and ``router`` (FastAPI).

The composition root (``app/bootstrap.py``) builds the channel once with
``deps.build_channel(settings, SqlReplayGuard(database), on_inbound=...)``.
"""
