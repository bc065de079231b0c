"""The practice account's organizations: the `org` and `delegated` scenarios, seen through boto3."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from hsm_setup.sandbox import PracticeAccount
from hsm_setup.sandbox.catalog import ACCOUNT_ID, MANAGEMENT_ACCOUNT_ID
from hsm_setup.sandbox.organization import MEMBER_ROLE

ACCOUNTS = 26  # two suspended, two without the member role


@pytest.fixture(scope="module")
def practice() -> Iterator[PracticeAccount]:
    with PracticeAccount("org", accounts=ACCOUNTS) as account:
        yield account


def accounts_of(client: Any) -> list[dict[str, Any]]:
    return [a for page in client.get_paginator("list_accounts").paginate() for a in page["Accounts"]]


def role_client(practice: PracticeAccount, account_id: str, service: str) -> Any:
    credentials = practice.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{MEMBER_ROLE}", RoleSessionName="hsm-setup"
    )["Credentials"]
    return boto3.session.Session().client(
        service,
        region_name="us-east-1",
        endpoint_url=practice.endpoint_url,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def test_org_lists_the_management_account_and_every_member_in_pages(practice: PracticeAccount) -> None:
    organizations = practice.client("organizations")
    first = organizations.list_accounts(MaxResults=10)
    assert len(first["Accounts"]) == 10 and first.get("NextToken")
    listed = accounts_of(organizations)
    assert {a["Id"] for a in listed} == {ACCOUNT_ID, *practice.organization.member_ids}
    suspended = {a["Id"] for a in listed if a["Status"] == "SUSPENDED"}
    assert suspended == practice.organization.suspended and len(suspended) == 2


def test_org_members_sit_in_nested_ous(practice: PracticeAccount) -> None:
    organizations = practice.client("organizations")
    root = organizations.list_roots()["Roots"][0]["Id"]
    top = {
        ou["Name"]: ou["Id"]
        for ou in organizations.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
    }
    workloads = organizations.list_organizational_units_for_parent(ParentId=top["Workloads"])["OrganizationalUnits"]
    production = next(ou["Id"] for ou in workloads if ou["Name"] == "Production")
    nested = organizations.list_organizational_units_for_parent(ParentId=production)["OrganizationalUnits"]
    assert [ou["Name"] for ou in nested] == ["CloudHSM"]
    assert organizations.list_accounts_for_parent(ParentId=nested[0]["Id"])["Accounts"]


def test_a_member_account_is_reached_through_its_member_role(practice: PracticeAccount) -> None:
    member = next(
        a
        for a in practice.organization.member_ids
        if a not in practice.organization.role_missing | practice.organization.suspended
    )
    assert role_client(practice, member, "sts").get_caller_identity()["Account"] == member
    roles = role_client(practice, member, "iam").list_roles()["Roles"]
    assert [r["RoleName"] for r in roles] == [MEMBER_ROLE]


def test_a_member_account_without_the_role_refuses_it_as_aws_does(practice: PracticeAccount) -> None:
    # moto would hand out credentials for a role that does not exist; AWS answers AccessDenied.
    missing = sorted(practice.organization.role_missing)
    assert len(missing) == 2
    with pytest.raises(ClientError) as caught:
        role_client(practice, missing[0], "sts")
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert MEMBER_ROLE in caught.value.response["Error"]["Message"]


def test_the_number_of_accounts_is_checked() -> None:
    with pytest.raises(ValueError, match="accounts: 2001 is not a number of accounts from 1 to 2000"):
        PracticeAccount("org", accounts=2001)


def test_delegated_administrator_reads_the_organization_and_uses_its_identity_center(practice: PracticeAccount) -> None:
    try:
        practice.reset("delegated")
        organizations = practice.client("organizations")
        # moto answers a member account from an empty backend; AWS lets a delegated administrator read it all.
        listed = {a["Id"] for a in accounts_of(organizations)}
        assert listed == {MANAGEMENT_ACCOUNT_ID, ACCOUNT_ID, *practice.organization.member_ids}
        assert organizations.describe_organization()["Organization"]["MasterAccountId"] == MANAGEMENT_ACCOUNT_ID
        admins = organizations.list_delegated_administrators()["DelegatedAdministrators"]
        assert [a["Id"] for a in admins] == [ACCOUNT_ID]
        services = organizations.list_delegated_services_for_account(AccountId=ACCOUNT_ID)["DelegatedServices"]
        assert [s["ServicePrincipal"] for s in services] == ["sso.amazonaws.com"]
        instance = practice.client("sso-admin").list_instances()["Instances"][0]
        assert instance["OwnerAccountId"] == MANAGEMENT_ACCOUNT_ID
    finally:
        practice.reset("org")


def test_a_plain_member_account_cannot_read_the_organization(practice: PracticeAccount) -> None:
    try:
        practice.reset("member-managed-root")
        # That scenario's account is IAM's delegated administrator; a plain member is not.
        practice.world.central_root.delegated_to_this_account = False
        with pytest.raises(ClientError) as caught:
            practice.client("organizations").list_accounts()
        assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    finally:
        practice.reset("org")


def test_a_declared_rate_limit_refuses_requests_beyond_it_within_each_second() -> None:
    from hsm_setup.sandbox.world import World

    world = World(ACCOUNT_ID)
    world.rate_limits["CreateAccountAssignment"] = 2
    answered = [not world.throttled("CreateAccountAssignment", at) for at in (10.0, 10.1, 10.2, 10.9, 11.05, 11.2)]
    # two in any second; a refused request does not count against the next second
    assert answered == [True, True, False, False, True, True]
    assert not world.throttled("ListInstances", 10.2)


def test_the_cli_takes_accounts_only_for_an_organization_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    from hsm_setup.cli.main import main

    with pytest.raises(SystemExit):
        main(["check", "--sandbox", "--scenario", "org", "--accounts", "2001"])
    assert "'2001' is not a number of accounts from 1 to 2000" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["check", "--sandbox", "--scenario", "fresh", "--accounts", "5"])
    assert "--accounts works only with --sandbox --scenario org or delegated" in capsys.readouterr().err
