"""``python -m console accounts create|disable|list``: manage console accounts.

The password is read from standard input with ``--password-stdin`` (scripts) or asked for
twice on the terminal; it never appears on the command line.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from app.bootstrap import open_database
from console import accounts
from console.models import ROLES
from core import audit
from core.settings import get_settings


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise accounts.AccountError("the two passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console")
    groups = parser.add_subparsers(dest="group", required=True)
    acc = groups.add_parser("accounts", help="console accounts").add_subparsers(
        dest="command", required=True
    )
    create = acc.add_parser("create", help="create an account")
    create.add_argument("username")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--password-stdin", action="store_true")
    disable = acc.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("username")
    acc.add_parser("list", help="list accounts")
    args = parser.parse_args(argv)

    database = open_database(get_settings())
    try:
        if args.command == "create":
            op = accounts.create(database, args.username, args.role, _password(args.password_stdin))
            audit.write(database, "cli", "admin", "account.create", op.username, {"role": op.role})
            print(f"created {op.username} ({op.role})")
        elif args.command == "disable":
            op = accounts.disable(database, args.username)
            audit.write(database, "cli", "admin", "account.disable", op.username, {})
            print(f"disabled {op.username}")
        else:
            for op in accounts.list_accounts(database):
                print(f"{op.username}\t{op.role}\t{'active' if op.active else 'disabled'}")
    except accounts.AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
