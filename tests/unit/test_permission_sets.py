"""permission-sets: check, plan and apply on moto in-process, and the cost of a check."""

from __future__ import annotations

import json

import pytest

from hsm_setup.model import Status
from hsm_setup.steps import policies
from hsm_setup.steps.permission_sets import STEP

from .sso_helpers import (
    ACCOUNT,
    build_engine,
    check_with_identity_center,
    edit_response,
    make_management_account,
    moto_instances,
    mutating,
    replace_response,
)

REQUEST_ID = "0b8e4c1a-7f2d-4e6b-9a3c-5d1f2e7a8b90"


@pytest.fixture
def instance(aws):
    """An organization instance of Identity Center in us-east-1 (the account heads an organization)."""
    make_management_account(aws)
    return moto_instances()[0]


def _create_user(aws, instance, name):
    return aws.client("identitystore").create_user(
        IdentityStoreId=instance.identity_store_id,
        UserName=name,
        DisplayName=name,
        Name={"GivenName": "Given", "FamilyName": "Family"},
    )["UserId"]


def _groups(aws, instance):
    """The identity store's groups other than the administrators group (the admin-user step's)."""
    groups = aws.client("identitystore").list_groups(IdentityStoreId=instance.identity_store_id)["Groups"]
    return [g for g in groups if g["DisplayName"] != "Administrators"]


def _memberships(aws, instance, group_id):
    return aws.client("identitystore").list_group_memberships(
        IdentityStoreId=instance.identity_store_id, GroupId=group_id
    )["GroupMemberships"]


def _permission_sets_named(aws, instance, name):
    sso = aws.client("sso-admin")
    arns = sso.list_permission_sets(InstanceArn=instance.instance_arn)["PermissionSets"]
    return [
        a
        for a in arns
        if sso.describe_permission_set(InstanceArn=instance.instance_arn, PermissionSetArn=a)["PermissionSet"]["Name"]
        == name
    ]


def _group_assignments(aws, instance, group_id):
    return aws.client("sso-admin").list_account_assignments_for_principal(
        InstanceArn=instance.instance_arn, PrincipalId=group_id, PrincipalType="GROUP"
    )["AccountAssignments"]


def test_nothing_there_is_incomplete_and_the_plan_shows_each_cli_command(aws, instance):
    engine = build_engine(aws)
    result, results = check_with_identity_center(engine, STEP)
    assert result.status is Status.INCOMPLETE
    assert any("group CloudHSMAdmins does not exist yet" in f.message for f in result.findings)
    # The administrator is made by admin-user in the same apply: its membership is planned anyway.
    assert any("admin-user step creates it" in f.message for f in result.findings)

    plan = engine.plan_step(STEP, results)
    store, arn = instance.identity_store_id, instance.instance_arn
    assert [a.key for a in plan] == [
        "permission-sets:create-group",
        "permission-sets:add-member:ops.admin",
        "permission-sets:create-permission-set",
        "permission-sets:put-inline-policy",
        "permission-sets:assign",
    ]
    assert plan[0].cli == (
        f"aws identitystore create-group --region us-east-1 --identity-store-id {store} --display-name CloudHSMAdmins"
        " --description 'CloudHSM administrators, managed by hsm-setup'"
    )
    assert plan[1].cli == (
        f"aws identitystore create-group-membership --region us-east-1 --identity-store-id {store}"
        " --group-id '<group id of CloudHSMAdmins>' --member-id 'UserId=<user id of ops.admin>'"
    )
    assert plan[3].cli == (
        f"aws sso-admin put-inline-policy-to-permission-set --region us-east-1 --instance-arn {arn}"
        f" --permission-set-arn '<ARN of permission set CloudHSMAdmins>' --inline-policy '{policies.expected_text()}'"
    )
    assert plan[4].cli.endswith("--principal-type GROUP --principal-id '<group id of CloudHSMAdmins>'")


def test_a_member_who_does_not_exist_is_reported_not_planned(aws, instance):
    engine = build_engine(aws, {"cloudhsm.members": ["ops.admin", "ghost"]})
    result, results = check_with_identity_center(engine, STEP)
    assert any(
        "ghost does not exist" in f.message and "remove it from cloudhsm.members" in f.message for f in result.findings
    )
    plan = engine.plan_step(STEP, results)
    keys = [a.key for a in plan]
    assert "permission-sets:add-member:ghost" not in keys
    manual = next(a for a in plan if a.is_manual)
    assert "ghost" in manual.summary and "cloudhsm.members" in manual.summary


def test_apply_with_admin_user_then_check_is_done(aws, instance):
    engine = build_engine(aws)
    report = engine.apply()
    assert not report.failed, [o.message for o in report.failed]
    assert {k: r.status for k, r in report.results.items()} == {
        "identity-center": Status.DONE,
        "admin-user": Status.DONE,
        "permission-sets": Status.DONE,
    }
    [group] = _groups(aws, instance)
    assert group["DisplayName"] == "CloudHSMAdmins"
    assert engine.state.resource("cloudhsm_group_id") == group["GroupId"]
    assert len(_memberships(aws, instance, group["GroupId"])) == 1
    [ps_arn] = _permission_sets_named(aws, instance, "CloudHSMAdmins")
    assert engine.state.resource("cloudhsm_permission_set_arn") == ps_arn
    inline = aws.client("sso-admin").get_inline_policy_for_permission_set(
        InstanceArn=instance.instance_arn, PermissionSetArn=ps_arn
    )
    assert policies.differences(inline["InlinePolicy"], policies.expected()) == []
    assert [(a["AccountId"], a["PermissionSetArn"]) for a in _group_assignments(aws, instance, group["GroupId"])] == [
        (ACCOUNT, ps_arn)
    ]


def test_apply_twice_is_apply_once(aws, instance):
    build_engine(aws).apply()
    aws.calls.clear()
    second = build_engine(aws).apply()
    assert second.outcomes == []
    assert mutating(aws) == []
    [group] = _groups(aws, instance)
    assert len(_memberships(aws, instance, group["GroupId"])) == 1
    assert len(_permission_sets_named(aws, instance, "CloudHSMAdmins")) == 1
    assert len(_group_assignments(aws, instance, group["GroupId"])) == 1


def test_actions_rerun_after_an_interruption_adopt_instead_of_duplicating(aws, instance):
    _create_user(aws, instance, "ops.admin")
    engine = build_engine(aws)
    _, results = check_with_identity_center(engine, STEP)
    for action in engine.plan_step(STEP, results):
        assert engine.run_action(action, results).ok
        assert engine.run_action(action, results).ok
    [group] = _groups(aws, instance)
    assert len(_memberships(aws, instance, group["GroupId"])) == 1
    assert len(_permission_sets_named(aws, instance, "CloudHSMAdmins")) == 1
    assert len(_group_assignments(aws, instance, group["GroupId"])) == 1


def test_user_outside_the_group_gets_only_a_membership(aws, instance):
    engine = build_engine(aws, {"cloudhsm.members": ["ops.admin", "second.admin"]})
    _create_user(aws, instance, "second.admin")
    engine.apply()
    ops_user = engine.state.resource("admin_user_id")
    group_id = engine.state.resource("cloudhsm_group_id")
    store = aws.client("identitystore")
    membership = store.get_group_membership_id(
        IdentityStoreId=instance.identity_store_id, GroupId=group_id, MemberId={"UserId": ops_user}
    )
    store.delete_group_membership(IdentityStoreId=instance.identity_store_id, MembershipId=membership["MembershipId"])

    result, results = check_with_identity_center(engine, STEP)
    assert result.status is Status.INCOMPLETE
    assert any(f.message == "ops.admin is not a member of CloudHSMAdmins yet." for f in result.findings)
    assert any(f.message == "second.admin is a member of CloudHSMAdmins." for f in result.findings)
    assert [a.key for a in engine.plan_step(STEP, results)] == ["permission-sets:add-member:ops.admin"]


def test_drifted_inline_policy_says_what_differs_and_is_put_back_and_provisioned(aws, instance):
    engine = build_engine(aws)
    engine.apply()
    ps_arn = engine.state.resource("cloudhsm_permission_set_arn")
    drifted = policies.expected()
    actions = drifted["Statement"][0]["Action"]
    actions.remove("ec2:CreateTags")
    actions.append("s3:*")
    sso = aws.client("sso-admin")
    sso.put_inline_policy_to_permission_set(
        InstanceArn=instance.instance_arn, PermissionSetArn=ps_arn, InlinePolicy=json.dumps(drifted)
    )

    result, results = check_with_identity_center(engine, STEP)
    assert result.status is Status.INCOMPLETE
    finding = next(f for f in result.findings if "differs" in f.message)
    assert "allows more than CloudHSM needs: s3:*" in finding.message
    assert "lacks: ec2:createtags" in finding.message
    assert [a.key for a in engine.plan_step(STEP, results)] == [
        "permission-sets:put-inline-policy",
        "permission-sets:provision-permission-set",
    ]

    # moto neither remembers that an assignment provisioned the permission set nor reports
    # provisioning as in progress, and has no DescribePermissionSetProvisioningStatus: stand in for AWS.
    replace_response(sso, "ListAccountsForProvisionedPermissionSet", lambda n: {"AccountIds": [ACCOUNT]})
    edit_response(
        sso,
        "ProvisionPermissionSet",
        lambda parsed, n: parsed["PermissionSetProvisioningStatus"].update(Status="IN_PROGRESS"),
    )
    replace_response(
        sso,
        "DescribePermissionSetProvisioningStatus",
        lambda n: {"PermissionSetProvisioningStatus": {"Status": "SUCCEEDED", "RequestId": REQUEST_ID}},
    )
    aws.calls.clear()
    report = engine.apply(only={"permission-sets"})
    assert not report.failed, [o.message for o in report.failed]
    assert report.results["permission-sets"].status is Status.DONE
    assert [c.params["TargetType"] for c in aws.calls if c.operation == "ProvisionPermissionSet"] == ["ALL_PROVISIONED"]


def test_failed_provisioning_is_an_error_with_aws_reason(aws, instance):
    engine = build_engine(aws)
    engine.apply()
    ps_arn = engine.state.resource("cloudhsm_permission_set_arn")
    sso = aws.client("sso-admin")
    sso.put_inline_policy_to_permission_set(
        InstanceArn=instance.instance_arn,
        PermissionSetArn=ps_arn,
        InlinePolicy='{"Version":"2012-10-17","Statement":[]}',
    )
    replace_response(sso, "ListAccountsForProvisionedPermissionSet", lambda n: {"AccountIds": [ACCOUNT]})
    edit_response(
        sso,
        "ProvisionPermissionSet",
        lambda parsed, n: parsed["PermissionSetProvisioningStatus"].update(
            Status="FAILED", FailureReason="Role quota exceeded"
        ),
    )
    report = engine.apply(only={"permission-sets"})
    [failed] = report.failed
    assert failed.action.key == "permission-sets:provision-permission-set"
    assert "Role quota exceeded" in failed.message


def test_same_policy_written_differently_is_not_drift(aws, instance):
    engine = build_engine(aws)
    engine.apply()
    ps_arn = engine.state.resource("cloudhsm_permission_set_arn")
    reordered = policies.expected()
    reordered["Statement"][0]["Action"] = list(reversed(reordered["Statement"][0]["Action"]))
    text = json.dumps(reordered, indent=4)
    aws.client("sso-admin").put_inline_policy_to_permission_set(
        InstanceArn=instance.instance_arn, PermissionSetArn=ps_arn, InlinePolicy=text
    )
    result, _ = check_with_identity_center(engine, STEP)
    assert result.status is Status.DONE


def test_managed_policies_on_the_permission_set_are_a_least_privilege_warning(aws, instance):
    engine = build_engine(aws)
    engine.apply()
    ps_arn = engine.state.resource("cloudhsm_permission_set_arn")
    aws.client("sso-admin").attach_managed_policy_to_permission_set(
        InstanceArn=instance.instance_arn,
        PermissionSetArn=ps_arn,
        ManagedPolicyArn="arn:aws:iam::aws:policy/AdministratorAccess",
    )
    result, _ = check_with_identity_center(engine, STEP)
    warning = next(f for f in result.findings if f.level == "warning" and "managed policies" in f.message)
    assert "AdministratorAccess" in (warning.evidence or "")


@pytest.mark.parametrize(
    ("operation", "action"),
    [
        ("GetGroupId", "identitystore:GetGroupId"),
        ("ListAccountAssignmentsForPrincipal", "sso:ListAccountAssignmentsForPrincipal"),
    ],
)
def test_access_denied_is_an_error_naming_the_action(aws, instance, deny, operation, action):
    engine = build_engine(aws)
    engine.apply()
    deny(operation)
    result, _ = check_with_identity_center(engine, STEP)
    assert result.status is Status.ERROR
    assert action in (result.error or "")


# -- the cost of a check -------------------------------------------------------------------
def _seed(instance, users: int, permission_sets: int) -> None:
    """Fill the store with people and permission sets that have nothing to do with hsm-setup.

    Written straight into moto's backends: hundreds of API calls would only slow the test.
    """
    from moto.identitystore.models import identitystore_backends
    from moto.ssoadmin.models import ssoadmin_backends

    store = identitystore_backends[ACCOUNT]["us-east-1"]
    sso = ssoadmin_backends[ACCOUNT]["us-east-1"]
    existing = len(store.identity_stores[instance.identity_store_id].users)
    for n in range(existing, existing + users):
        user_id, _ = store.create_user(
            instance.identity_store_id,
            f"person{n}",
            {"GivenName": "Person", "FamilyName": str(n)},
            f"Person {n}",
            "",
            "",
            [],
            [],
            [],
            "",
            "",
            "",
            "",
            "",
        )
        if n % 5 == 0 and permission_sets:
            arn = sso.create_permission_set(f"Team{n}", "", instance.instance_arn, "PT1H", "", [])["PermissionSetArn"]
            permission_sets -= 1
            sso.create_account_assignment(instance.instance_arn, ACCOUNT, "AWS_ACCOUNT", arn, "USER", user_id)
    for n in range(permission_sets):
        sso.create_permission_set(f"Spare{existing}x{n}", "", instance.instance_arn, "PT1H", "", [])


def _all_pages(client, operation, key, **params):
    return [item for page in client.get_paginator(operation).paginate(**params) for item in page[key]]


def _check_calls(aws, *, saved_state: bool) -> dict[str, int]:
    aws.calls.clear()
    results = build_engine(aws, state=saved_state).check()
    assert all(r.status is Status.DONE for r in results.values()), {k: r.findings for k, r in results.items()}
    counts = aws.call_counts()
    counts.pop("sts:GetCallerIdentity", None)
    return dict(counts)


def test_a_full_check_costs_the_same_for_a_small_and_a_large_identity_store(aws, instance):
    build_engine(aws).apply()
    _seed(instance, users=5, permission_sets=5)
    small = _check_calls(aws, saved_state=True), _check_calls(aws, saved_state=False)
    _seed(instance, users=295, permission_sets=55)
    sizes = (
        len(_all_pages(aws.client("identitystore"), "list_users", "Users", IdentityStoreId=instance.identity_store_id)),
        len(
            _all_pages(
                aws.client("sso-admin"), "list_permission_sets", "PermissionSets", InstanceArn=instance.instance_arn
            )
        ),
    )
    assert sizes == (301, 62)
    large = _check_calls(aws, saved_state=True), _check_calls(aws, saved_state=False)
    assert large == small
    # Nothing that lists the whole store or every permission set.
    assert not {op for counts in large for op in counts} & {
        "identitystore:ListUsers",
        "identitystore:ListGroups",
        "sso-admin:ListPermissionSets",
    }


# -- the permissions each step declares --------------------------------------------------
def _iam_action(record) -> str:
    prefix = {"sso-admin": "sso"}.get(record.service, record.service)
    return f"{prefix}:{record.operation}"


def test_declared_permissions_cover_every_call_from_a_fresh_account_to_done(aws):
    from hsm_setup.engine.events import ActionFinished, ActionStarted

    from .sso_helpers import IC_STEPS

    timeline: list = []
    aws.add_listener(timeline.append)
    engine = build_engine(aws, events=timeline)
    report = engine.apply()
    assert all(r.status is Status.DONE for r in report.results.values())

    declared = {a for step in IC_STEPS for a in step.check_permissions + step.apply_permissions}
    called = {_iam_action(c) for c in aws.calls if c.service != "sts"}
    assert called <= declared, called - declared

    # Each action names the calls it makes (apply runs one action at a time).
    current = None
    checked = 0
    for item in timeline:
        if isinstance(item, ActionStarted):
            current = item.action
        elif isinstance(item, ActionFinished):
            current = None
        elif current is not None and hasattr(item, "operation"):
            assert _iam_action(item) in current.permissions, (current.key, item.operation)
            checked += 1
    assert checked >= len(report.outcomes)
