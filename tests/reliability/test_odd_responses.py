"""Answers AWS should not give, but might: keys left out, statuses nobody documented,
empty pages, the same page token twice, a list where an object belongs.

moto answers in-process; client event handlers rewrite its answers (`after-call`
edits the parsed answer in place, `before-call` answers instead of moto). Every case
must end in a result a person can act on, naming what was odd and what to do next:
never a traceback, never an endless loop, never an unknown status taken for success.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import types
from collections.abc import Callable
from typing import Any

import pytest

from hsm_setup.errors import ODD_ANSWER_NEXT_MOVE, explain
from hsm_setup.model import Status, StepFacts, Verdict
from hsm_setup.steps import cloudhsm_group, identity_center, root_user
from hsm_setup.steps.base import Step
from tests.conftest import ACCOUNT_ID
from tests.unit.sso_helpers import build_engine, make_management_account, moto_instances

RUN_AGAIN = "Run again; if it persists, report it"
REQUEST_ID = "0b8e4c1a-7f2d-4e6b-9a3c-5d1f2e7a8b90"
ADMIN_STEPS = {"identity-center", "admin-user"}


# -- rewriting AWS's answers ----------------------------------------------------------------
def edit(client: Any, operation: str, change: Callable[[dict], None]) -> Callable[[], None]:
    """After moto answers `operation`, change(parsed) rewrites the answer; returns a function that stops it."""

    def handler(parsed: dict, model: Any, **_: Any) -> None:
        if model.name == operation and "Error" not in parsed:
            change(parsed)

    event = f"after-call.*.{operation}"
    client.meta.events.register(event, handler)
    return lambda: client.meta.events.unregister(event, handler)


def _reply(parsed: dict) -> tuple[Any, dict]:
    parsed.setdefault("ResponseMetadata", {"HTTPStatusCode": 200})
    return types.SimpleNamespace(status_code=200, headers={}, content=b""), parsed


def answer(client: Any, operation: str, respond: Callable[[dict], dict]) -> list[dict]:
    """Answer `operation` with respond(request parameters) instead of moto; returns the requests seen."""
    seen: list[dict] = []

    def remember(params: dict, model: Any, context: dict, **_: Any) -> None:
        if model.name == operation:
            context["odd_params"] = dict(params)

    def reply(model: Any, context: dict, **_: Any) -> Any:
        if model.name != operation:
            return None
        seen.append(context.get("odd_params", {}))
        return _reply(respond(context.get("odd_params", {})))

    client.meta.events.register(f"provide-client-params.*.{operation}", remember)
    client.meta.events.register(f"before-call.*.{operation}", reply)
    return seen


def behind_empty_pages(
    client: Any, operation: str, list_key: str, *, token: str = "NextToken", more: dict | None = None, empty: int = 2
) -> None:
    """Move what moto answers behind `empty` empty pages, each with a next-page token.

    A reader that stops at an empty page, or that ignores the token, misses the entries.
    `more` is added to every page that has a next one (IAM's IsTruncated).
    """
    stash: dict[str, list] = {}
    calls = itertools.count()

    def remember(params: dict, model: Any, context: dict, **_: Any) -> None:
        if model.name == operation:
            context["odd_token"] = params.get(token)

    def reply(model: Any, context: dict, **_: Any) -> Any:
        given = context.get("odd_token") if model.name == operation else None
        if not given:
            return None  # moto answers the first page
        call, page = given.split(":")
        if int(page) < empty - 1:
            return _reply({list_key: [], token: f"{call}:{int(page) + 1}", **(more or {})})
        last: dict[str, Any] = {list_key: stash.pop(call)}
        if more:
            last.update({k: False for k in more})
        return _reply(last)

    def first(parsed: dict, model: Any, context: dict, **_: Any) -> None:
        if model.name == operation and not context.get("odd_token") and "Error" not in parsed:
            call = str(next(calls))
            stash[call] = parsed.get(list_key) or []
            parsed[list_key] = []
            parsed[token] = f"{call}:0"
            parsed.update(more or {})

    client.meta.events.register(f"provide-client-params.*.{operation}", remember)
    client.meta.events.register(f"before-call.*.{operation}", reply)
    client.meta.events.register(f"after-call.*.{operation}", first)


def calls_to(aws: Any, operation: str) -> int:
    return sum(1 for c in aws.calls if c.operation == operation)


def assert_explained(result: Any, *expected: str) -> None:
    """An ERROR result whose message names what was odd and says what to do."""
    assert result.status is Status.ERROR, [f.message for f in result.findings]
    text = result.error or ""
    for part in expected:
        assert part in text, text
    assert RUN_AGAIN in text
    assert "Traceback" not in text and "Unexpected error" not in text


def messages(result: Any) -> list[str]:
    return [f.message for f in result.findings]


# -- root user: GetAccountSummary, the credential report, virtual MFA devices -----------------
def _iam_backend():
    from moto.iam.models import iam_backends

    return iam_backends[ACCOUNT_ID]["aws"]


def _root_has_mfa() -> None:
    _iam_backend().account_summary._account_mfa_enabled = 1


def _root_virtual_mfa(aws) -> str:
    """A virtual MFA device assigned to root (moto's EnableMFADevice only takes IAM users)."""
    serial = aws.client("iam").create_virtual_mfa_device(VirtualMFADeviceName="root-account-mfa-device")[
        "VirtualMFADevice"
    ]["SerialNumber"]
    device = _iam_backend().virtual_mfa_devices[serial]
    device.enable_date = dt.datetime.now(dt.UTC)
    device.user = types.SimpleNamespace(
        path="/", name="", id=ACCOUNT_ID, arn=f"arn:aws:iam::{ACCOUNT_ID}:root", create_date=device.enable_date
    )
    return serial


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda p: p.pop("SummaryMap"), "AWS answered iam GetAccountSummary without SummaryMap"),
        (
            lambda p: p["SummaryMap"].pop("AccountMFAEnabled"),
            "AWS answered iam GetAccountSummary without AccountMFAEnabled",
        ),
        (
            lambda p: p["SummaryMap"].update(AccountAccessKeysPresent=None),
            "AWS answered iam GetAccountSummary without AccountAccessKeysPresent",
        ),
        (lambda p: p.update(SummaryMap=[1, 0]), "with SummaryMap as a list, not an object"),
        (lambda p: p["SummaryMap"].update(AccountMFAEnabled="yes"), "with AccountMFAEnabled = 'yes', not a number"),
    ],
    ids=["no-summary-map", "no-mfa-key", "null-keys-value", "list-not-object", "not-a-number"],
)
def test_an_odd_account_summary_is_an_error_not_a_verdict(make_engine, aws, change, expected):
    edit(aws.client("iam"), "GetAccountSummary", change)
    result = make_engine().check_step(root_user.STEP, {})
    assert_explained(result, expected)
    # Nothing is claimed from a value AWS did not give.
    assert not any("has no MFA device" in m or "has no access keys" in m for m in messages(result))


def test_a_credential_report_without_content_costs_a_warning_not_the_verdict(make_engine, aws):
    edit(aws.client("iam"), "GetCredentialReport", lambda p: p.pop("Content"))
    result = make_engine().check_step(root_user.STEP, {})
    assert result.status is Status.INCOMPLETE  # the summary decides: root has no MFA in moto
    warning = next(f for f in result.findings if "credential report" in f.message)
    assert warning.level == "warning"
    assert "AWS answered iam GetCredentialReport without Content" in warning.message
    assert not any("no row for the root user" in m for m in messages(result))


def test_a_credential_report_that_is_not_the_expected_csv_is_named(make_engine, aws):
    edit(aws.client("iam"), "GetCredentialReport", lambda p: p.update(Content=b"<html>Service Unavailable</html>\n"))
    result = make_engine().check_step(root_user.STEP, {})
    assert result.status is Status.INCOMPLETE
    assert any("GetCredentialReport with a report that is not the expected CSV" in m for m in messages(result))


def test_an_unknown_report_generation_state_is_neither_ready_nor_waited_on(make_engine, aws):
    edit(aws.client("iam"), "GenerateCredentialReport", lambda p: p.update(State="QUEUED_SOMEWHERE"))
    sleeps: list[float] = []
    engine = make_engine()
    engine._sleep = sleeps.append
    result = engine.check_step(root_user.STEP, {})
    assert result.status is Status.INCOMPLETE
    assert any(
        "GenerateCredentialReport with State 'QUEUED_SOMEWHERE', which hsm-setup does not know" in m
        for m in messages(result)
    )
    assert calls_to(aws, "GenerateCredentialReport") == 1 and sleeps == []


def test_the_root_mfa_device_is_found_behind_empty_pages(make_engine, aws):
    _root_has_mfa()
    serial = _root_virtual_mfa(aws)
    behind_empty_pages(
        aws.client("iam"), "ListVirtualMFADevices", "VirtualMFADevices", token="Marker", more={"IsTruncated": True}
    )
    result = make_engine().check_step(root_user.STEP, {})
    assert result.facts.mfa_kind == "virtual"
    assert any(f.evidence == serial for f in result.findings)
    assert calls_to(aws, "ListVirtualMFADevices") == 3


def test_a_marker_that_repeats_forever_stops_the_mfa_listing(make_engine, aws):
    _root_has_mfa()
    answer(
        aws.client("iam"),
        "ListVirtualMFADevices",
        lambda params: {"VirtualMFADevices": [], "IsTruncated": True, "Marker": "again"},
    )
    result = make_engine().check_step(root_user.STEP, {})
    # MFA is on (GetAccountSummary decides); only the kind of device is unknown.
    assert result.facts.mfa_enabled is True
    warning = next(f for f in result.findings if "is a virtual one" in f.message)
    assert warning.level == "warning" and "with the same Marker twice" in warning.message
    assert calls_to(aws, "ListVirtualMFADevices") == 2


# -- who is calling ---------------------------------------------------------------------------
def test_a_caller_identity_without_arn_is_explained_in_every_step_that_needs_it(make_engine, aws):
    edit(aws.client("sts"), "GetCallerIdentity", lambda p: p.pop("Arn"))
    results = make_engine().check()
    assert_explained(results["root-user"], "AWS answered sts GetCallerIdentity without Arn")
    assert_explained(results["identity-center"], "AWS answered sts GetCallerIdentity without Arn")


# -- Identity Center instances ---------------------------------------------------------------
@pytest.fixture
def organization(aws):
    """The account heads an organization, with moto's instance of Identity Center in us-east-1."""
    make_management_account(aws)
    return moto_instances()[0]


@pytest.mark.parametrize("key", ["IdentityStoreId", "InstanceArn", "Status"])
def test_an_instance_without_a_key_the_later_steps_need_is_an_error(aws, organization, key):
    edit(aws.client("sso-admin"), "ListInstances", lambda p: [i.pop(key) for i in p["Instances"]])
    results = build_engine(aws).check()
    assert_explained(results["identity-center"], f"AWS answered sso-admin ListInstances without {key}")
    assert results["admin-user"].status is Status.BLOCKED
    assert results["identity-center"].facts is None or results["identity-center"].facts.instance is None


def test_an_unknown_instance_status_is_not_taken_as_active(aws, organization):
    edit(aws.client("sso-admin"), "ListInstances", lambda p: [i.update(Status="SOMETHING_NEW") for i in p["Instances"]])
    engine = build_engine(aws)
    results = engine.check()
    result = results["identity-center"]
    assert result.status is Status.INCOMPLETE
    assert any("SOMETHING_NEW, which hsm-setup does not know" in m for m in messages(result))
    assert results["admin-user"].status is Status.BLOCKED
    plan = engine.plan_step(identity_center.STEP, results)
    assert plan and all(a.is_manual for a in plan)  # nothing is changed on a guess


def test_instances_behind_empty_pages_are_found(aws, organization):
    behind_empty_pages(aws.client("sso-admin"), "ListInstances", "Instances")
    result = build_engine(aws).check_step(identity_center.STEP, {})
    assert result.status is Status.DONE
    assert result.facts.instance.arn == organization.instance_arn and result.facts.region == "us-east-1"


def test_a_next_token_that_repeats_forever_stops_listing_instances(aws, organization):
    answer(aws.client("sso-admin"), "ListInstances", lambda params: {"Instances": [], "NextToken": "same-again"})
    result = build_engine(aws).check_step(identity_center.STEP, {})
    assert_explained(result, "AWS answered sso-admin ListInstances with the same NextToken twice")
    assert calls_to(aws, "ListInstances") == 2


def test_instances_as_an_object_instead_of_a_list_is_named(aws, organization):
    edit(
        aws.client("sso-admin"),
        "ListInstances",
        lambda p: p.update(Instances={"InstanceArn": organization.instance_arn}),
    )
    result = build_engine(aws).check_step(identity_center.STEP, {})
    assert_explained(result, "AWS answered sso-admin ListInstances with Instances as an object, not a list")


# -- permission sets and account assignments ----------------------------------------------------
@pytest.fixture
def applied(aws, organization):
    """Identity Center steps applied once on normal answers: every one done."""
    engine = build_engine(aws)
    report = engine.apply()
    assert report.all_done, {k: r.status for k, r in report.results.items()}
    return engine


def test_a_permission_set_without_name_is_an_error_and_no_duplicate_is_made(aws, applied):
    stop = edit(aws.client("sso-admin"), "DescribePermissionSet", lambda p: p["PermissionSet"].pop("Name"))
    results = applied.check()
    assert_explained(results["admin-user"], "AWS answered sso-admin DescribePermissionSet without Name")
    assert_explained(results["permission-sets"], "AWS answered sso-admin DescribePermissionSet without Name")
    aws.calls.clear()
    applied.apply()
    assert aws.mutating_calls() == []  # an unreadable permission set is never taken for a missing one
    stop()
    assert applied.check()["admin-user"].status is Status.DONE


def test_assignments_behind_empty_pages_are_found(aws, applied):
    behind_empty_pages(aws.client("sso-admin"), "ListAccountAssignmentsForPrincipal", "AccountAssignments")
    results = applied.check()
    assert results["admin-user"].status is Status.DONE, messages(results["admin-user"])
    assert results["permission-sets"].status is Status.DONE, messages(results["permission-sets"])


@pytest.mark.parametrize("status", ["WEIRD", None], ids=["unknown", "missing"])
def test_an_odd_assignment_status_stops_the_wait_and_a_normal_run_finishes(aws, organization, status):
    engine = build_engine(aws)
    sso = aws.client("sso-admin")
    sleeps: list[float] = []
    engine._sleep = sleeps.append
    edit(sso, "CreateAccountAssignment", lambda p: p["AccountAssignmentCreationStatus"].update(Status="IN_PROGRESS"))

    def odd(parsed: dict) -> None:
        parsed["AccountAssignmentCreationStatus"].pop("Status")
        if status:
            parsed["AccountAssignmentCreationStatus"]["Status"] = status

    stop = edit(sso, "DescribeAccountAssignmentCreationStatus", odd)
    report = engine.apply(only=ADMIN_STEPS)
    [failed] = report.failed
    assert failed.action.key == "admin-user:assign"
    oddity = f"with Status '{status}', which hsm-setup does not know" if status else "without Status"
    assert f"AWS answered sso-admin DescribeAccountAssignmentCreationStatus {oddity}" in failed.message
    assert RUN_AGAIN in failed.message
    assert len(sleeps) == 1  # one wait for IN_PROGRESS, then the odd answer ends it
    journal = engine.state.data["journal"]
    assert journal[-1]["action"] == "admin-user:assign" and journal[-1]["event"] == "failed"
    assert engine.state.in_flight() == []
    assert report.results["admin-user"].status is not Status.DONE

    stop()
    report = engine.apply(only=ADMIN_STEPS)
    assert not report.failed and report.results["admin-user"].status is Status.DONE
    # The permission set goes to the administrators group.
    group_id = engine.state.resource("admin_group_id")
    held = sso.list_account_assignments_for_principal(
        InstanceArn=organization.instance_arn, PrincipalId=group_id, PrincipalType="GROUP"
    )
    assert len(held["AccountAssignments"]) == 1  # the retry adopted the assignment instead of repeating it


def test_an_unknown_status_from_create_account_assignment_is_not_success(aws, organization):
    engine = build_engine(aws)
    edit(
        aws.client("sso-admin"),
        "CreateAccountAssignment",
        lambda p: p["AccountAssignmentCreationStatus"].update(Status="MAYBE"),
    )
    report = engine.apply(only=ADMIN_STEPS)
    [failed] = report.failed
    assert "AWS answered sso-admin CreateAccountAssignment with Status 'MAYBE'" in failed.message


def test_a_saved_request_in_an_unknown_status_keeps_the_step_incomplete_and_says_so(aws, applied):
    applied.state.remember(admin_assignment_request_id=REQUEST_ID)
    answer(
        aws.client("sso-admin"),
        "DescribeAccountAssignmentCreationStatus",
        lambda params: {
            "AccountAssignmentCreationStatus": {
                "Status": "WEIRD",
                "RequestId": params["AccountAssignmentCreationRequestId"],
            }
        },
    )
    result = applied.check()["admin-user"]
    assert result.status is Status.INCOMPLETE
    assert any("as WEIRD, a status hsm-setup does not know" in m for m in messages(result))


def test_an_unknown_provisioning_status_stops_the_wait(aws, applied, organization):
    from hsm_setup.steps.policies import ADMINISTRATOR_ACCESS_ARN

    sso = aws.client("sso-admin")
    ps_arn = applied.state.resource("admin_permission_set_arn")
    sso.detach_managed_policy_from_permission_set(
        InstanceArn=organization.instance_arn, PermissionSetArn=ps_arn, ManagedPolicyArn=ADMINISTRATOR_ACCESS_ARN
    )
    answer(sso, "ListAccountsForProvisionedPermissionSet", lambda params: {"AccountIds": [ACCOUNT_ID]})
    answer(
        sso,
        "ProvisionPermissionSet",
        lambda params: {"PermissionSetProvisioningStatus": {"Status": "IN_PROGRESS", "RequestId": REQUEST_ID}},
    )
    polls = answer(
        sso,
        "DescribePermissionSetProvisioningStatus",
        lambda params: {"PermissionSetProvisioningStatus": {"Status": "PONDERING", "RequestId": REQUEST_ID}},
    )
    report = applied.apply(only={"admin-user"})
    [failed] = report.failed
    assert failed.action.key == "admin-user:provision-permission-set"
    assert "AWS answered sso-admin DescribePermissionSetProvisioningStatus with Status 'PONDERING'" in failed.message
    assert len(polls) == 1


# -- the CloudHSM policy -------------------------------------------------------------------------
DRIFTED = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "cloudhsm:DescribeClusters", "Resource": "*"}],
}
POLICY_ARN = f"arn:aws:iam::{ACCOUNT_ID}:policy/CloudHSMAdminPolicy"


def _check_group(make_engine) -> tuple[Any, Any]:
    engine = make_engine()
    result = engine.check_step(cloudhsm_group.STEP, {})
    return engine, result


def test_a_policy_without_default_version_id_is_an_error(make_engine, aws):
    aws.client("iam").create_policy(PolicyName="CloudHSMAdminPolicy", PolicyDocument=json.dumps(DRIFTED))
    edit(aws.client("iam"), "GetPolicy", lambda p: p["Policy"].pop("DefaultVersionId"))
    _, result = _check_group(make_engine)
    assert_explained(result, "AWS answered iam GetPolicy without DefaultVersionId")


@pytest.mark.parametrize("document", ["", "not json {", None], ids=["empty", "not-json", "missing"])
def test_an_unreadable_policy_document_is_drift_that_apply_corrects(make_engine, aws, document):
    aws.client("iam").create_policy(PolicyName="CloudHSMAdminPolicy", PolicyDocument=json.dumps(DRIFTED))

    def unreadable(parsed: dict) -> None:
        parsed["PolicyVersion"].pop("Document", None)
        if document is not None:
            parsed["PolicyVersion"]["Document"] = document

    edit(aws.client("iam"), "GetPolicyVersion", unreadable)
    engine, result = _check_group(make_engine)
    assert result.status is Status.INCOMPLETE
    assert any("the live document is empty or is not JSON" in m for m in messages(result))
    plan = engine.plan_step(cloudhsm_group.STEP, {cloudhsm_group.STEP.id: result})
    assert "cloudhsm-group:create-policy-version" in [a.key for a in plan]


def test_policy_versions_behind_empty_pages_are_all_counted(make_engine, aws):
    iam = aws.client("iam")
    iam.create_policy(PolicyName="CloudHSMAdminPolicy", PolicyDocument=json.dumps(DRIFTED))
    iam.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=json.dumps(DRIFTED), SetAsDefault=True)
    behind_empty_pages(iam, "ListPolicyVersions", "Versions", token="Marker", more={"IsTruncated": True})
    _, result = _check_group(make_engine)
    assert result.facts.policy.version_count == 2
    assert result.facts.policy.oldest_non_default == "v1"


# -- apply, the engine's last resort, and plans ----------------------------------------------------
def test_an_odd_answer_to_a_change_fails_that_action_and_the_next_run_adopts(make_engine, aws):
    iam = aws.client("iam")
    stop = edit(iam, "CreateGroup", lambda p: p.pop("Group"))
    engine = make_engine(steps=(cloudhsm_group.STEP,))
    report = engine.apply()
    [failed] = report.failed
    assert failed.action.key == "cloudhsm-group:create-group"
    assert "An answer from AWS was not in the shape hsm-setup expects ('Group' was missing)" in failed.message
    assert ODD_ANSWER_NEXT_MOVE in failed.message
    failures = [e for e in engine.state.data["journal"] if e["event"] == "failed"]
    assert [e["action"] for e in failures] == ["cloudhsm-group:create-group"]
    assert engine.state.in_flight() == []

    stop()
    report = engine.apply()
    assert not report.failed and report.results["cloudhsm-group"].status is Status.DONE
    assert [g["GroupName"] for g in iam.list_groups()["Groups"]] == ["CloudHSMAdmins"]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (KeyError("IdentityStoreId"), "('IdentityStoreId' was missing)"),
        (TypeError("'NoneType' object is not subscriptable"), "(TypeError: 'NoneType' object is not subscriptable)"),
        (ValueError("invalid literal for int() with base 10: 'yes'"), "(ValueError: invalid literal"),
    ],
)
def test_a_lookup_error_reads_as_an_odd_answer_with_a_next_move(exc, expected):
    problem = explain(exc)
    assert problem.cause.startswith("An answer from AWS was not in the shape hsm-setup expects")
    assert expected in problem.cause
    assert problem.next_move == ODD_ANSWER_NEXT_MOVE and problem.kind == "unexpected-response"


class _RawAnswerFacts(StepFacts, frozen=True):
    # An answer kept as AWS gave it, without the key the plan reads.
    answer: dict


class _PlanReadsAMissingFact(Step):
    id = "odd-plan"
    title = "A step whose facts lack what its plan reads"

    def check(self, ctx):
        return self.judged(_RawAnswerFacts({}), Verdict(Status.INCOMPLETE))

    def plan(self, ctx, result):
        return [result.facts.answer["group_name"]]


def test_a_plan_that_cannot_be_made_turns_its_step_into_an_explained_error(make_engine):
    step = _PlanReadsAMissingFact()
    engine = make_engine(steps=(step,))
    results = engine.check()
    assert engine.plan(results) == {"odd-plan": []}
    assert_explained(results["odd-plan"], "'group_name' was missing")
    report = engine.apply(results)
    assert report.outcomes == []
