"""The headless commands: check, plan, apply, sandbox serve; and starting an interactive front end."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from hsm_setup.errors import HsmSetupError, explain

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hsm_setup.answers.values import Answers
    from hsm_setup.aws.connection import Connection
    from hsm_setup.cli.front_ends import FrontEnds
    from hsm_setup.model import StepResult
    from hsm_setup.session.events import SessionEvent
    from hsm_setup.session.session import Reveal, Session
    from hsm_setup.session.workspace import Workspace
    from hsm_setup.steps.actions import Action

EXIT_OK, EXIT_NOT_DONE, EXIT_USAGE = 0, 1, 2
# Headless output across many accounts: a line per hundred accounts (and the last), however often the bar moves.
LINE_EVERY = 100


def _fail(message: str, next_move: str = "") -> int:
    print(f"hsm-setup: {message}", file=sys.stderr)
    if next_move:
        print(f"  {next_move}", file=sys.stderr)
    return EXIT_USAGE


def _load_answers(args: argparse.Namespace) -> Answers | None:
    """The answers file's answers, or None (use the saved ones). Raises AnswersError."""
    path = getattr(args, "config", None)
    if not path:
        return None
    from hsm_setup.answers.values import load_file

    return load_file(path)


def _connection(args: argparse.Namespace, *, headless: bool = True) -> Connection:
    # From aws, not workspace: the wizard's first frame must not wait for the engine's imports.
    import os

    from hsm_setup.answers.region import region
    from hsm_setup.aws.connection import connection_from

    if not getattr(args, "region", None):
        # --region is checked by the parser; the environment's Region is checked here, before any call.
        for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            value = os.environ.get(variable)
            if value and (problem := region(value)):
                raise HsmSetupError(
                    f"{variable}: {problem}.", f"Set {variable} to a Region such as us-east-1, or unset it."
                )
            if value:
                break
    mfa_code = getattr(args, "mfa_code", None)
    extra: dict[str, Any] = {}
    if headless:
        from hsm_setup.aws.signin.mfa import headless_asker

        # --mfa-code, else a masked prompt on the terminal; without a terminal, exit 2 naming the flag.
        extra["ask_mfa"] = headless_asker(mfa_code)
    return connection_from(
        profile=getattr(args, "profile", None),
        region=getattr(args, "region", None),
        endpoint_url=getattr(args, "endpoint_url", None),
        sandbox=bool(getattr(args, "sandbox", False)),
        mfa_code=mfa_code,
        **extra,
    )


@contextlib.contextmanager
def _opened(args: argparse.Namespace, answers: Answers | None, *, reveal: Reveal | None = None) -> Iterator[Session]:
    """The session every front end drives, connected and headless; explained failures become HsmSetupError.

    Headless: no follow-up offers, no OS keyring, no account alias (no call beyond the checks').
    """
    from hsm_setup.sandbox.process import start_practice_process
    from hsm_setup.session.session import Session

    connection = _connection(args)
    session = Session(
        answers=answers,
        scenario=getattr(args, "scenario", None) or "fresh",
        start_practice=partial(start_practice_process, accounts=getattr(args, "accounts", None) or 12),
        reveal=reveal,
        interactive=False,
    )
    try:
        # Credentials first, on this thread (Session.connect signs in before anything else):
        # a role's MFA code is asked here, where Ctrl-C reaches the prompt.
        session.connect(connection)
    except HsmSetupError:
        raise
    except Exception as exc:  # the AWS configuration or the first call: explained, never a traceback
        problem = explain(exc, connection.profile)
        raise HsmSetupError(problem.cause, problem.next_move) from None
    try:
        yield session
    finally:
        session.close()


def _refuse_missing(answers: Answers) -> int | None:
    """Exit 2 naming each answer plan and apply need that nobody gave (the administrator), or None."""
    lines = answers.missing_messages()
    if not lines:
        return None
    for line in lines:
        print(f"hsm-setup: {line}", file=sys.stderr)
    print(
        "Nothing was changed. Give them in an answers file (--config FILE), or run `hsm-setup` to type them in.",
        file=sys.stderr,
    )
    return EXIT_USAGE


def _note_region(ws: Workspace) -> None:
    """Say so when no Region was set anywhere and us-east-1 is used."""
    if getattr(ws.aws, "region_defaulted", False) and not ws.connection.sandbox:
        print(
            "hsm-setup: note: no Region is set (--region, AWS_REGION or the profile's region); using us-east-1. "
            "IAM Identity Center is looked for in every Region.",
            file=sys.stderr,
        )


def _answers_or_exit(args: argparse.Namespace) -> tuple[Answers | None, int | None]:
    if not getattr(args, "config", None):
        return None, None
    # Imported only when there is a file: the wizard's first frame does not wait for it.
    from hsm_setup.answers.values import AnswersError

    try:
        return _load_answers(args), None
    except AnswersError as exc:
        for problem in exc.problems:
            print(f"hsm-setup: {problem}", file=sys.stderr)
        print("Nothing was changed. Fix the answers file and run again.", file=sys.stderr)
        return None, EXIT_USAGE


def _on_account(
    args: argparse.Namespace,
    body: Callable[[Session], int],
    *,
    use_answers: bool = True,
    needs_administrator: bool = False,
) -> int:
    """Validate the answers file, open the account, run `body(workspace)`.

    Bad answers exit 2 before anything reaches AWS; an explained failure (no
    credentials, unreachable endpoint, busy account) exits 2 with its next move.
    With `needs_administrator` (plan, apply), answers without the administrator
    exit 2 too: a file's before any call, the saved ones once the account is known.
    """
    answers, failed = _answers_or_exit(args)
    if failed is not None:
        return failed
    if needs_administrator and answers is not None:
        refused = _refuse_missing(answers.for_account(practice=bool(getattr(args, "sandbox", False))))
        if refused is not None:
            return refused
    try:
        with _opened(args, answers if use_answers else None) as session:
            return body(session)
    except HsmSetupError as exc:
        return _fail(exc.cause, exc.next_move)


def check(args: argparse.Namespace) -> int:
    from hsm_setup.cli import render
    from hsm_setup.engine.runner import exit_code

    def run(session: Session) -> int:
        ws = session.workspace
        _note_region(ws)
        results = session.check()
        region = ws.answers["region"]
        if args.json:
            print(render.results_json(ws.identity, region, results, sandbox=ws.connection.sandbox))
        else:
            print(render.header(ws.identity, region, sandbox=ws.connection.sandbox))
            print()
            print(render.results_text(results))
        if any(r.stops_everything for r in results.values()):
            return EXIT_USAGE
        return exit_code(results)

    return _on_account(args, run)


def plan(args: argparse.Namespace) -> int:
    from hsm_setup.cli import render

    def run(session: Session) -> int:
        # The saved answers are the account's: known once the account is (sts GetCallerIdentity only).
        refused = _refuse_missing(session.workspace.answers)
        if refused is not None:
            return refused
        results = session.check()
        planned = session.plan_lists()
        if args.format == "json":
            import json  # here, not at the top: the wizard's first frame does not wait for it

            print(json.dumps({step: [a.to_json() for a in actions] for step, actions in planned.items()}, indent=2))
        elif args.format == "sh":
            print(_plan_script(session, planned, results), end="")
        else:
            print(render.plan_text(planned, results))
        return EXIT_OK if all(r.done for r in results.values()) else EXIT_NOT_DONE

    return _on_account(args, run, needs_administrator=True)


def _plan_script(session: Session, planned: dict[str, list[Action]], results: dict[str, StepResult]) -> str:
    import datetime as dt

    from hsm_setup.cli import render
    from hsm_setup.handoff.plan_script import plan_script

    return plan_script(
        planned,
        results,
        account_id=session.identity.account_id if session.identity else "",
        region=str(session.workspace.answers["region"]),
        titles=render.TITLES,
        now=dt.datetime.now(dt.UTC),
    )


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    try:
        reply = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return reply.strip().lower() in ("y", "yes")


def apply(args: argparse.Namespace) -> int:
    from hsm_setup.cli import render
    from hsm_setup.engine.events import ActionFinished, ActionStarted, Progress
    from hsm_setup.engine.preflight import preflight
    from hsm_setup.engine.runner import exit_code
    from hsm_setup.secrets.handover import show_on_terminal
    from hsm_setup.session.events import EngineEventSeen

    answers, failed = _answers_or_exit(args)
    if failed is not None:
        return failed
    # Before any call to AWS: an answers file without the administrator is refused at once.
    if (
        answers is not None
        and (refused := _refuse_missing(answers.for_account(practice=bool(args.sandbox)))) is not None
    ):
        return refused

    def on_event(seen: SessionEvent) -> None:
        if not isinstance(seen, EngineEventSeen):
            return
        event = seen.event
        if isinstance(event, ActionStarted):
            print(f"- {event.action.summary}", flush=True)
        elif isinstance(event, ActionFinished):
            print(render.outcome_line(event.outcome), flush=True)
        elif isinstance(event, Progress) and (event.count is None or event.count.line_due(LINE_EVERY)):
            # A count is named by its step: the fan-outs to other accounts run side by side, their lines interleaved.
            print(f"    {event.step_id}: {event.message}" if event.count else f"    {event.message}", flush=True)

    try:
        # A password AWS issues goes only ever to a terminal: never into output a log may keep.
        with _opened(args, answers, reveal=show_on_terminal) as session:
            ws = session.workspace
            refused = _refuse_missing(ws.answers)  # saved answers without the administrator
            if refused is not None:
                return refused
            state = ws.load_state()
            with state.locked():
                ws.set_answers(ws.answers)  # the answers this run used, for resuming and for check
                results = session.check()
                planned = session.plan_lists()
                print(render.plan_text(planned, results))
                api_count, manual_count = render.count_actions(planned)
                if api_count == 0:
                    print()
                    print("No change to make through the API." if manual_count else "Every step is done.")
                    return exit_code(results)
                # Before anything changes: may these credentials do all of it? (Nothing is asked of a person yet.)
                verdict = preflight(ws.engine, results, planned)
                print()
                if verdict.blocks_apply:
                    for line in verdict.lines():
                        print(line, file=sys.stderr)
                    return EXIT_USAGE
                for line in verdict.lines():
                    print(line, file=sys.stderr if verdict.notice else sys.stdout)
                if not args.yes:
                    if not sys.stdin.isatty():
                        return _fail(
                            "apply needs confirmation, and standard input is not a terminal.",
                            "Run `hsm-setup apply --yes` to apply without asking.",
                        )
                    if not _confirm(f"\nApply {api_count} change(s) to account {ws.identity.account_id}?"):
                        print("Nothing was changed.")
                        return EXIT_NOT_DONE
                print()
                session.subscribe(on_event)
                report = session.apply_all()
                print()
                if report.stopped:
                    print(f"Stopped: {report.stopped.cause}", file=sys.stderr)
                    print("Progress is saved; run apply again once that is fixed.", file=sys.stderr)
                print(render.results_text(report.results))
                if report.pending_manual:
                    print()
                    print("Still to do by a person, in the AWS console:")
                    print("\n".join(render.action_lines(report.pending_manual)))
                return exit_code(report.results)
    except HsmSetupError as exc:
        return _fail(exc.cause, exc.next_move)


def sandbox_serve(args: argparse.Namespace) -> int:
    from hsm_setup.sandbox.serve import serve

    try:
        serve(port=args.port, scenario=args.scenario, out=sys.stdout, accounts=args.accounts)
    except OSError as exc:
        return _fail(
            f"cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}",
            "Choose another port with --port (0 picks a free one).",
        )
    return EXIT_OK


def permissions(args: argparse.Namespace) -> int:
    """The IAM policy (--json) or per-step table for the answers given. Offline: no AWS call, no credentials."""
    from hsm_setup.answers.values import defaults
    from hsm_setup.steps import permissions as declared

    answers, failed = _answers_or_exit(args)
    if failed is not None:
        return failed
    answers = answers or defaults()
    apply = not args.read_only
    if args.json:
        sys.stdout.write(declared.to_json(answers, apply=apply))
    else:
        sys.stdout.write(declared.text(answers, apply=apply))
    return EXIT_OK


def forget(args: argparse.Namespace) -> int:
    """Delete credentials saved in the OS keyring and say what was deleted."""
    from hsm_setup.secrets.store import default_store
    from hsm_setup.secrets.typed_keys import account_id_problem

    # An empty --account is a mistake, not "every account": forget must never widen what it deletes.
    if args.account is not None and account_id_problem(args.account):
        return _fail(f"--account: {account_id_problem(args.account)}")
    store = default_store()
    report = store.forget(args.account)
    for account_id in report.deleted:
        print(f"Deleted the saved credentials of account {account_id} from the OS keyring.")
    for account_id in report.missing:
        print(f"The OS keyring held no credentials for account {account_id}; removed it from the list.")
    for entry in report.passwords_deleted:
        account_id, _, user_name = entry.partition(":")
        print(
            f"Deleted the console password of IAM user {user_name} (account {account_id}) kept for hand-over from the OS keyring."
        )
    for account_id, reason in report.failed.items():
        print(f"hsm-setup: could not delete the credentials of account {account_id}: {reason}", file=sys.stderr)
    if report.failed:
        return EXIT_USAGE
    if not report.deleted and not report.missing and not report.passwords_deleted:
        print(f"No saved credentials for account {args.account}." if args.account else "No saved credentials.")
    return EXIT_OK


def _write_output(text: str, output: str | None) -> str | None:
    """Write to FILE (mode 0600, atomically) or standard output; an error message, or None."""
    if not output:
        sys.stdout.write(text)
        return None
    from pathlib import Path

    from hsm_setup.state.files import atomic_write

    try:
        atomic_write(Path(output), text)
    except OSError as exc:
        return f"--output: cannot write {output}: {exc.strerror or exc}"
    return None


def report(args: argparse.Namespace) -> int:
    """Check every step (read only) and write the report; exit 0 all done, 1 not yet."""
    from hsm_setup.engine.runner import exit_code
    from hsm_setup.handoff.report import build_report, render_report

    def run(session: Session) -> int:
        results = session.check()
        problem = _write_output(render_report(build_report(session.workspace, results), args.format), args.output)
        if problem:
            return _fail(problem)
        if args.output:
            print(f"Wrote the report to {args.output}.", file=sys.stderr)
        return exit_code(results)

    return _on_account(args, run)


def sso_profile(args: argparse.Namespace) -> int:
    """Write an sso-session and a profile for the administrator into the AWS config file."""
    from hsm_setup.handoff.sso_profile import ProfileConflict, name_problem, settings_from, write_sso_profile
    from hsm_setup.steps.registry import step

    problem = name_problem(args.name)
    if problem:
        return _fail(f"--name: {problem}.")
    answers, failed = _answers_or_exit(args)
    if failed is not None:
        return failed
    try:
        with _opened(args, answers) as session:
            ws = session.workspace
            # Only what the profile needs: where Identity Center is, and whether the administrator is ready.
            ic = ws.engine.check_step(step("identity-center"), {})
            settings = settings_from(ws, {"identity-center": ic})
            admin = ws.engine.check_step(step("admin-user"), {"identity-center": ic})
            result = write_sso_profile(args.name, force=args.force, **settings)
    except ProfileConflict as exc:
        return _fail(exc.cause, exc.next_move)
    except HsmSetupError as exc:
        return _fail(exc.cause, exc.next_move)
    if result.changed:
        print(f"Wrote [sso-session {result.profile}] and the profile {result.profile} to {result.config_path}.")
        if result.backup_path:
            print(f"The previous file is saved as {result.backup_path}.")
    else:
        print(f"{result.config_path} already has the profile {result.profile} with these settings; nothing changed.")
    print(f"  sso_start_url = {settings['start_url']}, sso_region = {settings['sso_region']}")
    print(f"  sso_account_id = {settings['account_id']}, sso_role_name = {settings['role_name']}")
    if not admin.done:
        print(
            f"Note: the administrator's access is not complete yet (admin-user is {admin.status.value}); "
            "the sign-in works once `hsm-setup apply` has finished it."
        )
    print(f"Sign in with:  {result.login_command}")
    print(f"Then continue as that profile:  hsm-setup --profile {result.profile}")
    return EXIT_OK


def export(args: argparse.Namespace) -> int:
    """The managed resources as a CloudFormation template, and the assignments in other target accounts as
    templates of their own when they do not fit its stack. Reads the account; changes nothing."""
    from pathlib import Path

    from hsm_setup.handoff.export_accounts import MAX_RESOURCES
    from hsm_setup.handoff.export_cfn import (
        assignment_paths,
        earlier_assignment_files,
        render_template,
        template_from,
    )

    def run(session: Session) -> int:
        results = session.check()
        made = template_from(session.workspace, results)
        count = len(made.assignment_templates)
        if count and not args.output:
            return _fail(
                f"--output: the assignments in the other target accounts do not fit beside the rest in one stack "
                f"({MAX_RESOURCES} resources at most), so they go into {count} template(s) of their own, and "
                "standard output holds one.",
                "Give --output FILE: the template is written there and the assignment templates beside it.",
            )
        problem = _write_output(render_template(made.template), args.output)
        if problem:
            return _fail(problem)
        if not args.output:
            return EXIT_OK
        output = Path(args.output)
        paths = assignment_paths(output, count)
        for path, template in zip(paths, made.assignment_templates, strict=True):
            problem = _write_output(render_template(template), str(path))
            if problem:
                return _fail(problem)
        for stale in earlier_assignment_files(output, count):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
            print(f"Removed {stale}, an earlier export's assignment template.", file=sys.stderr)
        if not count:
            print(f"Wrote the CloudFormation template to {args.output}.", file=sys.stderr)
            return EXIT_OK
        # A template body sent with the request holds at most 51,200 bytes; larger ones are read from S3
        # (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html), which
        # `deploy --s3-bucket` uploads to (https://docs.aws.amazon.com/cli/latest/reference/cloudformation/deploy.html).
        print(
            f"Wrote the CloudFormation template to {args.output}, and the assignments in the other target accounts "
            f"to {count} template(s) beside it ({', '.join(p.name for p in paths)}): deploy {output.name} first "
            "(its identity-center part exports the permission sets' and groups' ids), then each assignments "
            "template as a stack of its own (aws cloudformation deploy --s3-bucket BUCKET: a template over "
            "51,200 bytes is read from S3).",
            file=sys.stderr,
        )
        return EXIT_OK

    return _on_account(args, run)


def teardown(args: argparse.Namespace) -> int:
    """Remove what hsm-setup created (per the saved progress), after showing the plan and asking."""
    from hsm_setup.handoff.teardown import plan_teardown, plan_text, run_teardown

    # Teardown works from the saved progress, not the answers; a given file is still checked so bad input changes nothing.
    _, failed = _answers_or_exit(args)
    if failed is not None:
        return failed
    try:
        with _opened(args, None) as session:
            ws = session.workspace
            state = ws.load_state()
            with state.locked():
                plan = plan_teardown(state, include_service_linked_role=args.include_service_linked_role)
                print(f"Teardown of what hsm-setup created in account {ws.identity.account_id}:")
                print(plan_text(plan))
                print(
                    "Left as they are: the root user's settings, the organization, IAM Identity Center itself, "
                    "and everything hsm-setup found already there."
                )
                if plan.empty:
                    return EXIT_OK
                if not args.yes:
                    if not sys.stdin.isatty():
                        return _fail(
                            "teardown needs confirmation, and standard input is not a terminal.",
                            "Run `hsm-setup teardown --yes` to remove without asking.",
                        )
                    if not _confirm(f"\nRemove {plan.in_words(ws.identity.account_id)}?"):
                        print("Nothing was removed.")
                        return EXIT_NOT_DONE
                print()
                outcome = run_teardown(
                    ws.aws,
                    state,
                    plan,
                    on_removed=lambda removal, message: print(f"  done: {removal.summary} ({message})", flush=True),
                    on_failed=lambda removal, problem: print(f"  FAILED: {removal.summary}: {problem}", flush=True),
                )
                print()
                if outcome.ok:
                    print(f"Removed {len(outcome.removed)} thing(s). `hsm-setup check` shows the account as it is now.")
                    return EXIT_OK
                print(
                    f"{len(outcome.failed)} removal(s) failed; the rest is done. Run teardown again once the cause is fixed.",
                    file=sys.stderr,
                )
                return EXIT_NOT_DONE
    except HsmSetupError as exc:
        return _fail(exc.cause, exc.next_move)


def interactive(args: argparse.Namespace, front_ends: FrontEnds | None) -> int:
    """The wizard (or plain prompts with --plain), as the program that called main() provides them."""
    answers, failed = _answers_or_exit(args)
    if failed is not None:
        return failed
    if front_ends is None:
        return _fail(
            "this entry point has only the headless commands (check, plan, apply, ...).",
            "Run `hsm-setup` (or `python -m hsm_setup_screens`) for the wizard and the plain prompts.",
        )
    connection = None
    if args.sandbox or args.profile or args.endpoint_url:
        # The front end equips the connection with its own way of asking for an MFA code.
        try:
            connection = _connection(args, headless=False)
        except HsmSetupError as exc:
            return _fail(exc.cause, exc.next_move)
    scenario = args.scenario or "fresh"
    launch = front_ends.plain if args.plain else front_ends.wizard
    return launch(connection, scenario=scenario, answers=answers)


def workshop(args: argparse.Namespace, front_ends: FrontEnds | None) -> int:
    """The wizard in the browser for a room (the front end that serves it is handed in)."""
    from hsm_setup.cli.front_ends import WorkshopSettings

    if front_ends is None or front_ends.workshop is None:
        return _fail(
            "this entry point cannot serve a workshop.",
            "Run the installed `hsm-setup workshop` (or `python -m hsm_setup_screens workshop`).",
        )
    settings = WorkshopSettings(
        seats=args.seats,
        port=args.port,
        host=args.host,
        scenario=args.scenario,
        ready=args.ready,
        idle_minutes=args.idle_minutes,
        stuck_minutes=args.stuck_minutes,
    )
    return front_ends.workshop(settings)
