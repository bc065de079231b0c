"""Each kind hsm-setup creates, declared once: recorded by a step, planned by teardown, shown as AWS CLI.

Every kind in resources.kinds.KINDS has a sample here (a test fails when a kind is
added without one): the record goes through the step context into the saved state,
comes back from the state file as the same typed record, and teardown plans its
undoing as the exact AWS CLI commands. Against moto, the IAM kinds are found, undone,
and then no longer found; undoing again says "already gone".
"""

from __future__ import annotations

import json
from concurrent.futures import Future

import pytest

from hsm_setup.answers.values import defaults
from hsm_setup.handoff.teardown import plan_teardown, plan_text, run_teardown
from hsm_setup.resources.base import Record
from hsm_setup.resources.iam_groups import IamGroup, IamGroupMember, IamGroupPolicy
from hsm_setup.resources.iam_policies import IamPolicy, IamPolicyVersion
from hsm_setup.resources.iam_users import IamLoginProfile, IamUser
from hsm_setup.resources.identity_store import GroupMembership, IdentityCenterGroup, IdentityCenterUser
from hsm_setup.resources.kinds import KINDS, record_from_note
from hsm_setup.resources.organization import Organization
from hsm_setup.resources.permission_sets import (
    AccountAssignment,
    AccountAssignments,
    PermissionSet,
    PermissionSetInlinePolicy,
    PermissionSetManagedPolicy,
    PermissionSetReplacedInlinePolicy,
)
from hsm_setup.resources.service_linked_role import ServiceLinkedRole
from hsm_setup.state.account import AccountState
from hsm_setup.steps.context import StepContext

ACCOUNT = "123456789012"
INSTANCE = "arn:aws:sso:::instance/ssoins-1"
PS = "arn:aws:sso:::permissionSet/ssoins-1/ps-1"
POLICY = f"arn:aws:iam::{ACCOUNT}:policy/CloudHSMAdminPolicy"
IC = {"instance_arn": INSTANCE, "region": "eu-west-1"}
STORE = {"identity_store_id": "d-1", "region": "eu-west-1"}
SSO = "aws sso-admin {} --region eu-west-1 --instance-arn arn:aws:sso:::instance/ssoins-1"
IDS = "aws identitystore {} --region eu-west-1 --identity-store-id d-1"

# (record, the teardown plan's words, its AWS CLI commands)
SAMPLES: list[tuple[Record, str, list[str]]] = [
    (
        AccountAssignment(
            permission_set_arn=PS,
            principal_type="GROUP",
            principal_id="g-1",
            account_id=ACCOUNT,
            label="CloudHSMAdmins to the group CloudHSMAdmins",
            **IC,
        ),
        f"Remove the account assignment CloudHSMAdmins to the group CloudHSMAdmins on account {ACCOUNT}",
        [
            SSO.format("delete-account-assignment")
            + f" --target-id {ACCOUNT} --target-type AWS_ACCOUNT --permission-set-arn {PS} --principal-type GROUP --principal-id g-1"
        ],
    ),
    (
        AccountAssignments(
            permission_set_arn=PS,
            principal_type="GROUP",
            principal_id="g-1",
            accounts="200000000001,200000000002",
            label="CloudHSMAdmins to the group CloudHSMAdmins",
            **IC,
        ),
        "Remove the account assignments CloudHSMAdmins to the group CloudHSMAdmins on 2 account(s): 200000000001, 200000000002",
        [
            SSO.format("delete-account-assignment")
            + f" --target-id {account} --target-type AWS_ACCOUNT --permission-set-arn {PS} --principal-type GROUP --principal-id g-1"
            for account in ("200000000001", "200000000002")
        ],
    ),
    (
        GroupMembership(membership_id="m-1", group="CloudHSMAdmins", group_id="g-1", user="ops.admin", **STORE),
        "Remove ops.admin from the Identity Center group CloudHSMAdmins",
        [IDS.format("delete-group-membership") + " --membership-id m-1"],
    ),
    (
        IamGroupMember(group="CloudHSMAdmins", user="alice"),
        "Remove IAM user alice from the IAM group CloudHSMAdmins",
        ["aws iam remove-user-from-group --group-name CloudHSMAdmins --user-name alice"],
    ),
    (
        IamGroupPolicy(group="CloudHSMAdmins", policy_arn=POLICY),
        f"Detach {POLICY} from the IAM group CloudHSMAdmins",
        [f"aws iam detach-group-policy --group-name CloudHSMAdmins --policy-arn {POLICY}"],
    ),
    (
        IdentityCenterGroup(group_id="g-1", name="CloudHSMAdmins", **STORE),
        "Delete the Identity Center group CloudHSMAdmins",
        [IDS.format("delete-group") + " --group-id g-1"],
    ),
    (
        IamGroup(name="CloudHSMAdmins", arn=f"arn:aws:iam::{ACCOUNT}:group/CloudHSMAdmins"),
        "Delete the IAM group CloudHSMAdmins (removing any member or policy still in it: IAM requires it)",
        ["aws iam delete-group --group-name CloudHSMAdmins"],
    ),
    (
        PermissionSetManagedPolicy(
            permission_set_arn=PS, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess", **IC
        ),
        f"Detach arn:aws:iam::aws:policy/AdministratorAccess from the permission set {PS}",
        [
            SSO.format("detach-managed-policy-from-permission-set")
            + f" --permission-set-arn {PS} --managed-policy-arn arn:aws:iam::aws:policy/AdministratorAccess"
        ],
    ),
    (
        PermissionSetInlinePolicy(permission_set_arn=PS, **IC),
        f"Delete the inline policy hsm-setup put in the permission set {PS}",
        [SSO.format("delete-inline-policy-from-permission-set") + f" --permission-set-arn {PS}"],
    ),
    (
        PermissionSetReplacedInlinePolicy(permission_set_arn=PS, previous_policy='{"Version":"2012-10-17"}', **IC),
        f"Put back the inline policy the permission set {PS} had before hsm-setup replaced it, "
        "and provision it again where it is provisioned",
        [
            SSO.format("put-inline-policy-to-permission-set")
            + f' --permission-set-arn {PS} --inline-policy \'{{"Version":"2012-10-17"}}\'',
            SSO.format("provision-permission-set")
            + f" --permission-set-arn {PS} --target-type ALL_PROVISIONED_ACCOUNTS",
        ],
    ),
    (
        PermissionSet(arn=PS, name="CloudHSMAdmins", **IC),
        "Delete the permission set CloudHSMAdmins",
        [SSO.format("delete-permission-set") + f" --permission-set-arn {PS}"],
    ),
    (
        IamPolicyVersion(policy_arn=POLICY, version="v2", previous_default="v1"),
        f"Give {POLICY} back its default version v1 and delete version v2",
        [
            f"aws iam set-default-policy-version --policy-arn {POLICY} --version-id v1",
            f"aws iam delete-policy-version --policy-arn {POLICY} --version-id v2",
        ],
    ),
    (
        IamPolicy(arn=POLICY, name="CloudHSMAdminPolicy"),
        "Delete the customer managed policy CloudHSMAdminPolicy and its older versions",
        [f"aws iam delete-policy --policy-arn {POLICY}"],
    ),
    (
        IamLoginProfile(user="ops.admin"),
        "Delete the console password of the IAM user ops.admin",
        ["aws iam delete-login-profile --user-name ops.admin"],
    ),
    (
        IamUser(name="ops.admin", arn=f"arn:aws:iam::{ACCOUNT}:user/ops.admin"),
        "Delete the IAM user ops.admin",
        ["aws iam delete-user --user-name ops.admin"],
    ),
    (
        IdentityCenterUser(user_id="u-1", name="ops.admin", **STORE),
        "Delete the Identity Center user ops.admin",
        [IDS.format("delete-user") + " --user-id u-1"],
    ),
    (
        ServiceLinkedRole(
            name="AWSServiceRoleForCloudHSM",
            arn=f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/cloudhsm.amazonaws.com/AWSServiceRoleForCloudHSM",
        ),
        "Delete the service-linked role AWSServiceRoleForCloudHSM (AWS refuses while a CloudHSM cluster exists)",
        ["aws iam delete-service-linked-role --role-name AWSServiceRoleForCloudHSM"],
    ),
]


def context(state: AccountState) -> StepContext:
    return StepContext(aws=None, answers=defaults(), identity_future=Future(), state=state)  # type: ignore[arg-type]


def test_every_kind_has_a_sample_in_teardown_order():
    assert [type(record) for record, _, _ in SAMPLES] == [kind for kind in KINDS if not kind.left_to_a_person]


def test_an_organization_hsm_setup_created_is_listed_as_left_to_a_person(tmp_path):
    state = AccountState(ACCOUNT, root=tmp_path)
    context(state).record_created(Organization(organization_id="o-abc123"))
    plan = plan_teardown(state, include_service_linked_role=True)
    assert plan.empty
    (kept,) = plan.kept
    assert kept.startswith("The organization o-abc123: only a person can delete an organization")
    assert "orgs_manage_org_delete.html" in kept


@pytest.mark.parametrize(("record", "summary", "commands"), SAMPLES, ids=[r.kind for r, _, _ in SAMPLES])
def test_a_record_round_trips_through_the_state_into_its_teardown_commands(tmp_path, record, summary, commands):
    state = AccountState(ACCOUNT, root=tmp_path)
    context(state).record_created(record)

    # What the state file holds is the format hsm-setup has always written: kind, id, time and the record's fields.
    (note,) = json.loads(state.path.read_text())["created"]
    assert note["kind"] == record.kind and note["id"] == record.ident and "time" in note
    assert record_from_note(note) == record

    plan = plan_teardown(AccountState(ACCOUNT, root=tmp_path), include_service_linked_role=True)
    (removal,) = plan.removals
    assert removal.record == record
    assert plan_text(plan).splitlines() == [f"# {summary}", *commands]


def test_the_service_linked_role_is_kept_unless_asked(tmp_path):
    state = AccountState(ACCOUNT, root=tmp_path)
    context(state).record_created(ServiceLinkedRole(name="AWSServiceRoleForCloudHSM"))
    plan = plan_teardown(state)
    assert plan.empty
    assert plan_text(plan).splitlines()[-1] == (
        "# Kept: The service-linked role AWSServiceRoleForCloudHSM "
        "(AWS keeps it while clusters exist; add --include-service-linked-role to remove it)."
    )


def test_parts_go_with_their_parent_and_a_changed_policy_is_restored_on_its_own(tmp_path):
    state = AccountState(ACCOUNT, root=tmp_path)
    ctx = context(state)
    ctx.record_created(PermissionSet(arn=PS, name="CloudHSMAdmins", **IC))
    ctx.record_created(PermissionSetInlinePolicy(permission_set_arn=PS, **IC))
    # A version of a policy hsm-setup adopted (no IamPolicy record): undone on its own, by restoring the old default.
    ctx.record_created(IamPolicyVersion(policy_arn=POLICY, version="v2", previous_default="v1"))
    plan = plan_teardown(state)
    assert [(r.kind, [c.kind for c in r.covers]) for r in plan.removals] == [
        ("permission-set", ["permission-set-inline-policy"]),
        ("iam-policy-version", []),
    ]
    assert plan.removals[1].record.undoes == "changed"


# -- against moto: found, undone, gone ---------------------------------------------------------
def test_iam_kinds_are_found_undone_and_then_gone(aws, tmp_path):
    iam = aws.client("iam")
    iam.create_group(GroupName="CloudHSMAdmins")
    iam.create_user(UserName="alice")
    iam.add_user_to_group(GroupName="CloudHSMAdmins", UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Not-a-real-1-password!", PasswordResetRequired=True)
    arn = iam.create_policy(
        PolicyName="CloudHSMAdminPolicy",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "cloudhsm:Describe*", "Resource": "*"}],
            }
        ),
        Tags=[{"Key": "managed-by", "Value": "hsm-setup"}],
    )["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="CloudHSMAdmins", PolicyArn=arn)
    records: list[Record] = [
        IamGroupMember(group="CloudHSMAdmins", user="alice"),
        IamGroupPolicy(group="CloudHSMAdmins", policy_arn=arn),
        IamGroup(name="CloudHSMAdmins"),
        IamPolicy(arn=arn, name="CloudHSMAdminPolicy"),
        IamLoginProfile(user="alice"),
        IamUser(name="alice"),
    ]
    assert [r.exists(aws) for r in records] == [True] * len(records)

    state = AccountState(ACCOUNT, root=tmp_path)
    for record in records:
        context(state).record_created(record)
    report = run_teardown(aws, state, plan_teardown(state), sleep=lambda _: None)
    assert report.ok, [str(p) for _, p in report.failed]
    assert [r.exists(aws) for r in records] == [False] * len(records)
    assert state.created() == []
    assert {record.undo(aws, lambda _: None) for record in records} == {"already gone"}
