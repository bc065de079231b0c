"""The practice account answers moto's unchanging lookups once, and still makes an account's backends as moto does."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from moto.core.base_backend import BackendDict
from moto.iam.models import IAMBackend

from hsm_setup.sandbox import moto_lookups

ACCOUNT = "210000000042"


def test_an_accounts_backends_are_made_on_first_use_and_again_after_a_reset() -> None:
    moto_lookups.install()
    accounts = BackendDict(IAMBackend, "iam", use_boto3_regions=False, additional_regions=["aws"])
    try:
        first = accounts[ACCOUNT]
        assert accounts[ACCOUNT] is first  # found, not made again
        assert accounts in BackendDict._instances  # registered, so a reset reaches it
        # What moto's reset does to each registered dict.
        accounts.clear()
        BackendDict._instances.remove(accounts)
        again = accounts[ACCOUNT]
        assert again is not first
        assert accounts in BackendDict._instances
    finally:
        if accounts in BackendDict._instances:
            BackendDict._instances.remove(accounts)


@mock_aws
def test_errors_and_actions_answer_as_before() -> None:
    moto_lookups.install()
    iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    for _ in range(2):  # the second answer comes from the tables the first one built
        with pytest.raises(iam.exceptions.NoSuchEntityException) as missing:
            iam.get_role(RoleName="AWSServiceRoleForCloudHSM")
        assert missing.value.response["Error"]["Code"] == "NoSuchEntity"
    iam.create_group(GroupName="CloudHSMAdmins")
    assert iam.get_group(GroupName="CloudHSMAdmins")["Group"]["GroupName"] == "CloudHSMAdmins"


@mock_aws
def test_an_action_added_to_moto_while_it_runs_is_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    # The practice account and the tests give moto's response classes actions it lacks; the methods of a class are
    # looked up at each request, never from a first look.
    from moto.iam.exceptions import IAMException
    from moto.iam.responses import IamResponse

    moto_lookups.install()
    iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    iam.list_groups()

    class OrganizationNotFound(IAMException):
        code = "OrganizationNotFoundException"

    def list_organizations_features(self: IamResponse) -> str:
        raise OrganizationNotFound("No organization is associated with this account.")

    monkeypatch.setattr(IamResponse, "list_organizations_features", list_organizations_features, raising=False)
    with pytest.raises(iam.exceptions.ClientError) as answered:
        iam.list_organizations_features()
    assert answered.value.response["Error"]["Code"] == "OrganizationNotFoundException"
