"""Reliability fixtures: the practice account's server, a fault proxy in front of it,
and the real program run as a subprocess through that proxy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .fault_proxy import FaultProxy

ACCOUNT = "123456789012"
RUN_FAST = str(Path(__file__).with_name("run_fast.py"))

# Answers that differ from the defaults, so a run that lost them would show it.
ANSWERS_TOML = """\
region = "us-east-1"
[admin]
user_name = "hsm.operator"
given_name = "Hsm"
family_name = "Operator"
email = "hsm.operator@example.com"
[cloudhsm]
members = ["hsm.operator"]
iam_group = "HsmOperators"
iam_members = ["hsm.auditor"]
"""
# What a finished apply of ANSWERS_TOML on `ready_account` leaves, counted the way a duplicate would show.
EXPECTED_INVENTORY = {
    "users": ["hsm.operator"],
    # The administrators group (admin.group) and the CloudHSM group, each with the administrator in it.
    "groups": ["Administrators", "CloudHSMAdmins"],
    "memberships": 2,
    "permission_sets": ["AdministratorAccess", "CloudHSMAdmins"],
    "permission_set_policies": {"AdministratorAccess": 1, "CloudHSMAdmins": 0},
    "inline_policies": {"AdministratorAccess": False, "CloudHSMAdmins": True},
    "assignments": 2,
    "iam_groups": ["HsmOperators"],
    "iam_group_members": ["hsm.auditor"],
    "iam_group_policies": 1,
    "customer_policies": ["CloudHSMAdminPolicy"],
    "policy_versions": 2,  # the drifted v1 and the expected v2
    "service_linked_roles": 1,
}


def make_ready(practice) -> None:
    """Console steps done, Identity Center enabled, a drifted policy and an IAM user to add:
    a full apply from here makes every kind of change the tool can make."""
    from hsm_setup.sandbox.scenarios import DRIFTED_POLICY

    practice.reset("fresh")
    practice.simulate("root-mfa")
    practice.simulate("root-access-keys")
    practice.client("organizations").create_organization(FeatureSet="ALL")
    practice.simulate("enable-identity-center", region="us-east-1")
    iam = practice.client("iam")
    iam.create_policy(PolicyName="CloudHSMAdminPolicy", PolicyDocument=json.dumps(DRIFTED_POLICY))
    iam.create_user(UserName="hsm.auditor")


@pytest.fixture
def ready_account(practice):
    make_ready(practice)
    return practice


@pytest.fixture
def proxy(_server) -> Iterator[FaultProxy]:
    proxy = FaultProxy(_server.endpoint_url)
    yield proxy
    proxy.close()


@pytest.fixture
def answers_path(tmp_path) -> str:
    path = tmp_path / "answers.toml"
    path.write_text(ANSWERS_TOML, encoding="utf-8")
    return str(path)


class Program:
    """`hsm-setup` as a subprocess, through the proxy, with its own state directory."""

    def __init__(self, endpoint_url: str, tmp_path: Path) -> None:
        self.endpoint_url = endpoint_url
        self.tmp_path = tmp_path
        self.state_dir = tmp_path / "state"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HSM_SETUP_"))}
        env.update(
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION="us-east-1",
            AWS_EC2_METADATA_DISABLED="true",
            AWS_CONFIG_FILE=str(self.tmp_path / "aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.tmp_path / "aws-credentials"),
            AWS_ENDPOINT_URL=self.endpoint_url,
            HSM_SETUP_STATE_DIR=str(self.state_dir),
        )
        env.update(extra)
        return env

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, RUN_FAST, *args]

    def popen(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=self.env(**env),
        )

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args), capture_output=True, text=True, stdin=subprocess.DEVNULL, env=self.env(**env), timeout=120
        )

    def saved_state(self) -> dict[str, Any]:
        return json.loads((self.state_dir / ACCOUNT / "state.json").read_text(encoding="utf-8"))


@pytest.fixture
def program(proxy, tmp_path) -> Program:
    return Program(proxy.url, tmp_path)


def inventory(practice) -> dict[str, Any]:
    """Everything the tool can create, counted so that a duplicate would show."""
    iam = practice.client("iam")
    sso = practice.client("sso-admin")
    ids = practice.client("identitystore")
    (instance,) = sso.list_instances()["Instances"]
    arn, store = instance["InstanceArn"], instance["IdentityStoreId"]
    sets = sso.list_permission_sets(InstanceArn=arn)["PermissionSets"]
    names: dict[str, str] = {
        p: sso.describe_permission_set(InstanceArn=arn, PermissionSetArn=p)["PermissionSet"]["Name"] for p in sets
    }
    assignments = []
    for p in sets:
        assignments += sso.list_account_assignments(InstanceArn=arn, AccountId=ACCOUNT, PermissionSetArn=p)[
            "AccountAssignments"
        ]
    groups = ids.list_groups(IdentityStoreId=store)["Groups"]
    memberships = sum(
        len(ids.list_group_memberships(IdentityStoreId=store, GroupId=g["GroupId"])["GroupMemberships"]) for g in groups
    )
    iam_groups = iam.list_groups()["Groups"]
    customer = iam.list_policies(Scope="Local")["Policies"]
    policy_arn = f"arn:aws:iam::{ACCOUNT}:policy/CloudHSMAdminPolicy"
    members: list[str] = []
    attached = 0
    for group in iam_groups:
        members += [u["UserName"] for u in iam.get_group(GroupName=group["GroupName"])["Users"]]
        attached += len(iam.list_attached_group_policies(GroupName=group["GroupName"])["AttachedPolicies"])
    roles = [r for r in iam.list_roles(PathPrefix="/aws-service-role/")["Roles"] if "cloudhsm" in r["Arn"].lower()]
    return {
        "users": sorted(u["UserName"] for u in ids.list_users(IdentityStoreId=store)["Users"]),
        "groups": sorted(g["DisplayName"] for g in groups),
        "memberships": memberships,
        "permission_sets": sorted(names.values()),
        "permission_set_policies": {
            names[p]: len(
                sso.list_managed_policies_in_permission_set(InstanceArn=arn, PermissionSetArn=p)[
                    "AttachedManagedPolicies"
                ]
            )
            for p in sets
        },
        "inline_policies": {
            names[p]: bool(
                sso.get_inline_policy_for_permission_set(InstanceArn=arn, PermissionSetArn=p).get("InlinePolicy")
            )
            for p in sets
        },
        "assignments": len(assignments),
        "iam_groups": sorted(g["GroupName"] for g in iam_groups),
        "iam_group_members": sorted(members),
        "iam_group_policies": attached,
        "customer_policies": sorted(p["PolicyName"] for p in customer),
        "policy_versions": len(iam.list_policy_versions(PolicyArn=policy_arn)["Versions"]),
        "service_linked_roles": len(roles),
    }
