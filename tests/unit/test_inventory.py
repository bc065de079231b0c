"""What exists, from typed facts: the rows the report's "What exists" and the summary's list show."""

from __future__ import annotations

from types import SimpleNamespace

from hsm_setup.handoff.inventory import inventory
from hsm_setup.identity_center.reads import PermissionSetInfo
from hsm_setup.model import Status, StepFacts, StepResult
from hsm_setup.resources.iam_groups import IamGroup
from hsm_setup.resources.iam_users import IamUser
from hsm_setup.resources.permission_sets import PermissionSet
from hsm_setup.state.account import AccountState
from hsm_setup.steps.admin_user import AdminUserFacts
from hsm_setup.steps.admin_user_iam import IamAdminFacts
from hsm_setup.steps.cloudhsm_group import CloudHsmGroupFacts, GroupFound, PolicyFound
from hsm_setup.steps.permission_sets import Member, PermissionSetsFacts
from hsm_setup.steps.registry import STEPS
from hsm_setup.steps.service_linked_role import ServiceLinkedRoleFacts
from hsm_setup_screens.summary import created_items
from tests.unit.facts_helpers import ACCOUNT, INSTANCE_ARN, identity_center, identity_center_facts

ADMIN_SET = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-admin"
HSM_SET = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-hsm"
GROUP_ARN = f"arn:aws:iam::{ACCOUNT}:group/CloudHSMAdmins"
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/CloudHSMAdminPolicy"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/cloudhsm.amazonaws.com/AWSServiceRoleForCloudHSM"


def done(step_id: str, facts: StepFacts) -> StepResult[StepFacts]:
    return StepResult(step_id, Status.DONE, facts=facts)


def identity_center_results() -> dict[str, StepResult[StepFacts]]:
    ic = identity_center()
    return {
        "root-user": StepResult("root-user", Status.DONE),
        "identity-center": done("identity-center", identity_center_facts()),
        "admin-user": done(
            "admin-user",
            AdminUserFacts(
                ic,
                ACCOUNT,
                "ops.admin",
                "AdministratorAccess",
                "u-1",
                PermissionSetInfo(ADMIN_SET, "AdministratorAccess"),
                True,
                None,
                (),
                group_name="Administrators",
                group_id="g-admins",
            ),
        ),
        "permission-sets": done(
            "permission-sets",
            PermissionSetsFacts(
                ic,
                ACCOUNT,
                "CloudHSMAdmins",
                "CloudHSMAdmins",
                "g-1",
                (Member("ops.admin", "u-1", True),),
                PermissionSetInfo(HSM_SET, "CloudHSMAdmins"),
                True,
                None,
                (),
            ),
        ),
        "cloudhsm-group": done(
            "cloudhsm-group",
            CloudHsmGroupFacts(
                "CloudHSMAdmins",
                GroupFound(GROUP_ARN, ()),
                (POLICY_ARN,),
                "CloudHSMAdminPolicy",
                PolicyFound(POLICY_ARN, "v1"),
                (),
                (),
            ),
        ),
        "service-linked-role": done(
            "service-linked-role", ServiceLinkedRoleFacts(ROLE_ARN, frozenset({"cloudhsm.amazonaws.com"}))
        ),
    }


def test_every_named_thing_is_a_row_in_step_order_marked_when_hsm_setup_made_it(tmp_path):
    state = AccountState(ACCOUNT, root=tmp_path)
    for record in (
        PermissionSet(arn=HSM_SET, name="CloudHSMAdmins", instance_arn=INSTANCE_ARN, region="us-east-1"),
        IamGroup(name="CloudHSMAdmins"),
    ):
        state.record_created(record.kind, record.ident, **record.details())
    rows = inventory(identity_center_results(), state)
    assert [(r.what, r.name, r.identifier, r.created_by_hsm_setup) for r in rows] == [
        ("IAM Identity Center instance", "us-east-1 (ORGANIZATION instance)", INSTANCE_ARN, False),
        ("Identity store", "d-1234567890", "d-1234567890", False),
        ("Access portal", "sign-in URL", "https://d-1234567890.awsapps.com/start", False),
        ("Identity Center user", "ops.admin", "u-1", False),
        ("Identity Center group", "Administrators", "g-admins", False),
        ("Permission set", "AdministratorAccess", ADMIN_SET, False),
        ("Permission set", "CloudHSMAdmins", HSM_SET, True),
        ("Identity Center group", "CloudHSMAdmins", "g-1", False),
        ("IAM group", "CloudHSMAdmins", GROUP_ARN, True),
        ("Customer managed policy", "CloudHSMAdminPolicy", POLICY_ARN, False),
        ("Service-linked role", "AWSServiceRoleForCloudHSM", ROLE_ARN, False),
    ]


def test_made_by_hsm_setup_is_told_by_kind_not_by_a_name_that_happens_to_match(tmp_path):
    # hsm-setup made an IAM user ops.admin; the Identity Center user of the same name was there before.
    state = AccountState(ACCOUNT, root=tmp_path)
    state.record_created("iam-user", "ops.admin", arn=f"arn:aws:iam::{ACCOUNT}:user/ops.admin")
    rows = {r.what: r for r in inventory(identity_center_results(), state)}
    assert rows["Identity Center user"].created_by_hsm_setup is False


def test_in_iam_mode_the_administrators_iam_group_and_user_are_rows(tmp_path):
    state = AccountState(ACCOUNT, root=tmp_path)
    user = IamUser(name="ops.admin", arn=f"arn:aws:iam::{ACCOUNT}:user/ops.admin")
    state.record_created(user.kind, user.ident, **user.details())
    facts = IamAdminFacts(
        ACCOUNT,
        "Administrators",
        f"arn:aws:iam::{ACCOUNT}:group/Administrators",
        (),
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "ops.admin",
        user.arn,
        (),
        None,
        False,
        (),
        None,
        "https://example.signin.aws.amazon.com/console",
    )
    rows = inventory(
        {"identity-center": StepResult("identity-center", Status.SKIPPED), "admin-user": done("admin-user", facts)},
        state,
    )
    assert [(r.what, r.name, r.created_by_hsm_setup) for r in rows] == [
        ("IAM group", "Administrators", False),
        ("IAM user", "ops.admin", True),
    ]


def test_nothing_found_is_no_rows():
    blocked = {s.id: StepResult(s.id, Status.BLOCKED) for s in STEPS}
    assert inventory(blocked, None) == []


def test_the_summary_lists_the_inventory_without_the_portal_which_has_its_own_section():
    results = identity_center_results()
    view = SimpleNamespace(
        steps=tuple(SimpleNamespace(id=s.id, title=s.title, result=results.get(s.id)) for s in STEPS)
    )
    items = created_items(view)
    assert ("Least-privilege permission sets and groups", "Permission set", f"CloudHSMAdmins ({HSM_SET})") in items
    assert ("IAM Identity Center enabled", "Identity store", "d-1234567890") in items
    assert not any(what == "Access portal" for _, what, _ in items)
    assert len(items) == 10  # with the administrators group
