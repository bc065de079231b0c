"""The practice account's scenarios, simulations and faults, seen through boto3 and the engine."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from hsm_setup.answers.values import defaults
from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.connection import Connection
from hsm_setup.engine.runner import Engine
from hsm_setup.errors import explain
from hsm_setup.sandbox import ACCOUNT_ID, SCENARIOS, SIMULATIONS, PracticeAccount, SandboxError
from hsm_setup.steps import policies
from hsm_setup.steps.registry import STEPS


@pytest.fixture(scope="module")
def practice() -> Iterator[PracticeAccount]:
    with PracticeAccount("fresh") as account:
        yield account


@pytest.fixture
def p(practice: PracticeAccount) -> PracticeAccount:
    practice.reset("fresh")
    return practice


@pytest.fixture(scope="module")
def practice_aws(practice: PracticeAccount) -> AwsSession:
    """One session for the module: making boto3 clients costs more than the checks."""
    return AwsSession(Connection(region="us-east-1", sandbox=True, **practice.connection_overrides()))


def code(exc_info: pytest.ExceptionInfo[ClientError]) -> str:
    return exc_info.value.response["Error"]["Code"]


def engine_on(aws: AwsSession) -> Engine:
    return Engine(aws, defaults(), sandbox=True, sleep=lambda seconds: None)


def summary(p: PracticeAccount) -> tuple[int, int]:
    values = p.client("iam").get_account_summary()["SummaryMap"]
    return values["AccountMFAEnabled"], values["AccountAccessKeysPresent"]


# -- scenarios -------------------------------------------------------------------------------
def test_unknown_scenario_names_the_allowed_ones() -> None:
    with pytest.raises(ValueError) as bad:
        PracticeAccount(scenario="half-done")
    assert "half-done" in str(bad.value)
    for name in ("fresh", "partial", "complete"):
        assert name in str(bad.value)
    assert set(SCENARIOS) == {
        "fresh",
        "partial",
        "complete",
        "member-managed-root",
        "made-by-hand",
        "org",
        "delegated",
    }


def test_fresh_is_a_standalone_account_with_nothing_set_up(p: PracticeAccount) -> None:
    assert p.endpoint_url.startswith("http://127.0.0.1:")
    assert p.account_id == ACCOUNT_ID
    assert summary(p) == (0, 1)
    with pytest.raises(ClientError) as no_org:
        p.client("organizations").describe_organization()
    assert code(no_org) == "AWSOrganizationsNotInUseException"
    assert p.client("sso-admin").list_instances()["Instances"] == []
    iam = p.client("iam")
    assert iam.list_policies(Scope="Local")["Policies"] == []
    assert iam.list_groups()["Groups"] == []
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []


def test_partial_has_root_secured_identity_center_and_the_admin_user(p: PracticeAccount) -> None:
    p.reset("partial")
    assert summary(p) == (1, 0)
    organization = p.client("organizations").describe_organization()["Organization"]
    assert (organization["MasterAccountId"], organization["FeatureSet"]) == (ACCOUNT_ID, "ALL")
    instances = p.client("sso-admin").list_instances()["Instances"]
    assert len(instances) == 1
    assert p.client("sso-admin", "eu-west-1").list_instances()["Instances"] == []
    instance = instances[0]
    assert p.client("sso-admin").list_permission_sets(InstanceArn=instance["InstanceArn"])["PermissionSets"] == []
    store = p.client("identitystore")
    user_id = store.get_user_id(
        IdentityStoreId=instance["IdentityStoreId"],
        AlternateIdentifier={"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": "ops.admin"}},
    )["UserId"]
    user = store.describe_user(IdentityStoreId=instance["IdentityStoreId"], UserId=user_id)
    assert user["Name"]["GivenName"] == "Ops" and user["Name"]["FamilyName"] == "Admin"
    assert user["DisplayName"] == "Ops Admin"
    assert [e["Value"] for e in user["Emails"]] == ["ops.admin@example.com"]
    assert store.list_groups(IdentityStoreId=instance["IdentityStoreId"])["Groups"] == []


def test_partial_has_a_drifted_unattached_cloudhsm_policy(p: PracticeAccount) -> None:
    p.reset("partial")
    iam = p.client("iam")
    [policy] = iam.list_policies(Scope="Local")["Policies"]
    assert policy["PolicyName"] == "CloudHSMAdminPolicy"
    assert policy["AttachmentCount"] == 0
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    drift = policies.differences(version["Document"], policies.expected())
    assert any("lacks" in line for line in drift)
    assert iam.list_groups()["Groups"] == []
    with pytest.raises(ClientError):
        iam.get_role(RoleName="AWSServiceRoleForCloudHSM")


def test_partial_leaves_steps_to_do(p: PracticeAccount, practice_aws: AwsSession) -> None:
    p.reset("partial")
    results = engine_on(practice_aws).check()
    assert results["root-user"].done and results["identity-center"].done
    assert not results["cloudhsm-group"].done
    assert not results["service-linked-role"].done


def test_complete_has_every_step_done(p: PracticeAccount, practice_aws: AwsSession) -> None:
    p.reset("complete")
    results = engine_on(practice_aws).check()
    assert {step_id: result.status.value for step_id, result in results.items()} == {s.id: "done" for s in STEPS}


def test_reset_returns_to_the_seed_state(p: PracticeAccount) -> None:
    p.client("iam").create_group(GroupName="CloudHSMAdmins")
    p.simulate("root-mfa")
    p.deny("iam:ListGroups")
    p.reset()
    assert p.client("iam").list_groups()["Groups"] == []
    assert summary(p) == (0, 1)


# -- simulations -------------------------------------------------------------------------------
def test_simulations_are_described() -> None:
    assert set(SIMULATIONS) == {
        "root-mfa",
        "root-access-keys",
        "enable-identity-center",
        "sso-sign-in",
        "add-identity-center-region",
    }
    assert all(isinstance(text, str) and text for text in SIMULATIONS.values())


def test_root_simulations_change_what_iam_reports(p: PracticeAccount) -> None:
    assert "MFA" in p.simulate("root-mfa")
    assert summary(p) == (1, 1)
    assert "access keys" in p.simulate("root-access-keys")
    assert summary(p) == (1, 0)
    p.simulate("root-mfa")  # again: nothing more to do
    assert summary(p) == (1, 0)


def test_enabling_identity_center_needs_a_management_account(p: PracticeAccount) -> None:
    with pytest.raises(SandboxError) as refused:
        p.simulate("enable-identity-center", region="us-east-1")
    assert "management account" in str(refused.value)
    assert isinstance(refused.value, ValueError)
    assert explain(refused.value).cause == refused.value.cause
    assert p.client("sso-admin").list_instances()["Instances"] == []


def test_enabling_identity_center_makes_an_organization_instance(p: PracticeAccount) -> None:
    p.client("organizations").create_organization(FeatureSet="ALL")
    p.simulate("enable-identity-center", region="eu-west-2")
    sso = p.client("sso-admin", "eu-west-2")
    [instance] = sso.list_instances()["Instances"]
    assert instance["OwnerAccountId"] == ACCOUNT_ID
    # An organization instance holds permission sets (an account instance cannot).
    sso.create_permission_set(InstanceArn=instance["InstanceArn"], Name="CloudHSMAdmins")
    # Enabling it again in the same Region changes nothing; another Region is refused.
    assert "already" in p.simulate("enable-identity-center", region="eu-west-2")
    with pytest.raises(SandboxError):
        p.simulate("enable-identity-center", region="us-east-1")
    assert len(sso.list_instances()["Instances"]) == 1


def test_enabling_identity_center_needs_all_features(p: PracticeAccount) -> None:
    p.client("organizations").create_organization(FeatureSet="CONSOLIDATED_BILLING")
    with pytest.raises(SandboxError, match="all features"):
        p.simulate("enable-identity-center")


@pytest.mark.parametrize("name, region", [("root-password", None), ("enable-identity-center", "mars-1")])
def test_bad_simulation_arguments_are_value_errors(p: PracticeAccount, name: str, region: str | None) -> None:
    with pytest.raises(ValueError) as bad:
        p.simulate(name, region=region)
    assert (name if region is None else region) in str(bad.value)


# -- faults ------------------------------------------------------------------------------------
def test_deny_makes_one_action_access_denied_until_allowed(p: PracticeAccount) -> None:
    p.client("organizations").create_organization(FeatureSet="ALL")
    p.simulate("enable-identity-center")
    sso = p.client("sso-admin")
    instance_arn = sso.list_instances()["Instances"][0]["InstanceArn"]
    p.deny("sso:CreatePermissionSet")
    with pytest.raises(ClientError) as denied:
        sso.create_permission_set(InstanceArn=instance_arn, Name="CloudHSMAdmins")
    assert code(denied) == "AccessDeniedException"
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "sso:CreatePermissionSet" in explain(denied.value).cause
    sso.list_permission_sets(InstanceArn=instance_arn)  # other actions still work
    p.allow("sso:CreatePermissionSet")
    sso.create_permission_set(InstanceArn=instance_arn, Name="CloudHSMAdmins")


def test_deny_on_a_query_service_answers_403(p: PracticeAccount) -> None:
    p.deny("iam:GetAccountSummary")
    with pytest.raises(ClientError) as denied:
        p.client("iam").get_account_summary()
    assert code(denied) == "AccessDenied"
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    p.clear_faults()
    assert summary(p) == (0, 1)


def test_denied_steps_show_up_in_the_engine_check(p: PracticeAccount, practice_aws: AwsSession) -> None:
    p.reset("partial")
    p.deny("iam:GetRole")
    result = engine_on(practice_aws).check()["service-linked-role"]
    assert result.status.value == "error"
    assert "iam:GetRole" in (result.error or "")


def test_expired_credentials_fail_every_call_until_cleared(p: PracticeAccount) -> None:
    p.expire_credentials()
    for call in (
        lambda: p.client("sts").get_caller_identity(),
        lambda: p.client("iam").list_users(),
        lambda: p.client("sso-admin").list_instances(),
    ):
        with pytest.raises(ClientError) as expired:
            call()
        assert code(expired) in ("ExpiredToken", "ExpiredTokenException")
        assert explain(expired.value).kind == "expired"
    p.clear_faults()
    assert p.client("sts").get_caller_identity()["Account"] == ACCOUNT_ID


def test_deny_refuses_what_is_not_an_action(p: PracticeAccount) -> None:
    with pytest.raises(ValueError, match="IAM action"):
        p.deny("CreatePermissionSet")


def test_connection_overrides_reach_the_practice_account(p: PracticeAccount) -> None:
    import dataclasses

    connection = dataclasses.replace(Connection(profile="dev", sandbox=True), **p.connection_overrides(), profile=None)
    aws = AwsSession(connection)
    identity = aws.client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/practice-admin"
    assert json.loads(json.dumps(p.connection_overrides()))["session_token"] is None
