"""The practice account's IAM enforcement and iam SimulatePrincipalPolicy, as AWS answers them."""

from __future__ import annotations

import json

import boto3
import botocore.exceptions
import pytest

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"
SCOPED = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["iam:GetGroup", "iam:CreateGroup"],
            "Resource": f"arn:aws:iam::{ACCOUNT}:group/Allowed",
        },
        {"Effect": "Allow", "Action": "iam:GetAccountSummary", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:CreateGroup", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": "cloudhsm.amazonaws.com"}},
        },
    ],
}


def _user(practice, name: str, document: dict | None) -> boto3.session.Session:
    iam = practice.client("iam")
    iam.create_user(UserName=name)
    if document is not None:
        iam.put_user_policy(UserName=name, PolicyName="scoped", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name="us-east-1"
    )


def _error(call) -> botocore.exceptions.ClientError:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    return caught.value


def test_requests_are_judged_on_the_resource_they_act_on(practice):
    session = _user(practice, "scoped", SCOPED)
    practice.enforce_iam()
    iam = session.client("iam", endpoint_url=practice.endpoint_url)
    assert iam.get_account_summary()["SummaryMap"]
    assert (
        _error(lambda: iam.get_group(GroupName="Allowed")).response["Error"]["Code"] == "NoSuchEntity"
    )  # allowed, then not found
    denied = _error(lambda: iam.get_group(GroupName="Other"))
    assert denied.response["Error"]["Code"] == "AccessDenied"
    assert f"iam:GetGroup on resource: arn:aws:iam::{ACCOUNT}:group/Other" in denied.response["Error"]["Message"]
    # An explicit Deny wins over the Allow on the same group.
    explicit = _error(lambda: iam.create_group(GroupName="Allowed"))
    assert "with an explicit deny" in explicit.response["Error"]["Message"]
    # A condition on the request: iam:AWSServiceName.
    other_service = _error(lambda: iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com"))
    assert other_service.response["Error"]["Code"] == "AccessDenied"
    assert (
        iam.create_service_linked_role(AWSServiceName="cloudhsm.amazonaws.com")["Role"]["RoleName"]
        == "AWSServiceRoleForCloudHSM"
    )
    # Enforcement stops when asked, and a reset turns it off.
    practice.enforce_iam(False)
    assert _error(lambda: iam.get_group(GroupName="Other")).response["Error"]["Code"] == "NoSuchEntity"
    practice.enforce_iam()
    practice.reset("fresh")
    unrestricted = _user(practice, "scoped", None).client("iam", endpoint_url=practice.endpoint_url)
    assert unrestricted.list_users()["Users"]


def test_access_denied_takes_each_protocols_shape(practice):
    """AWS answers AccessDenied as an XML 403 for the query services (iam, sts) and as
    AccessDeniedException JSON for the JSON ones; moto's own enforcement answers XML for all."""
    session = _user(practice, "nobody", None)
    practice.enforce_iam()
    query = _error(lambda: session.client("iam", endpoint_url=practice.endpoint_url).list_users())
    assert (query.response["Error"]["Code"], query.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "AccessDenied",
        403,
    )
    assert query.response["ResponseMetadata"]["HTTPHeaders"]["content-type"].startswith("text/xml")
    for service, call in (
        ("sso-admin", lambda c: c.list_instances()),
        (
            "identitystore",
            lambda c: c.get_user_id(
                IdentityStoreId="d-1234567890",
                AlternateIdentifier={"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": "x"}},
            ),
        ),
        ("organizations", lambda c: c.describe_organization()),
    ):
        client = session.client(service, endpoint_url=practice.endpoint_url)
        error = _error(lambda: call(client))
        assert error.response["Error"]["Code"] == "AccessDeniedException", service
        assert error.response["ResponseMetadata"]["HTTPHeaders"]["content-type"].startswith("application/x-amz-json"), (
            service
        )
        assert (
            f"User: arn:aws:iam::{ACCOUNT}:user/nobody is not authorized to perform"
            in error.response["Error"]["Message"]
        )
    # Who am I needs no permission (AWS answers it whatever the policies say) and names the user.
    assert (
        session.client("sts", endpoint_url=practice.endpoint_url).get_caller_identity()["Arn"]
        == f"arn:aws:iam::{ACCOUNT}:user/nobody"
    )


def test_moto_alone_answers_json_services_with_an_xml_access_denied(monkeypatch):
    """Why the practice account answers AccessDenied itself: moto's own enforcement, in process."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    from moto import mock_aws
    from moto.core.authorization import enable_iam_authentication

    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="nobody")
        key = iam.create_access_key(UserName="nobody")["AccessKey"]
        with enable_iam_authentication():
            sso = boto3.client(
                "sso-admin",
                region_name="us-east-1",
                aws_access_key_id=key["AccessKeyId"],
                aws_secret_access_key=key["SecretAccessKey"],
            )
            error = _error(sso.list_instances)
    # botocore cannot read moto's XML body as JSON: the code is the HTTP status, the XML the message.
    assert error.response["Error"]["Code"] == "403"
    assert "<Code>AccessDenied</Code>" in error.response["Error"]["Message"]


def test_an_unknown_key_or_a_bad_signature_is_refused(practice):
    practice.enforce_iam()
    stranger = boto3.session.Session(
        aws_access_key_id="AKIAUNKNOWN000000000", aws_secret_access_key="x", region_name="us-east-1"
    )
    assert (
        _error(lambda: stranger.client("iam", endpoint_url=practice.endpoint_url).list_users()).response["Error"][
            "Code"
        ]
        == "InvalidClientTokenId"
    )
    assert (
        _error(lambda: stranger.client("sso-admin", endpoint_url=practice.endpoint_url).list_instances()).response[
            "Error"
        ]["Code"]
        == "UnrecognizedClientException"
    )
    forged = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="not-the-secret", region_name="us-east-1"
    )
    assert (
        _error(lambda: forged.client("iam", endpoint_url=practice.endpoint_url).list_users()).response["Error"]["Code"]
        == "SignatureDoesNotMatch"
    )
    # The practice credentials are practice-admin's, who holds AdministratorAccess.
    assert practice.client("iam").list_users()["Users"]


def test_simulate_principal_policy_evaluates_like_enforcement(practice):
    iam = practice.client("iam")
    _user(practice, "scoped", SCOPED)
    iam.create_group(GroupName="readers")
    iam.put_group_policy(
        GroupName="readers",
        PolicyName="read",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:List*", "Resource": "*"}]}
        ),
    )
    iam.add_user_to_group(GroupName="readers", UserName="scoped")
    source = f"arn:aws:iam::{ACCOUNT}:user/scoped"
    result = iam.simulate_principal_policy(
        PolicySourceArn=source,
        ActionNames=["iam:GetGroup", "iam:CreateGroup", "iam:ListUsers"],
        ResourceArns=[f"arn:aws:iam::{ACCOUNT}:group/Allowed", f"arn:aws:iam::{ACCOUNT}:group/Other"],
    )["EvaluationResults"]
    decisions = {(r["EvalActionName"], r["EvalResourceName"].rsplit("/", 1)[-1]): r["EvalDecision"] for r in result}
    assert decisions == {
        ("iam:GetGroup", "Allowed"): "allowed",
        ("iam:GetGroup", "Other"): "implicitDeny",
        ("iam:CreateGroup", "Allowed"): "explicitDeny",
        ("iam:CreateGroup", "Other"): "explicitDeny",
        ("iam:ListUsers", "Allowed"): "allowed",  # from the group's policy
        ("iam:ListUsers", "Other"): "allowed",
    }
    slr = [
        ("iam:CreateServiceLinkedRole", service)
        for service in ("cloudhsm.amazonaws.com", "elasticbeanstalk.amazonaws.com")
    ]
    for (action, service), expected in zip(slr, ("allowed", "implicitDeny"), strict=True):
        (answer,) = iam.simulate_principal_policy(
            PolicySourceArn=source,
            ActionNames=[action],
            ContextEntries=[
                {"ContextKeyName": "iam:AWSServiceName", "ContextKeyValues": [service], "ContextKeyType": "string"}
            ],
        )["EvaluationResults"]
        assert answer["EvalDecision"] == expected, service
    (without_context,) = iam.simulate_principal_policy(
        PolicySourceArn=source, ActionNames=["iam:CreateServiceLinkedRole"]
    )["EvaluationResults"]
    assert without_context["EvalDecision"] == "implicitDeny"
    assert without_context["MissingContextValues"] == ["iam:AWSServiceName"]
    missing = _error(
        lambda: iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/ghost", ActionNames=["iam:ListUsers"]
        )
    )
    assert missing.response["Error"]["Code"] == "NoSuchEntity"
    root = _error(
        lambda: iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:root", ActionNames=["iam:ListUsers"]
        )
    )
    assert root.response["Error"]["Code"] == "InvalidInput"
