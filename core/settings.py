"""The one settings class of every process, read from the environment (prefix ``YINFA_``)
and ``.env``. Groups such as alert delivery are nested models: ``YINFA_ALERTS_POLL_S`` sets
``settings.alerts.poll_s``."""

from __future__ import annotations

from datetime import date, time
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = "change-me"
SECRETS = ("rasa_token", "action_token", "session_secret", "wechat_token", "wechat_app_secret")
"""Settings that must be set (not the placeholder) outside development; the app refuses to start."""


class AlertSettings(BaseModel):
    """Alert delivery and live-stream tuning (``YINFA_ALERTS_<NAME>``).

    Attributes:
        worker: ``inline`` runs the delivery worker inside the app process; ``off`` leaves
            it to ``python -m alerts worker`` (one or more separate processes).
        batch_size: outbox rows claimed at once.
        concurrency: deliveries in flight per worker.
        lease_s: a claimed row whose worker died is claimed again after this long.
        poll_s: idle worker's wait between claims; live streams' database poll interval.
        max_attempts: after this many failed attempts a row is marked ``failed``.
        backoff_base_s / backoff_max_s: retry delay ``base * 2**(attempt-1)``, capped.
        wechat_window_h: WeChat's customer-service window after the user's last message.
        fanout: render each alert once per district and append its turn to every
            subscriber's conversation (issue 15); ``false``: one Rasa turn per subscriber,
            the old path, kept for the benchmark's comparison.
    """

    worker: Literal["inline", "off"] = "inline"
    batch_size: int = Field(default=64, ge=1, le=1000)
    concurrency: int = Field(default=16, ge=1, le=256)
    lease_s: float = Field(default=60.0, gt=0)
    poll_s: float = Field(default=1.0, gt=0)
    max_attempts: int = Field(default=8, ge=1)
    backoff_base_s: float = Field(default=2.0, ge=0)
    backoff_max_s: float = Field(default=300.0, ge=0)
    wechat_window_h: float = Field(default=48.0, gt=0)
    fanout: bool = True


class WeChatTemplateSettings(BaseModel):
    """WeChat template messages (服务号 模板消息) for subscribers outside the 48-hour
    customer-service window (``YINFA_WECHAT_TEMPLATE_<NAME>``).

    Attributes:
        id: the template id from the account's template list; empty turns template
            messages off (subscribers outside the window are then "not deliverable").
        title_field / body_field / code_field / check_field: the template's keys
            (``thing1`` ...) that get the alert's title, its body, its public code and the
            line "how to check it"; an empty name leaves that part out.
        unsubscribe_field: the key that gets "不想收了，回复 退订" (every alert says how to
            stop them); empty leaves it out, for a template without a fifth field.
        field_max_chars: characters per field; WeChat documents 20 for ``thing`` fields
            (longer values are refused with 47003), so texts are cut to fit.
        daily_quota: template messages the account may send per day (WeChat: 100,000
            for a verified account, more with many followers).
        quota_reset: when WeChat's daily quota starts again, Asia/Shanghai time.
    """

    id: str = ""
    title_field: str = "thing1"
    body_field: str = "thing2"
    code_field: str = "character_string3"
    check_field: str = "thing4"
    unsubscribe_field: str = "thing5"
    field_max_chars: int = Field(default=20, ge=5, le=200)
    daily_quota: int = Field(default=100_000, ge=0)
    quota_reset: time = time(0, 0)


class Settings(BaseSettings):
    """All configuration of the app process in one place.

    Every field can be set with an environment variable ``YINFA_<NAME>`` or in ``.env``.
    Secrets have development defaults that are refused when ``env`` is not ``development``.
    """

    model_config = SettingsConfigDict(
        env_prefix="YINFA_",
        env_file=".env",
        extra="ignore",
        env_nested_delimiter="_",
        env_nested_max_split=1,  # YINFA_ALERTS_POLL_S -> alerts.poll_s
    )

    env: Literal["development", "test", "production"] = "development"

    # HTTP server of the app
    host: str = "127.0.0.1"
    port: int = 8000

    # Rasa server
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = Field(default=PLACEHOLDER, description="Token of Rasa's HTTP API")
    # Rasa -> app: Rasa sends ``Authorization: Bearer <action_token>`` (endpoints.yml) to
    # /webhook. During a rotation the app also accepts ``action_token_previous``.
    action_token: str = Field(default=PLACEHOLDER, description="Token Rasa sends to /webhook")
    action_token_previous: str = ""
    rasa_timeout_s: float = 8.0

    # Storage
    var_dir: Path = ROOT / "var"
    database_url: str = ""  # default: sqlite file under var_dir

    # Knowledge
    knowledge_dir: Path = ROOT / "knowledge" / "data"
    sources_dir: Path = ROOT.parent / "shared" / "sources"
    index_dir: Path = Path()  # default: var_dir / "index"
    embedding_model: str = "multilingual-e5-small"
    # Query embeddings of this many recent questions are kept (knowledge.embedding.QueryCache);
    # 0 turns the cache off (the ablation of make bench-load). 2048 vectors are 3 MB.
    query_cache_size: int = Field(default=2048, ge=0)
    # None: the threshold calibrated on the dev set (knowledge/data/confidence.yml, written by
    # `python -m knowledge calibrate --write`): direct answers right at least 90 % of the time.
    confidence_threshold: float | None = None

    # Users
    hotline: str = "12345"
    max_text_chars: int = 500
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    webhook_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)  # Rasa sends the tracker
    chat_rate_per_min: int = Field(default=30, ge=1)
    chat_burst: int = Field(default=15, ge=1)
    # Contract (used by tools outside the code): messages per minute from one client address,
    # over all its senders. 120 = 60 seniors in one community centre behind one NAT address,
    # each sending a message every 30 s, which is faster than they type (README: Security).
    chat_rate_per_address_per_min: int = Field(default=120, ge=1)
    form_retry_limit: int = 2
    banner_poll_s: int = Field(default=60, ge=5)  # the web page re-reads the alert banner
    # Contract: "today" for dated rules (ISO date, e.g. 2027-03-01); unset means the date
    # in Asia/Shanghai (core/clock.py). Tests and tools outside the code set YINFA_TODAY.
    today: date | None = None

    # Client addresses and limits
    trusted_proxies: str = ""  # comma-separated addresses or networks whose X-Forwarded-For counts
    limits_storage_url: str = "memory://"  # ``limits`` storage; redis://host:6379 when replicated
    events_max_per_address: int = Field(default=40, ge=1)  # open /api/events streams per address
    events_max_streams: int = Field(default=500, ge=1)  # open /api/events streams in all

    # /metrics: open to this machine (loopback, not through a proxy); anyone else sends
    # ``Authorization: Bearer <metrics_token>``. Empty: no one else (403).
    metrics_token: str = ""

    # Secrets
    session_secret: str = PLACEHOLDER
    wechat_token: str = PLACEHOLDER
    wechat_app_id: str = "wx-dev-app-id"
    wechat_app_secret: str = PLACEHOLDER
    wechat_encoding_aes_key: str = ""  # 43 chars; empty means plaintext mode only
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_reply_deadline_s: float = 4.5
    wechat_template: WeChatTemplateSettings = Field(default_factory=WeChatTemplateSettings)
    # Where residents open the web chat, e.g. https://yinfa.example.cn (links in template
    # messages); empty: template messages carry no link.
    public_base_url: str = ""

    # Insights (issue 16): question-log rows older than this many days are deleted (on
    # start-up, then daily, and by `python -m insights purge`).
    insights_retention_days: int = Field(default=180, ge=1, le=3660)
    # Unanswered-queue clustering: where between the embedding model's "means something"
    # and "full" cosines two questions count as the same (0..1; higher: tighter clusters).
    insights_cluster_similarity: float = Field(default=0.75, ge=0.0, le=1.0)

    # Alert delivery
    alerts: AlertSettings = Field(default_factory=AlertSettings)

    @model_validator(mode="after")
    def _derive_and_check(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'app.sqlite3'}"
        if self.index_dir == Path():
            self.index_dir = self.var_dir / "index"
        if self.env != "development":
            weak = [name for name in SECRETS if getattr(self, name) == PLACEHOLDER]
            if weak:
                names = ", ".join("YINFA_" + n.upper() for n in weak)
                raise ValueError(f"set these secrets outside development mode: {names}")
        self.trusted_networks()  # a malformed entry is refused at startup
        return self

    def trusted_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """``trusted_proxies`` parsed (``10.0.0.5``, ``10.0.0.0/24``, ``::1``)."""
        return tuple(
            ip_network(part.strip(), strict=False)
            for part in self.trusted_proxies.split(",")
            if part.strip()
        )


@lru_cache
def get_settings() -> Settings:
    """Settings of this process, read once; tests call ``get_settings.cache_clear()``."""
    return Settings()
