"""The publish check and the delivery dashboard over HTTP: roles, the quota port, errors,
and the vendored chart library the console page loads."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import update

from alerts import subscriptions
from alerts.models import Subscription
from console import vendor
from tests.alerts.conftest import published_alert
from tests.support.console import login

ROOT = Path(__file__).resolve().parents[2]


def _draft_approved(client) -> dict:  # type: ignore[no-untyped-def]
    login(client, "officer_a")
    r = client.post(
        "/api/operator/alerts",
        json={
            "title": "冒充子女借钱",
            "body": "有人冒充孙子打视频要钱。先挂断，再打给家人核实。",
            "scam_type": "impersonate_family",
            "districts": [],
            "expires_at": "2099-01-01T00:00:00+00:00",
        },
    )
    assert r.status_code == 201, r.text
    login(client, "officer_b")
    assert client.post(f"/api/operator/alerts/{r.json()['id']}/approve").status_code == 200
    return dict(r.json())


def test_reach_uses_the_quota_port(client, database) -> None:  # type: ignore[no-untyped-def]
    subscriptions.subscribe(database, "web", "w1")
    subscriptions.subscribe(database, "wechat", "o-in")
    subscriptions.subscribe(database, "wechat", "o-out")
    with database.session() as s:
        s.execute(
            update(Subscription).where(Subscription.user_id == "o-out").values(last_inbound_at=None)
        )
    alert = _draft_approved(client)
    url = f"/api/operator/alerts/{alert['id']}/reach"

    r = client.get(url).json()  # no quota service: unknown
    assert (r["web"], r["wechat_in_window"], r["wechat_outside_window"]) == (1, 1, 1)
    assert r["template_quota"] is None and r["warn"] is True and r["window_h"] == 48.0

    client.app.state.template_quota = lambda: 0
    r = client.get(url).json()
    assert (r["template_quota"], r["short_today"], r["warn"]) == (0, 1, True)
    client.app.state.template_quota = lambda: 1000
    assert client.get(url).json()["warn"] is False


def test_a_failing_quota_port_reads_as_unknown_and_is_logged(client, caplog) -> None:  # type: ignore[no-untyped-def]
    def broken() -> int | None:
        raise RuntimeError("quota store down")

    alert = _draft_approved(client)
    client.app.state.template_quota = broken
    with caplog.at_level(logging.ERROR, logger="alerts.routes"):
        r = client.get(f"/api/operator/alerts/{alert['id']}/report")
    assert r.status_code == 200 and r.json()["template_quota"] is None
    assert "template quota could not be read" in caplog.text


@pytest.mark.parametrize("path", ["reach", "report"])
def test_only_alert_viewers_see_it_and_unknown_alerts_are_404(client, path) -> None:  # type: ignore[no-untyped-def]
    login(client, "op1")
    assert client.get(f"/api/operator/alerts/1/{path}").status_code == 403
    login(client, "admin1")
    r = client.get(f"/api/operator/alerts/999/{path}")
    assert r.status_code == 404 and r.json()["detail"] == "no such alert"
    assert client.get(f"/api/operator/alerts/0/{path}").status_code == 422


def test_report_over_http(client, database) -> None:  # type: ignore[no-untyped-def]
    subscriptions.subscribe(database, "web", "w1")
    alert_id = published_alert(database)
    login(client, "admin1")
    r = client.get(f"/api/operator/alerts/{alert_id}/report")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["total"] == 1 and data["counts"] == {"web": {"pending": 1}}
    assert [m["share"] for m in data["milestones"]] == [50, 90, 100]


def test_the_page_loads_the_chart_library_from_the_app(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/operator").text
    for name in ("uPlot.iife.min.js", "uPlot.min.css", "dashboard.js"):
        assert f"/operator/static/{name}" in page
        r = client.get(f"/operator/static/{name}")
        assert r.status_code == 200 and len(r.content) > 100
        assert "default-src 'self'" in r.headers["content-security-policy"]
    assert "uPlot" in client.get("/operator/static/uPlot.iife.min.js").text
    assert "https://" not in page.replace("https://github.com", "")
    assert client.get("/operator/static/vendor.py").status_code == 422


def test_the_vendored_chart_library_is_the_locked_npm_package() -> None:
    """Committed copies equal node_modules' files, at the version package-lock.json pins."""
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    version = lock["packages"]["node_modules/uplot"]["version"]
    assert json.loads((ROOT / "package.json").read_text())["dependencies"]["uplot"] == version
    js = (vendor.VENDOR / "uPlot.iife.min.js").read_text(encoding="utf-8")
    assert js.startswith(f"/*! https://github.com/leeoniya/uPlot (v{version}) */")
    modules = ROOT / "node_modules"
    if not (modules / "uplot").is_dir():
        pytest.fail("uplot is not in node_modules: run `npm ci`")
    for name, src in vendor.FILES.items():
        assert (vendor.VENDOR / name).read_bytes() == (modules / src).read_bytes(), name


def test_vendor_copy_refuses_a_missing_package(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="npm ci"):
        vendor.copy(tmp_path / "node_modules", tmp_path / "vendor")
    assert not (tmp_path / "vendor").exists()
