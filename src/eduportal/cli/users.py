"""`eduportal users`: accounts, managed from the machine the portal runs on."""

from __future__ import annotations

import argparse
import getpass
import sys

from eduportal.cli.common import Commands, UsageError, confirm, iso_time, print_json
from eduportal.services.accounts import SESSION_CACHE_SECONDS, AccountService


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise UsageError("The two passwords differ.")
    return first


def _cmd_users_add(args: argparse.Namespace) -> int:
    from eduportal.domain.accounts import Role
    from eduportal.wiring import build

    account = build(args.settings).accounts.register(args.name, _read_password(), Role(args.role))
    print_json({"username": account.username, "role": account.role.value})
    return 0


def _cmd_users_list(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    accounts = build(args.settings).accounts.list_accounts()
    print_json(
        [
            {
                "username": account.username,
                "role": account.role.value,
                "created_at": iso_time(account.created_at),
            }
            for account in accounts
        ]
    )
    return 0


def _cmd_users_delete(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    accounts = build(args.settings).accounts
    if not args.yes:
        confirm(f"Delete account {args.name!r} and end its sessions?")
    accounts.delete_account(args.name)
    print_json({"username": args.name.strip().lower(), "deleted": True})
    _warn_if_no_teacher_left(accounts)
    return 0


def _cmd_users_set_password(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    revoked = build(args.settings).accounts.set_password(args.name, _read_password())
    print_json({"username": args.name.strip().lower(), "sessions_revoked": revoked})
    return 0


def _cmd_users_set_role(args: argparse.Namespace) -> int:
    from eduportal.domain.accounts import Role
    from eduportal.wiring import build

    accounts = build(args.settings).accounts
    revoked = accounts.set_role(args.name, Role(args.role))
    print_json(
        {"username": args.name.strip().lower(), "role": args.role, "sessions_revoked": revoked}
    )
    _warn_if_no_teacher_left(accounts)
    return 0


def _warn_if_no_teacher_left(accounts: AccountService) -> None:
    from eduportal.domain.accounts import Role

    if not any(account.role is Role.TEACHER for account in accounts.list_accounts()):
        sys.stderr.write(
            "note: no teacher account is left; create one with "
            "`eduportal users add NAME --role teacher`.\n"
        )


def register(commands: Commands) -> None:
    users = commands.add_parser(
        "users",
        help="manage accounts",
        description="Manage teacher and student accounts: add, list, delete, set-password, "
        "set-role. Each prints JSON on standard output.",
    )
    user_commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = user_commands.add_parser(
        "add",
        help="create an account",
        description="Create an account. The password is read from standard input when it is "
        "not a terminal (e.g. `echo secret123 | eduportal users add ann --role teacher`), "
        "else prompted for twice.",
    )
    add.add_argument("name", metavar="NAME", help="user name: 2-32 lower-case letters, digits")
    add.add_argument("--role", required=True, choices=["teacher", "student"])
    add.set_defaults(handler=_cmd_users_add)

    listing = user_commands.add_parser(
        "list",
        help="list accounts as a JSON array",
        description="Print every account as a JSON array of {username, role, created_at}, "
        "ordered by user name. Password hashes are never printed.",
    )
    listing.set_defaults(handler=_cmd_users_list)

    revoking = (
        f"Its sessions end at once in the database; a running server notices within "
        f"{SESSION_CACHE_SECONDS:g} seconds."
    )
    remove = user_commands.add_parser(
        "delete",
        help="delete an account and end its sessions",
        description=f"Delete account NAME. {revoking} Asks for confirmation on a terminal; "
        "elsewhere (scripts, cron) --yes is required. Deleting the last teacher is allowed, "
        "with a note on standard error.",
    )
    remove.add_argument("name", metavar="NAME", help="the account's user name")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    remove.set_defaults(handler=_cmd_users_delete)

    password = user_commands.add_parser(
        "set-password",
        help="replace an account's password and end its sessions",
        description=f"Replace NAME's password (at least 8 characters). {revoking} The "
        "password is read from standard input when it is not a terminal (e.g. `echo "
        "newsecret1 | eduportal users set-password ann`), else prompted for twice. Prints "
        "how many sessions were ended.",
    )
    password.add_argument("name", metavar="NAME", help="the account's user name")
    password.set_defaults(handler=_cmd_users_set_password)

    role = user_commands.add_parser(
        "set-role",
        help="make an account a teacher or a student and end its sessions",
        description=f"Give NAME the role given by --role. {revoking} The account signs in "
        "again to act with its new role. Setting the role it already has changes nothing.",
    )
    role.add_argument("name", metavar="NAME", help="the account's user name")
    role.add_argument("--role", required=True, choices=["teacher", "student"])
    role.set_defaults(handler=_cmd_users_set_role)
