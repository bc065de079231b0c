"""Each step's judgement on hand-made facts: no AWS, no moto, one case a finding.

The judgement is a pure function of the facts a read returned and the answers, so
every wording and every status can be pinned here without building an account.
"""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from hsm_setup.answers.values import Answers
from hsm_setup.identity_center.reads import AssignmentRequest, PermissionSetInfo
from hsm_setup.model import Finding, Status, Verdict
from hsm_setup.steps import (
    admin_user,
    admin_user_iam,
    cloudhsm_group,
    identity_center,
    permission_sets,
    policies,
    root_user,
    service_linked_role,
)
from hsm_setup.steps.admin_user import AdminMember, AdminUserFacts
from hsm_setup.steps.admin_user_iam import IamAdminFacts, LoginProfile
from hsm_setup.steps.cloudhsm_group import CloudHsmGroupFacts, GroupFound, PolicyFound
from hsm_setup.steps.identity_center import ACCOUNT_INSTANCE_WHY, Organization
from hsm_setup.steps.permission_sets import Member, PermissionSetsFacts
from hsm_setup.steps.policies import ADMINISTRATOR_ACCESS_ARN
from hsm_setup.steps.root_user import CredentialReport, ReadProblem, RootReportRow, RootUserFacts
from hsm_setup.steps.service_linked_role import ServiceLinkedRoleFacts
from tests.unit.facts_helpers import ACCOUNT, NOW, identity_center_facts
from tests.unit.facts_helpers import identity_center as an_identity_center

# The practice account's answers: the administrator has its practice name (ops.admin) there.
ANSWERS = Answers({}, practice=True)
PS_ARN = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-1"
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/CloudHSMAdminPolicy"


def one(verdict: Verdict, text: str) -> Finding:
    """The one finding whose message holds `text`."""
    found = [f for f in verdict.findings if text in f.message]
    assert len(found) == 1, [f.message for f in verdict.findings]
    return found[0]


# -- root-user ----------------------------------------------------------------------------
def root(**changes: object) -> RootUserFacts:
    base = RootUserFacts(
        mfa_count=1,
        access_keys=0,
        caller_arn=f"arn:aws:iam::{ACCOUNT}:user/admin",
        caller_is_root=False,
        read_at=NOW,
        mfa_kind="not-virtual",
    )
    return msgspec.structs.replace(base, **changes)  # type: ignore[arg-type]


def test_root_with_mfa_and_no_keys_is_done_and_does_not_call_a_passkey_hardware():
    verdict = root_user.judge(root(), ANSWERS)
    assert verdict.status is Status.DONE
    assert one(verdict, "has MFA enabled").evidence == "AccountMFAEnabled = 1"
    # AWS: a root MFA that is not a virtual device may be a synced passkey, not hardware.
    assert one(verdict, "passkey (possibly synced), a security key or a hardware TOTP token").ok
    assert "hardware device" not in " ".join(f.message for f in verdict.findings)


def test_root_without_mfa_and_with_keys_is_incomplete_and_names_both():
    verdict = root_user.judge(root(mfa_count=0, access_keys=2, mfa_kind=None), ANSWERS)
    assert verdict.status is Status.INCOMPLETE
    assert one(verdict, "no MFA device").evidence == "AccountMFAEnabled = 0"
    assert one(verdict, "has access keys").evidence == "AccountAccessKeysPresent = 2"


def test_a_virtual_root_mfa_is_advice_to_use_a_passkey_or_security_key():
    finding = one(
        root_user.judge(root(mfa_kind="virtual", virtual_mfa_serial="arn:aws:iam::1:mfa/root"), ANSWERS),
        "virtual (authenticator app)",
    )
    assert finding.level == "warning" and finding.evidence == "arn:aws:iam::1:mfa/root"
    assert "AWS recommends a passkey or security key" in finding.message
    assert "enable-mfa-for-root.html" in finding.message


def test_an_unreadable_mfa_kind_costs_a_warning_not_the_verdict():
    facts = root(
        mfa_kind=None, mfa_kind_problem=ReadProblem("the credentials lack iam:ListVirtualMFADevices.", "AccessDenied")
    )
    verdict = root_user.judge(facts, ANSWERS)
    assert verdict.status is Status.DONE
    finding = one(verdict, "Could not tell whether the root MFA device is a virtual one")
    assert finding.level == "warning" and "iam:ListVirtualMFADevices" in finding.message


def test_the_report_says_when_root_last_signed_in_counted_from_the_read():
    report = CredentialReport(
        NOW - dt.timedelta(minutes=5), RootReportRow(password_last_used=(NOW - dt.timedelta(days=3)).isoformat())
    )
    finding = one(root_user.judge(root(report=report), ANSWERS), "last signed in")
    assert finding.message == "The root user last signed in 3 days ago (report generated 5 minutes ago)."


def test_a_report_still_generating_or_unreadable_is_a_warning():
    assert one(root_user.judge(root(report_generating=True), ANSWERS), "still being generated").level == "warning"
    problem = ReadProblem("the credentials lack iam:GetCredentialReport.", "AccessDenied")
    assert (
        one(root_user.judge(root(report_problem=problem), ANSWERS), "Could not read the credential report").evidence
        == "AccessDenied"
    )


def test_root_credentials_get_a_warning():
    finding = one(
        root_user.judge(root(caller_is_root=True, caller_arn=f"arn:aws:iam::{ACCOUNT}:root"), ANSWERS),
        "root user's credentials",
    )
    assert finding.level == "warning" and finding.evidence == f"arn:aws:iam::{ACCOUNT}:root"


# -- identity-center ----------------------------------------------------------------------
def test_an_active_organization_instance_is_done_and_shows_the_portal():
    verdict = identity_center.judge(identity_center_facts(), ANSWERS)
    assert verdict.status is Status.DONE
    assert one(verdict, "is the management account of organization o-abc").ok
    # No AWS API returns the portal URL: the default form is shown as an assumption, with the key to correct it.
    portal = one(verdict, "Access portal (assumed): https://d-1234567890.awsapps.com/start")
    assert portal.level == "warning" and "identity_center.portal_url" in portal.message
    assert "howtosignin.html" in portal.message


def test_a_given_portal_url_is_the_one_shown_without_a_warning():
    facts = msgspec.structs.replace(identity_center_facts(), given_portal_url="https://corp.awsapps.com/start")
    portal = one(identity_center.judge(facts, ANSWERS), "Access portal")
    assert portal.message == "Access portal: https://corp.awsapps.com/start" and portal.level != "warning"
    assert facts.portal_url == facts.identity_center.portal_url == "https://corp.awsapps.com/start"


def test_an_additional_region_chosen_is_named_and_the_primary_one_used():
    facts = msgspec.structs.replace(
        identity_center_facts(region="us-east-1", chosen_region="eu-west-1"), additional_regions=("eu-west-1",)
    )
    verdict = identity_center.judge(facts, ANSWERS)
    assert verdict.status is Status.DONE
    chosen = one(verdict, "eu-west-1 is an additional Region")
    assert chosen.level == "warning" and "primary Region us-east-1" in chosen.message
    assert one(verdict, "replicated to additional Regions: eu-west-1").evidence == "Regions = us-east-1, eu-west-1"
    assert facts.identity_center.region == "us-east-1"


def test_no_instance_anywhere_is_incomplete_with_the_search_as_evidence():
    facts = identity_center_facts(
        instance=False, organization=None, search_note="sso-admin list-instances: no instance in 30 Regions"
    )
    verdict = identity_center.judge(facts, ANSWERS)
    assert verdict.status is Status.INCOMPLETE
    assert one(verdict, "not enabled in any Region").evidence == "sso-admin list-instances: no instance in 30 Regions"
    assert not one(verdict, "standalone").ok


def test_an_account_instance_is_incomplete_and_says_why_it_cannot_serve():
    verdict = identity_center.judge(identity_center_facts(kind="ACCOUNT", organization=None), ANSWERS)
    assert verdict.status is Status.INCOMPLETE
    assert ACCOUNT_INSTANCE_WHY in one(verdict, "is an account instance").message


def test_an_instance_in_another_region_is_used_with_a_warning():
    finding = one(
        identity_center.judge(identity_center_facts(region="eu-west-1", chosen_region="us-east-1"), ANSWERS),
        "not the chosen us-east-1",
    )
    assert finding.level == "warning" and finding.evidence == "PrimaryRegion = eu-west-1"


def test_an_unknown_or_unfinished_instance_status_is_never_active():
    unknown = identity_center.judge(identity_center_facts(status="SUSPENDED"), ANSWERS)
    assert unknown.status is Status.INCOMPLETE and "does not know" in one(unknown, "SUSPENDED").message
    creating = identity_center.judge(identity_center_facts(status="CREATE_IN_PROGRESS"), ANSWERS)
    assert one(creating, "not active yet").evidence == "Status = CREATE_IN_PROGRESS"


def test_a_member_account_seeing_the_instance_is_a_delegated_administrator():
    facts = identity_center_facts(organization=Organization("o-abc", "999999999999", "ALL"))
    assert (
        "delegated administration"
        in one(identity_center.judge(facts, ANSWERS), "is a member of organization o-abc").message
    )


def test_consolidated_billing_only_is_advice_once_usable():
    facts = identity_center_facts(organization=Organization("o-abc", ACCOUNT, "CONSOLIDATED_BILLING"))
    assert one(identity_center.judge(facts, ANSWERS), "consolidated billing").level == "warning"


# -- admin-user (Identity Center) --------------------------------------------------------------
def admin(**changes: object) -> AdminUserFacts:
    base = AdminUserFacts(
        identity_center=an_identity_center(),
        account_id=ACCOUNT,
        user_name="ops.admin",
        permission_set_name="AdministratorAccess",
        user_id="u-1",
        permission_set=PermissionSetInfo(
            PS_ARN,
            "AdministratorAccess",
            session_duration="PT4H",
            managed_policies=frozenset({ADMINISTRATOR_ACCESS_ARN}),
        ),
        assigned=True,
        request=None,
        held=(PS_ARN,),
        group_name="Administrators",
        group_id="g-1",
        members=(AdminMember("ops.admin", "u-1", True),),
    )
    return msgspec.structs.replace(base, **changes)  # type: ignore[arg-type]


def test_an_assigned_administrator_is_done_and_still_told_how_to_sign_in():
    verdict = admin_user.judge(admin(), ANSWERS)
    assert verdict.status is Status.DONE
    assert one(verdict, f"assigned to the group Administrators on account {ACCOUNT}").ok
    assert one(verdict, "ops.admin is a member of Administrators").ok
    assert one(verdict, "gets no password and no e-mail").level == "warning"


def test_the_group_its_members_and_a_direct_assignment_are_judged():
    missing_group = admin_user.judge(admin(group_id=None, assigned=False), ANSWERS)
    assert missing_group.status is Status.INCOMPLETE
    assert not one(missing_group, "group Administrators does not exist yet").ok
    not_member = admin_user.judge(admin(members=(AdminMember("ops.admin", "u-1", False),)), ANSWERS)
    assert not_member.status is Status.INCOMPLETE and not one(not_member, "not a member of Administrators").ok
    nobody = admin_user.judge(admin(members=(*admin().members, AdminMember("nobody", None, False))), ANSWERS)
    assert nobody.status is Status.INCOMPLETE
    assert "remove the name from admin.members" in one(nobody, "nobody (in admin.members) does not exist").message
    direct = admin_user.judge(admin(direct_assignment=True), ANSWERS)
    assert direct.status is Status.DONE and one(direct, "also assigned straight to ops.admin").ok


def test_a_missing_user_and_permission_set_are_each_named():
    verdict = admin_user.judge(admin(user_id=None, permission_set=None, assigned=False, held=()), ANSWERS)
    assert verdict.status is Status.INCOMPLETE
    assert (
        one(verdict, "user ops.admin does not exist yet").evidence
        == "identitystore get-user-id userName=ops.admin: ResourceNotFoundException"
    )
    assert (
        one(verdict, "No permission set named AdministratorAccess").evidence
        == f"0 permission set(s) assigned to the group on {ACCOUNT}"
    )


def test_a_permission_set_without_administrator_access_or_with_another_duration():
    ps = PermissionSetInfo(PS_ARN, "AdministratorAccess", session_duration="PT1H", managed_policies=frozenset())
    verdict = admin_user.judge(admin(permission_set=ps), ANSWERS)
    assert verdict.status is Status.INCOMPLETE
    assert (
        one(verdict, "does not carry the AWS managed policy AdministratorAccess").evidence == "managed policies: none"
    )
    assert one(verdict, "session duration is PT1H, not the chosen PT4H").level == "warning"


def test_a_failed_assignment_request_gives_aws_reason():
    request = AssignmentRequest("FAILED", "req-1", "Principal not found")
    verdict = admin_user.judge(admin(assigned=False, request=request), ANSWERS)
    assert verdict.status is Status.INCOMPLETE
    finding = one(verdict, "last account assignment failed")
    assert "Principal not found" in finding.message and "req-1" in (finding.evidence or "")
    assert not one(verdict, "It is not assigned to the group Administrators").ok


# -- admin-user (IAM mode) -----------------------------------------------------------------
def iam_admin(**changes: object) -> IamAdminFacts:
    base = IamAdminFacts(
        account_id=ACCOUNT,
        group_name="Administrators",
        group_arn=f"arn:aws:iam::{ACCOUNT}:group/Administrators",
        attached=(ADMINISTRATOR_ACCESS_ARN,),
        policy_arn=ADMINISTRATOR_ACCESS_ARN,
        user_name="ops.admin",
        user_arn=f"arn:aws:iam::{ACCOUNT}:user/ops.admin",
        groups=("Administrators",),
        login_profile=LoginProfile("2025-01-01", True),
        password_unshown=False,
        mfa_serials=("arn:aws:iam::1:mfa/ops",),
        alias=None,
        sign_in_url=f"https://{ACCOUNT}.signin.aws.amazon.com/console",
    )
    return msgspec.structs.replace(base, **changes)  # type: ignore[arg-type]


def test_an_iam_administrator_in_its_group_with_a_password_is_done():
    verdict = admin_user_iam.judge(iam_admin(), ANSWERS)
    assert verdict.status is Status.DONE
    assert one(verdict, "has a console password. AWS asks for a new password").ok


def test_a_missing_iam_group_and_user_say_where_the_user_will_sign_in():
    verdict = admin_user_iam.judge(
        iam_admin(group_arn=None, attached=(), user_arn=None, groups=(), login_profile=None), ANSWERS
    )
    assert verdict.status is Status.INCOMPLETE
    assert (
        one(verdict, "IAM group Administrators does not exist yet").evidence
        == "iam get-group Administrators: NoSuchEntity"
    )
    assert one(verdict, "Once created, ops.admin signs in").message.endswith(
        f"https://{ACCOUNT}.signin.aws.amazon.com/console"
    )


def test_a_password_never_shown_keeps_the_step_incomplete():
    verdict = admin_user_iam.judge(iam_admin(password_unshown=True), ANSWERS)
    assert verdict.status is Status.INCOMPLETE
    assert not one(verdict, "never showed to anyone").ok


def test_an_iam_administrator_without_mfa_gets_advice():
    assert one(admin_user_iam.judge(iam_admin(mfa_serials=()), ANSWERS), "no MFA device").level == "warning"


# -- permission-sets ----------------------------------------------------------------------
def cloudhsm_set(inline: str | None = None, managed: frozenset[str] = frozenset()) -> PermissionSetInfo:
    return PermissionSetInfo(
        PS_ARN,
        "CloudHSMAdmins",
        managed_policies=managed,
        inline_policy=policies.expected_text() if inline is None else inline,
    )


def ps_facts(**changes: object) -> PermissionSetsFacts:
    base = PermissionSetsFacts(
        identity_center=an_identity_center(),
        account_id=ACCOUNT,
        permission_set_name="CloudHSMAdmins",
        group_name="CloudHSMAdmins",
        group_id="g-1",
        members=(Member("ops.admin", "u-1", True),),
        permission_set=cloudhsm_set(),
        assigned=True,
        request=None,
        held=(PS_ARN,),
    )
    return msgspec.structs.replace(base, **changes)  # type: ignore[arg-type]


def test_the_group_with_its_members_and_the_exact_policy_is_done():
    verdict = permission_sets.judge(ps_facts(), ANSWERS)
    assert verdict.status is Status.DONE
    assert one(verdict, "Its inline policy allows what the guide's CloudHSM admin policy allows").ok
    assert one(verdict, "ops.admin is a member of CloudHSMAdmins").evidence == "UserId = u-1"


def test_an_empty_or_drifted_inline_policy_is_named():
    empty = permission_sets.judge(ps_facts(permission_set=cloudhsm_set(inline="")), ANSWERS)
    assert (
        empty.status is Status.INCOMPLETE
        and one(empty, "has no inline policy").evidence == "GetInlinePolicyForPermissionSet: empty"
    )
    wider = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    import json

    drifted = permission_sets.judge(ps_facts(permission_set=cloudhsm_set(inline=json.dumps(wider))), ANSWERS)
    assert (
        "allows more than CloudHSM needs: *" in one(drifted, "differs from the guide's CloudHSM admin policy").message
    )


def test_managed_policies_on_the_cloudhsm_set_are_advice():
    facts = ps_facts(permission_set=cloudhsm_set(managed=frozenset({ADMINISTRATOR_ACCESS_ARN})))
    assert one(permission_sets.judge(facts, ANSWERS), "also carries managed policies").level == "warning"


def test_members_missing_in_identity_center_or_not_in_the_group():
    members = (Member("ops.admin", None, False), Member("someone", None, False), Member("other", "u-2", False))
    verdict = permission_sets.judge(ps_facts(members=members), ANSWERS)
    assert verdict.status is Status.INCOMPLETE
    assert "the admin-user step creates it" in one(verdict, "The user ops.admin does not exist yet").message
    assert (
        one(verdict, "The user someone does not exist in Identity Center").evidence
        == "identitystore get-user-id userName=someone: ResourceNotFoundException"
    )
    assert one(verdict, "other is not a member of CloudHSMAdmins yet").evidence == "UserId = u-2"


def test_an_assignment_still_provisioning_keeps_the_step_incomplete():
    verdict = permission_sets.judge(ps_facts(request=AssignmentRequest("IN_PROGRESS", "req-2")), ANSWERS)
    assert verdict.status is Status.INCOMPLETE
    assert (
        one(verdict, "still being provisioned").evidence
        == "DescribeAccountAssignmentCreationStatus req-2: Status = IN_PROGRESS"
    )


# -- cloudhsm-group -----------------------------------------------------------------------
def group_facts(**changes: object) -> CloudHsmGroupFacts:
    base = CloudHsmGroupFacts(
        group_name="CloudHSMAdmins",
        group=GroupFound(f"arn:aws:iam::{ACCOUNT}:group/CloudHSMAdmins", ("alice",)),
        attached=(POLICY_ARN,),
        policy_name="CloudHSMAdminPolicy",
        policy=PolicyFound(POLICY_ARN, "v1"),
        wanted_members=("alice",),
        missing_users=(),
    )
    return msgspec.structs.replace(base, **changes)  # type: ignore[arg-type]


def test_the_iam_group_with_the_matching_policy_is_done():
    verdict = cloudhsm_group.judge(group_facts(), ANSWERS)
    assert verdict.status is Status.DONE
    assert (
        one(verdict, "policy version v1 allows what the guide's CloudHSM admin policy allows").evidence
        == f"{POLICY_ARN} default version v1"
    )
    assert one(verdict, "IAM user alice is in CloudHSMAdmins").ok


def test_a_missing_group_and_policy_are_named():
    verdict = cloudhsm_group.judge(group_facts(group=None, attached=(), policy=PolicyFound(POLICY_ARN)), ANSWERS)
    assert verdict.status is Status.INCOMPLETE
    assert (
        one(verdict, "IAM group CloudHSMAdmins does not exist yet").evidence
        == "iam get-group CloudHSMAdmins: NoSuchEntity"
    )
    assert (
        one(verdict, "customer managed policy CloudHSMAdminPolicy does not exist yet").evidence
        == f"iam get-policy {POLICY_ARN}: NoSuchEntity"
    )


def test_a_drifted_policy_and_other_attachments():
    facts = group_facts(
        policy=PolicyFound(POLICY_ARN, "v3", ("lacks: cloudhsm:createcluster",)),
        attached=(POLICY_ARN, ADMINISTRATOR_ACCESS_ARN),
    )
    verdict = cloudhsm_group.judge(facts, ANSWERS)
    assert verdict.status is Status.INCOMPLETE
    assert "lacks: cloudhsm:createcluster" in one(verdict, "policy version v3 differs").message
    assert one(verdict, "also has other policies attached").evidence == ADMINISTRATOR_ACCESS_ARN


def test_wanted_iam_members_missing_or_not_in_the_group():
    verdict = cloudhsm_group.judge(
        group_facts(wanted_members=("alice", "bob", "carol"), missing_users=("carol",)), ANSWERS
    )
    assert verdict.status is Status.INCOMPLETE  # bob exists and is not in the group yet
    assert not one(verdict, "IAM user bob is not in CloudHSMAdmins yet").ok
    assert one(verdict, "IAM user carol does not exist").level == "warning"


# -- service-linked-role ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("facts", "status", "text", "level"),
    [
        (ServiceLinkedRoleFacts(None), Status.INCOMPLETE, "does not exist yet", "info"),
        (
            ServiceLinkedRoleFacts("arn:aws:iam::1:role/r", frozenset({"cloudhsm.amazonaws.com"})),
            Status.DONE,
            "It trusts cloudhsm.amazonaws.com",
            "info",
        ),
        (
            # An ordinary role squatting on the name: CloudHSM cannot use it, so the step is not done.
            ServiceLinkedRoleFacts("arn:aws:iam::1:role/r", frozenset({"ec2.amazonaws.com"})),
            Status.INCOMPLETE,
            "does not trust",
            "info",
        ),
    ],
)
def test_the_service_linked_role(facts, status, text, level):
    verdict = service_linked_role.judge(facts, ANSWERS)
    assert verdict.status is status
    assert one(verdict, text).level == level
