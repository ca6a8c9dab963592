"""WeChat request signatures: SHA-1 over the sorted, concatenated parts."""

from __future__ import annotations

import hashlib
import hmac


def sign(*parts: str) -> str:
    """Compute WeChat's signature of ``parts`` (token, timestamp, nonce[, encrypt]).

    Args:
        *parts: the strings to sign, in any order (they are sorted first).

    Returns:
        The lowercase hex SHA-1 digest.
    """
    joined = "".join(sorted(parts)).encode("utf-8")
    return hashlib.sha1(joined).hexdigest()  # noqa: S324 - WeChat's protocol, not our choice


def verify(signature: str, *parts: str) -> bool:
    """Tell whether ``signature`` is the signature of ``parts``, in constant time."""
    if not signature:
        return False
    return hmac.compare_digest(
        sign(*parts).encode("ascii"), signature.strip().lower().encode("ascii", "replace")
    )
