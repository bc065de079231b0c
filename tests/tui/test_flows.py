"""The wizard's flows on the practice account, driven with the keyboard as a person would."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

from .conftest import run_async, settled, sidebar_text, visible_text, wait_for, wait_for_screen, wait_settled

pytestmark = pytest.mark.tui


def _step_label(app, step_id: str) -> str:
    return app.view().step(step_id).state.value


async def _all_checks(app):
    """What the account has now, asked through the engine (not through the screen)."""
    return await asyncio.to_thread(app.controller.session.engine.check)


@run_async
async def test_fresh_account_to_complete_with_the_keyboard_alone(practice_app):
    from hsm_setup_screens.confirm import ConfirmApply
    from hsm_setup_screens.summary import SummaryScreen
    from hsm_setup_screens.wizard import WizardScreen

    app = practice_app("fresh")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert app.screen.step_id == "root-user"
        assert _step_label(app, "root-user") == "needs you"
        seen: list[tuple[str, str]] = []
        for _ in range(40):
            if isinstance(app.screen, SummaryScreen):
                break
            step_id = app.screen.step_id
            label = _step_label(app, step_id)
            seen.append((step_id, label))
            if label == "needs you":
                await pilot.press("m")  # simulate the console action
            elif label == "to do":
                await pilot.press("a")
                await wait_for_screen(pilot, ConfirmApply, "the confirmation dialog")
                await pilot.press("y")
            elif label == "done":
                await pilot.press("n")
            else:
                raise AssertionError(f"{step_id} is {label}: {visible_text(app.screen.query_one('#findings'))}")
            await wait_for(pilot, lambda: settled(app) or isinstance(app.screen, SummaryScreen), "the step to settle")
        assert isinstance(app.screen, SummaryScreen), seen
        summary = visible_text(app.screen.query_one("#summary-text"))
        assert "Every step is done" in summary
        assert ".awsapps.com/start" in summary
        assert "one-time password" in summary
        # Console actions were offered as simulations on the steps that need a person.
        assert ("root-user", "needs you") in seen and ("identity-center", "to do") in seen
        results = await _all_checks(app)
        assert {k: r.status.value for k, r in results.items()} == {k: "done" for k in results}
        assert app.exit_code() == 0


@run_async
async def test_partial_setup_opens_on_the_first_step_not_done(practice_app):
    from hsm_setup_screens.wizard import WizardScreen

    app = practice_app("partial")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert app.screen.step_id == "admin-user"
        statuses = sidebar_text(app)
        assert "done" in statuses["root-user"] and "done" in statuses["identity-center"]
        assert "to do" in statuses["admin-user"]
        title = visible_text(app.screen.query_one("#step-title"))
        assert "Step 3 of 6" in title


@run_async
async def test_the_first_step_is_on_screen_before_the_first_check_starts(practice_app):
    app = practice_app("fresh")
    seen_at_start = []
    check = app.controller.check

    def recording(*args, **kwargs):
        screen = app.screen
        guidance = visible_text(screen.query_one("#guidance")) if screen.built else ""
        title = visible_text(screen.query_one("#step-title")) if screen.built else ""
        seen_at_start.append((title.splitlines()[0] if title else "", bool(guidance.strip())))
        return check(*args, **kwargs)

    app.controller.check = recording
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        assert seen_at_start[0] == ("Step 1 of 6: Root user secured", True)


@run_async
async def test_a_burst_of_results_is_shown_in_one_redraw(practice_app, monkeypatch):
    from hsm_setup.engine.events import StepChecked
    from hsm_setup.model import Status, StepResult
    from hsm_setup_screens import pacing
    from hsm_setup_screens.sidebar import StepList

    app = practice_app("partial")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        # The burst's three results are sent within microseconds of each other, yet a full run on two busy
        # cores once drew them twice: the likely cause, the sending thread held past the 50 ms window between
        # two of them. A window of seconds lets the burst, not the machine's load, decide what is drawn at once.
        monkeypatch.setattr(pacing, "EVENT_BATCH", 2.0)
        # A redraw still waiting from before (its window the usual 50 ms) would land inside the burst and draw
        # part of it: the full runs that drew the burst twice met one. Let it pass first.
        await wait_for(pilot, lambda: not app.redraws.pending, "no redraw waiting")
        burst_ids = ("root-user", "identity-center", "service-linked-role")
        message = "AccessDenied: not allowed to read this"
        # For each redraw, which of the burst's results it drew. Another redraw may come meanwhile (a worker that
        # ends late under load drew one): the burst itself must not be split across two redraws.
        redraws: list[set[str]] = []

        def drawn(view):
            redraws.append({s.id for s in view.steps if s.result is not None and s.result.error == message})

        steps = app.screen.query_one(StepList)
        original = steps.update_statuses
        steps.update_statuses = lambda model: (drawn(model), original(model))  # type: ignore[method-assign]
        # Three results arrive together from the engine's threads, as the answers to requests sent together do.
        engine = app.controller.session.engine

        def burst():
            for step_id in burst_ids:
                engine.on_event(StepChecked(StepResult(step_id, Status.ERROR, error=message)))
                time.sleep(0.05)  # a few hundredths apart, well inside the window: still one burst

        await asyncio.to_thread(burst)
        await wait_for(pilot, lambda: "error" in sidebar_text(app)["service-linked-role"], "the results on screen")
        statuses = sidebar_text(app)
        assert all("error" in statuses[s] for s in ("root-user", "identity-center", "service-linked-role"))
        assert "to do" in statuses["admin-user"]  # not in the burst: unchanged
        with_burst = [shown for shown in redraws if shown]
        assert with_burst and with_burst[0] == set(burst_ids), redraws


@run_async
async def test_an_invalid_input_blocks_apply_and_names_the_field(practice_app):
    from textual.widgets import Button, Input

    from hsm_setup_screens.confirm import ConfirmApply

    app = practice_app("partial")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        assert app.screen.step_id == "admin-user"
        apply = app.screen.query_one("#apply", Button)
        await wait_for(pilot, lambda: not apply.disabled, "Apply to be offered")
        user_input = app.screen.query_one("#field-admin-user_name", Input)
        error = app.screen.query_one("#field-admin-user_name-error")
        user_input.focus()
        user_input.value = ""
        await pilot.press(*"Administrator")
        await wait_for(pilot, lambda: "reserved" in visible_text(error).lower(), "the input's problem")
        assert "admin.user_name" in visible_text(error)
        assert apply.disabled
        await pilot.press("escape", "a")
        await wait_for(
            pilot,
            lambda: "not available" in " ".join(str(n.title) for n in app._notifications),
            "the reason Apply cannot act",
        )
        assert not isinstance(app.screen, ConfirmApply)
        # Fixing it lifts the block; the valid answer is saved for the account.
        user_input.focus()
        user_input.value = "ops.lead"
        await wait_for(pilot, lambda: visible_text(error) == "", "the problem to clear")
        await wait_settled(pilot, "the step to be checked against the new answer")
        assert app.view().answers["admin.user_name"] == "ops.lead"
        assert not app.screen.query_one("#apply", Button).disabled


@run_async
async def test_access_denied_opens_the_error_dialog_and_other_steps_still_report(practice_app):
    from hsm_setup_screens.error_dialog import ErrorDialog

    app = practice_app("partial")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        app.controller.session.practice.deny("iam:GetRole")
        await pilot.press("ctrl+r")
        await wait_for_screen(pilot, ErrorDialog, "the error dialog")
        text = visible_text(app.screen.query_one("#error-text"))
        assert "AccessDenied" in text and "iam:GetRole" in text
        assert "What to do" in text
        await pilot.press("escape")
        await wait_settled(pilot)
        statuses = sidebar_text(app)
        assert "error" in statuses["service-linked-role"]
        assert "done" in statuses["root-user"] and "done" in statuses["identity-center"]
        assert "error" not in statuses["admin-user"]


@run_async
async def test_a_denied_change_says_what_failed_why_and_what_to_do(practice_app):
    from hsm_setup_screens.confirm import ConfirmApply
    from hsm_setup_screens.error_dialog import ErrorDialog

    app = practice_app("partial")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        app.controller.session.practice.deny("sso:CreatePermissionSet")
        assert app.screen.step_id == "admin-user"
        await pilot.press("a")
        await wait_for_screen(pilot, ConfirmApply, "the confirmation dialog")
        confirm = visible_text(app.screen.query_one("#confirm-text"))
        assert "aws sso-admin create-permission-set" in confirm
        await pilot.press("y")
        await wait_for_screen(pilot, ErrorDialog, "the error dialog")
        text = visible_text(app.screen.query_one("#error-text"))
        assert "sso:CreatePermissionSet" in text and "AccessDenied" in text
        await pilot.press("escape")
        await wait_settled(pilot)
        assert _step_label(app, "admin-user") != "done"


@run_async
async def test_expired_credentials_are_explained(practice_app):
    from hsm_setup_screens.error_dialog import ErrorDialog

    app = practice_app("partial")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        app.controller.session.practice.expire_credentials()
        await pilot.press("ctrl+r")
        await wait_for_screen(pilot, ErrorDialog, "the error dialog")
        text = visible_text(app.screen.query_one("#error-text"))
        assert "expired" in text.lower()
        assert "What to do" in text
        # Once the credentials are good again, checking again clears the errors.
        app.controller.session.practice.clear_faults()
        await pilot.press("r")
        await wait_settled(pilot)
        assert "error" not in " ".join(sidebar_text(app).values())


@run_async
async def test_complete_account_opens_on_the_summary(practice_app):
    from hsm_setup_screens.summary import SummaryScreen

    app = practice_app("complete")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, SummaryScreen, "the summary")
        await wait_settled(pilot)
        summary = visible_text(app.screen.query_one("#summary-text"))
        assert "Every step is done" in summary
        assert summary.count("✓ done") == 6
        assert ".awsapps.com/start" in summary
        await pilot.press("escape")
        assert app.screen.step_id is not None


@run_async
async def test_connect_screen_lists_profiles_and_opens_the_practice_account(tmp_path, monkeypatch, practice):
    from textual.widgets import OptionList

    from hsm_setup_screens.app import make_app
    from hsm_setup_screens.connect import ConnectScreen
    from hsm_setup_screens.wizard import WizardScreen

    config = tmp_path / "aws-config"
    config.write_text(
        "[profile dev-sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\n"
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    app = make_app(None, sleep=lambda seconds: None, watch_interval=None, practice=practice)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, ConnectScreen)
        options = app.screen.query_one("#connections", OptionList)
        await wait_for(
            pilot, lambda: options.get_option_at_index(options.option_count - 1).id == "access-keys", "the profiles"
        )
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("dev-sso" in p for p in prompts)
        assert any("Practice account" in p for p in prompts)
        await pilot.press("enter")  # the practice account is highlighted first
        await wait_for_screen(pilot, WizardScreen, "the wizard")
        await wait_settled(pilot)
        assert "PRACTICE ACCOUNT" in visible_text(app.screen.query_one("#who"))


@run_async
async def test_a_missing_sso_login_offers_to_sign_in_or_run_aws_sso_login(tmp_path, monkeypatch):
    from hsm_setup.aws.connection import Connection
    from hsm_setup_screens.app import make_app
    from hsm_setup_screens.sign_in_dialogs import SsoSignInDialog

    config = tmp_path / "aws-config"
    config.write_text(
        "[profile dev-sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\nregion = us-east-1\n"
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("HOME", str(tmp_path))  # no cached SSO token
    app = make_app(Connection(profile="dev-sso"), watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, SsoSignInDialog, "the sign-in offer")
        text = visible_text(app.screen.query_one("#sign-in-text"))
        assert "https://corp.awsapps.com/start" in text and "aws sso login --profile dev-sso" in text
        await pilot.press("escape")  # declined: nothing is asked of AWS
        from hsm_setup_screens.connect import ConnectScreen

        screen = await wait_for_screen(pilot, ConnectScreen, "the connect screen")
        assert "aws sso login --profile dev-sso" in visible_text(screen.query_one("#connect-notice"))


@run_async
async def test_help_and_command_palette_are_reachable(practice_app):
    from textual.command import CommandPalette

    from hsm_setup_screens.help import HelpScreen

    app = practice_app("partial")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await wait_for_screen(pilot, CommandPalette, "the command palette")
        await pilot.press(*"step 6")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: getattr(app.screen, "step_id", None) == "service-linked-role", "step 6")


def test_the_screens_do_not_load_boto3_before_the_first_frame():
    code = (
        "import sys\n"
        "import hsm_setup_screens.app, hsm_setup_screens.wizard, hsm_setup_screens.connect, hsm_setup_screens.summary, hsm_setup_screens.step_pane\n"
        # The account picker is imported where it is opened, never for the first frame.
        "heavy = sorted(m for m in ('boto3', 'botocore', 'moto', 'hsm_setup.aws.signin', 'hsm_setup_screens.account_picker')"
        " if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@run_async
async def test_the_wizard_is_drawn_before_the_account_answers(practice_app, monkeypatch):
    """The first frame does not wait for the account: it names the account being reached,
    the step list and the key bar follow, and the steps fill in once the account answers."""
    import threading

    import hsm_setup.session.session as session_module
    from hsm_setup_screens.wizard import WizardScreen

    answer = threading.Event()
    real_open = session_module.open_workspace

    def slow_account(*args, **kwargs):
        answer.wait(60)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(session_module, "open_workspace", slow_account)
    app = practice_app("partial")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, WizardScreen, "the wizard")
        assert "PRACTICE ACCOUNT" in visible_text(screen.query_one("#who"))
        assert "Connecting to the practice account" in visible_text(screen.query_one("#who"))
        await wait_for(pilot, lambda: screen.built, "the step list and the step pane")
        assert not screen.query("#starting")
        assert screen.step_list.step_ids == []  # nothing known yet
        assert "Connecting" in visible_text(screen.query_one("#step-title"))
        await pilot.press("a", "r", "n")  # keys before the account answers do nothing, and break nothing
        answer.set()
        await wait_settled(pilot)
        assert len(screen.step_list.step_ids) == 6
        assert "Account 123456789012" in visible_text(screen.query_one("#who"))
        # partial: the first step not done is shown, as when the account answers at once.
        assert screen.step_id == app.current_step != "root-user"


@run_async
async def test_a_key_that_cannot_act_on_the_step_says_why(practice_app):
    """The key bar keeps every step key (it does not redraw with each check); a key that
    cannot act now says why instead of doing nothing."""
    from hsm_setup_screens.wizard import WizardScreen

    app = practice_app("complete")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        if not isinstance(app.screen, WizardScreen):  # a complete account opens on the summary
            await pilot.press("escape")
            await wait_for_screen(pilot, WizardScreen, "the wizard")
        await wait_for(pilot, lambda: app.screen.step_id is not None, "a step on screen")
        before = len(app._notifications)
        await pilot.press("a")
        await wait_for(pilot, lambda: len(app._notifications) > before, "a notice")
        notice = list(app._notifications)[-1]
        assert notice.title == "Apply is not available"
        assert "already done" in str(notice.message)
        assert app.view().busy is None


@run_async
async def test_the_confirmation_shows_what_iam_refuses_and_offers_no_apply(practice, tmp_path, monkeypatch):
    """The pre-flight `apply` runs, shown on the step before Apply: missing actions, the lines that grant them."""
    import json

    from hsm_setup.answers.values import from_nested
    from hsm_setup.aws.connection import Connection
    from hsm_setup_screens.app import make_app
    from hsm_setup_screens.confirm import ConfirmApply
    from tests.e2e.enforced import printed_policy, without

    monkeypatch.setenv("HSM_SETUP_STATE_DIR", str(tmp_path / "state"))
    answers = from_nested(
        {"admin": {"user_name": "ops.admin", "given_name": "Ops", "family_name": "Admin", "email": "ops@corp.test"}}
    )
    practice.reset("partial")
    iam = practice.client("iam")
    document = without(printed_policy(answers), "sso:CreatePermissionSet")
    arn = iam.create_policy(PolicyName="operator", PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    iam.create_user(UserName="operator")
    iam.attach_user_policy(UserName="operator", PolicyArn=arn)
    key = iam.create_access_key(UserName="operator")["AccessKey"]
    practice.enforce_iam()
    calls_before = len(practice.received_calls())
    signing_as_operator = {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
    connection = Connection(region="us-east-1", **{**practice.connection_overrides(), **signing_as_operator})
    app = make_app(connection, answers=answers, watch_interval=None, sleep=lambda seconds: None)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_settled(pilot)
        assert app.screen.step_id == "admin-user"
        await pilot.press("a")
        dialog = await wait_for_screen(pilot, ConfirmApply, "the confirmation dialog")
        said = visible_text(dialog.query_one("#preflight-text"))
        assert "arn:aws:iam::123456789012:user/operator may not do everything this plan needs" in said
        assert "sso:CreatePermissionSet" in said and '"Action": [' in said
        assert not dialog.query("#yes"), "no Apply button when IAM refuses"
        await pilot.press("y")  # the Apply key too says why, and changes nothing
        assert isinstance(app.screen, ConfirmApply)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmApply), "the dialog to close")
    changing = [
        call
        for call in practice.received_calls()[calls_before:]
        if call[0] in ("sso-admin", "identitystore", "iam") and call[1].startswith(("Create", "Put", "Attach", "Add"))
    ]
    assert changing == [], "nothing in the account changed"


@run_async
async def test_a_view_arriving_while_the_summary_is_being_opened_is_drawn(practice_app):
    """A check can finish in the same moment the summary is pushed: its view waits for the screen, never fails."""
    from hsm_setup_screens.summary import SummaryScreen

    app = practice_app("complete")
    async with app.run_test(size=(80, 24)) as pilot:
        # Composed before it is popped: popping a screen still being composed is not what this test is about.
        await wait_for_screen(pilot, SummaryScreen, "the summary")
        app.pop_screen()
        await pilot.pause()
        app.show_summary()
        app.redraw()  # before the summary is composed
        summary = await wait_for_screen(pilot, SummaryScreen, "the summary again")
        await wait_for(
            pilot,
            lambda: "Every step is done" in visible_text(summary.query_one("#summary-text")),
            "the summary drawn from the latest view",
        )


@run_async
async def test_a_redraw_that_lands_while_the_wizard_closes_is_dropped(practice_app, monkeypatch):
    """An engine event's redraw can fall due while the app shuts down and its screens lose their widgets."""
    from hsm_setup_screens.identity_bar import IdentityBar

    app = practice_app("fresh")
    drawn_during_close: list[bool] = []

    def redraw_as_it_goes(bar: IdentityBar) -> None:
        # The bar is being removed: the redraw that fires now finds the wizard half taken down.
        app.redraw()
        drawn_during_close.append(True)

    async with app.run_test(size=(100, 40)) as pilot:
        await wait_settled(pilot)
        monkeypatch.setattr(IdentityBar, "on_unmount", redraw_as_it_goes, raising=False)
    assert drawn_during_close == [True]
