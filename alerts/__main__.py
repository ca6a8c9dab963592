"""``python -m alerts worker``: run the delivery worker as its own process.

Run one or more next to the app (with ``YINFA_ALERTS_WORKER=off`` in the app). A worker
can be killed at any moment: rows it had claimed are claimed again when their lease ends,
and receipts keep every subscriber at exactly one delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from app.bootstrap import customer_service, delivery_worker, open_database, rasa_client
from core.conversation import Conversation
from core.logs import configure as configure_logging
from core.settings import get_settings


async def run_worker(name: str | None) -> None:
    settings = get_settings()
    database = open_database(settings)
    rasa = rasa_client(settings)
    wechat = customer_service(settings)
    conversation = Conversation(rasa, max_chars=settings.max_text_chars)
    worker = delivery_worker(settings, database, conversation, wechat, name=name)
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
    configure_logging()
    if args.command == "worker":
        asyncio.run(run_worker(args.name))


if __name__ == "__main__":
    main()
