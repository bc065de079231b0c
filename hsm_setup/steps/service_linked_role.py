"""Step 6: the CloudHSM service-linked role exists.

CloudHSM creates AWSServiceRoleForCloudHSM itself on CreateCluster when the caller
may iam:CreateServiceLinkedRole; creating it ahead of time means the first cluster
does not depend on that permission. The role cannot be edited, and AWS refuses to
delete it while a cluster exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import unquote

from hsm_setup.answers.values import Answers
from hsm_setup.aws.cli_command import cli
from hsm_setup.errors import is_code, require
from hsm_setup.json_types import JsonObject
from hsm_setup.model import Status, StepFacts, StepResult, Verdict
from hsm_setup.resources.service_linked_role import ServiceLinkedRole
from hsm_setup.steps.actions import Action
from hsm_setup.steps.base import Step
from hsm_setup.steps.context import StepContext
from hsm_setup.steps.grants import Condition, iam_arn, on

ROLE_NAME = "AWSServiceRoleForCloudHSM"
SERVICE = "cloudhsm.amazonaws.com"


@dataclass(frozen=True)
class ServiceLinkedRoleFacts(StepFacts):
    # None when the role does not exist.
    role_arn: str | None
    # The service principals its trust policy names.
    trusted_services: frozenset[str] = frozenset()


class ServiceLinkedRoleStep(Step):
    id = "service-linked-role"
    title = "CloudHSM service-linked role"
    guidance = "service-linked-role.md"
    why = "CloudHSM writes its audit logs to CloudWatch through this role."
    # GetRole names the role without its path; whether IAM authorizes the name or the path-qualified
    # ARN, one of the two matches.
    check_permissions = on(
        (iam_arn(f"role/{ROLE_NAME}"), iam_arn(f"role/aws-service-role/{SERVICE}/{ROLE_NAME}")), "iam:GetRole"
    )
    apply_permissions = on(
        iam_arn(f"role/aws-service-role/{SERVICE}/{ROLE_NAME}"),
        "iam:CreateServiceLinkedRole",
        conditions=(Condition("StringEquals", "iam:AWSServiceName", (SERVICE,)),),
    )

    def check(self, ctx: StepContext) -> StepResult[ServiceLinkedRoleFacts]:
        facts = read(ctx)
        return self.judged(facts, judge(facts, ctx.answers))

    def plan(self, ctx: StepContext, result: StepResult[StepFacts]) -> list[Action]:
        return [
            self.api(
                "create-role",
                f"Create the service-linked role {ROLE_NAME}",
                cli("iam", "create-service-linked-role", ("--aws-service-name", SERVICE)),
                _create_role,
                permissions=("iam:CreateServiceLinkedRole",),
            )
        ]


def read(ctx: StepContext) -> ServiceLinkedRoleFacts:
    try:
        response = ctx.client("iam").get_role(RoleName=ROLE_NAME)
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        return ServiceLinkedRoleFacts(role_arn=None)
    role = require(response, "Role", what="iam GetRole", of=dict)
    return ServiceLinkedRoleFacts(
        str(require(role, "Arn", what="iam GetRole")),
        frozenset(_trusted_services(role.get("AssumeRolePolicyDocument"))),
    )


def judge(facts: ServiceLinkedRoleFacts, answers: Answers) -> Verdict:
    if facts.role_arn is None:
        verdict = Verdict(Status.INCOMPLETE)
        verdict.add(
            False, f"The role {ROLE_NAME} does not exist yet.", evidence=f"iam get-role {ROLE_NAME}: NoSuchEntity"
        )
        return verdict
    verdict = Verdict(Status.DONE)
    verdict.add(True, f"The role {ROLE_NAME} exists.", evidence=facts.role_arn)
    if SERVICE in facts.trusted_services:
        verdict.add(True, f"It trusts {SERVICE}.", evidence="AssumeRolePolicyDocument Principal.Service")
    else:
        verdict.add(
            False,
            f"It does not trust {SERVICE}; CloudHSM cannot use it. Ask AWS Support: a service-linked role cannot be edited.",
            evidence=", ".join(sorted(facts.trusted_services)) or "no service principal",
            level="warning",
        )
    return verdict


def _create_role(ctx: StepContext) -> JsonObject:
    iam = ctx.client("iam")
    try:
        role = require(
            iam.create_service_linked_role(AWSServiceName=SERVICE), "Role", what="iam CreateServiceLinkedRole", of=dict
        )
        ctx.record_created(ServiceLinkedRole(name=str(role["RoleName"]), arn=str(role["Arn"])))
    except Exception as exc:
        # Created by an earlier, interrupted run (or by CloudHSM itself): adopt it.
        if not is_code(exc, "InvalidInput", "EntityAlreadyExists"):
            raise
        role = iam.get_role(RoleName=ROLE_NAME)["Role"]
    return {"role_arn": role["Arn"]}


def _trusted_services(document: object) -> set[str]:
    """Service principals in a trust policy (IAM returns it URL-encoded from some APIs)."""
    if isinstance(document, str):
        try:
            document = json.loads(unquote(document))
        except ValueError:
            return set()
    services: set[str] = set()
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    for statement in statements:
        service = (statement.get("Principal") or {}).get("Service", [])
        services.update([service] if isinstance(service, str) else service)
    return services


STEP = ServiceLinkedRoleStep()
