"""What each IAM action hsm-setup needs may act on: the declarations behind the printed policy and the pre-flight.

A step lists its needs as Grants: an IAM action name together with the resources it acts
on, as ARN templates scoped the way the AWS Service Authorization Reference allows
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html),
and any condition that narrows it further. A Grant *is* the action's name (a str), so
code that only wants names (`"iam:GetRole" in step.check_permissions`) keeps working.

Templates name what fills them: `{partition}`, `{account}` (the account being changed),
`{instance_id}` and `{identity_store_id}` (IAM Identity Center, once it is known), and any
answers key (`{cloudhsm.iam_group}`). A list answer gives one ARN per item; what is not
known yet (no Identity Center instance, printing the policy offline) becomes `*`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import msgspec

from hsm_setup.answers.fields import IAM_MODE, IDENTITY_CENTER_MODE

PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")
ANY = "*"


class Condition(msgspec.Struct, frozen=True):
    """One condition of a policy statement: `{"StringEquals": {"iam:AWSServiceName": "cloudhsm.amazonaws.com"}}`."""

    operator: str
    key: str
    values: tuple[str, ...]


class Grant(str):
    """An IAM action (the str itself) with the resources and conditions it needs.

    `modes`: the admin modes in which a step makes the call (empty: every mode).
    `sid` / `via` / `why`: set on what AWS itself does with the caller's rights when hsm-setup
    calls `via` (IAM Identity Center provisioning its role in the management account, AWS
    Organizations creating its service-linked role); such a grant gets its own statement.
    `management_account_only`: AWS uses the caller's rights only in the organization's
    management account (elsewhere a service-linked role does it).
    """

    resources: tuple[str, ...]
    conditions: tuple[Condition, ...]
    modes: tuple[str, ...]
    sid: str
    via: tuple[str, ...]
    why: str
    management_account_only: bool

    def __new__(
        cls,
        action: str,
        resources: Iterable[str] = (ANY,),
        *,
        conditions: Iterable[Condition] = (),
        modes: Iterable[str] = (),
        sid: str = "",
        via: Iterable[str] = (),
        why: str = "",
        management_account_only: bool = False,
    ) -> Grant:
        grant = super().__new__(cls, action)
        grant.resources = tuple(resources)
        grant.conditions = tuple(conditions)
        grant.modes = tuple(modes)
        grant.sid = sid
        grant.via = tuple(via)
        grant.why = why
        grant.management_account_only = management_account_only
        return grant

    @property
    def action(self) -> str:
        return str(self)

    @property
    def on_behalf(self) -> bool:
        """AWS does this with the caller's rights; hsm-setup never calls it itself."""
        return bool(self.via)

    def applies_to(self, mode: str | None) -> bool:
        return mode is None or not self.modes or mode in self.modes


class Scope(msgspec.Struct, frozen=True):
    """What fills the templates: offline (`Scope()`) everything unknown is `*`."""

    partition: str = "aws"
    # The accounts being changed: the caller's own today; the organization's target accounts later.
    accounts: tuple[str, ...] = (ANY,)
    answers: Mapping[str, object] = msgspec.field(default_factory=dict)
    facts: Mapping[str, str] = msgspec.field(default_factory=dict)

    def values(self, name: str) -> list[str]:
        if name == "partition":
            return [self.partition]
        if name == "account":
            return list(self.accounts)
        if "." in name:
            value = self.answers.get(name)
            if isinstance(value, (list, tuple)):
                return [str(v) for v in value]
            return [ANY] if value in (None, "") else [str(value)]
        return [str(self.facts.get(name) or ANY)]


def fill(template: str, scope: Scope) -> list[str]:
    """Every string `template` stands for in `scope` (several for a list answer, none for an empty list)."""
    results = [""]
    position = 0
    for match in PLACEHOLDER.finditer(template):
        literal = template[position : match.start()]
        results = [done + literal + value for done in results for value in scope.values(match.group(1))]
        position = match.end()
    return [done + template[position:] for done in results]


class Need(msgspec.Struct, frozen=True):
    """A grant filled in: an action, the resources it acts on, and the conditions on it."""

    action: str
    resources: tuple[str, ...]
    conditions: tuple[Condition, ...] = ()
    sid: str = ""
    why: str = ""

    def context(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The request context a call would carry for the conditions (for iam SimulatePrincipalPolicy)."""
        return tuple((c.key, c.values) for c in self.conditions if not c.operator.startswith(("StringNot", "ArnNot")))


def resolve(grant: Grant, scope: Scope) -> Need | None:
    """The grant filled in for `scope`; None when it acts on nothing there (an empty list answer)."""
    resources = tuple(dict.fromkeys(r for template in grant.resources for r in fill(template, scope)))
    if not resources:
        return None
    conditions = tuple(
        Condition(c.operator, c.key, tuple(dict.fromkeys(v for template in c.values for v in fill(template, scope))))
        for c in grant.conditions
    )
    return Need(grant.action, resources, conditions, grant.sid, grant.why)


# -- resource templates, one per resource type of the Service Authorization Reference ----------
def iam_arn(resource: str) -> str:
    return f"arn:{{partition}}:iam::{{account}}:{resource}"


def iam_user(name: str) -> str:
    return iam_arn(f"user/{name}")


def iam_group(name: str) -> str:
    return iam_arn(f"group/{name}")


def iam_policy(name: str) -> str:
    return iam_arn(f"policy/{name}")


# IAM Identity Center (sso) resource types: Instance, PermissionSet, Account. The instance and
# permission set ids exist only once Identity Center is enabled; the policy printed offline
# names the resource types, the pre-flight the instance it found.
SSO_INSTANCE = "arn:{partition}:sso:::instance/{instance_id}"
SSO_RESOURCES = (
    SSO_INSTANCE,
    "arn:{partition}:sso:::permissionSet/{instance_id}/*",
    "arn:{partition}:sso:::account/{account}",
)
# Identity Store resource types: Identitystore, User, Group, GroupMembership.
IDENTITY_STORE_RESOURCES = (
    "arn:{partition}:identitystore::{account}:identitystore/{identity_store_id}",
    "arn:{partition}:identitystore:::user/*",
    "arn:{partition}:identitystore:::group/*",
    "arn:{partition}:identitystore:::membership/*",
)


def sso(*actions: str, modes: tuple[str, ...] = (IDENTITY_CENTER_MODE,)) -> tuple[Grant, ...]:
    return tuple(Grant(a, SSO_RESOURCES, modes=modes) for a in actions)


def identity_store(*actions: str, modes: tuple[str, ...] = (IDENTITY_CENTER_MODE,)) -> tuple[Grant, ...]:
    return tuple(Grant(a, IDENTITY_STORE_RESOURCES, modes=modes) for a in actions)


def on(
    resources: str | tuple[str, ...], *actions: str, modes: tuple[str, ...] = (), conditions: tuple[Condition, ...] = ()
) -> tuple[Grant, ...]:
    """Grants of `actions` on the same resources."""
    listed = (resources,) if isinstance(resources, str) else resources
    return tuple(Grant(a, listed, modes=modes, conditions=conditions) for a in actions)


def no_resource(*actions: str, modes: tuple[str, ...] = ()) -> tuple[Grant, ...]:
    """Actions that take no resource: the Service Authorization Reference asks for `*`."""
    return tuple(Grant(a, (ANY,), modes=modes) for a in actions)


IC_ONLY = (IDENTITY_CENTER_MODE,)
IAM_ONLY = (IAM_MODE,)

# -- what AWS does with the caller's rights ------------------------------------------------------
# In the organization's management account IAM Identity Center provisions a permission set's
# AWSReservedSSO_* role and its AWSSSO_* SAML provider with the credentials of whoever assigns
# it, not with its service-linked role ("Understanding service-linked roles in IAM Identity
# Center": https://docs.aws.amazon.com/singlesignon/latest/userguide/slrconcept.html). The
# actions are those the service-linked role's policy, AWSSSOServiceRolePolicy, uses elsewhere to
# create and update them (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSSSOServiceRolePolicy.html).
IDENTITY_CENTER_ROLE_SID = "IdentityCenterReservedRolesInManagementAccount"
IDENTITY_CENTER_SAML_SID = "IdentityCenterSamlProviderInManagementAccount"
ORGANIZATIONS_ROLE_SID = "OrganizationsServiceLinkedRole"
SLR_CONCEPT_URL = "https://docs.aws.amazon.com/singlesignon/latest/userguide/slrconcept.html"
ORGANIZATIONS_SLR_URL = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services.html#orgs_integrate_services-using_slrs"
RESERVED_ROLES = iam_arn("role/aws-reserved/sso.amazonaws.com/*")
SSO_SAML_PROVIDERS = iam_arn("saml-provider/AWSSSO_*")
PROVISIONING_CALLS = ("sso:CreateAccountAssignment", "sso:ProvisionPermissionSet")
_ROLE_WHY = (
    "Assigning or provisioning a permission set in the organization's management account: IAM Identity Center creates "
    f"and updates the AWSReservedSSO_* role there with your credentials, not its service-linked role ({SLR_CONCEPT_URL})."
)
_SAML_WHY = (
    "The same provisioning creates or updates the AWSSSO_* SAML provider the role trusts, again with your credentials "
    f"in the management account ({SLR_CONCEPT_URL})."
)
IDENTITY_CENTER_PROVISIONING: tuple[Grant, ...] = tuple(
    Grant(
        action,
        (RESERVED_ROLES,),
        modes=IC_ONLY,
        sid=IDENTITY_CENTER_ROLE_SID,
        via=PROVISIONING_CALLS,
        why=_ROLE_WHY,
        management_account_only=True,
    )
    for action in (
        "iam:CreateRole",
        "iam:GetRole",
        "iam:UpdateRole",
        "iam:UpdateRoleDescription",
        "iam:UpdateAssumeRolePolicy",
        "iam:AttachRolePolicy",
        "iam:PutRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:PutRolePermissionsBoundary",
        "iam:DeleteRolePermissionsBoundary",
    )
) + tuple(
    Grant(
        action,
        (SSO_SAML_PROVIDERS,),
        modes=IC_ONLY,
        sid=IDENTITY_CENTER_SAML_SID,
        via=PROVISIONING_CALLS,
        why=_SAML_WHY,
        management_account_only=True,
    )
    for action in ("iam:GetSAMLProvider", "iam:CreateSAMLProvider", "iam:UpdateSAMLProvider")
)
# CreateOrganization creates AWSServiceRoleForOrganizations with the caller's rights.
ORGANIZATIONS_SERVICE_LINKED_ROLE = Grant(
    "iam:CreateServiceLinkedRole",
    (iam_arn("role/aws-service-role/organizations.amazonaws.com/AWSServiceRoleForOrganizations"),),
    conditions=(Condition("StringEquals", "iam:AWSServiceName", ("organizations.amazonaws.com",)),),
    modes=IC_ONLY,
    sid=ORGANIZATIONS_ROLE_SID,
    via=("organizations:CreateOrganization",),
    why=(
        "Creating the organization: AWS Organizations creates its service-linked role AWSServiceRoleForOrganizations "
        f"with your credentials ({ORGANIZATIONS_SLR_URL})."
    ),
)
