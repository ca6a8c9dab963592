"""WeChat official-account channel: ``GET/POST /wechat`` (plaintext and AES safe mode).

Modules: ``signature`` and ``crypto`` (WXBizMsgCrypt-compatible), ``xmlmsg`` (defusedxml
parsing, reply XML), ``replay`` (nonce and MsgId state), ``buttons`` and ``formatting``
(numbered choices, 2,048-byte parts), ``customer_service`` (API client), ``service`` (one
callback, start to finish), ``deps`` and ``router`` (FastAPI).

Wiring in the app's lifespan::

    guard = SqlReplayGuard(db); guard.open()
    app.state.wechat_channel = build_channel(settings, guard)
    app.state.wechat_subscription_hook = on_subscription  # optional (sender_id, subscribed)
    app.include_router(channels.wechat.router.router)
    ...
    await app.state.wechat_channel.aclose()  # on shutdown
"""
