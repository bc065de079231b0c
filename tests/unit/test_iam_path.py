"""The IAM path ([admin] mode = "iam"): the admin-user step as an Administrators IAM group and an IAM user,
on moto in-process; answers per mode; skipped Identity Center steps; the password's one-way trip."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from hsm_setup.answers.values import Answers, AnswersError, from_nested
from hsm_setup.model import SecretIssued, Status
from hsm_setup.sandbox.corrections.iam import load_aws_managed_policy
from hsm_setup.secrets import passwords
from hsm_setup.steps.admin_user import STEP
from hsm_setup.steps.admin_user_iam import UNSHOWN_PASSWORD
from tests.conftest import ACCOUNT_ID

ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
IAM_ANSWERS = {"admin.mode": "iam", "admin.user_name": "hsm.admin", "admin.iam_group": "Administrators"}


@pytest.fixture
def iam(aws):
    # moto knows AWS managed policies only when told to load them all; AWS always has them.
    assert load_aws_managed_policy(ADMIN_ARN)
    return aws.client("iam")


class Terminal:
    """Stands in for a front end: shows every password it is handed (or refuses to), and remembers them."""

    def __init__(self, show: bool = True) -> None:
        self.show = show
        self.secrets: list[SecretIssued] = []

    def __call__(self, event: object) -> None:
        if isinstance(event, SecretIssued):
            self.secrets.append(event)
            if self.show:
                event.mark_shown()


def _engine(make_engine, terminal: Terminal | None = None, **answers):
    return make_engine({**IAM_ANSWERS, **answers}, on_event=terminal or Terminal())


def _messages(result) -> str:
    return "\n".join(f.message for f in result.findings)


def _mutations(aws) -> list[str]:
    return [c.operation for c in aws.mutating_calls()]


# -- answers ----------------------------------------------------------------------------------
def test_iam_mode_takes_iam_user_rules_and_ignores_identity_center_only_fields():
    answers = from_nested({"admin": {"mode": "iam", "user_name": "Administrator", "email": "", "iam_group": "Admins"}})
    assert answers["admin.user_name"] == "Administrator"  # reserved only in Identity Center
    with pytest.raises(AnswersError) as raised:
        from_nested({"admin": {"mode": "iam", "user_name": "x" * 65}})
    assert raised.value.problems == ["admin.user_name: is 65 characters; an IAM user name allows at most 64"]
    with pytest.raises(AnswersError) as raised:
        from_nested({"admin": {"mode": "iam", "user_name": "ops admin", "iam_group": "a/b"}})
    assert [p.split(":")[0] for p in raised.value.problems] == ["admin.user_name", "admin.iam_group"]


def test_identity_center_mode_keeps_its_rules_and_the_mode_must_be_known():
    with pytest.raises(AnswersError) as raised:
        from_nested({"admin": {"user_name": "Administrator"}})
    assert "reserved in IAM Identity Center" in raised.value.problems[0]
    with pytest.raises(AnswersError) as raised:
        from_nested({"admin": {"mode": "iam-user"}})
    assert raised.value.problems == ['admin.mode: "iam-user" is not one of: identity-center, iam']
    assert Answers({})["admin.mode"] == "identity-center"
    assert Answers({})["admin.iam_group"] == "Administrators"


# -- check ------------------------------------------------------------------------------------
def test_fresh_account_in_iam_mode_is_incomplete_and_identity_center_steps_are_skipped(make_engine, iam):
    engine = _engine(make_engine)
    results = engine.check()
    assert results["identity-center"].status is Status.SKIPPED
    assert results["permission-sets"].status is Status.SKIPPED
    assert "IAM user" in _messages(results["identity-center"])
    admin = results["admin-user"]
    assert admin.status is Status.INCOMPLETE
    text = _messages(admin)
    assert "The IAM group Administrators does not exist yet." in text
    assert "The IAM user hsm.admin does not exist yet." in text
    assert f"https://{ACCOUNT_ID}.signin.aws.amazon.com/console" in text
    plan = engine.plan_step(STEP, results)
    assert [a.cli for a in plan] == [
        "aws iam create-group --group-name Administrators",
        f"aws iam attach-group-policy --group-name Administrators --policy-arn {ADMIN_ARN}",
        "aws iam create-user --user-name hsm.admin --tags Key=managed-by,Value=hsm-setup",
        "aws iam add-user-to-group --group-name Administrators --user-name hsm.admin",
        "aws iam create-login-profile --user-name hsm.admin --password '<generated: shown once at apply>' --password-reset-required",
    ]


def test_partial_setup_plans_only_what_is_missing_and_the_alias_names_the_sign_in_url(make_engine, iam):
    iam.create_group(GroupName="Administrators")
    iam.attach_group_policy(GroupName="Administrators", PolicyArn=ADMIN_ARN)
    iam.create_user(UserName="hsm.admin")
    iam.create_account_alias(AccountAlias="example-corp")
    engine = _engine(make_engine)
    results = engine.check()
    admin = results["admin-user"]
    assert admin.status is Status.INCOMPLETE
    assert "https://example-corp.signin.aws.amazon.com/console" in _messages(admin)
    assert [a.key for a in engine.plan_step(STEP, results)] == [
        "admin-user:iam-add-user",
        "admin-user:iam-create-password",
    ]


def test_an_existing_setup_is_done_and_mfa_is_recommended_until_assigned(make_engine, iam):
    iam.create_group(GroupName="Administrators")
    iam.attach_group_policy(GroupName="Administrators", PolicyArn=ADMIN_ARN)
    iam.create_user(UserName="hsm.admin")
    iam.add_user_to_group(GroupName="Administrators", UserName="hsm.admin")
    iam.create_login_profile(UserName="hsm.admin", Password="Someone-Else's-1", PasswordResetRequired=True)
    engine = _engine(make_engine)
    admin = engine.check()["admin-user"]
    assert admin.status is Status.DONE
    mfa = [f for f in admin.findings if "MFA" in f.message]
    assert len(mfa) == 1 and mfa[0].level == "warning" and not mfa[0].ok

    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="hsm.admin")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="hsm.admin", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    admin = engine.check()["admin-user"]
    assert admin.status is Status.DONE
    assert any(f.ok and "has MFA" in f.message for f in admin.findings)
    # Someone else's password is adopted: never replaced, never reported as unshown.
    assert engine.plan_step(STEP, {**engine.check()}) == []


def test_access_denied_on_the_check_is_an_explained_error(make_engine, iam, deny):
    deny("GetLoginProfile")
    admin = _engine(make_engine).check()["admin-user"]
    assert admin.status is Status.ERROR
    assert "iam:GetLoginProfile" in admin.error


# -- apply ------------------------------------------------------------------------------------
def test_apply_creates_everything_once_and_shows_a_password_that_fits_the_default_policy(make_engine, iam, aws):
    terminal = Terminal()
    engine = _engine(make_engine, terminal)
    report = engine.apply(only={"admin-user"})
    assert not report.failed, [o.message for o in report.failed]
    assert report.results["admin-user"].status is Status.DONE
    assert iam.list_attached_group_policies(GroupName="Administrators")["AttachedPolicies"][0]["PolicyArn"] == ADMIN_ARN
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="hsm.admin")["Groups"]] == ["Administrators"]
    (secret,) = terminal.secrets
    assert secret.user_name == "hsm.admin" and secret.account_id == ACCOUNT_ID
    password = secret.secret
    # AWS's default policy: at least 8 characters, three of the four character types.
    assert len(password) >= 8
    assert (
        sum(
            any(c in group for c in password)
            for group in (string.ascii_uppercase, string.ascii_lowercase, string.digits, "!@#$%^&*()_+-=[]{}|")
        )
        >= 3
    )
    assert any("signin.aws.amazon.com/console" in note for note in secret.notes)
    (create,) = [c for c in aws.calls if c.operation == "CreateLoginProfile"]
    assert create.params["PasswordResetRequired"] is True
    assert password not in repr(create.params) and password not in repr(secret)
    assert password not in repr(report)

    before = _mutations(aws)
    again = _engine(make_engine, terminal)
    second = again.apply(only={"admin-user"})
    assert second.outcomes == []
    assert _mutations(aws) == before  # apply twice: no second group, user, membership or password
    assert len(iam.list_users()["Users"]) == 1 and len(iam.list_groups()["Groups"]) == 1
    assert len(terminal.secrets) == 1


def test_a_custom_password_policy_is_honoured(make_engine, iam):
    iam.update_account_password_policy(
        MinimumPasswordLength=24,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
    )
    terminal = Terminal()
    _engine(make_engine, terminal).apply(only={"admin-user"})
    (secret,) = terminal.secrets
    password = secret.secret
    assert len(password) >= 24
    assert any(c in "!@#$%^&*()_+-=[]{}|" for c in password)
    assert (
        any(c.isdigit() for c in password) and any(c.isupper() for c in password) and any(c.islower() for c in password)
    )


def test_generated_passwords_satisfy_a_length_20_symbols_policy_and_differ():
    policy = passwords.PasswordPolicy(minimum_length=20, require_symbols=True)
    made = {passwords.generate(policy) for _ in range(50)}
    assert len(made) == 50
    for password in made:
        assert len(password) >= 20 and any(not c.isalnum() for c in password)
        assert passwords.problems(policy, password) == []
    assert passwords.problems(policy, "short1!") == ["shorter than 20 characters"]
    assert passwords.problems(passwords.AWS_DEFAULT_POLICY, "abcdefgh") == ["fewer than 3 character types"]


def test_account_policy_reads_the_account_or_falls_back_to_aws_default(iam):
    assert passwords.account_policy(iam) == passwords.AWS_DEFAULT_POLICY
    iam.update_account_password_policy(MinimumPasswordLength=20, RequireSymbols=True)
    policy = passwords.account_policy(iam)
    assert policy.minimum_length == 20 and policy.require_symbols and not policy.is_default


def test_a_crash_after_create_login_profile_makes_the_next_apply_reset_and_show_a_new_password(make_engine, iam, aws):
    class Crash(BaseException):
        pass

    def crash(event: object) -> None:
        if isinstance(event, SecretIssued):
            raise Crash  # the process dies after AWS set the password, before anyone saw it

    with pytest.raises(Crash):
        _engine(make_engine, crash).apply(only={"admin-user"})
    assert iam.get_login_profile(UserName="hsm.admin")["LoginProfile"]

    terminal = Terminal()
    engine = _engine(make_engine, terminal)
    results = engine.check()
    admin = results["admin-user"]
    assert admin.status is Status.INCOMPLETE
    assert "never showed" in _messages(admin)
    plan = engine.plan_step(STEP, results)
    assert [a.key for a in plan] == ["admin-user:iam-reset-password"]
    assert plan[0].cli.startswith("aws iam update-login-profile --user-name hsm.admin")

    report = engine.apply(results, only={"admin-user"})
    assert report.results["admin-user"].status is Status.DONE
    (_secret,) = terminal.secrets
    (update,) = [c for c in aws.calls if c.operation == "UpdateLoginProfile"]
    assert update.params["PasswordResetRequired"] is True and update.params["Password"] == "(hidden)"
    assert engine.state.resource(UNSHOWN_PASSWORD) is None


def test_a_password_no_front_end_showed_leaves_the_step_incomplete(make_engine, iam):
    report = _engine(make_engine, Terminal(show=False)).apply(only={"admin-user"})
    admin = report.results["admin-user"]
    assert admin.status is Status.INCOMPLETE
    assert "never showed" in _messages(admin)


def test_access_denied_on_create_login_profile_fails_the_action_and_leaves_no_unshown_mark(make_engine, iam, deny):
    deny("CreateLoginProfile")
    engine = _engine(make_engine)
    report = engine.apply(only={"admin-user"})
    (failed,) = report.failed
    assert "iam:CreateLoginProfile" in failed.message
    assert engine.state.resource(UNSHOWN_PASSWORD) is None
    assert report.results["admin-user"].status is Status.INCOMPLETE


def test_the_administrator_can_join_the_cloudhsm_group_in_the_same_apply(make_engine, iam):
    engine = _engine(make_engine, Terminal(), **{"cloudhsm.iam_members": ["hsm.admin"]})
    report = engine.apply(only={"admin-user", "cloudhsm-group"})
    assert report.results["cloudhsm-group"].status is Status.DONE, _messages(report.results["cloudhsm-group"])
    groups = {g["GroupName"] for g in iam.list_groups_for_user(UserName="hsm.admin")["Groups"]}
    assert groups == {"Administrators", "CloudHSMAdmins"}


def test_iam_mode_calls_stay_within_the_declared_permissions(make_engine, iam, aws):
    engine = _engine(make_engine, Terminal())
    engine.identity()
    start = len(aws.calls)
    result = engine.check_step(STEP, {})
    assert result.status is Status.INCOMPLETE
    checked = {f"{c.service}:{c.operation}" for c in aws.calls[start:]}
    assert checked <= set(STEP.check_permissions)
    results = engine.check()
    for action in engine.plan_step(STEP, results):
        start = len(aws.calls)
        assert engine.run_action(action, results).ok
        called = {f"{c.service}:{c.operation}" for c in aws.calls[start:]}
        assert called <= set(action.permissions) <= set(STEP.apply_permissions), action.key


# -- the password never lands in a file ------------------------------------------------------
def test_the_password_is_in_no_file_of_the_state_directory(make_engine, iam, state_dir: Path):
    terminal = Terminal()
    engine = _engine(make_engine, terminal)
    engine.apply(only={"admin-user"})
    crash_then_reset = _engine(make_engine, terminal)
    crash_then_reset.state.remember(**{UNSHOWN_PASSWORD: "hsm.admin"})  # as if the last one was never shown
    crash_then_reset.apply(only={"admin-user"})
    assert len(terminal.secrets) == 2
    files = [p for p in state_dir.rglob("*") if p.is_file()]
    assert files  # the state was written
    for path in files:
        content = path.read_bytes()
        for secret in terminal.secrets:
            assert secret.secret.encode() not in content, path
