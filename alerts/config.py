"""Settings of alert delivery, read from ``YINFA_ALERTS_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AlertSettings(BaseSettings):
    """Delivery worker and live-stream tuning.

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
    """

    model_config = SettingsConfigDict(env_prefix="YINFA_ALERTS_", env_file=".env", extra="ignore")

    worker: Literal["inline", "off"] = "inline"
    batch_size: int = Field(default=64, ge=1, le=1000)
    concurrency: int = Field(default=16, ge=1, le=256)
    lease_s: float = Field(default=60.0, gt=0)
    poll_s: float = Field(default=1.0, gt=0)
    max_attempts: int = Field(default=8, ge=1)
    backoff_base_s: float = Field(default=2.0, ge=0)
    backoff_max_s: float = Field(default=300.0, ge=0)
    wechat_window_h: float = Field(default=48.0, gt=0)


@lru_cache
def get_alert_settings() -> AlertSettings:
    """Alert settings of this process, read once."""
    return AlertSettings()
