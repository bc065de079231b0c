"""IAM enforced on every request, when a practice account is asked to (World.enforce_iam).

moto has an authorization mode of its own (moto.settings.INITIAL_NO_AUTH_ACTION_COUNT: the
number of requests served before it starts checking), but it is process-wide, it evaluates
every statement against the resource `*` (a statement scoped to a group or a policy never
allows anything), and it answers AccessDenied as an XML 403 even for the JSON services,
where AWS answers `AccessDeniedException` in JSON. So the practice account keeps moto's
mode off and uses moto's parts where they are right: its request signature check (SigV4,
moto.iam.access_control.IAMRequest) and its record of who holds which access key. It
decides with policy_evaluation against the resources each request acts on, and answers in
the protocol of the service (botocore's model: query for iam and sts, json for sso-admin,
identitystore and organizations).

The practice account's own credentials belong to the IAM user practice-admin, who holds
AdministratorAccess (or to root, when the account is told the caller is root: root is not
subject to identity-based policies).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import backends, wire
from .catalog import ACCESS_KEY_ID, ACCOUNT_ID
from .policy_evaluation import EXPLICIT_DENY, Evaluation, PolicySource, evaluate, parse_document
from .world import World

if TYPE_CHECKING:
    from wsgiref.types import WSGIEnvironment

PARTITION = "aws"
# Service-linked role names, for the resource iam CreateServiceLinkedRole acts on.
SERVICE_LINKED_ROLE_NAMES = {
    "cloudhsm.amazonaws.com": "AWSServiceRoleForCloudHSM",
    "organizations.amazonaws.com": "AWSServiceRoleForOrganizations",
    "sso.amazonaws.com": "AWSServiceRoleForSSO",
}
# IAM operations whose resource is the group even when they name a user or a policy too.
_GROUP_OPERATIONS = {
    "AddUserToGroup",
    "RemoveUserFromGroup",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
    "PutGroupPolicy",
    "GetGroupPolicy",
    "DeleteGroupPolicy",
    "ListGroupPolicies",
    "ListAttachedGroupPolicies",
    "GetGroup",
    "CreateGroup",
    "DeleteGroup",
    "UpdateGroup",
}
_ATTACH_OPERATIONS = {
    "AttachGroupPolicy",
    "AttachUserPolicy",
    "AttachRolePolicy",
    "DetachGroupPolicy",
    "DetachUserPolicy",
    "DetachRolePolicy",
}
# Operations AWS answers whoever calls them.
_NO_AUTHORIZATION = {("sts", "GetCallerIdentity")}


@dataclass(frozen=True)
class Principal:
    arn: str  # who AccessDenied names (an assumed role's session ARN)
    kind: str  # root | user | role
    name: str
    # The IAM entity whose policies apply (a role session: its role).
    policy_arn: str


@dataclass(frozen=True)
class Target:
    resources: tuple[str, ...]
    context: dict[str, list[str]]


class Refused(Exception):
    """The request is not authenticated; `reply` is AWS's answer."""

    def __init__(self, reply: wire.Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def authorize(call: wire.Call, environ: WSGIEnvironment, body: bytes, world: World) -> wire.Reply | None:
    """None when the request may go ahead; AWS's refusal otherwise."""
    if not world.enforce_iam or not call.operation or (call.service, call.operation) in _NO_AUTHORIZATION:
        return None
    try:
        principal = authenticate(call, environ, body, world)
    except Refused as refused:
        return refused.reply
    if principal.kind == "root":
        return None
    target = request_target(call)
    sources = policy_sources(principal.policy_arn)
    variables = {"aws:username": principal.name} if principal.kind == "user" else {}
    for resource in target.resources:
        result = evaluate(sources, call.action, resource, target.context, variables)
        if not result.allowed:
            return access_denied(call, principal, resource, result)
    return None


# -- who is calling --------------------------------------------------------------------------
def authenticate(call: wire.Call, environ: WSGIEnvironment, body: bytes, world: World) -> Principal:
    """The principal the request's access key belongs to, once its SigV4 signature checks out."""
    principal = principal_for_key(call.access_key, world)
    if principal is None:
        raise Refused(
            _auth_error(
                call,
                "InvalidClientTokenId",
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        )
    from moto.iam.access_control import IAMRequest
    from werkzeug.datastructures import EnvironHeaders

    path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
    try:
        request = IAMRequest(
            account_id=world.account_id,
            method=environ.get("REQUEST_METHOD", "POST"),
            path=path,
            data={},
            body=body,
            headers=EnvironHeaders(environ),  # type: ignore[arg-type]
            action=call.operation,
        )
        request.check_signature()
    except Exception as exc:  # moto raises its own HTTP errors for unknown keys and bad signatures
        code = getattr(exc, "error_type", "") or type(exc).__name__
        if "Signature" in code:
            message = "The request signature we calculated does not match the signature you provided."
            raise Refused(_auth_error(call, "SignatureDoesNotMatch", "InvalidSignatureException", message)) from None
        raise Refused(
            _auth_error(
                call,
                "InvalidClientTokenId",
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        ) from None
    return principal


def principal_for_key(access_key: str, world: World) -> Principal | None:
    if access_key == ACCESS_KEY_ID and world.caller == "root":
        root = f"arn:{PARTITION}:iam::{world.account_id}:root"
        return Principal(root, "root", "root", root)
    user = backends.iam().get_user_from_access_key_id(access_key)
    if user is not None:
        return Principal(user.arn, "user", user.name, user.arn)
    from moto.sts.models import sts_backends

    for session in sts_backends[world.account_id][PARTITION].assumed_roles:
        if session.access_key_id == access_key:
            return Principal(session.arn, "role", session.role_arn.rsplit("/", 1)[-1], session.role_arn)
    return None


def policy_sources(entity_arn: str) -> list[PolicySource]:
    """The identity-based policies of an IAM user (its groups' included), group or role; NoSuchEntity as KeyError."""
    iam = backends.iam()
    kind, _, rest = entity_arn.split(":", 5)[-1].partition("/")
    name = rest.rsplit("/", 1)[-1]
    sources: list[PolicySource] = []
    if kind == "user":
        user = iam.users.get(name)
        if user is None:
            raise KeyError(entity_arn)
        sources += _own(user, "user")
        for group in iam.get_groups_for_user(name):
            sources += _own(group, "group")
    elif kind == "group":
        group = iam.groups.get(name)
        if group is None:
            raise KeyError(entity_arn)
        sources += _own(group, "group")
    elif kind == "role":
        role = next((r for r in iam.roles.values() if r.name == name), None)
        if role is None:
            raise KeyError(entity_arn)
        sources += _own(role, "role")
    else:
        raise KeyError(entity_arn)
    return sources


def _own(entity: Any, kind: str) -> list[PolicySource]:
    sources = [PolicySource(name, kind, parse_document(text)) for name, text in entity.policies.items()]
    for arn, policy in entity.managed_policies.items():
        default = next((v for v in policy.versions if v.is_default), None)
        if default is not None:
            managed = "aws-managed" if ":iam::aws:policy/" in arn else "user-managed"
            sources.append(PolicySource(arn, managed, parse_document(default.document)))
    return sources


# -- what a request acts on ----------------------------------------------------------------------
def request_target(call: wire.Call) -> Target:
    """The resources IAM authorizes a request against, and the condition keys it carries."""
    if call.service == "iam":
        return _iam_target(call)
    if call.service == "sso-admin":
        resources = [str(call.param(p)) for p in ("InstanceArn", "PermissionSetArn") if call.param(p)]
        account = call.param("TargetId") or call.param("AccountId")
        if account:
            resources.append(f"arn:{PARTITION}:sso:::account/{account}")
        return Target(tuple(resources) or ("*",), {})
    if call.service == "identitystore":
        resources = []
        if call.param("IdentityStoreId"):
            resources.append(
                f"arn:{PARTITION}:identitystore::{ACCOUNT_ID}:identitystore/{call.param('IdentityStoreId')}"
            )
        if call.param("GroupId"):
            resources.append(f"arn:{PARTITION}:identitystore:::group/{call.param('GroupId')}")
        member = call.param("MemberId") or {}
        user_id = call.param("UserId") or (member.get("UserId") if isinstance(member, dict) else None)
        if user_id:
            resources.append(f"arn:{PARTITION}:identitystore:::user/{user_id}")
        if call.param("MembershipId"):
            resources.append(f"arn:{PARTITION}:identitystore:::membership/{call.param('MembershipId')}")
        return Target(tuple(resources) or ("*",), {})
    return Target(("*",), {})


def _iam_target(call: wire.Call) -> Target:
    op = call.operation
    context: dict[str, list[str]] = {}
    if op in _ATTACH_OPERATIONS and call.param("PolicyArn"):
        context["iam:PolicyARN"] = [str(call.param("PolicyArn"))]
    if op == "SimulatePrincipalPolicy":
        return Target((str(call.param("PolicySourceArn", "*")),), context)
    if op in _GROUP_OPERATIONS or (call.param("GroupName") and not call.param("UserName")):
        return Target((_entity_arn("group", str(call.param("GroupName", "")), call.param("Path")),), context)
    if call.param("UserName"):
        return Target((_entity_arn("user", str(call.param("UserName")), call.param("Path")),), context)
    if op == "CreateServiceLinkedRole":
        service = str(call.param("AWSServiceName", ""))
        name = SERVICE_LINKED_ROLE_NAMES.get(service, "AWSServiceRoleFor*")
        context["iam:AWSServiceName"] = [service]
        return Target((_iam(f"role/aws-service-role/{service}/{name}"),), context)
    if call.param("RoleName"):
        return Target((_entity_arn("role", str(call.param("RoleName")), call.param("Path")),), context)
    if op == "CreatePolicy":
        return Target((_iam(f"policy{call.param('Path', '/')}{call.param('PolicyName', '')}"),), context)
    if call.param("PolicyArn"):
        return Target((str(call.param("PolicyArn")),), context)
    if call.param("SAMLProviderArn"):
        return Target((str(call.param("SAMLProviderArn")),), context)
    if op == "CreateSAMLProvider":
        return Target((_iam(f"saml-provider/{call.param('Name', '')}"),), context)
    return Target(("*",), context)


def _iam(resource: str) -> str:
    return f"arn:{PARTITION}:iam::{ACCOUNT_ID}:{resource}"


def _entity_arn(kind: str, name: str, path: Any = None) -> str:
    """The ARN IAM authorizes: an existing entity's own (its path included), else the name under `path`."""
    iam = backends.iam()
    table = {"user": iam.users, "group": iam.groups}.get(kind)
    if table is not None and name in table:
        return str(table[name].arn)
    if kind == "role":
        for role in iam.roles.values():
            if role.name == name:
                return str(role.arn)
    return _iam(f"{kind}{path or '/'}{name}")


# -- AWS's answers ----------------------------------------------------------------------------
def access_denied(call: wire.Call, principal: Principal, resource: str, result: Evaluation) -> wire.Reply:
    why = (
        "with an explicit deny in an identity-based policy"
        if result.decision == EXPLICIT_DENY
        else f"because no identity-based policy allows the {call.action} action"
    )
    message = f"User: {principal.arn} is not authorized to perform: {call.action} on resource: {resource} {why}"
    if call.protocol == "query":
        return wire.error(call, "AccessDenied", message, 403)
    return wire.error(call, "AccessDeniedException", message)


def _auth_error(call: wire.Call, query_code: str, json_code: str, message: str) -> wire.Reply:
    if call.protocol == "query":
        return wire.error(call, query_code, message, 403)
    return wire.error(call, json_code, message)
