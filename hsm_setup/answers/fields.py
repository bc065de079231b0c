"""Every input the wizard asks for, declared once with its default, help and validator.

The Textual screens, the plain prompts and the answers-file loader all read this
table, so a field behaves the same everywhere. `key` is the dotted answers-file key
(a public contract); `step` is the step whose screen asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hsm_setup.answers import validators as v

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
    (IDENTITY_CENTER_MODE, "IAM Identity Center user (recommended: short-lived sign-ins; needs an organization for account access)"),
    (IAM_MODE, "IAM user in an Administrators group (standalone account without an organization; long-lived password, add MFA)"),
)


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    help: str
    default: Any
    validate: v.Validator
    step: str
    kind: str = "text"  # text | list | choice
    choices: tuple[str, ...] = ()
    # The admin.mode values in which the field is asked and validated (empty: every mode).
    modes: tuple[str, ...] = ()
    # A stricter or different rule for some modes: (mode, validator) pairs.
    mode_validators: tuple[tuple[str, v.Validator], ...] = ()

    @property
    def section(self) -> str | None:
        return self.key.split(".")[0] if "." in self.key else None

    @property
    def name(self) -> str:
        return self.key.split(".")[-1]

    def parse(self, raw: str) -> Any:
        """Turn what a person typed into the field's value (lists are comma-separated)."""
        if self.kind == "list":
            return [item.strip() for item in raw.split(",") if item.strip()]
        return raw.strip()

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
        """The full message for a bad value, naming the key, or None."""
        problem = self.validator(mode)(value)
        return f"{self.key}: {problem}" if problem else None


FIELDS: tuple[Field, ...] = (
    Field(
        "region", "Identity Center Region",
        "The Region where IAM Identity Center is (or will be) enabled. Identity Center lives in one Region.",
        "us-east-1", v.region, "identity-center",
    ),
    Field(
        "admin.mode", "How the administrator signs in",
        MODE_HELP, IDENTITY_CENTER_MODE, v.choice(*ADMIN_MODES), "admin-user", kind="choice", choices=ADMIN_MODES,
    ),
    Field(
        "admin.user_name", "Administrator user name",
        "The user who gets administrative access: an Identity Center user ('Administrator' and 'AWSAdministrators' "
        "are reserved there), or in IAM mode an IAM user (1-64 characters).",
        "ops.admin", v.identity_center_user_name, "admin-user",
        mode_validators=((IAM_MODE, v.iam_name("user", 64)),),
    ),
    Field(
        "admin.given_name", "Given name", "The administrator's first name (Identity Center requires it).",
        "Ops", v.person_name("given name"), "admin-user", modes=(IDENTITY_CENTER_MODE,),
    ),
    Field(
        "admin.family_name", "Family name", "The administrator's last name (Identity Center requires it).",
        "Admin", v.person_name("family name"), "admin-user", modes=(IDENTITY_CENTER_MODE,),
    ),
    Field(
        "admin.email", "E-mail", "Where the administrator receives the one-time password or sign-in e-mail.",
        "ops.admin@example.com", v.email, "admin-user", modes=(IDENTITY_CENTER_MODE,),
    ),
    Field(
        "admin.permission_set", "Administrator permission set",
        "The permission set that carries the AWS managed policy AdministratorAccess (1-32 characters).",
        "AdministratorAccess", v.permission_set_name, "admin-user", modes=(IDENTITY_CENTER_MODE,),
    ),
    Field(
        "admin.session_duration", "Session duration",
        "How long a sign-in through the access portal lasts, as ISO-8601 from PT1H to PT12H.",
        "PT4H", v.session_duration, "admin-user", modes=(IDENTITY_CENTER_MODE,),
    ),
    Field(
        "admin.iam_group", "Administrators IAM group",
        "The IAM group that carries the AWS managed policy AdministratorAccess; the administrator joins it (1-128 characters).",
        "Administrators", v.iam_name("group", 128), "admin-user", modes=(IAM_MODE,),
    ),
    Field(
        "cloudhsm.permission_set", "CloudHSM permission set",
        "The least-privilege permission set holding the CloudHSM administrator policy (1-32 characters).",
        "CloudHSMAdmins", v.permission_set_name, "permission-sets",
    ),
    Field(
        "cloudhsm.identity_center_group", "Identity Center group",
        "The Identity Center group of CloudHSM administrators.",
        "CloudHSMAdmins", v.iam_name("group", 128), "permission-sets",
    ),
    Field(
        "cloudhsm.members", "Group members",
        "Identity Center user names to put in the group, separated by commas.",
        ["ops.admin"], v.name_list(v.identity_center_user_name, "user names"), "permission-sets", kind="list",
    ),
    Field(
        "cloudhsm.iam_group", "IAM group",
        "The IAM group of CloudHSM administrators (1-128 characters).",
        "CloudHSMAdmins", v.iam_name("group", 128), "cloudhsm-group",
    ),
    Field(
        "cloudhsm.policy_name", "Customer managed policy",
        "The customer managed policy that grants only what CloudHSM administrators need (1-128 characters).",
        "CloudHSMAdminPolicy", v.iam_name("policy", 128), "cloudhsm-group",
    ),
    Field(
        "cloudhsm.iam_members", "IAM users",
        "Existing IAM user names to add to the IAM group, separated by commas (may be empty).",
        [], v.name_list(v.iam_name("user", 64), "user names"), "cloudhsm-group", kind="list",
    ),
)

BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}


def fields_for_step(step_id: str, mode: str | None = None) -> list[Field]:
    """The step's fields; with `mode` (admin.mode), only those that mode uses."""
    return [f for f in FIELDS if f.step == step_id and f.applies_to(mode)]


def admin_mode(answers: Any) -> str:
    """The chosen admin.mode of an Answers (or any mapping-like with __getitem__)."""
    mode = answers["admin.mode"]
    return mode if mode in ADMIN_MODES else IDENTITY_CENTER_MODE


def is_iam_mode(answers: Any) -> bool:
    return answers["admin.mode"] == IAM_MODE
