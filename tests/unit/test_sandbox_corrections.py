"""Each place the practice account corrects moto, asserted as AWS behaves, through boto3 over HTTP."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from hsm_setup.sandbox import ACCOUNT_ID, PracticeAccount

ROOT_ARN = f"arn:aws:iam::{ACCOUNT_ID}:root"
POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}'


@pytest.fixture(scope="module")
def practice() -> Iterator[PracticeAccount]:
    with PracticeAccount("fresh") as account:
        yield account


@pytest.fixture
def p(practice: PracticeAccount) -> PracticeAccount:
    practice.reset("fresh")
    practice.caller = "user"
    return practice


def code(exc_info: pytest.ExceptionInfo[ClientError]) -> str:
    return exc_info.value.response["Error"]["Code"]


def message(exc_info: pytest.ExceptionInfo[ClientError]) -> str:
    return exc_info.value.response["Error"]["Message"]


def organization_instance(p: PracticeAccount, region: str = "us-east-1") -> dict:
    """An organization with Identity Center enabled in `region`, as the console makes it."""
    p.client("organizations").create_organization(FeatureSet="ALL")
    p.simulate("enable-identity-center", region=region)
    return p.client("sso-admin", region).list_instances()["Instances"][0]


def permission_set_arn(p: PracticeAccount, instance: dict, name: str) -> str:
    created = p.client("sso-admin").create_permission_set(InstanceArn=instance["InstanceArn"], Name=name)
    return created["PermissionSet"]["PermissionSetArn"]


def admin_user_id(p: PracticeAccount, instance: dict) -> str:
    store = p.client("identitystore")
    return store.create_user(
        IdentityStoreId=instance["IdentityStoreId"],
        UserName="ops.admin",
        Name={"GivenName": "Ops", "FamilyName": "Admin"},
        DisplayName="Ops Admin",
    )["UserId"]


# -- 1. ListInstances is regional and empty in a fresh account ----------------------------
def test_list_instances_is_empty_in_a_fresh_account(p: PracticeAccount) -> None:
    for region in ("us-east-1", "eu-west-1"):
        assert p.client("sso-admin", region).list_instances()["Instances"] == []


def test_list_instances_shows_an_instance_only_in_its_region(p: PracticeAccount) -> None:
    arn = p.client("sso-admin", "eu-west-1").create_instance(Name="practice")["InstanceArn"]
    listed = p.client("sso-admin", "eu-west-1").list_instances()["Instances"]
    assert [i["InstanceArn"] for i in listed] == [arn]
    assert p.client("sso-admin", "us-east-1").list_instances()["Instances"] == []


# -- 2. CreateInstance / DescribeInstance ---------------------------------------------------
def test_create_instance_makes_one_account_instance_per_account(p: PracticeAccount) -> None:
    sso = p.client("sso-admin")
    arn = sso.create_instance(Name="team")["InstanceArn"]
    described = sso.describe_instance(InstanceArn=arn)
    assert described["InstanceArn"] == arn
    assert described["IdentityStoreId"].startswith("d-")
    assert described["OwnerAccountId"] == ACCOUNT_ID
    assert described["Status"] == "ACTIVE"
    assert described["Name"] == "team"
    assert isinstance(described["CreatedDate"], dt.datetime)
    # One per account across all Regions.
    with pytest.raises(ClientError) as second:
        p.client("sso-admin", "eu-west-1").create_instance()
    assert code(second) == "ConflictException"


def test_create_instance_is_refused_in_an_organization_management_account(p: PracticeAccount) -> None:
    p.client("organizations").create_organization(FeatureSet="ALL")
    with pytest.raises(ClientError) as refused:
        p.client("sso-admin").create_instance()
    assert code(refused) == "ValidationException"
    assert "management account" in message(refused)
    assert "console" in message(refused)
    assert p.client("sso-admin").list_instances()["Instances"] == []


def test_describe_instance_of_an_unknown_arn_is_not_found(p: PracticeAccount) -> None:
    with pytest.raises(ClientError) as missing:
        p.client("sso-admin").describe_instance(InstanceArn="arn:aws:sso:::instance/ssoins-0000000000000000")
    assert code(missing) == "ResourceNotFoundException"


def test_a_deleted_instance_is_gone_and_can_be_created_again(p: PracticeAccount) -> None:
    sso = p.client("sso-admin")
    arn = sso.create_instance()["InstanceArn"]
    sso.delete_instance(InstanceArn=arn)
    assert sso.list_instances()["Instances"] == []
    with pytest.raises(ClientError) as gone:
        sso.describe_instance(InstanceArn=arn)
    assert code(gone) == "ResourceNotFoundException"
    assert sso.create_instance()["InstanceArn"] != arn


def test_the_identity_store_of_a_created_instance_works(p: PracticeAccount) -> None:
    sso = p.client("sso-admin")
    arn = sso.create_instance()["InstanceArn"]
    store_id = sso.describe_instance(InstanceArn=arn)["IdentityStoreId"]
    user_id = admin_user_id(p, {"IdentityStoreId": store_id})
    found = p.client("identitystore").get_user_id(
        IdentityStoreId=store_id,
        AlternateIdentifier={"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": "ops.admin"}},
    )
    assert found["UserId"] == user_id


def test_an_identity_store_that_belongs_to_no_instance_is_not_found(p: PracticeAccount) -> None:
    with pytest.raises(ClientError) as missing:
        p.client("identitystore").list_users(IdentityStoreId="d-0000000000")
    assert code(missing) == "ResourceNotFoundException"


# -- 3. Account instances cannot grant access; unknown instances are not found -------------
def test_an_account_instance_cannot_hold_permission_sets(p: PracticeAccount) -> None:
    sso = p.client("sso-admin")
    arn = sso.create_instance()["InstanceArn"]
    with pytest.raises(ClientError) as refused:
        sso.create_permission_set(InstanceArn=arn, Name="CloudHSMAdmins")
    assert code(refused) == "ValidationException"
    assert "account instance" in message(refused)


def test_an_account_instance_cannot_grant_access_to_accounts(p: PracticeAccount) -> None:
    sso = p.client("sso-admin")
    arn = sso.create_instance()["InstanceArn"]
    with pytest.raises(ClientError) as refused:
        sso.create_account_assignment(
            InstanceArn=arn,
            TargetId=ACCOUNT_ID,
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=f"{arn}/ps-0000000000000000",
            PrincipalType="USER",
            PrincipalId="user-id",
        )
    assert code(refused) == "ValidationException"


def test_calls_naming_an_instance_that_does_not_exist_are_not_found(p: PracticeAccount) -> None:
    sso = p.client("sso-admin")
    ghost = "arn:aws:sso:::instance/ssoins-1111111111111111"
    with pytest.raises(ClientError) as listing:
        sso.list_permission_sets(InstanceArn=ghost)
    with pytest.raises(ClientError) as creating:
        sso.create_permission_set(InstanceArn=ghost, Name="CloudHSMAdmins")
    assert code(listing) == code(creating) == "ResourceNotFoundException"


def test_an_instance_is_not_found_from_another_region(p: PracticeAccount) -> None:
    instance = organization_instance(p, "us-east-1")
    with pytest.raises(ClientError) as elsewhere:
        p.client("sso-admin", "eu-west-1").list_permission_sets(InstanceArn=instance["InstanceArn"])
    assert code(elsewhere) == "ResourceNotFoundException"


# -- 4. Permission set names are unique per instance ---------------------------------------
def test_a_duplicate_permission_set_name_is_a_conflict(p: PracticeAccount) -> None:
    instance = organization_instance(p)
    sso = p.client("sso-admin")
    created = sso.create_permission_set(InstanceArn=instance["InstanceArn"], Name="CloudHSMAdmins")["PermissionSet"]
    assert created["SessionDuration"] == "PT1H"  # AWS's default
    with pytest.raises(ClientError) as duplicate:
        sso.create_permission_set(InstanceArn=instance["InstanceArn"], Name="CloudHSMAdmins")
    assert code(duplicate) == "ConflictException"
    assert sso.list_permission_sets(InstanceArn=instance["InstanceArn"])["PermissionSets"] == [
        created["PermissionSetArn"]
    ]


@pytest.mark.parametrize(
    "name, duration",
    [("x" * 33, "PT4H"), ("has space", "PT4H"), ("CloudHSMAdmins", "PT13H"), ("CloudHSMAdmins", "4 hours")],
)
def test_permission_set_names_and_durations_are_validated(p: PracticeAccount, name: str, duration: str) -> None:
    instance = organization_instance(p)
    with pytest.raises(ClientError) as refused:
        p.client("sso-admin").create_permission_set(
            InstanceArn=instance["InstanceArn"], Name=name, SessionDuration=duration
        )
    assert code(refused) == "ValidationException"


# -- 5. Account assignments are asynchronous and never duplicated ---------------------------
def _assignment(p: PracticeAccount, instance: dict, permission_set_arn: str, user_id: str) -> dict:
    return p.client("sso-admin").create_account_assignment(
        InstanceArn=instance["InstanceArn"],
        TargetId=ACCOUNT_ID,
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=permission_set_arn,
        PrincipalType="USER",
        PrincipalId=user_id,
    )["AccountAssignmentCreationStatus"]


def _creation_status(p: PracticeAccount, instance: dict, request_id: str) -> str:
    return p.client("sso-admin").describe_account_assignment_creation_status(
        InstanceArn=instance["InstanceArn"], AccountAssignmentCreationRequestId=request_id
    )["AccountAssignmentCreationStatus"]["Status"]


def test_account_assignment_is_in_progress_then_succeeded(p: PracticeAccount) -> None:
    instance = organization_instance(p)
    sso = p.client("sso-admin")
    ps_arn = permission_set_arn(p, instance, "AdministratorAccess")
    user_id = admin_user_id(p, instance)
    created = _assignment(p, instance, ps_arn, user_id)
    assert created["Status"] == "IN_PROGRESS"
    assert _creation_status(p, instance, created["RequestId"]) == "IN_PROGRESS"
    assert _creation_status(p, instance, created["RequestId"]) == "SUCCEEDED"
    assert _creation_status(p, instance, created["RequestId"]) == "SUCCEEDED"
    # AWS provisions the permission set to the account it is assigned in.
    provisioned = sso.list_permission_sets_provisioned_to_account(
        InstanceArn=instance["InstanceArn"], AccountId=ACCOUNT_ID
    )
    assert provisioned["PermissionSets"] == [ps_arn]


def test_creation_requests_are_listed_by_status_a_page_at_a_time(p: PracticeAccount) -> None:
    # moto has no ListAccountAssignmentCreationStatus; AWS lists the instance's requests, filtered by status.
    instance = organization_instance(p)
    sso = p.client("sso-admin")
    ps_arn = permission_set_arn(p, instance, "AdministratorAccess")
    created = _assignment(p, instance, ps_arn, admin_user_id(p, instance))["RequestId"]

    def listed(status: str) -> list[str]:
        ids: list[str] = []
        page: dict = {}
        while True:
            answer = sso.list_account_assignment_creation_status(
                InstanceArn=instance["InstanceArn"], Filter={"Status": status}, MaxResults=1, **page
            )
            assert len(answer["AccountAssignmentsCreationStatus"]) <= 1
            ids += [s["RequestId"] for s in answer["AccountAssignmentsCreationStatus"] if s["Status"] == status]
            if "NextToken" not in answer:
                return ids
            page = {"NextToken": answer["NextToken"]}

    assert created in listed("IN_PROGRESS")
    # A listing is a status query, as a describe is: the next one finds the request done.
    assert created not in listed("IN_PROGRESS")
    assert created in listed("SUCCEEDED")


def test_an_existing_assignment_is_not_duplicated(p: PracticeAccount) -> None:
    instance = organization_instance(p)
    sso = p.client("sso-admin")
    ps_arn = permission_set_arn(p, instance, "AdministratorAccess")
    user_id = admin_user_id(p, instance)
    first = _assignment(p, instance, ps_arn, user_id)
    again = _assignment(p, instance, ps_arn, user_id)
    assert again["RequestId"] != first["RequestId"]
    assert _creation_status(p, instance, again["RequestId"]) == "IN_PROGRESS"
    assert _creation_status(p, instance, again["RequestId"]) == "SUCCEEDED"
    listed = sso.list_account_assignments(
        InstanceArn=instance["InstanceArn"], AccountId=ACCOUNT_ID, PermissionSetArn=ps_arn
    )
    assert len(listed["AccountAssignments"]) == 1


def test_an_assignment_of_a_missing_permission_set_is_not_found(p: PracticeAccount) -> None:
    instance = organization_instance(p)
    with pytest.raises(ClientError) as missing:
        _assignment(p, instance, f"{instance['InstanceArn']}/ps-0000000000000000", "user-id")
    assert code(missing) == "ResourceNotFoundException"


# -- 6. Provisioning is asynchronous ---------------------------------------------------------
def test_provisioning_is_in_progress_then_succeeded(p: PracticeAccount) -> None:
    instance = organization_instance(p)
    sso = p.client("sso-admin")
    ps_arn = permission_set_arn(p, instance, "CloudHSMAdmins")
    started = sso.provision_permission_set(
        InstanceArn=instance["InstanceArn"], PermissionSetArn=ps_arn, TargetType="AWS_ACCOUNT", TargetId=ACCOUNT_ID
    )["PermissionSetProvisioningStatus"]
    assert started["Status"] == "IN_PROGRESS"

    def status() -> str:
        return sso.describe_permission_set_provisioning_status(
            InstanceArn=instance["InstanceArn"], ProvisionPermissionSetRequestId=started["RequestId"]
        )["PermissionSetProvisioningStatus"]["Status"]

    assert [status(), status()] == ["IN_PROGRESS", "SUCCEEDED"]
    with pytest.raises(ClientError) as unknown:
        sso.describe_permission_set_provisioning_status(
            InstanceArn=instance["InstanceArn"], ProvisionPermissionSetRequestId="00000000-0000-0000-0000-000000000000"
        )
    assert code(unknown) == "ResourceNotFoundException"


# -- 7. The account summary knows the root user ---------------------------------------------
def test_account_summary_follows_the_root_user(p: PracticeAccount) -> None:
    iam = p.client("iam")
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["AccountAccessKeysPresent"]) == (0, 1)
    p.simulate("root-mfa")
    p.simulate("root-access-keys")
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["AccountAccessKeysPresent"]) == (1, 0)


# -- 8. Root's virtual MFA device is listed --------------------------------------------------
def test_root_virtual_mfa_device_is_listed_once_enabled(p: PracticeAccount) -> None:
    iam = p.client("iam")
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"] == []
    p.simulate("root-mfa")
    for status in ("Assigned", "Any"):
        devices = iam.list_virtual_mfa_devices(AssignmentStatus=status)["VirtualMFADevices"]
        root_devices = [d for d in devices if d.get("User", {}).get("Arn", "").endswith(":root")]
        assert [d["SerialNumber"] for d in root_devices] == [f"arn:aws:iam::{ACCOUNT_ID}:mfa/root-account-mfa-device"]
        assert root_devices[0]["User"]["Arn"] == ROOT_ARN
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == []


# -- 9. The credential report has the root row and a real date ------------------------------
def _report_rows(p: PracticeAccount) -> tuple[dict[str, dict[str, str]], dt.datetime]:
    report = p.client("iam").get_credential_report()
    rows = {row["user"]: row for row in csv.DictReader(io.StringIO(report["Content"].decode()))}
    return rows, report["GeneratedTime"]


def test_credential_report_has_the_root_row(p: PracticeAccount) -> None:
    iam = p.client("iam")
    with pytest.raises(ClientError) as absent:
        iam.get_credential_report()
    assert code(absent) == "ReportNotPresent"
    assert iam.generate_credential_report()["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    rows, generated = _report_rows(p)
    root = rows["<root_account>"]
    assert root["arn"] == ROOT_ARN
    assert (root["mfa_active"], root["access_key_1_active"]) == ("false", "true")
    assert root["password_enabled"] == "not_supported"
    assert dt.datetime.fromisoformat(root["password_last_used"]).year >= 2024
    assert generated.year >= 2024  # moto writes 2015-02-02 into every report
    assert abs(dt.datetime.now(dt.UTC) - generated) < dt.timedelta(hours=1)


def test_credential_report_follows_the_root_user(p: PracticeAccount) -> None:
    iam = p.client("iam")
    assert iam.generate_credential_report()["State"] == "STARTED"
    _, before = _report_rows(p)
    p.simulate("root-mfa")
    p.simulate("root-access-keys")
    # The existing report shows the console change at once, dated from then.
    rows, after = _report_rows(p)
    assert after >= before
    root = rows["<root_account>"]
    assert (root["mfa_active"], root["access_key_1_active"], root["access_key_2_active"]) == ("true", "false", "false")
    assert root["access_key_1_last_rotated"] == "N/A"


# -- 10. The CloudHSM service-linked role ---------------------------------------------------
def test_cloudhsm_service_linked_role_has_the_aws_name(p: PracticeAccount) -> None:
    iam = p.client("iam")
    role = iam.create_service_linked_role(AWSServiceName="cloudhsm.amazonaws.com")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForCloudHSM"
    assert role["Path"] == "/aws-service-role/cloudhsm.amazonaws.com/"
    fetched = iam.get_role(RoleName="AWSServiceRoleForCloudHSM")["Role"]
    assert (
        fetched["Arn"]
        == f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/cloudhsm.amazonaws.com/AWSServiceRoleForCloudHSM"
    )
    with pytest.raises(ClientError) as taken:
        iam.create_service_linked_role(AWSServiceName="cloudhsm.amazonaws.com")
    assert code(taken) == "InvalidInput"
    assert message(taken) == (
        "Service role name AWSServiceRoleForCloudHSM has been taken in this account, please try a different suffix."
    )


def test_the_cloudhsm_service_linked_role_is_not_deleted_while_a_cluster_uses_it(p: PracticeAccount) -> None:
    """moto deletes the role whatever uses it; AWS starts a deletion task that fails and names what uses the role
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteServiceLinkedRole.html)."""
    iam, cloudhsm = p.client("iam"), p.client("cloudhsmv2")
    iam.create_service_linked_role(AWSServiceName="cloudhsm.amazonaws.com")
    cluster = cloudhsm.create_cluster(HsmType="hsm1.medium", SubnetIds=["subnet-0123456789abcdef0"])["Cluster"]

    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForCloudHSM")["DeletionTaskId"]
    status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert status["Status"] == "FAILED"
    cluster_arn = f"arn:aws:cloudhsm:us-east-1:{ACCOUNT_ID}:cluster/{cluster['ClusterId']}"
    assert status["Reason"]["RoleUsageList"] == [{"Region": "us-east-1", "Resources": [cluster_arn]}]
    assert iam.get_role(RoleName="AWSServiceRoleForCloudHSM")["Role"]["RoleName"] == "AWSServiceRoleForCloudHSM"

    cloudhsm.delete_cluster(ClusterId=cluster["ClusterId"])
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForCloudHSM")["DeletionTaskId"]
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as gone:
        iam.get_role(RoleName="AWSServiceRoleForCloudHSM")
    assert code(gone) == "NoSuchEntity"


# -- 11. Reserved and over-long names ---------------------------------------------------------
@pytest.mark.parametrize("name", ["Administrator", "AWSAdministrators", "administrator", "awsADMINISTRATORS"])
def test_reserved_identity_center_user_names_are_refused(p: PracticeAccount, name: str) -> None:
    instance = organization_instance(p)
    with pytest.raises(ClientError) as refused:
        p.client("identitystore").create_user(
            IdentityStoreId=instance["IdentityStoreId"],
            UserName=name,
            Name={"GivenName": "A", "FamilyName": "B"},
            DisplayName="A B",
        )
    assert code(refused) == "ValidationException"


@pytest.mark.parametrize(
    "operation, params, limit",
    [
        ("create_user", {"UserName": "u"}, 64),
        ("create_group", {"GroupName": "g"}, 128),
        ("create_policy", {"PolicyName": "p", "PolicyDocument": POLICY}, 128),
    ],
)
def test_iam_names_longer_than_the_limit_are_refused(
    p: PracticeAccount, operation: str, params: dict, limit: int
) -> None:
    iam = p.client("iam")
    name_key = next(k for k in params if k.endswith("Name"))
    at_limit = {**params, name_key: "a" * limit}
    getattr(iam, operation)(**at_limit)  # exactly at the limit: accepted
    with pytest.raises(ClientError) as refused:
        getattr(iam, operation)(**{**params, name_key: "b" * (limit + 1)})
    assert code(refused) == "ValidationError"
    assert str(limit) in message(refused)


# -- 12. Who is calling ------------------------------------------------------------------------
def test_the_practice_caller_is_an_iam_user(p: PracticeAccount) -> None:
    identity = p.client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/practice-admin"
    assert identity["Account"] == ACCOUNT_ID
    assert identity["UserId"] != ACCOUNT_ID
    assert p.client("iam").get_user(UserName="practice-admin")["User"]["UserId"] == identity["UserId"]


def test_the_practice_caller_can_be_root(p: PracticeAccount) -> None:
    p.caller = "root"
    identity = p.client("sts").get_caller_identity()
    assert identity["Arn"] == ROOT_ARN
    assert identity["UserId"] == ACCOUNT_ID


def test_caller_is_chosen_when_the_account_is_made() -> None:
    assert PracticeAccount(caller="root").caller == "root"
    with pytest.raises(ValueError, match="user, root"):
        PracticeAccount(caller="admin")


# -- Organizations --------------------------------------------------------------------------------
def test_a_fresh_account_has_no_organization_until_one_is_created(p: PracticeAccount) -> None:
    organizations = p.client("organizations")
    with pytest.raises(ClientError) as none:
        organizations.describe_organization()
    assert code(none) == "AWSOrganizationsNotInUseException"
    organizations.create_organization(FeatureSet="ALL")
    organization = organizations.describe_organization()["Organization"]
    assert organization["MasterAccountId"] == ACCOUNT_ID
    assert organization["FeatureSet"] == "ALL"
