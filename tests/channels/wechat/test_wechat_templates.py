"""Alerts as template messages: field texts cut to WeChat's limits, and the template API
against the local fake of WeChat's server (real HTTP)."""

from __future__ import annotations

import pytest

from channels.wechat.customer_service import CustomerServiceClient, UserUnreachable, WeChatAPIError
from channels.wechat.templates import (
    AlertTemplates,
    load_template_texts,
    shorten,
    template_data,
)
from core.settings import WeChatTemplateSettings
from tests.channels.wechat.conftest import APP_ID, APP_SECRET
from tests.channels.wechat.fake_wechat_api import FakeWeChatServer

TEMPLATE_ID = "tmpl-fraud-alert"
BODY = "有人冒充公安打电话，让转钱到“安全账户”。别信，别转。挂了电话，告诉家里人。"
SETTINGS = WeChatTemplateSettings(id=TEMPLATE_ID)


def test_shorten_keeps_short_texts_and_cuts_long_ones_at_a_clause() -> None:
    assert shorten("  别信，\n别转。 ", 20) == "别信， 别转。"
    cut = shorten(BODY, 20)
    assert len(cut) <= 20 and cut.endswith("…") and "\n" not in cut
    assert cut == "有人冒充公安打电话…"  # the first clause, not half a word of the second
    hard = shorten("一" * 50, 20)
    assert hard == "一" * 19 + "…"
    for limit in (5, 12, 20, 32):
        assert len(shorten(BODY, limit)) <= limit


def test_template_data_fills_the_configured_fields_within_the_limit() -> None:
    texts = load_template_texts()
    data = template_data(
        SETTINGS,
        texts,
        kind="alert",
        code="YQ7KM3",
        title="冒充公检法电话要求转账到安全账户",
        body=BODY,
    )
    assert set(data) == {"thing1", "thing2", "character_string3", "thing4", "thing5"}
    assert "退订" in data["thing5"]["value"]  # every alert says how to stop them
    assert data["character_string3"] == {"value": "YQ7KM3"}
    assert "YQ7KM3" in data["thing4"]["value"] and "这个提醒是真的吗" in data["thing4"]["value"]
    assert data["thing1"]["value"].startswith("防骗提醒")
    assert all(len(v["value"]) <= SETTINGS.field_max_chars for v in data.values())

    other = SETTINGS.model_copy(
        update={"check_field": "", "body_field": "thing7", "unsubscribe_field": ""}
    )
    correction = template_data(
        other, texts, kind="correction", code="YQ7KM3", title="冒充公检法", body=""
    )
    assert set(correction) == {"thing1", "thing7", "character_string3"}
    assert "撤回" in correction["thing1"]["value"] and "撤回" in correction["thing7"]["value"]


@pytest.fixture
def client(fake_wechat: FakeWeChatServer) -> CustomerServiceClient:
    fake_wechat.state.templates.add(TEMPLATE_ID)
    return CustomerServiceClient(fake_wechat.url, APP_ID, APP_SECRET)


async def test_an_alert_goes_out_as_a_template_message(
    fake_wechat: FakeWeChatServer, client: CustomerServiceClient
) -> None:
    sender = AlertTemplates(client, SETTINGS, "https://yinfa.example.cn/")
    sent = await sender.send_alert(
        "oOut1", kind="alert", code="YQ7KM3", title="冒充公检法", body=BODY
    )
    await client.aclose()
    [message] = fake_wechat.state.template_sent
    assert message["touser"] == "oOut1" and message["template_id"] == TEMPLATE_ID
    assert message["url"] == "https://yinfa.example.cn/"  # the web chat, nothing about the user
    assert message["data"] == sent["data"] and sent["msgid"] == 1001
    assert fake_wechat.state.sent == []  # no customer-service message


async def test_template_errors_carry_wechats_code(
    fake_wechat: FakeWeChatServer, client: CustomerServiceClient
) -> None:
    unknown = AlertTemplates(client, SETTINGS.model_copy(update={"id": "no-such-template"}))
    with pytest.raises(WeChatAPIError) as bad_id:
        await unknown.send_alert("o1", kind="alert", code="YQ7KM3", title="标题", body=BODY)
    assert bad_id.value.errcode == 40037

    sender = AlertTemplates(client, SETTINGS)
    fake_wechat.state.unsubscribed.add("oGone")
    with pytest.raises(UserUnreachable) as gone:
        await sender.send_alert("oGone", kind="alert", code="YQ7KM3", title="标题", body=BODY)
    assert gone.value.errcode == 43004

    fake_wechat.state.template_quota = 1
    await sender.send_alert("o1", kind="alert", code="YQ7KM3", title="标题", body=BODY)
    with pytest.raises(WeChatAPIError) as spent:
        await sender.send_alert("o2", kind="alert", code="YQ7KM3", title="标题", body=BODY)
    assert spent.value.errcode == 45009
    fake_wechat.state.reset_quota()
    await sender.send_alert("o2", kind="alert", code="YQ7KM3", title="标题", body=BODY)
    assert fake_wechat.state.template_openids() == ["o1", "o2"]
    await client.aclose()


async def test_a_revoked_token_is_refreshed_once_for_a_template(
    fake_wechat: FakeWeChatServer, client: CustomerServiceClient
) -> None:
    sender = AlertTemplates(client, SETTINGS)
    await sender.send_alert("o1", kind="alert", code="YQ7KM3", title="标题", body=BODY)
    fake_wechat.state.revoke_tokens()  # 40001 on the next call
    await sender.send_alert("o2", kind="alert", code="YQ7KM3", title="标题", body=BODY)
    await client.aclose()
    assert fake_wechat.state.template_openids() == ["o1", "o2"]
    assert [r["force_refresh"] for r in fake_wechat.state.token_requests] == [False, True]


async def test_the_fake_refuses_values_over_wechats_limit(
    fake_wechat: FakeWeChatServer, client: CustomerServiceClient
) -> None:
    """Why texts are cut: a ``thing`` value over 20 characters is refused (47003)."""
    too_long = AlertTemplates(client, SETTINGS.model_copy(update={"field_max_chars": 40}))
    with pytest.raises(WeChatAPIError) as refused:
        await too_long.send_alert("o1", kind="alert", code="YQ7KM3", title="标题", body=BODY)
    await client.aclose()
    assert refused.value.errcode == 47003


def test_a_template_sender_needs_a_template_id() -> None:
    client = CustomerServiceClient("http://127.0.0.1:9", APP_ID, APP_SECRET)
    with pytest.raises(ValueError, match="YINFA_WECHAT_TEMPLATE_ID"):
        AlertTemplates(client, WeChatTemplateSettings())
