"""`hsm-setup --plain` driven through a faked questionary.

Each questionary function the front end calls is replaced by one that records the
question and answers from a script keyed by words of the question. Text answers go
through the prompt's own validator, as questionary would: an invalid answer is
recorded with its message and the next scripted answer is tried.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keyring
import pytest
import questionary

from hsm_setup.aws.connection import Connection
from hsm_setup.secrets.store import SERVICE_NAME, SecretStore, StoredCredentials, reset_default_store
from hsm_setup_screens.plain import run_plain
from hsm_setup_screens.plain.flow import PlainFlow
from tests.unit.test_secrets import HangingKeyring, MemoryKeyring

ACCOUNT = "123456789012"
KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
TOKEN = "FQoGZXIvYXdzEXAMPLETOKENvalue1234567890abcdef"
KEEP = object()  # press Enter: keep the default shown
CTRL_C = object()


@dataclass
class Asked:
    kind: str
    message: str
    default: Any = None
    choices: list[str] = field(default_factory=list)
    # Choices greyed out, with the reason questionary shows beside them.
    disabled: dict[str, str] = field(default_factory=dict)
    answer: Any = None


class FakeQuestionary:
    """Answers questions from `rules`: (words in the question, answer or list of answers used in turn)."""

    def __init__(self, rules: list[tuple[str, Any]]) -> None:
        self.rules = [(words, list(answer) if isinstance(answer, list) else [answer]) for words, answer in rules]
        self.asked: list[Asked] = []
        self.invalid: list[str] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeQuestionary:
        for kind in ("text", "password", "confirm", "select", "checkbox"):
            monkeypatch.setattr(questionary, kind, self._prompt(kind))
        return self

    def _next(self, message: str) -> Any:
        for words, answers in self.rules:
            if words.lower() in message.lower():
                # The last answer of a rule is reused for every later question it matches.
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
                # A function is an answer made when the question comes (an MFA code of that moment).
                return answer() if callable(answer) else answer
        return KEEP

    def _prompt(self, kind: str) -> Callable[..., Any]:
        def build(message: str, *args: Any, **kwargs: Any) -> Any:
            fake = self

            class Question:
                def unsafe_ask(self) -> Any:
                    return fake._ask(kind, message, args, kwargs)

                ask = unsafe_ask

            return Question()

        return build

    def _ask(self, kind: str, message: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        asked = Asked(kind, message, kwargs.get("default"))
        self.asked.append(asked)
        if kind in ("select", "checkbox"):
            choices = kwargs.get("choices") or args[0]
            asked.choices = [getattr(c, "title", c) for c in choices]
            asked.disabled = {c.title: c.disabled for c in choices if getattr(c, "disabled", None)}
        if kind == "checkbox":
            # The values ticked, or (Enter) those ticked already; checked by the prompt's own validator.
            answer = self._next(message)
            ticked = [c.value for c in choices if c.checked] if answer is KEEP else list(answer)
            verdict = kwargs["validate"](ticked) if kwargs.get("validate") else True
            assert verdict is True, f"{message!r} refused {ticked}: {verdict}"
            asked.answer = ticked
            return ticked
        for _ in range(10):
            answer = self._next(message)
            if answer is CTRL_C:
                raise KeyboardInterrupt
            if kind == "select" and answer is KEEP and kwargs.get("default") is not None:
                # Enter on a select takes the highlighted default, as questionary does.
                asked.answer = getattr(kwargs["default"], "value", kwargs["default"])
                return asked.answer
            if kind == "select":
                wanted = answer
                # As questionary does, a disabled choice cannot be picked.
                matches = [
                    c
                    for c in choices
                    if wanted is not KEEP
                    and str(wanted).lower() in str(getattr(c, "title", c)).lower()
                    and not getattr(c, "disabled", None)
                ]
                assert matches, f"no choice matching {wanted!r} in {asked.choices} for {message!r}"
                asked.answer = getattr(matches[0], "value", matches[0])
                return asked.answer
            if kind == "confirm":
                assert answer is not KEEP, f"unscripted confirmation: {message!r}"
                asked.answer = bool(answer)
                return asked.answer
            raw = kwargs.get("default", "") if answer is KEEP else answer
            validate = kwargs.get("validate")
            verdict = validate(raw) if validate else True
            if verdict is True:
                asked.answer = raw
                return raw
            self.invalid.append(verdict)
            assert answer is not KEEP, f"the default of {message!r} is invalid: {verdict}"
        raise AssertionError(f"no valid answer for {message!r}")

    def messages(self, kind: str | None = None) -> list[str]:
        return [a.message for a in self.asked if kind is None or a.kind == kind]


class Keys:
    """Input during a watched console action: each call answers one second of the countdown."""

    def __init__(self, *lines: str | None) -> None:
        self.lines = list(lines)

    def __call__(self, timeout: float) -> str | None:
        return self.lines.pop(0) if self.lines else "s"


@pytest.fixture
def memory_keyring():
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    reset_default_store()
    yield backend
    reset_default_store()


def make_flow(
    connection: Connection | None,
    *,
    scenario: str = "fresh",
    keys: Keys | None = None,
    store: SecretStore | None = None,
) -> tuple[PlainFlow, io.StringIO]:
    out = io.StringIO()
    flow = PlainFlow(
        connection,
        scenario=scenario,
        out=out,
        store=store or SecretStore(),
        wait_for_input=keys or Keys(),
        watch_seconds=2,
        sleep=lambda seconds: None,
    )
    return flow, out


def run(flow: PlainFlow) -> int:
    """As run_plain does: Ctrl-C becomes a clean stop."""
    try:
        return flow.run()
    except KeyboardInterrupt:
        flow.report_stop()
        return 130


SANDBOX = Connection(sandbox=True)


# -- the practice account -------------------------------------------------------------------
def test_fresh_practice_account_to_done_with_simulated_console_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeQuestionary([("simulate", True), ("Apply", True)]).install(monkeypatch)
    flow, out = make_flow(SANDBOX)

    code = run(flow)

    text = out.getvalue()
    # Live findings with their evidence, then the plan as AWS CLI commands, for every step in order.
    assert "Step 1 of 6: Root user secured" in text
    assert "evidence: AccountMFAEnabled = 0" in text
    assert "aws organizations create-organization --feature-set ALL" in text
    assert "aws iam create-service-linked-role --aws-service-name cloudhsm.amazonaws.com" in text
    assert text.index("Step 1 of 6") < text.index("Step 2 of 6") < text.index("Step 6 of 6")
    # Each step's inputs are the core's fields, with the current answers as defaults.
    texts = {a.message: a.default for a in fake.asked if a.kind == "text"}
    assert texts["Administrator user name:"] == "ops.admin"
    assert texts["Identity Center Region:"] == "us-east-1"
    assert any("Apply" in m and ACCOUNT in m for m in fake.messages("confirm"))
    assert sum("simulate this console action" in m for m in fake.messages("confirm")) == 3
    assert "Every step is done." in text
    assert code == 0
    # The account really is done: a fresh check (not the flow's memory) agrees.
    assert all(r.done for r in flow.results.values())


def test_an_invalid_input_is_refused_with_the_field_named_and_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeQuestionary(
        [
            ("simulate", True),
            ("Apply", True),
            ("Administrator user name", ["Administrator", "has space", "cloud.ops"]),
            ("Session duration", ["PT13H", "PT2H"]),
        ]
    ).install(monkeypatch)
    flow, out = make_flow(SANDBOX)

    run(flow)

    assert fake.invalid[0] == 'admin.user_name: "Administrator" is reserved in IAM Identity Center; choose another name'
    assert fake.invalid[1].startswith("admin.user_name:") and "a space" in fake.invalid[1]
    assert fake.invalid[2] == 'admin.session_duration: "PT13H" is outside PT1H to PT12H'
    # The valid answers were used and saved for the next run.
    assert flow.workspace.state.answers["admin.user_name"] == "cloud.ops"
    assert flow.workspace.state.answers["admin.session_duration"] == "PT2H"
    assert "cloud.ops" in out.getvalue()


def test_declining_to_apply_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeQuestionary([("simulate", False), ("Apply", False)]).install(monkeypatch)
    flow, out = make_flow(SANDBOX, keys=Keys("s"))

    code = run(flow)

    text = out.getvalue()
    assert "Skipped: nothing was changed for this step." in text
    assert "Nothing was changed in this run." in text
    assert flow.workspace.aws.mutating_calls() == []
    assert code == 1


def test_a_watched_console_action_counts_down_and_enter_checks_now(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeQuestionary([("simulate", False), ("Apply", False)]).install(monkeypatch)
    # First action: let the countdown run out once, press Enter once, then leave it for later.
    flow, out = make_flow(SANDBOX, keys=Keys(None, None, "", "s"))
    run(flow)

    text = out.getvalue()
    assert "Checking again in  2 s" in text and "Checking again in  1 s" in text
    assert "Not yet: The root user has no MFA device." in text
    # The first check is of every step; then root-user alone, after the countdown and after Enter.
    checks = [entry[1:] for entry in flow.session.history if entry[0] == "check"]
    assert checks[1:3] == [("root-user",), ("root-user",)]
    assert "Left for later" in text


def test_ctrl_c_stops_cleanly_saying_what_changed_and_the_next_run_resumes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    FakeQuestionary([("simulate", True), ("Apply", True), ("Administrator user name", CTRL_C)]).install(monkeypatch)
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr(PlainFlow, "__init__", _with_short_watch(PlainFlow.__init__))

    code = run_plain(SANDBOX, scenario="fresh")

    out = capsys.readouterr().out
    assert code == 130
    assert "Stopped." in out
    assert "Changed in this run:" in out and "Create an organization with all features" in out
    assert "Not done (nothing more was changed for these):" in out and "Administrative user" in out
    assert "Traceback" not in out
    assert "run `hsm-setup --plain` again to continue" in out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _with_short_watch(init: Callable[..., None]) -> Callable[..., None]:
    def patched(self: PlainFlow, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("wait_for_input", Keys())
        kwargs.setdefault("watch_seconds", 1)
        kwargs.setdefault("sleep", lambda seconds: None)
        init(self, *args, **kwargs)

    return patched


def test_partial_practice_account_resumes_at_the_first_undone_step(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeQuestionary([("simulate", True), ("Apply", True)]).install(monkeypatch)
    flow, out = make_flow(SANDBOX, scenario="partial")

    run(flow)

    text = out.getvalue()
    step1 = text[text.index("Step 1 of 6") : text.index("Step 2 of 6")]
    assert "Done." in step1
    # Done steps ask nothing: the first question is about the first step that is not done.
    assert "Identity Center Region:" not in fake.messages()


def test_not_a_terminal_points_to_the_headless_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert run_plain(None) == 2
    err = capsys.readouterr().err
    assert "hsm-setup apply --config FILE" in err


# -- typed credentials and the keyring -------------------------------------------------------
CREDENTIAL_RULES = [
    ("How should hsm-setup reach AWS", "Type an access key"),
    ("Access key ID", ["akia-lower", KEY_ID]),
    ("Secret access key", ["short", SECRET]),
    ("Session token", TOKEN),
    ("Apply", False),
]


def test_typed_credentials_saved_in_the_keyring_never_reach_a_file(
    monkeypatch: pytest.MonkeyPatch, mocked_aws: None, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    # mocked_aws sets environment credentials; the typed ones must be the ones used.
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    fake = FakeQuestionary([*CREDENTIAL_RULES, ("Keep these credentials in the OS keyring", True)]).install(monkeypatch)
    flow, out = make_flow(None, keys=Keys("s"))

    run(flow)

    # The secret is asked with a password prompt, and bad values are refused naming the field, not echoing it.
    kinds = {a.message: a.kind for a in fake.asked}
    assert kinds["Secret access key:"] == "password" and kinds["Session token (optional):"] == "password"
    assert fake.invalid[0].startswith("aws_access_key_id:")
    assert fake.invalid[1].startswith("aws_secret_access_key:") and "short" not in fake.invalid[1]
    assert flow.workspace.aws.connection.access_key_id == KEY_ID
    assert StoredCredentials.from_secret_json(memory_keyring.entries[(SERVICE_NAME, ACCOUNT)]) == StoredCredentials(
        KEY_ID, SECRET, TOKEN
    )
    assert f"hsm-setup forget --account {ACCOUNT}" in out.getvalue()
    # Every file the program wrote (state, index, journal...) is free of the secret and the token.
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "saved-credentials.json" for p in written)
    assert any(p.name == "state.json" for p in written)
    for path in written:
        content = path.read_bytes()
        assert SECRET.encode() not in content, path
        assert TOKEN.encode() not in content, path
    assert SECRET not in out.getvalue() and TOKEN not in out.getvalue()


def test_saved_credentials_are_offered_on_the_next_run(
    monkeypatch: pytest.MonkeyPatch, mocked_aws: None, memory_keyring: MemoryKeyring
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    SecretStore().save(
        ACCOUNT, StoredCredentials(KEY_ID, SECRET, TOKEN), caller_arn="arn:aws:iam::123456789012:user/setup"
    )
    fake = FakeQuestionary([("How should hsm-setup reach AWS", f"account {ACCOUNT}"), ("Apply", False)]).install(
        monkeypatch
    )
    flow, _out = make_flow(None, keys=Keys("s"))

    run(flow)

    first = fake.asked[0]
    assert any(ACCOUNT in choice and "Saved credentials" in choice for choice in first.choices)
    assert flow.workspace.aws.connection.access_key_id == KEY_ID
    assert flow.workspace.aws.connection.secret_access_key == SECRET
    # Saved credentials are not offered for saving again.
    assert not any("Keep these credentials" in m for m in fake.messages())


def test_no_keyring_backend_is_explained_and_the_run_goes_on_in_memory(
    monkeypatch: pytest.MonkeyPatch, mocked_aws: None
) -> None:
    from keyring.backends import fail

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    fake = FakeQuestionary(CREDENTIAL_RULES).install(monkeypatch)
    flow, out = make_flow(None, keys=Keys("s"), store=SecretStore(backend=fail.Keyring()))

    run(flow)

    text = out.getvalue()
    assert "No OS keyring is available" in text
    assert "stay in memory for this run only" in text
    assert not any("Keep these credentials" in m for m in fake.messages())
    assert "Step 6 of 6" in text  # the setup went on


def test_a_hanging_keyring_times_out_and_the_flow_continues(
    monkeypatch: pytest.MonkeyPatch, mocked_aws: None, state_dir: Path
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    backend = HangingKeyring()
    store = SecretStore(backend=backend, timeout=0.2)
    # An index entry from an earlier run, so the saved credentials are offered and read.
    store._index_add(__import__("hsm_setup.secrets.store", fromlist=["SavedEntry"]).SavedEntry(ACCOUNT))
    fake = FakeQuestionary(
        [("How should hsm-setup reach AWS", [f"account {ACCOUNT}", "Type an access key"]), *CREDENTIAL_RULES[1:]]
    ).install(monkeypatch)
    flow, out = make_flow(None, keys=Keys("s"), store=store)
    try:
        run(flow)
    finally:
        backend.release.set()

    text = out.getvalue()
    assert "The OS keyring did not answer within 0.2 seconds" in text
    assert flow.workspace.aws.connection.access_key_id == KEY_ID  # typed instead, and the run went on
    assert "Step 6 of 6" in text
    # The keyring is not asked again after it timed out: saving is not offered.
    assert not any("Keep these credentials" in m for m in fake.messages())


def test_wrong_credentials_are_explained_and_another_way_is_offered(
    monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    from botocore.exceptions import ClientError

    def rejected(aws: Any) -> Any:
        raise ClientError(
            {
                "Error": {
                    "Code": "InvalidClientTokenId",
                    "Message": "The security token included in the request is invalid.",
                }
            },
            "GetCallerIdentity",
        )

    # What sts answers for a mistyped key; no network needed.
    monkeypatch.setattr("hsm_setup.engine.runner.get_identity", rejected)
    fake = FakeQuestionary([*CREDENTIAL_RULES, ("Choose another way", False)]).install(monkeypatch)
    flow, out = make_flow(None)

    assert run(flow) == 2

    assert "AWS rejected the credentials (InvalidClientTokenId)" in out.getvalue()
    assert memory_keyring.entries == {}  # never saved: they were never shown to work
    assert fake.messages("confirm")[-1] == "Choose another way to connect?"


def test_a_choice_other_than_the_mode_is_asked_with_what_each_value_means(monkeypatch: pytest.MonkeyPatch) -> None:
    from hsm_setup.answers.fields import BY_KEY

    fake = FakeQuestionary([("CloudHSM policy", "read-only")]).install(monkeypatch)
    flow, out = make_flow(None)
    assert flow.ask_choice(BY_KEY["cloudhsm.policy"], "admin") == "read-only"
    # Each value is said with what it means, then typed (one line for a screen reader), Enter keeping the current.
    assert "read-only: read only: describe clusters and backups, list tags" in out.getvalue()
    [asked] = fake.asked
    assert asked.kind == "text" and asked.default == "admin"


def test_target_accounts_are_picked_saved_and_applied_with_a_bar_line_each_tenth_of_the_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hsm_setup.sandbox.organization import member_id

    members = [member_id(n) for n in range(9)]  # active accounts of the `org` scenario
    fake = FakeQuestionary(
        [("simulate", True), ("Apply", True), ("Administrator's accounts", [[ACCOUNT, *members]])]
    ).install(monkeypatch)
    flow, out = make_flow(SANDBOX, scenario="org")

    run(flow)

    assert any(a.kind == "checkbox" and "Administrator's accounts" in a.message for a in fake.asked)
    assert flow.workspace.load_state().answers["admin.accounts"] == ["this", *members]
    lines = out.getvalue().splitlines()
    bars = [m[1] for line in lines if (m := re.match(r"\s*admin-user: (\[[#-]{10}\].*)", line))]
    # Nine accounts besides this one: each is more than a tenth of the way, so each gets its line.
    assert bars == [f"[{'#' * (n * 10 // 9)}{'-' * (10 - n * 10 // 9)}] {n} of 9 accounts" for n in range(1, 10)]
    assert flow.results["admin-user"].accounts == dict.fromkeys([ACCOUNT, *members], "done")


def test_a_bar_line_is_printed_each_tenth_of_the_way_not_at_every_count() -> None:
    from hsm_setup.engine.events import Count, Progress
    from hsm_setup.session.events import EngineEventSeen

    flow, out = make_flow(None)
    for done in range(10, 1001, 10):  # a hundredth at a time, as the fan-out reports 1,000 accounts
        flow.on_event(EngineEventSeen(Progress("admin-user", f"{done}/1000 accounts", Count(done, 1000))))
    bars = out.getvalue().splitlines()
    # Named by step: the fan-outs to other accounts run side by side, their lines interleaved.
    assert bars == [f"    admin-user: [{'#' * n}{'-' * (10 - n)}] {n * 100:,} of 1,000 accounts" for n in range(1, 11)]


def test_progress_with_a_count_is_one_text_bar_line_and_without_one_its_words() -> None:
    from hsm_setup.engine.events import Count, Progress
    from hsm_setup.session.events import EngineEventSeen

    flow, out = make_flow(None)
    flow.on_event(EngineEventSeen(Progress("admin-user", "500/1000 accounts", Count(500, 1000))))
    flow.on_event(EngineEventSeen(Progress("root-user", "Waiting for the credential report...")))
    # Printed, never redrawn in place: a screen reader reads each line.
    assert (
        out.getvalue()
        == "    admin-user: [#####-----] 500 of 1,000 accounts\n    Waiting for the credential report...\n"
    )
