"""Helpers shared by the hand-off command tests (report, sso-profile, export, teardown)."""

from __future__ import annotations

from typing import Any

ACCOUNT = "123456789012"


def apply_everything(cli: Any, practice: Any) -> None:
    """Bring the practice account to every step done: apply, the console steps, apply.

    Runs the engine in this process, exactly as `hsm-setup apply --yes` does (same
    state directory, same lock, same saved answers) but without two subprocess
    start-ups and real polling waits: these tests are about what comes after.
    """
    from dataclasses import replace

    from hsm_setup.aws.connection import Connection
    from hsm_setup.session.workspace import open_workspace

    for simulation in ("root-mfa", "root-access-keys"):
        practice.simulate(simulation)
    connection = replace(Connection(region="us-east-1"), **practice.connection_overrides())
    workspace = open_workspace(connection, sleep=lambda seconds: None)
    try:
        state = workspace.load_state()
        with state.locked():
            workspace.set_answers(workspace.answers)
            workspace.engine.apply()
            practice.simulate("enable-identity-center", region="us-east-1")
            report = workspace.engine.apply()
        assert report.all_done, {k: r.status for k, r in report.results.items()}
    finally:
        workspace.close()


def clients(practice: Any) -> dict[str, Any]:
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return {
        name: session.client(name, endpoint_url=practice.endpoint_url)
        for name in ("iam", "sso-admin", "identitystore", "organizations")
    }


def inventory(practice: Any) -> dict[str, Any]:
    """What exists in the practice account, by name."""
    c = clients(practice)
    iam, sso, ids = c["iam"], c["sso-admin"], c["identitystore"]
    instances = sso.list_instances()["Instances"]
    found: dict[str, Any] = {"instances": len(instances)}
    if instances:
        arn, store = instances[0]["InstanceArn"], instances[0]["IdentityStoreId"]
        arns = sso.list_permission_sets(InstanceArn=arn)["PermissionSets"]
        found["permission_sets"] = sorted(
            sso.describe_permission_set(InstanceArn=arn, PermissionSetArn=p)["PermissionSet"]["Name"] for p in arns
        )
        found["assignments"] = sum(
            len(
                sso.list_account_assignments(InstanceArn=arn, AccountId=ACCOUNT, PermissionSetArn=p)[
                    "AccountAssignments"
                ]
            )
            for p in arns
        )
        groups = ids.list_groups(IdentityStoreId=store)["Groups"]
        found["groups"] = sorted(g["DisplayName"] for g in groups)
        found["memberships"] = sum(
            len(ids.list_group_memberships(IdentityStoreId=store, GroupId=g["GroupId"])["GroupMemberships"])
            for g in groups
        )
        found["users"] = sorted(u["UserName"] for u in ids.list_users(IdentityStoreId=store)["Users"])
    found["iam_groups"] = sorted(g["GroupName"] for g in iam.list_groups()["Groups"])
    found["policies"] = sorted(p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"])
    found["roles"] = sorted(r["RoleName"] for r in iam.list_roles()["Roles"])
    try:
        found["organization"] = c["organizations"].describe_organization()["Organization"]["Id"]
    except Exception:
        found["organization"] = None
    return found
