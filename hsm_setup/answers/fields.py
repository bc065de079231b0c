"""Every input the wizard asks for, declared once with its default, help and validator.

The Textual screens, the plain prompts and the answers-file loader all read this
table, so a field behaves the same everywhere. `key` is the dotted answers-file key
(a public contract); `step` is the step whose screen asks for it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from hsm_setup.answers import validators as v

# The choice that picks which other fields apply (Field.modes): front ends rebuild the inputs when it changes.
MODE_KEY = "admin.mode"
IDENTITY_CENTER_MODE = "identity-center"
IAM_MODE = "iam"
ADMIN_MODES = (IDENTITY_CENTER_MODE, IAM_MODE)
MODE_HELP = (
    "identity-center (recommended): people sign in through IAM Identity Center with short-lived credentials; "
    "granting access to AWS accounts needs an organization. "
    "iam: an Administrators IAM group with AdministratorAccess and an IAM user in it, for a standalone account that "
    "will not create an organization; IAM users carry long-lived passwords (and any access keys), so protect them with MFA."
)
# Shown beside the choice in every front end: what each mode means for the person.
MODE_CHOICES = (
    (
        IDENTITY_CENTER_MODE,
        "IAM Identity Center user (recommended: short-lived sign-ins; needs an organization for account access)",
    ),
    (
        IAM_MODE,
        "IAM user in an Administrators group (standalone account without an organization; long-lived password, add MFA)",
    ),
)


# The guide's three example CloudHSM policies (hsm_setup.steps.policies.POLICY_FILES), for cloudhsm.policy.
POLICY_CHOICES = (
    ("admin", "administrator: cloudhsm:* and the network actions a cluster needs (the guide's administrator policy)"),
    (
        "power-user",
        "power user: create and initialize clusters and HSMs, restore and copy backups, tag them; no deleting",
    ),
    ("read-only", "read only: describe clusters and backups, list tags"),
)
# Answers for the practice account only: they stand for a person, and on a real account hsm-setup
# never makes a person up (nobody could receive the one-time password sent to them).
INVENTED_EMAIL = "ops.admin@example.com"


class Field(msgspec.Struct, frozen=True):
    key: str
    label: str
    help: str
    default: Any
    validate: v.Validator
    step: str
    kind: str = "text"  # text | list | choice
    choices: tuple[str, ...] = ()
    # For a choice: (value, what it means) pairs every front end shows beside the values.
    choice_labels: tuple[tuple[str, str], ...] = ()
    # The admin.mode values in which the field is asked and validated (empty: every mode).
    modes: tuple[str, ...] = ()
    # A stricter or different rule for some modes: (mode, validator) pairs.
    mode_validators: tuple[tuple[str, v.Validator], ...] = ()
    # True for answers that stand for a person: no default on a real account; plan and apply
    # need them (check does not). Only the practice account fills them in, with practice_default.
    required: bool = False
    practice_default: Any = None
    # A list whose default is the value of another key, as one entry (the administrator).
    default_from: str | None = None
    # Asked only where the account is in an organization with other accounts (target accounts, the member role);
    # still read from an answers file and validated everywhere.
    needs_organization: bool = False

    @property
    def picks_accounts(self) -> bool:
        """Target accounts (admin.accounts, cloudhsm.accounts): chosen from the organization's tree where the
        caller can read it, else typed."""
        return self.validate is v.account_targets

    @property
    def picks_mode(self) -> bool:
        """This choice decides which other fields apply (admin.mode)."""
        return self.key == MODE_KEY

    def described(self, choice: str) -> str:
        """One line for a choice: its value and what it means, when the field says."""
        meaning = dict(self.choice_labels).get(choice)
        return f"{choice}: {meaning}" if meaning else choice

    @property
    def section(self) -> str | None:
        return self.key.split(".")[0] if "." in self.key else None

    @property
    def name(self) -> str:
        return self.key.split(".")[-1]

    def parse(self, raw: str) -> Any:
        """Turn what a person typed into the field's value (lists are comma-separated; empty is not given)."""
        if self.kind == "list":
            return [item.strip() for item in raw.split(",") if item.strip()]
        text = raw.strip()
        return None if not text and (self.required or self.default is None) else text

    def format(self, value: Any) -> str:
        if self.kind == "list":
            return ", ".join(str(item) for item in value or [])
        return "" if value is None else str(value)

    def applies_to(self, mode: str | None) -> bool:
        return mode is None or not self.modes or mode in self.modes

    def validator(self, mode: str | None = None) -> v.Validator:
        """The rule for this field in `mode` (admin.mode), falling back to the field's own."""
        return dict(self.mode_validators).get(mode or "", self.validate)

    def error(self, value: Any, mode: str | None = None) -> str | None:
        """The full message for a bad value, naming the key, or None.

        None is "not given": a problem only for a field that stands for a person.
        """
        if value is None:
            return self.missing_message() if self.required else None
        problem = self.validator(mode)(value)
        return f"{self.key}: {problem}" if problem else None

    def missing_message(self) -> str:
        where = f'{self.name} = "..." under [{self.section}]' if self.section else f'{self.key} = "..."'
        return (
            f"{self.key}: not given; hsm-setup does not make up the administrator on a real account "
            f"(give the {self.label.lower()}: {where} in the answers file, or type it in the wizard)"
        )


FIELDS: tuple[Field, ...] = (
    Field(
        "region",
        "Identity Center Region",
        "The Region where IAM Identity Center is (or will be) enabled: its primary Region, where permission sets and "
        "users are managed. An organization instance can be replicated to additional Regions, where people can also "
        "sign in; hsm-setup finds the instance wherever it is.",
        "us-east-1",
        v.region,
        "identity-center",
    ),
    Field(
        "identity_center.portal_url",
        "Access portal URL",
        "The AWS access portal URL people sign in at, as the IAM Identity Center console shows it (Dashboard > "
        "Settings summary): https://<subdomain>.awsapps.com/start, or a Region's own "
        "https://ssoins-<instance id>.<region>.portal.amazonaws.com. No AWS API returns it, and the subdomain can be "
        "customised once, so give it when yours differs from https://<identity store id>.awsapps.com/start.",
        None,
        v.portal_url,
        "identity-center",
    ),
    Field(
        "admin.mode",
        "How the administrator signs in",
        MODE_HELP,
        IDENTITY_CENTER_MODE,
        v.choice(*ADMIN_MODES),
        "admin-user",
        kind="choice",
        choices=ADMIN_MODES,
        choice_labels=MODE_CHOICES,
    ),
    Field(
        "admin.user_name",
        "Administrator user name",
        "The person who gets administrative access. An Identity Center user name: letters of any script, marks, "
        "symbols, digits and punctuation, up to 128 ('Administrator' and 'AWSAdministrators' are reserved); in IAM "
        "mode an IAM user name: letters, digits and + = , . @ _ -, up to 64.",
        None,
        v.identity_center_user_name,
        "admin-user",
        mode_validators=((IAM_MODE, v.iam_user_name),),
        required=True,
        practice_default="ops.admin",
    ),
    Field(
        "admin.given_name",
        "Given name",
        "The administrator's first name (Identity Center requires it).",
        None,
        v.person_name("given name"),
        "admin-user",
        modes=(IDENTITY_CENTER_MODE,),
        required=True,
        practice_default="Ops",
    ),
    Field(
        "admin.family_name",
        "Family name",
        "The administrator's last name (Identity Center requires it).",
        None,
        v.person_name("family name"),
        "admin-user",
        modes=(IDENTITY_CENTER_MODE,),
        required=True,
        practice_default="Admin",
    ),
    Field(
        "admin.email",
        "E-mail",
        "The administrator's own address: where the one-time password or the sign-in e-mail arrives.",
        None,
        v.email,
        "admin-user",
        modes=(IDENTITY_CENTER_MODE,),
        required=True,
        practice_default=INVENTED_EMAIL,
    ),
    Field(
        "admin.group",
        "Administrators group",
        "The Identity Center group that holds the administrator permission set on this account; the administrators "
        "are its members (AWS advises assigning permission sets to groups rather than to users). 1-1024 characters, "
        "spaces allowed; 'Administrator' and 'AWSAdministrators' are reserved.",
        "Administrators",
        v.identity_center_group_name,
        "admin-user",
        modes=(IDENTITY_CENTER_MODE,),
    ),
    Field(
        "admin.members",
        "Administrators",
        "Identity Center user names to put in the administrators group, separated by commas (default: the "
        "administrator above). Users other than the administrator must exist already.",
        None,
        v.name_list(v.identity_center_user_name, "user names", min_items=1),
        "admin-user",
        kind="list",
        modes=(IDENTITY_CENTER_MODE,),
        default_from="admin.user_name",
    ),
    Field(
        "admin.accounts",
        "Administrator's accounts",
        "The AWS accounts where the administrators group gets the administrator permission set, separated by commas: "
        '"this" (the connected account), 12-digit account ids, OU ids (ou-..., with every OU below them) or the '
        "organization's root (r-...).",
        [v.THIS_ACCOUNT],
        v.account_targets,
        "admin-user",
        kind="list",
        modes=(IDENTITY_CENTER_MODE,),
        needs_organization=True,
    ),
    Field(
        "admin.permission_set",
        "Administrator permission set",
        "The permission set that carries the AWS managed policy AdministratorAccess (letters, digits and "
        "+ = , . @ _ -, up to 32).",
        "AdministratorAccess",
        v.permission_set_name,
        "admin-user",
        modes=(IDENTITY_CENTER_MODE,),
    ),
    Field(
        "admin.session_duration",
        "Session duration",
        "How long an AWS account session opened with the administrator permission set lasts (console or CLI), as "
        "ISO-8601 from PT1H to PT12H; AWS's default is PT1H. The access portal's own sign-in session is separate "
        "(8 hours by default).",
        "PT4H",
        v.session_duration,
        "admin-user",
        modes=(IDENTITY_CENTER_MODE,),
    ),
    Field(
        "admin.iam_group",
        "Administrators IAM group",
        "The IAM group that carries the AWS managed policy AdministratorAccess; the administrator joins it (1-128 characters).",
        "Administrators",
        v.iam_group_name,
        "admin-user",
        modes=(IAM_MODE,),
    ),
    Field(
        "cloudhsm.policy",
        "CloudHSM policy",
        "Which of the guide's example policies the CloudHSM group and permission set carry: admin (default), "
        "power-user or read-only.",
        "admin",
        v.choice(*(choice for choice, _ in POLICY_CHOICES)),
        "cloudhsm-group",
        kind="choice",
        choices=tuple(choice for choice, _ in POLICY_CHOICES),
        choice_labels=POLICY_CHOICES,
    ),
    Field(
        "cloudhsm.permission_set",
        "CloudHSM permission set",
        "The least-privilege permission set holding the CloudHSM policy (letters, digits and + = , . @ _ -, up to 32).",
        "CloudHSMAdmins",
        v.permission_set_name,
        "permission-sets",
    ),
    Field(
        "cloudhsm.session_duration",
        "CloudHSM session duration",
        "How long an AWS account session opened with the CloudHSM permission set lasts, as ISO-8601 from PT1H to "
        "PT12H (AWS's default, PT1H, keeps it short).",
        "PT1H",
        v.session_duration,
        "permission-sets",
    ),
    Field(
        "cloudhsm.identity_center_group",
        "Identity Center group",
        "The Identity Center group of CloudHSM administrators (1-1024 characters, spaces allowed; 'Administrator' "
        "and 'AWSAdministrators' are reserved).",
        "CloudHSMAdmins",
        v.identity_center_group_name,
        "permission-sets",
    ),
    Field(
        "cloudhsm.members",
        "Group members",
        "Identity Center user names to put in the group, separated by commas (default: the administrator).",
        None,
        v.name_list(v.identity_center_user_name, "user names"),
        "permission-sets",
        kind="list",
        default_from="admin.user_name",
    ),
    Field(
        "cloudhsm.accounts",
        "CloudHSM accounts",
        "The AWS accounts where CloudHSM runs, separated by commas: the CloudHSM group gets its permission set there, "
        'and each gets the IAM group and the service-linked role. "this" (the connected account), 12-digit account '
        "ids, OU ids (ou-..., with every OU below them) or the organization's root (r-...).",
        [v.THIS_ACCOUNT],
        v.account_targets,
        "permission-sets",
        kind="list",
        needs_organization=True,
    ),
    Field(
        "organization.member_role",
        "Member account role",
        "The role hsm-setup assumes in a member account to set up its IAM group and service-linked role: "
        "OrganizationAccountAccessRole (made by AWS Organizations in the accounts it creates) or, in Control Tower "
        "accounts, AWSControlTowerExecution.",
        "OrganizationAccountAccessRole",
        v.iam_role_name,
        "cloudhsm-group",
        needs_organization=True,
    ),
    Field(
        "cloudhsm.iam_group",
        "IAM group",
        "The IAM group of CloudHSM administrators (1-128 characters).",
        "CloudHSMAdmins",
        v.iam_group_name,
        "cloudhsm-group",
    ),
    Field(
        "cloudhsm.policy_name",
        "Customer managed policy",
        "The customer managed policy that grants only what CloudHSM administrators need (1-128 characters).",
        "CloudHSMAdminPolicy",
        v.iam_policy_name,
        "cloudhsm-group",
    ),
    Field(
        "cloudhsm.iam_members",
        "IAM users",
        "Existing IAM user names to add to the IAM group, separated by commas (may be empty).",
        [],
        v.name_list(v.iam_user_name, "user names"),
        "cloudhsm-group",
        kind="list",
    ),
)

BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}


def fields_for_step(step_id: str, mode: str | None = None, *, organization: bool = False) -> list[Field]:
    """The step's fields; with `mode` (admin.mode), only those that mode uses; those about other accounts of an
    organization only with `organization`."""
    return [
        f for f in FIELDS if f.step == step_id and f.applies_to(mode) and (organization or not f.needs_organization)
    ]


def admin_mode(answers: Any) -> str:
    """The chosen admin.mode of an Answers (or any mapping-like with __getitem__)."""
    mode = answers["admin.mode"]
    return mode if mode in ADMIN_MODES else IDENTITY_CENTER_MODE


def is_iam_mode(answers: Any) -> bool:
    return answers["admin.mode"] == IAM_MODE
