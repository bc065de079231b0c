"""Comparing a plan with what apply then does, call by call, and snapshots of a practice account.

A plan's API actions are AWS CLI commands; apply's changes are botocore calls. Each
command is read back into its operation and its plain string parameters, and matched
against the successful changing calls apply made: nothing done that was not planned,
nothing planned that was not done, and each shown value is the value sent. A value the
plan cannot know (an id AWS assigns to something an earlier action creates) may be a
placeholder, but only when an earlier change of the same apply created it.
"""

from __future__ import annotations

import json
import shlex
import threading
from dataclasses import dataclass, field
from typing import Any

from botocore import xform_name
from botocore.session import get_session

from hsm_setup.aws.clients import SECRET_PARAMS, AwsSession, is_mutating
from hsm_setup.steps.actions import Action


@dataclass(frozen=True)
class Change:
    """One successful changing call: its operation, the strings it sent, and the strings AWS answered."""

    service: str
    operation: str
    sent: dict[str, str]
    answered: frozenset[str]

    @property
    def name(self) -> str:
        return f"{self.service} {self.operation}"


@dataclass
class ChangeRecorder:
    """Records every successful changing call an AwsSession makes (botocore's after-call event)."""

    changes: list[Change] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, aws: AwsSession) -> None:
        # Registered on the botocore session, so every client made from it (now or later) reports.
        aws._session.register("after-call", self._after_call)

    def _after_call(self, http_response: Any, parsed: Any, model: Any, context: Any = None, **_: Any) -> None:
        if not is_mutating(model.name) or http_response.status_code >= 300:
            return
        sent = (context or {}).get("hsm_sent", {})
        change = Change(model.service_model.service_name, model.name, sent, frozenset(_strings(parsed)))
        with self._lock:
            self.changes.append(change)

    def attach_params(self, aws: AwsSession) -> None:
        """Keep each call's string parameters in its context, for _after_call."""

        def keep(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            # A secret is never shown in a plan (nor kept here): the plan shows what stands for it.
            context["hsm_sent"] = {
                k: ("(secret)" if k in SECRET_PARAMS else v) for k, v in _flat_strings(params).items()
            }

        aws._session.register("provide-client-params", keep)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _flat_strings(params: dict[str, Any]) -> dict[str, str]:
    """Top-level string parameters, and one level into structures ("MemberId.UserId")."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        if isinstance(value, str):
            flat[key] = value
        elif isinstance(value, dict):
            for inner, inner_value in value.items():
                if isinstance(inner_value, str):
                    flat[f"{key}.{inner}"] = inner_value
    return flat


_OPERATIONS: dict[str, dict[str, Any]] = {}


def _model(service: str) -> Any:
    return get_session().get_service_model(service)


def operation_of(service: str, command: str) -> str:
    if service not in _OPERATIONS:
        model = _model(service)
        _OPERATIONS[service] = {xform_name(name, "-"): name for name in model.operation_names}
    return str(_OPERATIONS[service][command])


@dataclass(frozen=True)
class PlannedCall:
    service: str
    operation: str
    # Parameter name -> the value the command shows (strings only; shorthand "UserId=x" as "MemberId.UserId").
    shown: dict[str, str]
    summary: str

    @property
    def name(self) -> str:
        return f"{self.service} {self.operation}"


def planned_call(action: Action) -> PlannedCall:
    """Read an action's AWS CLI command back into the call it stands for."""
    assert action.cli, action.summary
    words = shlex.split(action.cli.splitlines()[-1] if "$(" not in action.cli else _inner(action.cli))
    assert words[0] == "aws", action.cli
    service, command = words[1], words[2]
    operation = operation_of(service, command)
    members = _model(service).operation_model(operation).input_shape.members
    by_flag = {"--" + xform_name(name, "-"): name for name in members}
    shown: dict[str, str] = {}
    rest = words[3:]
    i = 0
    while i < len(rest):
        flag = rest[i]
        value = rest[i + 1] if i + 1 < len(rest) and not rest[i + 1].startswith("--") else None
        i += 2 if value is not None else 1
        name = by_flag.get(flag)
        if name is None or value is None:
            continue  # an AWS CLI option (--region, --query, --output), not a parameter
        shape = members[name]
        if shape.type_name == "string" and not value.startswith("file://"):
            shown[name] = value
        elif shape.type_name == "structure" and "=" in value and not value.startswith("{"):
            key, _, inner = value.partition("=")
            shown[f"{name}.{key}"] = inner
    return PlannedCall(service, operation, shown, action.summary)


def _inner(text: str) -> str:
    """The command inside VAR=$(aws ... --query ... --output text)."""
    line = next(line for line in text.splitlines() if "$(" in line)
    return line.split("$(", 1)[1].rsplit(")", 1)[0]


def is_unknown(value: str) -> bool:
    """A placeholder ("<ARN of ...>") or a shell variable an earlier command set ("$ARN")."""
    return (value.startswith("<") and value.endswith(">")) or value.startswith("$")


def compare(planned: list[PlannedCall], done: list[Change]) -> list[str]:
    """Every way the plan and the changes differ, in words; empty when they are the same."""
    problems: list[str] = []
    remaining = list(done)
    learned: set[str] = set()
    for call in planned:
        match = next((c for c in remaining if c.service == call.service and c.operation == call.operation), None)
        if match is None:
            problems.append(f"planned, not done: {call.name} ({call.summary})")
            continue
        index = remaining.index(match)
        # Changes apply made before this one, in order, are what it could have learned from.
        for earlier in remaining[:index]:
            learned |= earlier.answered
        for key, value in call.shown.items():
            sent = match.sent.get(key)
            if sent == "(secret)":
                continue
            if is_unknown(value):
                if sent not in learned:
                    problems.append(f"{call.name}: shows {key} as {value} but it was known before apply ({sent})")
            elif sent != value:
                problems.append(f"{call.name}: shows {key}={value!r}, sent {sent!r}")
        learned |= match.answered
        remaining.pop(index)
        problems.extend(f"done, not planned: {c.name} {json.dumps(c.sent)}" for c in remaining[:index])
        del remaining[:index]
    problems.extend(f"done, not planned: {c.name} {json.dumps(c.sent)}" for c in remaining)
    return problems


# -- what a practice account holds, by name, for before/after comparisons -----------------------
def snapshot(practice: Any) -> dict[str, Any]:
    """Everything the steps read or change, named (not by ids AWS assigns), policies parsed."""
    iam = practice.client("iam")
    found: dict[str, Any] = {}
    groups: dict[str, Any] = {}
    for group in iam.list_groups()["Groups"]:
        name = group["GroupName"]
        groups[name] = {
            "members": sorted(u["UserName"] for u in iam.get_group(GroupName=name)["Users"]),
            "attached": sorted(
                p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName=name)["AttachedPolicies"]
            ),
        }
    found["iam_groups"] = groups
    users: dict[str, Any] = {}
    for user in iam.list_users()["Users"]:
        name = user["UserName"]
        try:
            iam.get_login_profile(UserName=name)
            password = True
        except iam.exceptions.NoSuchEntityException:
            password = False
        users[name] = {"password": password}
    found["iam_users"] = users
    policies: dict[str, Any] = {}
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        arn = policy["Arn"]
        versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
        default = next(v["VersionId"] for v in versions if v["IsDefaultVersion"])
        document = iam.get_policy_version(PolicyArn=arn, VersionId=default)["PolicyVersion"]["Document"]
        policies[policy["PolicyName"]] = {
            "default": default,
            "versions": sorted(v["VersionId"] for v in versions),
            "document": json.loads(document) if isinstance(document, str) else document,
        }
    found["iam_policies"] = policies
    found["roles"] = sorted(r["RoleName"] for r in iam.list_roles()["Roles"])
    try:
        # Whether there is one: a practice account reset makes a new one with a new id.
        found["organization"] = bool(practice.client("organizations").describe_organization()["Organization"]["Id"])
    except practice.client("organizations").exceptions.AWSOrganizationsNotInUseException:
        found["organization"] = False
    sso = practice.client("sso-admin")
    instances = sso.list_instances()["Instances"]
    found["identity_center"] = len(instances)
    if instances:
        instance_arn, store_id = instances[0]["InstanceArn"], instances[0]["IdentityStoreId"]
        store = practice.client("identitystore")
        user_names = {u["UserId"]: u["UserName"] for u in store.list_users(IdentityStoreId=store_id)["Users"]}
        group_names: dict[str, str] = {}
        ic_groups: dict[str, Any] = {}
        for group in store.list_groups(IdentityStoreId=store_id)["Groups"]:
            group_names[group["GroupId"]] = group["DisplayName"]
            memberships = store.list_group_memberships(IdentityStoreId=store_id, GroupId=group["GroupId"])
            ic_groups[group["DisplayName"]] = sorted(
                user_names.get(m["MemberId"].get("UserId", ""), "?") for m in memberships["GroupMemberships"]
            )
        found["ic_users"] = sorted(user_names.values())
        found["ic_groups"] = ic_groups
        sets: dict[str, Any] = {}
        assignments: list[tuple[str, str, str]] = []
        for arn in sso.list_permission_sets(InstanceArn=instance_arn)["PermissionSets"]:
            name = sso.describe_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn)["PermissionSet"]["Name"]
            inline = sso.get_inline_policy_for_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn).get(
                "InlinePolicy"
            )
            managed = sso.list_managed_policies_in_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn)
            sets[name] = {
                "inline": json.loads(inline) if inline else None,
                "managed": sorted(p["Arn"] for p in managed["AttachedManagedPolicies"]),
            }
            listed = sso.list_account_assignments(
                InstanceArn=instance_arn, AccountId=practice.account_id, PermissionSetArn=arn
            )
            for a in listed["AccountAssignments"]:
                principal = (group_names if a["PrincipalType"] == "GROUP" else user_names).get(a["PrincipalId"], "?")
                assignments.append((name, a["PrincipalType"], principal))
        found["permission_sets"] = sets
        found["assignments"] = sorted(assignments)
    return found
