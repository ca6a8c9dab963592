"""Settings of the app process, read from the environment (prefix ``YINFA_``) and ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = "change-me"


class Settings(BaseSettings):
    """All configuration of the app process in one place.

    Every field can be set with an environment variable ``YINFA_<NAME>`` or in ``.env``.
    Secrets have development defaults that are refused when ``env`` is not ``development``.
    """

    model_config = SettingsConfigDict(env_prefix="YINFA_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"

    # HTTP server of the app
    host: str = "127.0.0.1"
    port: int = 8000

    # Rasa server
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = Field(default=PLACEHOLDER, description="Token of Rasa's HTTP API")
    rasa_timeout_s: float = 8.0

    # Storage
    var_dir: Path = ROOT / "var"
    database_url: str = ""  # default: sqlite file under var_dir

    # Knowledge
    knowledge_dir: Path = ROOT / "knowledge" / "data"
    sources_dir: Path = ROOT.parent / "shared" / "sources"
    index_dir: Path = Path()  # default: var_dir / "index"
    embedding_model: str = "use-multilingual-v3"
    confidence_threshold: float = 0.5

    # Users
    hotline: str = "12345"
    max_text_chars: int = 500
    max_body_bytes: int = 64 * 1024
    chat_rate_per_min: float = 30.0
    chat_burst: int = 15
    form_retry_limit: int = 2

    # Secrets
    session_secret: str = PLACEHOLDER
    wechat_token: str = PLACEHOLDER
    wechat_app_id: str = "wx-dev-app-id"
    wechat_app_secret: str = PLACEHOLDER
    wechat_encoding_aes_key: str = ""  # 43 chars; empty means plaintext mode only
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_reply_deadline_s: float = 4.5

    @model_validator(mode="after")
    def _derive_and_check(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'app.sqlite3'}"
        if self.index_dir == Path():
            self.index_dir = self.var_dir / "index"
        if self.env != "development":
            weak = [
                name
                for name in ("rasa_token", "session_secret", "wechat_token", "wechat_app_secret")
                if getattr(self, name) == PLACEHOLDER
            ]
            if weak:
                names = ", ".join("YINFA_" + n.upper() for n in weak)
                raise ValueError(f"set these secrets outside development mode: {names}")
        return self


@lru_cache
def get_settings() -> Settings:
    """Settings of this process, read once; tests call ``get_settings.cache_clear()``."""
    return Settings()
