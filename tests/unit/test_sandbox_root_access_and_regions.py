"""The practice account answers as AWS does where moto cannot: centrally managed root access
(iam ListOrganizationsFeatures, not in moto) and Identity Center's Regions (sso-admin
DescribeInstance, an HTTP 500 from moto's server), asserted through boto3 over HTTP."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from hsm_setup.sandbox import ACCOUNT_ID, SCENARIOS, PracticeAccount, SandboxError

MANAGED = ["RootCredentialsManagement", "RootSessions"]


@pytest.fixture(scope="module")
def practice() -> Iterator[PracticeAccount]:
    with PracticeAccount("fresh") as account:
        yield account


@pytest.fixture
def p(practice: PracticeAccount) -> PracticeAccount:
    practice.reset("fresh")
    return practice


def code(exc_info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc_info.value.response["Error"]["Code"])


# -- centrally managed root access -------------------------------------------------------------
def test_a_standalone_account_has_no_organization_features(p: PracticeAccount) -> None:
    with pytest.raises(ClientError) as refused:
        p.client("iam").list_organizations_features()
    assert code(refused) == "OrganizationNotFoundException"


def test_a_management_account_without_iams_trusted_access_is_told_so(p: PracticeAccount) -> None:
    p.client("organizations").create_organization(FeatureSet="ALL")
    with pytest.raises(ClientError) as refused:
        p.client("iam").list_organizations_features()
    assert code(refused) == "ServiceAccessNotEnabledException"


def test_an_organization_with_consolidated_billing_only_is_told_so(p: PracticeAccount) -> None:
    p.client("organizations").create_organization(FeatureSet="CONSOLIDATED_BILLING")
    with pytest.raises(ClientError) as refused:
        p.client("iam").list_organizations_features()
    assert code(refused) == "OrganizationNotInAllFeaturesModeException"


def test_the_member_account_scenario_has_root_access_managed_centrally(p: PracticeAccount) -> None:
    assert "member-managed-root" in SCENARIOS
    p.reset("member-managed-root")
    organization = p.client("organizations").describe_organization()["Organization"]
    assert organization["MasterAccountId"] != ACCOUNT_ID  # a member account
    features = p.client("iam").list_organizations_features()
    assert features["OrganizationId"] == organization["Id"]
    assert sorted(features["EnabledFeatures"]) == MANAGED
    summary = p.client("iam").get_account_summary()["SummaryMap"]
    # No root password, access keys or MFA: by design, not a finding.
    assert summary["AccountMFAEnabled"] == 0 and summary["AccountAccessKeysPresent"] == 0


def test_a_member_root_without_credentials_shows_so_in_the_credential_report(p: PracticeAccount) -> None:
    p.reset("member-managed-root")
    iam = p.client("iam")
    iam.generate_credential_report()
    rows = list(csv.DictReader(io.StringIO(iam.get_credential_report()["Content"].decode())))
    root = next(r for r in rows if r["user"] == "<root_account>")
    assert root["password_last_used"] == "no_information"
    assert root["mfa_active"] == "false" and root["access_key_1_active"] == "false"


def test_a_member_that_is_not_iams_delegated_administrator_cannot_list_the_features(p: PracticeAccount) -> None:
    p.reset("member-managed-root")
    assert p.world.central_root is not None
    p.world.central_root.delegated_to_this_account = False
    with pytest.raises(ClientError) as refused:
        p.client("iam").list_organizations_features()
    assert code(refused) == "AccountNotManagementOrDelegatedAdministratorException"


def test_root_mfa_cannot_be_turned_on_where_root_has_no_credentials(p: PracticeAccount) -> None:
    p.reset("member-managed-root")
    with pytest.raises(SandboxError) as refused:
        p.simulate("root-mfa")
    assert "manages root access centrally" in refused.value.cause
    assert p.simulate("root-access-keys") == "Simulated: the root user has no access keys."


# -- Identity Center's Regions -----------------------------------------------------------------
def _instance(p: PracticeAccount, region: str = "us-east-1") -> dict:
    p.client("organizations").create_organization(FeatureSet="ALL")
    p.simulate("enable-identity-center", region=region)
    return p.client("sso-admin", region).list_instances()["Instances"][0]


def test_describe_instance_names_the_primary_region_like_aws(p: PracticeAccount) -> None:
    instance = _instance(p, "eu-west-2")
    described = p.client("sso-admin", "eu-west-2").describe_instance(InstanceArn=instance["InstanceArn"])
    assert described["PrimaryRegion"] == "eu-west-2"
    [region] = described["Regions"]
    assert region["RegionName"] == "eu-west-2" and region["Status"] == "ACTIVE" and region["IsPrimaryRegion"] is True
    assert "AddedDate" in region
    assert (
        described["IdentityStoreArn"]
        == f"arn:aws:identitystore::{ACCOUNT_ID}:identitystore/{instance['IdentityStoreId']}"
    )
    assert instance["PrimaryRegion"] == "eu-west-2" and instance["Regions"][0]["RegionName"] == "eu-west-2"


def test_an_instance_replicated_to_another_region_lists_both(p: PracticeAccount) -> None:
    instance = _instance(p)
    said = p.simulate("add-identity-center-region", region="eu-west-1")
    assert "eu-west-1" in said and said.startswith("Simulated:")
    for region in ("us-east-1", "eu-west-1"):
        described = p.client("sso-admin", region).describe_instance(InstanceArn=instance["InstanceArn"])
        assert described["PrimaryRegion"] == "us-east-1"
        assert {r["RegionName"]: r["IsPrimaryRegion"] for r in described["Regions"]} == {
            "us-east-1": True,
            "eu-west-1": False,
        }
    listed = p.client("sso-admin", "eu-west-1").list_regions(InstanceArn=instance["InstanceArn"])["Regions"]
    assert sorted(r["RegionName"] for r in listed) == ["eu-west-1", "us-east-1"]
    one = p.client("sso-admin", "eu-west-1").describe_region(
        InstanceArn=instance["InstanceArn"], RegionName="eu-west-1"
    )
    assert one["IsPrimaryRegion"] is False and one["Status"] == "ACTIVE"
    # Instance reads work in an additional Region; permission sets are managed in the primary one.
    assert [i["InstanceArn"] for i in p.client("sso-admin", "eu-west-1").list_instances()["Instances"]] == [
        instance["InstanceArn"]
    ]
    with pytest.raises(ClientError) as refused:
        p.client("sso-admin", "eu-west-1").create_permission_set(InstanceArn=instance["InstanceArn"], Name="X")
    assert code(refused) == "ValidationException" and "primary Region us-east-1" in str(refused.value)


def test_list_instances_across_all_regions_finds_the_instance_from_anywhere(p: PracticeAccount) -> None:
    instance = _instance(p, "eu-central-1")
    anywhere = p.client("sso-admin", "ap-southeast-2")
    assert anywhere.list_instances()["Instances"] == []
    assert [i["InstanceArn"] for i in anywhere.list_instances(RegionScope="ALL_REGIONS")["Instances"]] == [
        instance["InstanceArn"]
    ]


def test_add_region_needs_what_the_practice_account_cannot_have(p: PracticeAccount) -> None:
    instance = _instance(p)
    with pytest.raises(ClientError) as refused:
        p.client("sso-admin").add_region(InstanceArn=instance["InstanceArn"], RegionName="eu-west-1")
    assert code(refused) == "ValidationException"
    assert "customer managed KMS key" in str(refused.value)


def test_an_additional_region_needs_an_organization_instance(p: PracticeAccount) -> None:
    p.client("sso-admin").create_instance(Name="team")  # an account instance
    with pytest.raises(SandboxError) as refused:
        p.simulate("add-identity-center-region", region="eu-west-1")
    assert "organization instance" in refused.value.cause


# -- statements the guidance makes, as the API shows them ---------------------------------------
def test_the_service_linked_roles_description_can_be_edited(p: PracticeAccount) -> None:
    iam = p.client("iam")
    iam.create_service_linked_role(AWSServiceName="cloudhsm.amazonaws.com")
    iam.update_role_description(RoleName="AWSServiceRoleForCloudHSM", Description="CloudHSM audit logs")
    assert iam.get_role(RoleName="AWSServiceRoleForCloudHSM")["Role"]["Description"] == "CloudHSM audit logs"


def test_the_aws_managed_read_only_policy_allows_get_as_well_as_describe_and_list(p: PracticeAccount) -> None:
    from hsm_setup.steps import policies

    iam = p.client("iam")
    arn = "arn:aws:iam::aws:policy/AWSCloudHSMReadOnlyAccess"
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    actions = policies.parse(document)["Statement"][0]["Action"]
    assert sorted(actions) == sorted(policies.AWS_CLOUDHSM_READ_ONLY_ACTIONS)
    assert policies.allows(actions, "cloudhsm:GetResourcePolicy")


def test_a_permission_set_made_without_a_duration_lasts_an_hour(p: PracticeAccount) -> None:
    instance = _instance(p)
    sso = p.client("sso-admin")
    made = sso.create_permission_set(InstanceArn=instance["InstanceArn"], Name="Plain")["PermissionSet"]
    assert made["SessionDuration"] == "PT1H"
