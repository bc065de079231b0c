"""cloudhsm-group: check, plan and apply on moto in-process."""

from __future__ import annotations

import json

from hsm_setup.model import Status
from hsm_setup.state.account import AccountState
from hsm_setup.steps import policies
from hsm_setup.steps.cloudhsm_group import STEP
from tests.conftest import ACCOUNT_ID

GROUP = "CloudHSMAdmins"
POLICY = "CloudHSMAdminPolicy"
POLICY_ARN = f"arn:aws:iam::{ACCOUNT_ID}:policy/{POLICY}"


def _drifted(extra: str = "iam:*") -> str:
    document = policies.expected()
    document["Statement"][0]["Action"] = document["Statement"][0]["Action"] + [extra]
    return json.dumps(document)


def _versions(iam) -> dict[str, bool]:
    return {v["VersionId"]: v["IsDefaultVersion"] for v in iam.list_policy_versions(PolicyArn=POLICY_ARN)["Versions"]}


def _default_document(iam):
    version = iam.get_policy(PolicyArn=POLICY_ARN)["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=POLICY_ARN, VersionId=version)["PolicyVersion"]["Document"]


def _members(iam) -> list[str]:
    return [u["UserName"] for u in iam.get_group(GroupName=GROUP)["Users"]]


def _messages(result) -> str:
    return "\n".join(f.message for f in result.findings)


def _plan(engine, result):
    return engine.plan_step(STEP, {STEP.id: result})


def test_fresh_account_plans_policy_group_attachment_and_members(make_engine, aws):
    aws.client("iam").create_user(UserName="alice")
    engine = make_engine({"cloudhsm.iam_members": ["alice"]})
    result = engine.check_step(STEP, {})
    assert result.status is Status.INCOMPLETE
    assert f"The IAM group {GROUP} does not exist yet." in _messages(result)
    assert f"The customer managed policy {POLICY} does not exist yet." in _messages(result)
    assert [a.cli for a in _plan(engine, result)] == [
        "aws iam create-policy --policy-name CloudHSMAdminPolicy --policy-document file://cloudhsm-admin.json "
        "--description 'CloudHSM administrators: only the permissions AWS CloudHSM needs' "
        "--tags Key=managed-by,Value=hsm-setup",
        "aws iam create-group --group-name CloudHSMAdmins",
        f"aws iam attach-group-policy --group-name CloudHSMAdmins --policy-arn {POLICY_ARN}",
        "aws iam add-user-to-group --group-name CloudHSMAdmins --user-name alice",
    ]


def test_names_from_the_answers_are_used(make_engine):
    engine = make_engine({"cloudhsm.iam_group": "HsmOps", "cloudhsm.policy_name": "HsmOpsPolicy"})
    clis = [a.cli for a in _plan(engine, engine.check_step(STEP, {}))]
    assert "aws iam create-group --group-name HsmOps" in clis
    assert (
        f"aws iam attach-group-policy --group-name HsmOps --policy-arn arn:aws:iam::{ACCOUNT_ID}:policy/HsmOpsPolicy"
        in clis
    )


def test_apply_makes_the_step_done_and_remembers_what_it_made(make_engine, aws):
    iam = aws.client("iam")
    iam.create_user(UserName="alice")
    report = make_engine({"cloudhsm.iam_members": ["alice"]}).apply(only={STEP.id})
    assert not report.failed
    assert report.results[STEP.id].status is Status.DONE
    assert policies.differences(_default_document(iam), policies.expected()) == []
    assert [p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName=GROUP)["AttachedPolicies"]] == [
        POLICY_ARN
    ]
    assert _members(iam) == ["alice"]
    assert {"Key": "managed-by", "Value": "hsm-setup"} in iam.get_policy(PolicyArn=POLICY_ARN)["Policy"].get("Tags", [])
    saved = AccountState(ACCOUNT_ID)
    assert saved.resource("cloudhsm_iam_group") == GROUP
    assert saved.resource("cloudhsm_policy_arn") == POLICY_ARN


def test_apply_twice_changes_nothing_the_second_time(make_engine, aws):
    iam = aws.client("iam")
    iam.create_user(UserName="alice")
    answers = {"cloudhsm.iam_members": ["alice"]}
    make_engine(answers).apply(only={STEP.id})
    second = make_engine(answers).apply(only={STEP.id})
    assert second.outcomes == []
    assert second.results[STEP.id].status is Status.DONE
    assert _versions(iam) == {"v1": True}
    assert _members(iam) == ["alice"]


def test_done_step_shows_its_evidence(make_engine, aws):
    make_engine().apply(only={STEP.id})
    result = make_engine().check_step(STEP, {})
    assert result.status is Status.DONE
    assert f"{POLICY}: policy version v1 allows what the guide's CloudHSM admin policy allows." in _messages(result)
    assert any(f.evidence == f"arn:aws:iam::{ACCOUNT_ID}:group/{GROUP}" for f in result.findings)


def test_drifted_policy_gets_a_new_default_version_once(make_engine, aws):
    iam = aws.client("iam")
    iam.create_policy(PolicyName=POLICY, PolicyDocument=_drifted("iam:*"))
    iam.create_group(GroupName=GROUP)
    iam.attach_group_policy(GroupName=GROUP, PolicyArn=POLICY_ARN)
    engine = make_engine()
    result = engine.check_step(STEP, {})
    assert result.status is Status.INCOMPLETE
    drift = next(f for f in result.findings if "differs" in f.message)
    assert (
        "policy version v1 differs from the guide's CloudHSM admin policy: allows more than CloudHSM needs: iam:*"
        in drift.message
    )
    plan = _plan(engine, result)
    assert [a.cli for a in plan] == [
        f"aws iam create-policy-version --policy-arn {POLICY_ARN} --policy-document file://cloudhsm-admin.json --set-as-default"
    ]
    # Run twice, as after a crash that came after the call reached AWS: one new version only.
    for _ in range(2):
        assert engine.run_action(plan[0], {STEP.id: result}).ok
    assert _versions(iam) == {"v1": False, "v2": True}
    assert engine.check_step(STEP, {}).status is Status.DONE


def test_policy_lacking_actions_is_reported(make_engine, aws):
    document = policies.expected()
    document["Statement"][0]["Action"] = [
        a for a in document["Statement"][0]["Action"] if a != "iam:CreateServiceLinkedRole"
    ]
    aws.client("iam").create_policy(PolicyName=POLICY, PolicyDocument=json.dumps(document))
    result = make_engine().check_step(STEP, {})
    assert "lacks: iam:createservicelinkedrole" in _messages(result)


def test_five_versions_delete_the_oldest_non_default_first(make_engine, aws):
    iam = aws.client("iam")
    iam.create_policy(PolicyName=POLICY, PolicyDocument=_drifted("s3:*"))
    for n in range(2, 6):  # v2..v5, with v3 the default and v1 the oldest non-default
        iam.create_policy_version(
            PolicyArn=POLICY_ARN, PolicyDocument=_drifted(f"sqs:Action{n}"), SetAsDefault=(n == 3)
        )
    iam.create_group(GroupName=GROUP)
    iam.attach_group_policy(GroupName=GROUP, PolicyArn=POLICY_ARN)
    engine = make_engine()
    result = engine.check_step(STEP, {})
    assert "policy version v3 differs" in _messages(result)
    assert [a.cli for a in _plan(engine, result)] == [
        f"aws iam delete-policy-version --policy-arn {POLICY_ARN} --version-id v1",
        f"aws iam create-policy-version --policy-arn {POLICY_ARN} --policy-document file://cloudhsm-admin.json --set-as-default",
    ]
    report = engine.apply(only={STEP.id})
    assert not report.failed
    versions = _versions(iam)
    assert "v1" not in versions and "v3" in versions
    assert len(versions) == 5 and versions["v6"] is True
    assert policies.differences(_default_document(iam), policies.expected()) == []
    assert report.results[STEP.id].status is Status.DONE


def test_the_delete_action_does_nothing_once_the_document_is_right(make_engine, aws):
    iam = aws.client("iam")
    iam.create_policy(PolicyName=POLICY, PolicyDocument=_drifted("s3:*"))
    for n in range(2, 6):
        iam.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=_drifted(f"sqs:Action{n}"), SetAsDefault=True)
    engine = make_engine()
    result = engine.check_step(STEP, {})
    delete, create = _plan(engine, result)[:2]
    assert engine.run_action(delete, {STEP.id: result}).ok
    assert engine.run_action(create, {STEP.id: result}).ok
    # A resumed run repeats the delete: the default is already right, so nothing more goes.
    assert engine.run_action(delete, {STEP.id: result}).ok
    assert sorted(_versions(iam)) == ["v2", "v3", "v4", "v5", "v6"]


def test_policy_made_elsewhere_after_the_check_is_adopted_and_corrected(make_engine, aws):
    iam = aws.client("iam")
    engine = make_engine()
    result = engine.check_step(STEP, {})
    create_policy, create_group, attach = _plan(engine, result)
    iam.create_policy(PolicyName=POLICY, PolicyDocument=_drifted())
    iam.create_group(GroupName=GROUP)
    for action in (create_policy, create_group, attach):
        outcome = engine.run_action(action, {STEP.id: result})
        assert outcome.ok, outcome.message
    assert _versions(iam) == {"v1": False, "v2": True}
    assert engine.check_step(STEP, {}).status is Status.DONE


def test_unknown_member_is_reported_but_not_planned(make_engine, aws):
    iam = aws.client("iam")
    iam.create_user(UserName="alice")
    engine = make_engine({"cloudhsm.iam_members": ["alice", "ghost"]})
    engine.apply(only={STEP.id})
    result = engine.check_step(STEP, {})
    assert result.status is Status.DONE
    ghost = [f for f in result.findings if "ghost" in f.message]
    assert len(ghost) == 1 and not ghost[0].ok
    assert "create it first, or remove it from cloudhsm.iam_members" in ghost[0].message
    assert _members(iam) == ["alice"]


def test_missing_member_of_an_existing_group_is_planned(make_engine, aws):
    make_engine().apply(only={STEP.id})
    aws.client("iam").create_user(UserName="bob")
    engine = make_engine({"cloudhsm.iam_members": ["bob"]})
    result = engine.check_step(STEP, {})
    assert result.status is Status.INCOMPLETE
    assert "IAM user bob is not in CloudHSMAdmins yet." in _messages(result)
    assert [a.cli for a in _plan(engine, result)] == [
        "aws iam add-user-to-group --group-name CloudHSMAdmins --user-name bob"
    ]


def test_detached_policy_is_reattached(make_engine, aws):
    make_engine().apply(only={STEP.id})
    aws.client("iam").detach_group_policy(GroupName=GROUP, PolicyArn=POLICY_ARN)
    engine = make_engine()
    result = engine.check_step(STEP, {})
    assert f"{POLICY} is not attached to {GROUP}." in _messages(result)
    assert [a.summary for a in _plan(engine, result)] == [f"Attach {POLICY} to {GROUP}"]


def test_other_policies_on_the_group_are_warned_about(make_engine, aws):
    make_engine().apply(only={STEP.id})
    iam = aws.client("iam")
    iam.create_policy(
        PolicyName="Broad",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
    )
    iam.attach_group_policy(GroupName=GROUP, PolicyArn=f"arn:aws:iam::{ACCOUNT_ID}:policy/Broad")
    result = make_engine().check_step(STEP, {})
    warning = [f for f in result.findings if f.level == "warning"]
    assert len(warning) == 1 and warning[0].evidence == f"arn:aws:iam::{ACCOUNT_ID}:policy/Broad"


def test_access_denied_is_an_error_naming_the_action(make_engine, deny):
    deny("GetGroup")
    result = make_engine().check_step(STEP, {})
    assert result.status is Status.ERROR
    assert "iam:GetGroup" in (result.error or "")


def test_denied_change_fails_the_action_with_its_name(make_engine, deny):
    engine = make_engine()
    result = engine.check_step(STEP, {})
    deny("CreatePolicy")
    outcome = engine.run_action(_plan(engine, result)[0], {STEP.id: result})
    assert not outcome.ok
    assert "iam:CreatePolicy" in outcome.message


def test_calls_stay_within_the_declared_permissions(make_engine, aws):
    iam = aws.client("iam")
    iam.create_user(UserName="alice")
    iam.create_policy(PolicyName=POLICY, PolicyDocument=_drifted())
    for n in range(2, 6):
        iam.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=_drifted(f"sqs:A{n}"))
    engine = make_engine({"cloudhsm.iam_members": ["alice", "ghost"]})
    aws.calls.clear()
    result = engine.check_step(STEP, {})
    assert aws.mutating_calls() == []
    checked = {f"iam:{c.operation}" for c in aws.calls if c.service == "iam"}
    assert checked <= set(STEP.check_permissions)
    aws.calls.clear()
    for action in _plan(engine, result):
        assert engine.run_action(action, {STEP.id: result}).ok
        called = {f"iam:{c.operation}" for c in aws.calls if c.service == "iam"}
        assert called <= set(action.permissions) <= set(STEP.apply_permissions)
        aws.calls.clear()
