"""Helpers shared by the hand-off command tests (report, sso-profile, export, teardown)."""

from __future__ import annotations

from typing import Any

ACCOUNT = "123456789012"


def apply_everything(cli: Any, practice: Any) -> None:
    """Bring the practice account to every step done, the way a person would: apply, console steps, apply."""
    for simulation in ("root-mfa", "root-access-keys"):
        practice.simulate(simulation)
    cli("apply", "--yes")
    practice.simulate("enable-identity-center", region="us-east-1")
    done = cli("apply", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr


def clients(practice: Any) -> dict[str, Any]:
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    return {name: session.client(name, endpoint_url=practice.endpoint_url) for name in ("iam", "sso-admin", "identitystore", "organizations")}


def inventory(practice: Any) -> dict[str, Any]:
    """What exists in the practice account, by name."""
    c = clients(practice)
    iam, sso, ids = c["iam"], c["sso-admin"], c["identitystore"]
    instances = sso.list_instances()["Instances"]
    found: dict[str, Any] = {"instances": len(instances)}
    if instances:
        arn, store = instances[0]["InstanceArn"], instances[0]["IdentityStoreId"]
        arns = sso.list_permission_sets(InstanceArn=arn)["PermissionSets"]
        found["permission_sets"] = sorted(sso.describe_permission_set(InstanceArn=arn, PermissionSetArn=p)["PermissionSet"]["Name"] for p in arns)
        found["assignments"] = sum(
            len(sso.list_account_assignments(InstanceArn=arn, AccountId=ACCOUNT, PermissionSetArn=p)["AccountAssignments"]) for p in arns
        )
        groups = ids.list_groups(IdentityStoreId=store)["Groups"]
        found["groups"] = sorted(g["DisplayName"] for g in groups)
        found["memberships"] = sum(len(ids.list_group_memberships(IdentityStoreId=store, GroupId=g["GroupId"])["GroupMemberships"]) for g in groups)
        found["users"] = sorted(u["UserName"] for u in ids.list_users(IdentityStoreId=store)["Users"])
    found["iam_groups"] = sorted(g["GroupName"] for g in iam.list_groups()["Groups"])
    found["policies"] = sorted(p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"])
    found["roles"] = sorted(r["RoleName"] for r in iam.list_roles()["Roles"])
    try:
        found["organization"] = c["organizations"].describe_organization()["Organization"]["Id"]
    except Exception:
        found["organization"] = None
    return found
