"""Command-line parsing, choosing the front end, and exit codes.

    hsm-setup                      the Textual wizard (--plain: plain prompts)
    hsm-setup check [--json]       exit 0 all done, 1 some not done, 2 could not check
    hsm-setup plan                 the actions apply would take, as AWS CLI commands (--format sh: a script)
    hsm-setup apply [--yes]        exit 0 all done after, 1 some remain, 2 nothing attempted
    hsm-setup sandbox serve        serve the practice account for other tools
    hsm-setup forget [--account ID]  delete credentials saved in the OS keyring
    hsm-setup permissions [--read-only] [--json]   the IAM policy hsm-setup needs (offline)
    hsm-setup report [--format md|json|html] [--output FILE]   a report for an onboarding ticket
    hsm-setup sso-profile --name NAME [--force]   an AWS CLI profile that signs in as the administrator
    hsm-setup export --format cloudformation [--output FILE]   the managed resources as a template
    hsm-setup teardown [--yes] [--include-service-linked-role]   remove what hsm-setup created
    hsm-setup workshop [--seats N] [--port P] [--host H] [--scenario S]   the wizard in the browser for a room

Every command takes --profile, --region, --endpoint-url, --sandbox and --scenario.
Heavy modules (boto3, textual) are imported only by the command that needs them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hsm_setup import __version__
from hsm_setup.cli.front_ends import FrontEnds
from hsm_setup.cli.leaving import leave

if TYPE_CHECKING:  # pragma: no cover - typing only
    pass

SCENARIOS = ("fresh", "partial", "complete", "member-managed-root", "made-by-hand", "org", "delegated")
# Each seat is a wizard and a practice account (~150 MiB together): more than this is not a room but a fleet.
MAX_SEATS = 200
EXIT_OK, EXIT_NOT_DONE, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line naming the problem, then where to look; argparse's exit code 2 is kept.
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\nRun `{self.prog} --help` for the options.\n")


def _add_connection_options(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    # On subcommands the defaults are SUPPRESSed so that an option given before the
    # subcommand (hsm-setup --sandbox check) is not overwritten by the subcommand's default.
    default = None if top_level else argparse.SUPPRESS
    flag_default = False if top_level else argparse.SUPPRESS
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--profile", default=default, help="AWS profile (default: AWS_PROFILE, then the default credentials)"
    )
    group.add_argument(
        "--region",
        default=default,
        type=_region,
        help="AWS Region for the session (default: AWS_REGION, then the profile's)",
    )
    group.add_argument(
        "--endpoint-url",
        default=default,
        type=_endpoint_url,
        help="send every AWS call to this endpoint (default: AWS_ENDPOINT_URL)",
    )
    group.add_argument(
        "--sandbox",
        action="store_true",
        default=flag_default,
        help="use a practice account on this machine (no AWS needed)",
    )
    group.add_argument(
        "--scenario",
        default=default,
        metavar="NAME",
        choices=SCENARIOS,
        help="the practice account's starting point: fresh (default), partial, complete, member-managed-root, "
        "org (a management account with member accounts) or delegated (Identity Center's delegated administrator)",
    )
    group.add_argument(
        "--accounts",
        default=default,
        metavar="N",
        type=_accounts,
        help="member accounts in the org and delegated scenarios (default 12, at most 2000)",
    )
    group.add_argument(
        "--config",
        default=default,
        metavar="FILE",
        help="answers file (TOML); default: the answers saved for the account",
    )
    group.add_argument(
        "--mfa-code",
        default=default,
        metavar="CODE",
        type=_mfa_code,
        help="the MFA code for a profile that assumes a role with MFA (default: asked on the terminal, if there is one)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hsm-setup",
        description="Set up an AWS account for CloudHSM administrators, checking every step live.",
    )
    parser.add_argument("--version", action="version", version=f"hsm-setup {__version__}")
    parser.add_argument(
        "--plain", action="store_true", help="plain prompts instead of the full-screen wizard (screen readers)"
    )
    _add_connection_options(parser, top_level=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser("check", help="check every step live (read only)")
    check.add_argument("--json", action="store_true", help="print the results as JSON")
    _add_connection_options(check, top_level=False)

    plan = commands.add_parser("plan", help="print the actions apply would take, as AWS CLI commands")
    plan.add_argument(
        "--format",
        choices=("text", "json", "sh"),
        default="text",
        help="text (default); json; sh: a bash script of AWS CLI commands, safe to run twice",
    )
    plan.add_argument("--json", action="store_const", dest="format", const="json", help="same as --format json")
    _add_connection_options(plan, top_level=False)

    apply = commands.add_parser("apply", help="apply what is missing, then check again")
    apply.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    _add_connection_options(apply, top_level=False)

    report = commands.add_parser("report", help="write a report of every step, what exists and what is left to do")
    report.add_argument(
        "--format",
        choices=("md", "json", "html"),
        default="md",
        help="md (default), json, or html (one stand-alone file)",
    )
    report.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    _add_connection_options(report, top_level=False)

    sso_profile = commands.add_parser(
        "sso-profile", help="add an AWS CLI profile that signs in as the administrator through the access portal"
    )
    sso_profile.add_argument("--name", required=True, help="the profile's name (also the sso-session's)")
    sso_profile.add_argument(
        "--force", action="store_true", help="replace a profile or sso-session of that name that has other settings"
    )
    _add_connection_options(sso_profile, top_level=False)

    export = commands.add_parser("export", help="write the resources hsm-setup manages as a CloudFormation template")
    export.add_argument("--format", choices=("cloudformation",), required=True, help="cloudformation (JSON)")
    export.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    _add_connection_options(export, top_level=False)

    teardown = commands.add_parser("teardown", help="remove what hsm-setup created, and only that")
    teardown.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    teardown.add_argument(
        "--include-service-linked-role",
        action="store_true",
        help="also delete the CloudHSM service-linked role if hsm-setup created it (AWS refuses while clusters exist)",
    )
    _add_connection_options(teardown, top_level=False)

    permissions = commands.add_parser(
        "permissions", help="print the IAM policy the person running hsm-setup needs (no AWS call, no credentials)"
    )
    permissions.add_argument("--read-only", action="store_true", help="only what check needs (no apply)")
    permissions.add_argument("--json", action="store_true", help="the policy document, ready for aws iam create-policy")
    permissions.add_argument(
        "--config", default=argparse.SUPPRESS, metavar="FILE", help="answers file (TOML); default: the default answers"
    )

    forget = commands.add_parser("forget", help="delete credentials saved in the OS keyring")
    forget.add_argument("--account", metavar="ID", help="only this account's (default: every saved account's)")

    sandbox = commands.add_parser("sandbox", help="the practice account")
    sandbox_commands = sandbox.add_subparsers(
        dest="sandbox_command", metavar="COMMAND", parser_class=_Parser, required=True
    )
    serve = sandbox_commands.add_parser("serve", help="serve the practice account on 127.0.0.1 for other tools")
    serve.add_argument("--port", type=_port, default=4566, help="port on 127.0.0.1 (default 4566; 0 picks a free one)")
    serve.add_argument("--scenario", choices=SCENARIOS, default="fresh", help="starting point (default fresh)")
    serve.add_argument(
        "--accounts", type=_accounts, default=12, metavar="N", help="member accounts in org and delegated (default 12)"
    )

    workshop = commands.add_parser(
        "workshop",
        help="serve the wizard in the browser for a room: a practice account per seat, a board for the facilitator",
    )
    workshop.add_argument("--seats", type=_seats, default=20, help="how many attendees at once (default 20)")
    workshop.add_argument(
        "--port", type=_port, default=8000, help="port to listen on (default 8000; 0 picks a free one)"
    )
    workshop.add_argument(
        "--host",
        type=_host,
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only); any other needs the join link the server prints",
    )
    workshop.add_argument(
        "--scenario", choices=SCENARIOS, default="fresh", help="every seat's starting point (default fresh)"
    )
    workshop.add_argument(
        "--ready",
        type=_ready,
        default=None,
        metavar="N",
        help="practice accounts started before attendees arrive, so a room arriving at once does not wait for them "
        "(default: one per seat; 0 starts each as its attendee arrives)",
    )
    workshop.add_argument(
        "--idle-minutes",
        type=_minutes,
        default=30.0,
        metavar="MIN",
        help="release a seat (its practice account and progress) once its attendee has been away this long (default 30)",
    )
    workshop.add_argument(
        "--stuck-minutes",
        type=_minutes,
        default=10.0,
        metavar="MIN",
        help="mark a seat stuck on the board after this long on one step (default 10)",
    )
    return parser


def _accounts(text: str) -> int:
    from hsm_setup.sandbox.catalog import MAX_ORGANIZATION_ACCOUNTS

    if not text.isdigit() or not 1 <= int(text) <= MAX_ORGANIZATION_ACCOUNTS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of accounts from 1 to {MAX_ORGANIZATION_ACCOUNTS}")
    return int(text)


def _region(text: str) -> str:
    # Checked here so a mistyped Region never reaches an endpoint that does not exist.
    from hsm_setup.answers.region import region

    problem = region(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def _mfa_code(text: str) -> str:
    from hsm_setup.aws.signin.mfa import code_problem

    problem = code_problem(text)
    if problem:
        shown = text.encode("unicode_escape").decode("ascii")[:20]
        raise argparse.ArgumentTypeError(f'"{shown}" is not an MFA code: {problem[0].lower()}{problem[1:]}')
    return text


def _endpoint_url(text: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and text.isprintable() and " " not in text
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        valid = False
    if not valid:
        shown = text.encode("unicode_escape").decode("ascii")[:60]
        raise argparse.ArgumentTypeError(f'"{shown}" is not an endpoint URL (http://host:port or https://host)')
    return text


def _seats(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_SEATS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seats (1-{MAX_SEATS})")
    return int(text)


def _ready(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_SEATS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of practice accounts (0-{MAX_SEATS})")
    return int(text)


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (text.isascii() and 0 < value <= 24 * 60):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes (more than 0, at most 1440)")
    return value


def _host(text: str) -> str:
    # An address or a host name, nothing else: no scheme, port or path ("http://..." is a common slip).
    import ipaddress
    import re

    try:
        ipaddress.ip_address(text.strip("[]"))
        return text.strip("[]")
    except ValueError:
        pass
    if not re.fullmatch(
        r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?",
        text,
    ):
        shown = text.encode("unicode_escape").decode("ascii")[:60]
        raise argparse.ArgumentTypeError(
            f'"{shown}" is not an address or host name to listen on (for example 127.0.0.1 or 0.0.0.0)'
        )
    return text


def _port(text: str) -> int:
    # ASCII digits only: int() would also take "٣" or " 8080 ", which no one means as a port.
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0-65535)")
    return value


# Options that pick an account or credentials: a workshop seat only ever has its own practice account.
_ACCOUNT_OPTIONS = ("profile", "region", "endpoint_url", "sandbox", "config", "mfa_code", "plain")


def main(argv: Sequence[str] | None = None, *, front_ends: FrontEnds | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "workshop":
        given = [f"--{name.replace('_', '-')}" for name in _ACCOUNT_OPTIONS if getattr(args, name, None)]
        if given:
            parser.error(
                f"workshop: every seat works on a practice account of its own; {', '.join(given)} does not apply"
            )
    elif args.scenario and not args.sandbox and args.command != "sandbox":
        parser.error("--scenario works only with --sandbox")
    if getattr(args, "accounts", None) and args.command != "sandbox" and args.scenario not in ("org", "delegated"):
        parser.error("--accounts works only with --sandbox --scenario org or delegated")
    from hsm_setup.cli import commands

    try:
        if args.command == "check":
            return commands.check(args)
        if args.command == "plan":
            return commands.plan(args)
        if args.command == "apply":
            return commands.apply(args)
        if args.command == "sandbox":
            return commands.sandbox_serve(args)
        if args.command == "forget":
            return commands.forget(args)
        if args.command == "permissions":
            return commands.permissions(args)
        if args.command == "report":
            return commands.report(args)
        if args.command == "sso-profile":
            return commands.sso_profile(args)
        if args.command == "export":
            return commands.export(args)
        if args.command == "teardown":
            return commands.teardown(args)
        if args.command == "workshop":
            return commands.workshop(args, front_ends)
        return commands.interactive(args, front_ends)
    except KeyboardInterrupt:
        print("\nStopped. Progress is saved; run the same command again to continue.", file=sys.stderr)
        return 130


def run() -> None:
    leave(main())
