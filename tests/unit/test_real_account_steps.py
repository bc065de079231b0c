"""The steps as a real account answers (issue 14), checked on the practice account over HTTP:
centrally managed root access, Identity Center's Regions and portal URL, the administrators group,
the chosen CloudHSM policy and a role squatting on the service-linked role's name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hsm_setup.answers.values import defaults
from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.connection import Connection
from hsm_setup.engine.runner import Engine
from hsm_setup.model import Status
from hsm_setup.sandbox import PracticeAccount
from hsm_setup.steps import admin_user, cloudhsm_group, identity_center, policies, root_user, service_linked_role


@pytest.fixture(scope="module")
def practice() -> Iterator[PracticeAccount]:
    with PracticeAccount("fresh") as account:
        yield account


@pytest.fixture
def p(practice: PracticeAccount) -> PracticeAccount:
    practice.reset("fresh")
    return practice


@pytest.fixture
def aws(practice: PracticeAccount) -> AwsSession:
    return AwsSession(Connection(region="us-east-1", sandbox=True, **practice.connection_overrides()))


def engine_on(aws: AwsSession, **answers: object) -> Engine:
    return Engine(aws, defaults(practice=True).replace(answers), sandbox=True, sleep=lambda seconds: None)


def messages(result) -> str:
    return "\n".join(f.message for f in result.findings)


# -- root-user: centrally managed root access -----------------------------------------------------
def test_a_member_account_whose_root_is_managed_centrally_is_done_without_an_mfa_action(p, aws) -> None:
    p.reset("member-managed-root")
    engine = engine_on(aws)
    result = engine.check_step(root_user.STEP, {})
    assert result.status is Status.DONE
    assert any(
        f.ok and f.evidence == "EnabledFeatures = RootCredentialsManagement, RootSessions" for f in result.findings
    )
    assert engine.plan_step(root_user.STEP, {root_user.STEP.id: result}) == []


def test_a_member_that_cannot_list_the_features_is_told_to_ask_the_management_account(p, aws) -> None:
    p.reset("member-managed-root")
    p.world.central_root.delegated_to_this_account = False
    result = engine_on(aws).check_step(root_user.STEP, {})
    assert result.status is Status.INCOMPLETE
    warning = next(f for f in result.findings if f.level == "warning" and "management account" in f.message)
    assert "ask the management account" in warning.message
    assert "AccountNotManagementOrDelegatedAdministrator" in warning.evidence


def test_a_management_accounts_own_root_still_needs_mfa(p, aws) -> None:
    p.reset("member-managed-root")
    from hsm_setup.sandbox import backends

    backends.organization_backend().org.master_account_id = p.world.account_id
    result = engine_on(aws).check_step(root_user.STEP, {})
    assert result.status is Status.INCOMPLETE
    assert "no MFA device" in messages(result)


def test_root_with_mfa_costs_no_organizations_features_call(p, aws) -> None:
    p.reset("complete")
    engine_on(aws).check_step(root_user.STEP, {})
    assert "ListOrganizationsFeatures" not in {c.operation for c in aws.calls}


# -- identity-center: primary and additional Regions ------------------------------------------------
IC_WRITERS = ("sso-admin", "identitystore")


def test_identity_center_is_found_in_its_primary_region_with_one_call(p, aws) -> None:
    p.client("organizations").create_organization(FeatureSet="ALL")
    p.simulate("enable-identity-center", region="eu-west-2")
    engine = engine_on(aws)
    result = engine.check_step(identity_center.STEP, {})
    assert result.status is Status.DONE and result.facts.region == "eu-west-2"
    assert [c.operation for c in aws.calls if c.service == "sso-admin"] == ["ListInstances"]


def test_writes_go_to_the_primary_region_when_an_additional_one_is_chosen(p, aws) -> None:
    p.reset("partial")
    p.simulate("add-identity-center-region", region="eu-west-1")
    engine = engine_on(aws, region="eu-west-1")
    results = engine.check()
    assert results["identity-center"].facts.additional_regions == ("eu-west-1",)
    assert "eu-west-1 is an additional Region" in messages(results["identity-center"])
    aws.calls.clear()
    report = engine.apply(results, only={"permission-sets"})
    assert not report.failed, [o.error for o in report.failed]
    writes = [c for c in aws.mutating_calls() if c.service in IC_WRITERS]
    assert writes and {c.region for c in writes} == {"us-east-1"}
    assert report.results["permission-sets"].status is Status.DONE


# -- service-linked-role: a role squatting on the name ------------------------------------------------
def test_an_ordinary_role_with_the_service_linked_roles_name_is_incomplete_with_its_removal(p, aws) -> None:
    trust = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    )
    p.client("iam").create_role(RoleName=service_linked_role.ROLE_NAME, AssumeRolePolicyDocument=trust)
    engine = engine_on(aws)
    result = engine.check_step(service_linked_role.STEP, {})
    assert result.status is Status.INCOMPLETE
    squatter = next(f for f in result.findings if not f.ok)
    assert "ordinary IAM role squatting" in squatter.message and "AWS Support" not in squatter.message
    assert squatter.evidence == "ec2.amazonaws.com"
    [action] = engine.plan_step(service_linked_role.STEP, {service_linked_role.STEP.id: result})
    assert action.is_manual
    assert any("aws iam delete-role --role-name AWSServiceRoleForCloudHSM" in line for line in action.instructions)


# -- cloudhsm.policy and cloudhsm.session_duration ---------------------------------------------------
def test_the_read_only_policy_is_applied_to_the_group_and_drift_is_shown_against_the_choice(p, aws) -> None:
    engine = engine_on(aws, **{"cloudhsm.policy": "read-only"})
    report = engine.apply(engine.check(only={"cloudhsm-group"}), only={"cloudhsm-group"})
    assert report.results["cloudhsm-group"].status is Status.DONE
    arn = f"arn:aws:iam::{p.world.account_id}:policy/CloudHSMAdminPolicy"
    iam = p.client("iam")
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    assert not policies.differences(document, policies.expected("read-only"))
    # The same account, judged against the administrator policy: the read-only one lacks what it allows.
    admin = engine_on(aws, **{"cloudhsm.policy": "admin"}).check_step(cloudhsm_group.STEP, {})
    assert admin.status is Status.INCOMPLETE
    assert "differs from the guide's CloudHSM admin policy: lacks" in messages(admin)


def test_the_cloudhsm_permission_set_carries_the_chosen_policy_and_its_own_session_duration(p, aws) -> None:
    p.reset("partial")
    answers = {"cloudhsm.policy": "power-user", "cloudhsm.session_duration": "PT2H", "admin.session_duration": "PT4H"}
    engine = engine_on(aws, **answers)
    report = engine.apply(engine.check(), only={"permission-sets"})
    assert report.results["permission-sets"].status is Status.DONE, messages(report.results["permission-sets"])
    sso = p.client("sso-admin")
    instance = sso.list_instances()["Instances"][0]["InstanceArn"]
    arns = sso.list_permission_sets(InstanceArn=instance)["PermissionSets"]
    described = [sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=a)["PermissionSet"] for a in arns]
    cloudhsm = next(d for d in described if d["Name"] == "CloudHSMAdmins")
    assert cloudhsm["SessionDuration"] == "PT2H"
    inline = sso.get_inline_policy_for_permission_set(
        InstanceArn=instance, PermissionSetArn=cloudhsm["PermissionSetArn"]
    )
    assert not policies.differences(inline["InlinePolicy"], policies.expected("power-user"))


# -- admin-user in Identity Center mode: the administrators group ----------------------------------
def _store_and_instance(p: PracticeAccount) -> tuple[str, str]:
    instance = p.client("sso-admin").list_instances()["Instances"][0]
    return instance["IdentityStoreId"], instance["InstanceArn"]


def _user(p: PracticeAccount, name: str) -> str:
    store_id, _ = _store_and_instance(p)
    return p.client("identitystore").create_user(
        IdentityStoreId=store_id,
        UserName=name,
        Name={"GivenName": name, "FamilyName": "Person"},
        DisplayName=f"{name} Person",
    )["UserId"]


def _group_members(p: PracticeAccount, group: str) -> set[str]:
    store_id, _ = _store_and_instance(p)
    store = p.client("identitystore")
    group_id = store.get_group_id(
        IdentityStoreId=store_id,
        AlternateIdentifier={"UniqueAttribute": {"AttributePath": "displayName", "AttributeValue": group}},
    )["GroupId"]
    ids = {
        m["MemberId"]["UserId"]
        for m in store.list_group_memberships(IdentityStoreId=store_id, GroupId=group_id)["GroupMemberships"]
    }
    return {store.describe_user(IdentityStoreId=store_id, UserId=i)["UserName"] for i in ids}


def test_two_administrators_join_the_group_that_holds_administrator_access(p, aws) -> None:
    p.reset("partial")  # the administrator ops.admin exists
    _user(p, "second.admin")
    engine = engine_on(aws, **{"admin.group": "Cloud Admins", "admin.members": ["ops.admin", "second.admin"]})
    report = engine.apply(engine.check(), only={"admin-user"})
    result = report.results["admin-user"]
    assert result.status is Status.DONE, messages(result)
    assert _group_members(p, "Cloud Admins") == {"ops.admin", "second.admin"}
    assert "Cloud Admins" in messages(result) and "assigned to the group Cloud Admins" in messages(result)


def test_a_member_that_does_not_exist_is_reported_with_a_manual_action(p, aws) -> None:
    p.reset("partial")
    engine = engine_on(aws, **{"admin.members": ["ops.admin", "nobody.here"]})
    results = engine.check()
    result = results["admin-user"]
    assert result.status is Status.INCOMPLETE
    assert "nobody.here (in admin.members) does not exist" in messages(result)
    plan = engine.plan_step(admin_user.STEP, results)
    assert "admin-user:missing-member:nobody.here" in [a.key for a in plan]
    assert "admin-user:add-member:nobody.here" not in [a.key for a in plan]


def test_an_existing_direct_user_assignment_is_kept_and_not_duplicated(p, aws) -> None:
    p.reset("partial")
    store_id, instance = _store_and_instance(p)
    sso = p.client("sso-admin")
    user_id = p.client("identitystore").get_user_id(
        IdentityStoreId=store_id,
        AlternateIdentifier={"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": "ops.admin"}},
    )["UserId"]
    ps = sso.create_permission_set(InstanceArn=instance, Name="AdministratorAccess", SessionDuration="PT4H")
    ps_arn = ps["PermissionSet"]["PermissionSetArn"]
    sso.attach_managed_policy_to_permission_set(
        InstanceArn=instance, PermissionSetArn=ps_arn, ManagedPolicyArn=policies.ADMINISTRATOR_ACCESS_ARN
    )
    sso.create_account_assignment(
        InstanceArn=instance,
        TargetId=p.world.account_id,
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=ps_arn,
        PrincipalType="USER",
        PrincipalId=user_id,
    )
    engine = engine_on(aws)
    results = engine.check()
    assert "also assigned straight to ops.admin" in messages(results["admin-user"])
    keys = [a.key for a in engine.plan_step(admin_user.STEP, results)]
    assert "admin-user:create-permission-set" not in keys  # the one found through the user's assignment
    report = engine.apply(results, only={"admin-user"})
    assert report.results["admin-user"].status is Status.DONE
    direct = sso.list_account_assignments_for_principal(
        InstanceArn=instance, PrincipalId=user_id, PrincipalType="USER"
    )["AccountAssignments"]
    assert [a["PermissionSetArn"] for a in direct] == [ps_arn]  # kept, not duplicated
    names = [
        sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=a)["PermissionSet"]["Name"]
        for a in sso.list_permission_sets(InstanceArn=instance)["PermissionSets"]
    ]
    assert names.count("AdministratorAccess") == 1
