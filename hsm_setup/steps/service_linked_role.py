"""Step 6: the CloudHSM service-linked role exists.

CloudHSM creates AWSServiceRoleForCloudHSM itself on CreateCluster when the caller
may iam:CreateServiceLinkedRole; creating it ahead of time means the first cluster
does not depend on that permission. The role cannot be edited, and AWS refuses to
delete it while a cluster exists.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from hsm_setup.steps.context import StepContext
from hsm_setup.errors import is_code, require
from hsm_setup.model import Status, StepResult
from hsm_setup.steps.actions import Action
from hsm_setup.steps.base import Step, cli
from hsm_setup.steps.grants import Condition, iam_arn, on

ROLE_NAME = "AWSServiceRoleForCloudHSM"
SERVICE = "cloudhsm.amazonaws.com"


class ServiceLinkedRoleStep(Step):
    id = "service-linked-role"
    title = "CloudHSM service-linked role"
    guidance = "service-linked-role.md"
    why = "CloudHSM writes its audit logs to CloudWatch through this role."
    # GetRole names the role without its path; whether IAM authorizes the name or the path-qualified
    # ARN, one of the two matches.
    check_permissions = on((iam_arn(f"role/{ROLE_NAME}"), iam_arn(f"role/aws-service-role/{SERVICE}/{ROLE_NAME}")), "iam:GetRole")
    apply_permissions = on(
        iam_arn(f"role/aws-service-role/{SERVICE}/{ROLE_NAME}"),
        "iam:CreateServiceLinkedRole",
        conditions=(Condition("StringEquals", "iam:AWSServiceName", (SERVICE,)),),
    )

    def check(self, ctx: StepContext) -> StepResult:
        try:
            response = ctx.client("iam").get_role(RoleName=ROLE_NAME)
        except Exception as exc:
            if not is_code(exc, "NoSuchEntity"):
                raise
            result = self.result(Status.INCOMPLETE)
            result.add(False, f"The role {ROLE_NAME} does not exist yet.", evidence=f"iam get-role {ROLE_NAME}: NoSuchEntity")
            return result
        role = require(response, "Role", what="iam GetRole", of=dict)
        require(role, "Arn", what="iam GetRole")
        result = self.result(Status.DONE, facts={"role_arn": role["Arn"]})
        result.add(True, f"The role {ROLE_NAME} exists.", evidence=role["Arn"])
        principals = _trusted_services(role.get("AssumeRolePolicyDocument"))
        if SERVICE in principals:
            result.add(True, f"It trusts {SERVICE}.", evidence="AssumeRolePolicyDocument Principal.Service")
        else:
            result.add(
                False,
                f"It does not trust {SERVICE}; CloudHSM cannot use it. Ask AWS Support: a service-linked role cannot be edited.",
                evidence=", ".join(sorted(principals)) or "no service principal",
                level="warning",
            )
        return result

    def plan(self, ctx: StepContext, result: StepResult) -> list[Action]:
        return [
            self.api(
                "create-role",
                f"Create the service-linked role {ROLE_NAME}",
                cli("iam", "create-service-linked-role", ("--aws-service-name", SERVICE)),
                _create_role,
                permissions=("iam:CreateServiceLinkedRole",),
            )
        ]


def _create_role(ctx: StepContext) -> dict[str, Any]:
    iam = ctx.client("iam")
    try:
        role = require(iam.create_service_linked_role(AWSServiceName=SERVICE), "Role", what="iam CreateServiceLinkedRole", of=dict)
        ctx.record_created("service-linked-role", role["RoleName"], arn=role["Arn"])
    except Exception as exc:
        # Created by an earlier, interrupted run (or by CloudHSM itself): adopt it.
        if not is_code(exc, "InvalidInput", "EntityAlreadyExists"):
            raise
        role = iam.get_role(RoleName=ROLE_NAME)["Role"]
    return {"role_arn": role["Arn"]}


def _trusted_services(document: Any) -> set[str]:
    """Service principals in a trust policy (IAM returns it URL-encoded from some APIs)."""
    if isinstance(document, str):
        try:
            document = json.loads(unquote(document))
        except ValueError:
            return set()
    services: set[str] = set()
    for statement in (document or {}).get("Statement", []):
        service = (statement.get("Principal") or {}).get("Service", [])
        services.update([service] if isinstance(service, str) else service)
    return services


STEP = ServiceLinkedRoleStep()
