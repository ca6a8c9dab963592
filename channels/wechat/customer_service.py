"""Client of WeChat's customer-service message API (``/cgi-bin/message/custom/send``) and
template message API (``/cgi-bin/message/template/send``).

Access tokens come from ``/cgi-bin/stable_token``, which hands every caller the same
token until it expires (the older ``/cgi-bin/token`` invalidates the token of other app
replicas on each call). Tokens are cached until shortly before they expire and refreshed
once when WeChat says they are invalid or expired.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import httpx

log = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid, malformed, expired access token
OUTSIDE_WINDOW = 45015  # the user has not written within 48 hours
USER_GONE = frozenset({43004, 40003})  # unsubscribed / invalid openid
QUOTA_REACHED = 45009  # the daily quota of this API is spent
INVALID_TEMPLATE = 40037  # WeChat does not know the template id
SYSTEM_BUSY = -1
TOKEN_MARGIN_S = 300.0


class WeChatAPIError(RuntimeError):
    """WeChat's API answered with an error code, or could not be reached.

    Attributes:
        errcode: WeChat's error code (0 when the transport failed).
    """

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class OutsideServiceWindow(WeChatAPIError):
    """45015: customer-service messages are allowed only within 48 hours of the user's
    last message; the answer cannot be delivered now."""


class UserUnreachable(WeChatAPIError):
    """The user unsubscribed or the openid is not valid for this account."""


class CustomerServiceClient:
    """Sends text messages to users outside the 5-second passive-reply window.

    Args:
        base_url: WeChat API base, e.g. ``https://api.weixin.qq.com``.
        app_id: the account's AppID.
        app_secret: the account's AppSecret.
        timeout_s: per-request timeout.
        http: an existing client (tests); otherwise one is created and owned.
    """

    def __init__(
        self,
        base_url: str,
        app_id: str,
        app_secret: str,
        timeout_s: float = 5.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        if not base_url:
            raise ValueError("base_url is required")
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout_s)
        self._base = base_url.rstrip("/")
        self._app_id = app_id
        self._app_secret = app_secret
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http:
            await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            resp = await self._http.request(method, self._base + path, **kwargs)
            data = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise WeChatAPIError(0, f"{path}: {exc.__class__.__name__}") from exc
        if resp.status_code >= 400 or not isinstance(data, dict):
            raise WeChatAPIError(0, f"{path}: HTTP {resp.status_code}")
        errcode = int(data.get("errcode") or 0)
        if errcode:
            errmsg = str(data.get("errmsg", ""))
            if errcode == OUTSIDE_WINDOW:
                raise OutsideServiceWindow(errcode, errmsg)
            if errcode in USER_GONE:
                raise UserUnreachable(errcode, errmsg)
            raise WeChatAPIError(errcode, errmsg)
        return data

    async def access_token(self, rejected: str | None = None) -> str:
        """A valid access token, fetched only when the cached one is missing or stale.

        Args:
            rejected: a token WeChat just refused; if it is still the cached one, a fresh
                token is forced (concurrent callers refresh once, not once each).
        """
        async with self._lock:
            cached = self._token
            if cached and cached != rejected and time.monotonic() < self._token_expires_at:
                return cached
            force_refresh = rejected is not None
            data = await self._call(
                "POST",
                "/cgi-bin/stable_token",
                json={
                    "grant_type": "client_credential",
                    "appid": self._app_id,
                    "secret": self._app_secret,
                    "force_refresh": force_refresh,
                },
            )
            token = str(data.get("access_token") or "")
            if not token:
                raise WeChatAPIError(0, "no access_token in answer")
            lifetime = float(data.get("expires_in") or 7200)
            self._token = token
            self._token_expires_at = time.monotonic() + max(lifetime - TOKEN_MARGIN_S, lifetime / 2)
            return token

    async def send_text(self, openid: str, content: str) -> None:
        """Send one text message to ``openid``.

        Raises:
            OutsideServiceWindow: 45015, the user's 48-hour window is closed.
            UserUnreachable: the user unsubscribed or the openid is wrong.
            WeChatAPIError: any other failure (after one token refresh and one retry when
                WeChat is busy).
        """
        await self._post(
            "/cgi-bin/message/custom/send",
            _json_body({"touser": openid, "msgtype": "text", "text": {"content": content}}),
        )

    async def send_template(
        self, openid: str, template_id: str, data: dict[str, dict[str, str]], url: str = ""
    ) -> int:
        """Send one template message (``/cgi-bin/message/template/send``); returns its msgid.

        Raises:
            UserUnreachable: 43004/40003, the user unsubscribed or the openid is wrong.
            WeChatAPIError: 45009 when the daily quota is spent, 40037 for a template id
                WeChat does not know, any other failure (after one token refresh and one
                retry when WeChat is busy).
        """
        message: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": data}
        if url:
            message["url"] = url
        answer = await self._post("/cgi-bin/message/template/send", _json_body(message))
        return int(answer.get("msgid") or 0)

    async def _post(self, path: str, body: bytes) -> dict[str, Any]:
        """POST ``body`` to ``path`` with the access token; refreshes a rejected token once
        and retries once when WeChat is busy."""
        token = await self.access_token()
        refreshed = busy_retried = False
        while True:
            try:
                return await self._call(
                    "POST",
                    path,
                    params={"access_token": token},
                    content=body,
                    headers={"Content-Type": "application/json; charset=utf-8"},
                )
            except WeChatAPIError as exc:
                if exc.errcode in TOKEN_ERRORS and not refreshed:
                    log.info("access token rejected (%s); refreshing", exc.errcode)
                    refreshed = True
                    token = await self.access_token(rejected=token)
                    continue
                if exc.errcode == SYSTEM_BUSY and not busy_retried:
                    busy_retried = True
                    await asyncio.sleep(0.5)
                    continue
                raise


def _json_body(message: dict[str, Any]) -> bytes:
    # ensure_ascii=False: WeChat shows \\u escapes literally in some clients
    return json.dumps(message, ensure_ascii=False).encode("utf-8")
