"""admin-user: check, plan and apply on moto in-process."""

from __future__ import annotations

import pytest

from hsm_setup.engine.events import Progress
from hsm_setup.model import Status
from hsm_setup.steps.admin_user import STEP
from hsm_setup.steps.policies import ADMINISTRATOR_ACCESS_ARN

from .sso_helpers import (
    ACCOUNT,
    build_engine,
    check_with_identity_center,
    edit_response,
    error,
    make_management_account,
    moto_instances,
    mutating,
    replace_response,
)

REQUEST_ID = "6d1a0f3c-8e1b-4d2a-9c55-0a7e3b9f1c24"


@pytest.fixture
def instance(aws):
    """An organization instance of Identity Center in us-east-1 (the account heads an organization)."""
    make_management_account(aws)
    return moto_instances()[0]


def _user_ids(aws, instance, region="us-east-1"):
    users = aws.client("identitystore", region).list_users(IdentityStoreId=instance.identity_store_id)["Users"]
    return [u["UserId"] for u in users if u["UserName"] == "ops.admin"]


def _permission_sets_named(aws, instance, name, region="us-east-1"):
    sso = aws.client("sso-admin", region)
    arns = sso.list_permission_sets(InstanceArn=instance.instance_arn)["PermissionSets"]
    return [
        a
        for a in arns
        if sso.describe_permission_set(InstanceArn=instance.instance_arn, PermissionSetArn=a)["PermissionSet"]["Name"]
        == name
    ]


def _assignments(aws, instance, principal_id, principal_type="GROUP", region="us-east-1"):
    return aws.client("sso-admin", region).list_account_assignments_for_principal(
        InstanceArn=instance.instance_arn, PrincipalId=principal_id, PrincipalType=principal_type
    )["AccountAssignments"]


def _group_id(aws, instance, name="Administrators"):
    return aws.client("identitystore").get_group_id(
        IdentityStoreId=instance.identity_store_id,
        AlternateIdentifier={"UniqueAttribute": {"AttributePath": "displayName", "AttributeValue": name}},
    )["GroupId"]


def test_missing_user_is_incomplete_and_the_plan_shows_each_cli_command(aws, instance):
    engine = build_engine(aws)
    result, results = check_with_identity_center(engine, STEP)
    assert result.status is Status.INCOMPLETE
    assert any("ops.admin does not exist yet" in f.message for f in result.findings)
    assert any("No permission set named AdministratorAccess" in f.message for f in result.findings)

    plan = engine.plan_step(STEP, results)
    store = instance.identity_store_id
    arn = instance.instance_arn
    assert [a.cli for a in plan] == [
        f"aws identitystore create-user --region us-east-1 --identity-store-id {store} --user-name ops.admin"
        """ --name '{"GivenName":"Ops","FamilyName":"Admin"}' --display-name 'Ops Admin'"""
        """ --emails '[{"Value":"ops.admin@example.com","Type":"work","Primary":true}]'""",
        f"aws identitystore create-group --region us-east-1 --identity-store-id {store} --display-name Administrators"
        " --description 'Administrators: hold the AdministratorAccess permission set on this account (hsm-setup)'",
        f"aws identitystore create-group-membership --region us-east-1 --identity-store-id {store}"
        " --group-id '<group id of Administrators>' --member-id 'UserId=<user id of ops.admin>'",
        f"aws sso-admin create-permission-set --region us-east-1 --instance-arn {arn} --name AdministratorAccess"
        " --description 'Full administrative access (AWS managed policy AdministratorAccess), created by hsm-setup'"
        " --session-duration PT4H --tags Key=managed-by,Value=hsm-setup",
        f"aws sso-admin attach-managed-policy-to-permission-set --region us-east-1 --instance-arn {arn}"
        f" --permission-set-arn '<ARN of permission set AdministratorAccess>' --managed-policy-arn {ADMINISTRATOR_ACCESS_ARN}",
        f"aws sso-admin create-account-assignment --region us-east-1 --instance-arn {arn} --target-id {ACCOUNT}"
        " --target-type AWS_ACCOUNT --permission-set-arn '<ARN of permission set AdministratorAccess>'"
        " --principal-type GROUP --principal-id '<group id of Administrators>'",
    ]
    assert all(a.permissions for a in plan)


def test_apply_then_check_is_done_and_tells_how_the_user_signs_in(aws, instance):
    engine = build_engine(aws)
    report = engine.apply(only={"identity-center", "admin-user"})
    assert not report.failed, [o.message for o in report.failed]
    result = report.results["admin-user"]
    assert result.status is Status.DONE
    user_ids = _user_ids(aws, instance)
    assert len(user_ids) == 1
    assert engine.state.resource("admin_user_id") == user_ids[0]
    [ps_arn] = _permission_sets_named(aws, instance, "AdministratorAccess")
    assert engine.state.resource("admin_permission_set_arn") == ps_arn
    policies = aws.client("sso-admin").list_managed_policies_in_permission_set(
        InstanceArn=instance.instance_arn, PermissionSetArn=ps_arn
    )
    assert [p["Arn"] for p in policies["AttachedManagedPolicies"]] == [ADMINISTRATOR_ACCESS_ARN]
    # The permission set goes to the administrators group, with the administrator as its member.
    group_id = _group_id(aws, instance)
    assignments = _assignments(aws, instance, group_id)
    assert [(a["AccountId"], a["PermissionSetArn"]) for a in assignments] == [(ACCOUNT, ps_arn)]
    assert _assignments(aws, instance, user_ids[0], "USER") == []
    memberships = aws.client("identitystore").list_group_memberships(
        IdentityStoreId=instance.identity_store_id, GroupId=group_id
    )["GroupMemberships"]
    assert [m["MemberId"]["UserId"] for m in memberships] == user_ids
    signin = next(f for f in result.findings if "no password" in f.message)
    assert "Send email OTP" in signin.message and "Reset password" in signin.message
    assert f"https://{instance.identity_store_id}.awsapps.com/start" in signin.message
    assert "singlesignon/home?region=us-east-1" in signin.message


def test_apply_twice_is_apply_once(aws, instance):
    build_engine(aws).apply(only={"identity-center", "admin-user"})
    aws.calls.clear()
    second = build_engine(aws).apply(only={"identity-center", "admin-user"})
    assert second.outcomes == []
    assert mutating(aws) == []
    assert len(_user_ids(aws, instance)) == 1
    assert len(_permission_sets_named(aws, instance, "AdministratorAccess")) == 1
    assert len(_assignments(aws, instance, _group_id(aws, instance))) == 1


def test_actions_rerun_after_an_interruption_adopt_instead_of_duplicating(aws, instance):
    # Run each action twice from the same plan, as a resumed run would after a crash
    # that came after the call reached AWS but before the run recorded it.
    engine = build_engine(aws)
    _, results = check_with_identity_center(engine, STEP)
    for action in engine.plan_step(STEP, results):
        first = engine.run_action(action, results)
        again = engine.run_action(action, results)
        assert first.ok and again.ok, (first.message, again.message)
    assert len(_user_ids(aws, instance)) == 1
    assert len(_permission_sets_named(aws, instance, "AdministratorAccess")) == 1
    assert len(_assignments(aws, instance, _group_id(aws, instance))) == 1


def test_existing_user_and_permission_set_without_policy_or_assignment_is_partial(aws, instance):
    store = aws.client("identitystore")
    store.create_user(
        IdentityStoreId=instance.identity_store_id,
        UserName="ops.admin",
        DisplayName="Ops Admin",
        Name={"GivenName": "Ops", "FamilyName": "Admin"},
    )
    engine = build_engine(aws)
    engine.apply(only={"identity-center"})
    ps_arn = aws.client("sso-admin").create_permission_set(
        InstanceArn=instance.instance_arn, Name="AdministratorAccess", SessionDuration="PT4H"
    )["PermissionSet"]["PermissionSetArn"]
    engine.state.remember(admin_permission_set_arn=ps_arn)

    result, results = check_with_identity_center(engine, STEP)
    assert result.status is Status.INCOMPLETE
    assert any("exists" in f.message and f.ok for f in result.findings if "ops.admin" in f.message)
    assert any("does not carry the AWS managed policy AdministratorAccess" in f.message for f in result.findings)
    plan = engine.plan_step(STEP, results)
    # Provisioned nowhere yet (not assigned): nothing to provision again; the first assignment provisions it.
    assert [a.key for a in plan] == [
        "admin-user:create-group",
        "admin-user:add-member:ops.admin",
        "admin-user:attach-policy",
        "admin-user:assign",
    ]
    assert ps_arn in plan[2].cli
    # Made elsewhere: the plan says the attachment changes something that already existed.
    assert "was not made by hsm-setup" in plan[2].changes_existing
    report = engine.apply(only={"admin-user"})
    assert report.results["admin-user"].status is Status.DONE
    # Adopted, not duplicated.
    assert _permission_sets_named(aws, instance, "AdministratorAccess") == [ps_arn]


def test_policy_detached_after_provisioning_is_reattached_and_provisioned_again(aws, instance):
    sleeps: list[float] = []
    engine = build_engine(aws, sleeps=sleeps)
    engine.apply(only={"identity-center", "admin-user"})
    sso = aws.client("sso-admin")
    ps_arn = engine.state.resource("admin_permission_set_arn")
    sso.detach_managed_policy_from_permission_set(
        InstanceArn=instance.instance_arn, PermissionSetArn=ps_arn, ManagedPolicyArn=ADMINISTRATOR_ACCESS_ARN
    )

    # moto records provisioning only for ProvisionPermissionSet and answers it SUCCEEDED at once,
    # and has no DescribePermissionSetProvisioningStatus: stand in for AWS here.
    replace_response(sso, "ListAccountsForProvisionedPermissionSet", lambda n: {"AccountIds": [ACCOUNT]})
    result, results = check_with_identity_center(engine, STEP)
    assert result.status is Status.INCOMPLETE
    plan = engine.plan_step(STEP, results)
    assert [a.key for a in plan] == ["admin-user:attach-policy", "admin-user:provision-permission-set"]
    assert ACCOUNT in plan[1].summary
    assert not plan[0].changes_existing  # hsm-setup made this permission set: no adoption
    edit_response(
        sso,
        "ProvisionPermissionSet",
        lambda parsed, n: parsed["PermissionSetProvisioningStatus"].update(Status="IN_PROGRESS"),
    )
    replace_response(
        sso,
        "DescribePermissionSetProvisioningStatus",
        lambda n: {
            "PermissionSetProvisioningStatus": {
                "Status": "IN_PROGRESS" if n < 2 else "SUCCEEDED",
                "RequestId": REQUEST_ID,
            }
        },
    )
    aws.calls.clear()
    report = engine.apply(only={"admin-user"})
    assert not report.failed, [o.message for o in report.failed]
    assert report.results["admin-user"].status is Status.DONE
    provision = [c for c in aws.calls if c.operation == "ProvisionPermissionSet"]
    assert [c.params["TargetType"] for c in provision] == ["ALL_PROVISIONED_ACCOUNTS"]
    assert sum(1 for c in aws.calls if c.operation == "DescribePermissionSetProvisioningStatus") == 2
    assert sleeps == [0.5, 1.0]


def test_access_denied_is_an_error_naming_the_action(aws, instance, deny):
    deny("GetUserId")
    result, _ = check_with_identity_center(build_engine(aws), STEP)
    assert result.status is Status.ERROR
    assert "identitystore:GetUserId" in (result.error or "")


def test_assignment_in_progress_is_polled_until_it_succeeds(aws, instance):
    sleeps: list[float] = []
    events: list = []
    engine = build_engine(aws, sleeps=sleeps, events=events)
    sso = aws.client("sso-admin")
    # moto finishes an assignment at once: report the first answers as IN_PROGRESS, as AWS does.
    edit_response(
        sso,
        "CreateAccountAssignment",
        lambda parsed, n: parsed["AccountAssignmentCreationStatus"].update(Status="IN_PROGRESS"),
    )
    polls = edit_response(
        sso,
        "DescribeAccountAssignmentCreationStatus",
        lambda parsed, n: parsed["AccountAssignmentCreationStatus"].update(
            Status="IN_PROGRESS" if n < 3 else "SUCCEEDED"
        ),
    )
    report = engine.apply(only={"identity-center", "admin-user"})
    assert not report.failed, [o.message for o in report.failed]
    assert report.results["admin-user"].status is Status.DONE
    assert len(polls) == 3
    assert sleeps == [0.5, 1.0, 2.0]
    progress = [e.message for e in events if isinstance(e, Progress) and e.step_id == "admin-user"]
    assert len(progress) == 3 and all("in progress" in m for m in progress)
    assert engine.state.resource("admin_assignment_request_id") is None


def test_failed_assignment_is_an_error_with_aws_reason_and_the_check_says_so(aws, instance):
    engine = build_engine(aws)
    sso = aws.client("sso-admin")
    reason = "Received a 404 status error: Not supported account."
    # moto never fails an assignment: answer for AWS, and create nothing.
    replace_response(
        sso,
        "CreateAccountAssignment",
        lambda n: {"AccountAssignmentCreationStatus": {"Status": "IN_PROGRESS", "RequestId": REQUEST_ID}},
    )
    replace_response(
        sso,
        "DescribeAccountAssignmentCreationStatus",
        lambda n: {
            "AccountAssignmentCreationStatus": {"Status": "FAILED", "RequestId": REQUEST_ID, "FailureReason": reason}
        },
    )
    report = engine.apply(only={"identity-center", "admin-user"})
    [failed] = report.failed
    assert failed.action.key == "admin-user:assign"
    assert reason in failed.message
    result = report.results["admin-user"]
    assert result.status is Status.INCOMPLETE
    assert any(reason in f.message for f in result.findings)
    assert engine.state.resource("admin_assignment_request_id") == REQUEST_ID


def test_conflict_while_the_permission_set_is_busy_is_retried_with_backoff(aws, instance):
    sleeps: list[float] = []
    engine = build_engine(aws, sleeps=sleeps)
    # moto never reports a concurrent change; AWS does, with ConflictException.
    calls = replace_response(
        aws.client("sso-admin"),
        "CreateAccountAssignment",
        lambda n: error("ConflictException", "An operation on this permission set is in progress") if n <= 2 else None,
    )
    report = engine.apply(only={"identity-center", "admin-user"})
    assert not report.failed, [o.message for o in report.failed]
    assert report.results["admin-user"].status is Status.DONE
    assert len(calls) == 3
    assert sleeps == [2.0, 4.0]


def test_conflict_that_never_clears_gives_up_after_a_bounded_number_of_tries(aws, instance):
    sleeps: list[float] = []
    engine = build_engine(aws, sleeps=sleeps)
    calls = replace_response(
        aws.client("sso-admin"), "CreateAccountAssignment", lambda n: error("ConflictException", "busy")
    )
    report = engine.apply(only={"identity-center", "admin-user"})
    [failed] = report.failed
    assert "sso:CreateAccountAssignment" in failed.message and "ConflictException" in failed.message
    assert len(calls) == 6
    assert sleeps == [2.0, 4.0, 8.0, 16.0, 32.0]


def test_a_saved_request_still_in_progress_keeps_the_step_incomplete(aws, instance):
    engine = build_engine(aws)
    engine.apply(only={"identity-center", "admin-user"})
    user_id = engine.state.resource("admin_user_id")
    ps_arn = engine.state.resource("admin_permission_set_arn")
    sso = aws.client("sso-admin")
    # A run stopped while AWS was still provisioning leaves its request id behind.
    request_id = sso.create_account_assignment(
        InstanceArn=instance.instance_arn,
        TargetId=ACCOUNT,
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=ps_arn,
        PrincipalType="USER",
        PrincipalId=user_id,
    )["AccountAssignmentCreationStatus"]["RequestId"]
    engine.state.remember(admin_assignment_request_id=request_id)
    edit_response(
        sso,
        "DescribeAccountAssignmentCreationStatus",
        lambda parsed, n: parsed["AccountAssignmentCreationStatus"].update(Status="IN_PROGRESS"),
    )
    result, _ = check_with_identity_center(engine, STEP)
    assert result.status is Status.INCOMPLETE
    assert any("still being provisioned" in f.message for f in result.findings)


def test_a_deleted_permission_set_is_forgotten_and_looked_for_again(aws, instance):
    engine = build_engine(aws)
    engine.apply(only={"identity-center", "admin-user"})
    engine.state.remember(admin_permission_set_arn=instance.instance_arn + "/ps-gone0000000000")
    result, _ = check_with_identity_center(engine, STEP)
    # Found again through the user's assignments, and remembered.
    assert result.status is Status.DONE
    assert engine.state.resource("admin_permission_set_arn") == result.facts.permission_set_arn
