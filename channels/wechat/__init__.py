"""WeChat official-account channel: ``GET/POST /wechat`` (plaintext and AES safe mode)."""
