"""The console's quota port, as the composition root builds it."""

from __future__ import annotations

from alerts.wechat_reach import record_template_sent
from app.bootstrap import template_quota
from core.database import Database
from core.settings import Settings, WeChatTemplateSettings


def test_the_console_sees_the_template_messages_left_today(database: Database) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        wechat_app_id="wx-test",
        wechat_app_secret="a-real-looking-secret",
        wechat_template=WeChatTemplateSettings(id="tmpl-1", daily_quota=10),
    )
    port = template_quota(settings, database)
    assert port() == 10
    record_template_sent(database, settings.wechat_template)
    record_template_sent(database, settings.wechat_template)
    assert port() == 8


def test_without_templates_nobody_outside_the_window_can_be_reached(database: Database) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert template_quota(settings, database)() == 0
