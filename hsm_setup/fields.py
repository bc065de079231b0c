"""Every input the wizard asks for, declared once with its default, help and validator.

The Textual screens, the plain prompts and the answers-file loader all read this
table, so a field behaves the same everywhere. `key` is the dotted answers-file key
(a public contract); `step` is the step whose screen asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import validators as v


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

    def error(self, value: Any) -> str | None:
        """The full message for a bad value, naming the key, or None."""
        problem = self.validate(value)
        return f"{self.key}: {problem}" if problem else None


FIELDS: tuple[Field, ...] = (
    Field(
        "region", "Identity Center Region",
        "The Region where IAM Identity Center is (or will be) enabled. Identity Center lives in one Region.",
        "us-east-1", v.region, "identity-center",
    ),
    Field(
        "admin.user_name", "Administrator user name",
        "The Identity Center user who gets administrative access. 'Administrator' and 'AWSAdministrators' are reserved.",
        "ops.admin", v.identity_center_user_name, "admin-user",
    ),
    Field("admin.given_name", "Given name", "The administrator's first name (Identity Center requires it).", "Ops", v.person_name("given name"), "admin-user"),
    Field("admin.family_name", "Family name", "The administrator's last name (Identity Center requires it).", "Admin", v.person_name("family name"), "admin-user"),
    Field("admin.email", "E-mail", "Where the administrator receives the one-time password or sign-in e-mail.", "ops.admin@example.com", v.email, "admin-user"),
    Field(
        "admin.permission_set", "Administrator permission set",
        "The permission set that carries the AWS managed policy AdministratorAccess (1-32 characters).",
        "AdministratorAccess", v.permission_set_name, "admin-user",
    ),
    Field(
        "admin.session_duration", "Session duration",
        "How long a sign-in through the access portal lasts, as ISO-8601 from PT1H to PT12H.",
        "PT4H", v.session_duration, "admin-user",
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


def fields_for_step(step_id: str) -> list[Field]:
    return [f for f in FIELDS if f.step == step_id]
