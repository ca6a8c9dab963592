"""``python -m alerts worker``: run the delivery worker as its own process.

Run one or more next to the app (with ``YINFA_ALERTS_WORKER=off`` in the app). A worker
can be killed at any moment: rows it had claimed are claimed again when their lease ends,
and receipts keep every subscriber at exactly one delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from alerts.config import get_alert_settings
from alerts.worker import DeliveryWorker, default_wechat_renderer
from app.conversation import Conversation
from app.db import Database
from app.rasa_client import RasaClient
from app.settings import PLACEHOLDER, get_settings


async def run_worker(name: str | None) -> None:
    settings = get_settings()
    alert_settings = get_alert_settings()
    database = Database(settings.database_url)
    database.open()
    rasa = RasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout_s)
    wechat = None
    if settings.wechat_app_secret != PLACEHOLDER:
        from channels.wechat.customer_service import CustomerServiceClient

        wechat = CustomerServiceClient(
            settings.wechat_api_base, settings.wechat_app_id, settings.wechat_app_secret
        )
    worker = DeliveryWorker(
        database,
        Conversation(rasa, max_chars=settings.max_text_chars),
        alert_settings,
        wechat=wechat,
        wechat_renderer=default_wechat_renderer(settings.hotline),
        name=name,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await worker.run_forever(stop)
    finally:
        await rasa.aclose()
        if wechat is not None:
            await wechat.aclose()
        database.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m alerts")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="run the delivery worker until SIGTERM")
    worker.add_argument("--name", default=None, help="worker name in the logs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.command == "worker":
        asyncio.run(run_worker(args.name))


if __name__ == "__main__":
    main()
