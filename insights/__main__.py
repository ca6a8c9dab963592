"""``python -m insights purge``: delete question-log rows past the retention period now.

The app also purges on start-up and daily; this is for a separate cron or a one-off.
"""

from __future__ import annotations

import argparse
import logging
import sys

from app.bootstrap import open_database
from core.clock import today
from core.settings import get_settings
from insights.retention import purge


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m insights")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("purge", help="delete question-log rows older than the retention")
    run.add_argument("--days", type=int, default=None, help="default: insights_retention_days")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = get_settings()
    days = args.days if args.days is not None else settings.insights_retention_days
    if days < 1:
        print("error: --days must be at least 1", file=sys.stderr)
        return 2
    database = open_database(settings)
    try:
        deleted = purge(database, today(settings), days)
    finally:
        database.dispose()
    print(f"deleted {deleted} question-log rows older than {days} days")
    return 0


if __name__ == "__main__":
    sys.exit(main())
