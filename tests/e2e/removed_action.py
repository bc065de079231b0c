"""With one action of the printed apply policy taken away, apply names it before any change.

Shared by two test modules (each takes half of the actions) so that xdist, which hands out
whole files, runs them side by side. Every action of the policy is covered: an action
added to a step's declarations without a set-up here fails `test_every_action_has_a_set_up`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from hsm_setup.answers.values import defaults
from hsm_setup.sandbox.scenarios import DRIFTED_POLICY
from hsm_setup.steps import permissions

from .conftest import ADMIN_TOML
from .enforced import Operator, answers_of, printed_policy, without

# Over HTTP the practice server counts as a real account: the administrator is named, never made up.
IC = 'region = "us-east-1"\n' + ADMIN_TOML
IAM = 'region = "us-east-1"\n[admin]\nmode = "iam"\nuser_name = "ops.admin"\n'
READY = 'region = "us-east-1"\n' + ADMIN_TOML + '[cloudhsm]\niam_members = ["hsm.auditor"]\n'


def fresh(op: Operator) -> str:
    op.practice.reset("fresh")
    return IC


def partial(op: Operator) -> str:
    op.practice.reset("partial")
    return IC


def iam_fresh(op: Operator) -> str:
    op.practice.reset("fresh")
    return IAM


def ready(op: Operator) -> str:
    """Identity Center enabled, nothing else of it made: the administrator is created here."""
    practice = op.practice
    practice.reset("fresh")
    practice.client("organizations").create_organization(FeatureSet="ALL")
    practice.simulate("enable-identity-center", region="us-east-1")
    practice.client("iam").create_user(UserName="hsm.auditor")
    return READY


def full_policy_versions(op: Operator) -> str:
    """The drifted policy already has IAM's five versions: the oldest must go first."""
    op.practice.reset("partial")
    iam = op.practice.client("iam")
    arn = "arn:aws:iam::123456789012:policy/CloudHSMAdminPolicy"
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DRIFTED_POLICY), SetAsDefault=False)
    return IC


def unshown_password(op: Operator) -> str:
    """A run without a terminal set the administrator's password and never showed it: apply resets it."""
    op.practice.reset("fresh")
    config = op.config(IAM)
    first = op.run("apply", "--yes", "--config", config, as_admin=True)
    assert "never showed" in op.run("check", "--config", config, as_admin=True).out, first.out
    return IAM


def provisioned_then_drifted(op: Operator) -> str:
    """Everything done, then the CloudHSM permission set's inline policy drifts: put it and provision again."""
    practice = op.practice
    practice.reset("complete")
    sso = practice.client("sso-admin")
    (instance,) = sso.list_instances()["Instances"]
    arn = instance["InstanceArn"]
    for ps in sso.list_permission_sets(InstanceArn=arn)["PermissionSets"]:
        if (
            sso.describe_permission_set(InstanceArn=arn, PermissionSetArn=ps)["PermissionSet"]["Name"]
            == "CloudHSMAdmins"
        ):
            sso.put_inline_policy_to_permission_set(
                InstanceArn=arn, PermissionSetArn=ps, InlinePolicy=json.dumps(DRIFTED_POLICY)
            )
    return IC


SET_UPS: dict[str, Callable[[Operator], str]] = {
    f.__name__: f
    for f in (fresh, partial, iam_fresh, ready, full_policy_versions, unshown_password, provisioned_then_drifted)
}
# Where an action is first needed; the rest of the Identity Center policy is needed on the partial account.
SPECIAL = {
    "organizations:CreateOrganization": "fresh",
    "iam:CreatePolicy": "fresh",
    "iam:TagPolicy": "fresh",
    # With Identity Center no IAM user joins a group unless cloudhsm.iam_members names one.
    "iam:AddUserToGroup": "ready",
    "identitystore:CreateUser": "ready",
    "iam:DeletePolicyVersion": "full_policy_versions",
    "iam:UpdateLoginProfile": "unshown_password",
    "sso:ProvisionPermissionSet": "provisioned_then_drifted",
    "sso:ListAccountsForProvisionedPermissionSet": "provisioned_then_drifted",
    "sso:DescribePermissionSetProvisioningStatus": "provisioned_then_drifted",
}
# AWS answers sts:GetCallerIdentity whatever the policy says: taking it away changes nothing.
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}


def _actions(config: str) -> set[str]:
    return {a for s in printed_policy(answers_of(config))["Statement"] for a in s["Action"]}


IC_ACTIONS = _actions(IC)
IAM_ACTIONS = _actions(IAM)
ALL_ACTIONS = sorted((IC_ACTIONS | IAM_ACTIONS) - NEEDS_NO_PERMISSION)


def set_up_for(action: str) -> str:
    if action in SPECIAL:
        return SPECIAL[action]
    return "partial" if action in IC_ACTIONS else "iam_fresh"


def half(which: int) -> list[str]:
    return ALL_ACTIONS[which::2]


def apply_without(op: Operator, action: str) -> None:
    """Take `action` out of the printed policy, apply as the user holding the rest, and check what happened."""
    config_text = SET_UPS[set_up_for(action)](op)
    config = op.config(config_text)
    op.holding(without(printed_policy(answers_of(config_text)), action))
    op.practice.enforce_iam()
    run = op.run("apply", "--yes", "--config", config)

    if action == "iam:SimulatePrincipalPolicy":
        # A caller that may not simulate gets one line, and apply goes ahead as it did before.
        notice = [line for line in run.err.splitlines() if line.startswith("Pre-flight skipped")]
        assert len(notice) == 1 and "iam:SimulatePrincipalPolicy" in notice[0], run.err
        assert run.changes, "apply should have gone ahead"
        return
    assert run.code == 2, f"apply went ahead without {action}:\n{run.out}\n{run.err}"
    assert run.changes == [], f"changes reached the account before the pre-flight stopped apply: {run.changes}"
    listed = [line for line in run.err.splitlines() if line.startswith(f"  - {action} on ")]
    assert listed, f"{action} is not named:\n{run.err}"
    assert "nothing was changed" in run.err
    # The statements offered grant exactly what is missing.
    offered = json.loads(run.err[run.err.index("[\n") :])
    assert {a for s in offered for a in s["Action"]} == {action}


def every_action_has_a_set_up() -> None:
    assert set(SPECIAL.values()) <= set(SET_UPS)
    declared = {a for a in permissions.all_actions()} - NEEDS_NO_PERMISSION
    assert set(ALL_ACTIONS) == declared
    assert set(ALL_ACTIONS) == set(half(0)) | set(half(1))
    assert defaults()["admin.mode"] == "identity-center"
