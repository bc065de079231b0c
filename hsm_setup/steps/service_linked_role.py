"""Step 6: the CloudHSM service-linked role exists.

CloudHSM creates AWSServiceRoleForCloudHSM itself on CreateCluster when the caller
may iam:CreateServiceLinkedRole; AWS warns that without the role you may not be able
to create a cluster, so creating it ahead of time means the first cluster does not
depend on that permission (https://docs.aws.amazon.com/cloudhsm/latest/userguide/service-linked-roles.html).
Its permissions are CloudHSM's, but its description can be edited, and AWS refuses to
delete it while a cluster exists.

A role of that name that does not trust cloudhsm.amazonaws.com is an ordinary role
squatting on the name: the step stays incomplete, with the manual removal as its plan
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage_delete.html).
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from hsm_setup.answers.values import Answers
from hsm_setup.errors import is_code, require
from hsm_setup.json_types import JsonObject
from hsm_setup.model import Status, StepFacts, StepResult, Verdict
from hsm_setup.resources.service_linked_role import ServiceLinkedRole
from hsm_setup.steps import iam_changes
from hsm_setup.steps.actions import Action
from hsm_setup.steps.base import Step
from hsm_setup.steps.context import StepContext
from hsm_setup.steps.grants import Condition, iam_arn, on

ROLE_NAME = "AWSServiceRoleForCloudHSM"
SERVICE = "cloudhsm.amazonaws.com"
ROLE_CONSOLE_URL = f"https://console.aws.amazon.com/iam/home#/roles/details/{ROLE_NAME}"
DELETE_ROLE_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage_delete.html"


class ServiceLinkedRoleFacts(StepFacts, frozen=True):
    # None when the role does not exist.
    role_arn: str | None
    # The service principals its trust policy names.
    trusted_services: frozenset[str] = frozenset()

    @property
    def squatted(self) -> bool:
        """A role of the name exists, but it is not CloudHSM's (it does not trust the service)."""
        return self.role_arn is not None and SERVICE not in self.trusted_services


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
        facts = result.facts_as(ServiceLinkedRoleFacts)
        if facts is not None and facts.squatted:
            return [self._remove_squatter()]
        if facts is not None and facts.role_arn is not None:
            # This account has CloudHSM's role: the step waits on its other target accounts (their own action).
            return []
        return [
            self.api(
                "create-role",
                f"Create the service-linked role {ROLE_NAME}",
                iam_changes.create_service_linked_role(SERVICE, ROLE_NAME),
                _create_role,
                permissions=("iam:CreateServiceLinkedRole",),
            )
        ]

    def _remove_squatter(self) -> Action:
        return self.manual(
            "remove-squatting-role",
            f"Delete the ordinary IAM role named {ROLE_NAME}, so CloudHSM's own can be created",
            ROLE_CONSOLE_URL,
            [
                f"The role {ROLE_NAME} does not trust {SERVICE}: it is an ordinary IAM role someone created with "
                "the service-linked role's name, and it keeps CloudHSM from creating its own.",
                "Find out what uses it (the console's Last activity, CloudTrail), and move that to a role of another name.",
                f"Remove what is attached: aws iam list-attached-role-policies --role-name {ROLE_NAME} and "
                "detach-role-policy; list-role-policies and delete-role-policy; list-instance-profiles-for-role and "
                "remove-role-from-instance-profile.",
                f"Delete it: aws iam delete-role --role-name {ROLE_NAME} (or in the IAM console: Roles > the role > "
                f"Delete). {DELETE_ROLE_DOC}",
                "Then run apply again: hsm-setup creates CloudHSM's service-linked role.",
            ],
        )


def read(ctx: StepContext) -> ServiceLinkedRoleFacts:
    try:
        response = ctx.client("iam").get_role(RoleName=ROLE_NAME)
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        return ServiceLinkedRoleFacts(role_arn=None)
    role = require(response, "Role", what="iam GetRole", of=dict)
    if ctx.interrupted("service-linked-role:create-role"):
        # A killed run was creating it: it is hsm-setup's (the plan no longer creates it, so note it here).
        ctx.record_created(ServiceLinkedRole(name=str(role.get("RoleName", ROLE_NAME)), arn=str(role.get("Arn", ""))))
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
    verdict = Verdict(Status.INCOMPLETE if facts.squatted else Status.DONE)
    verdict.add(True, f"The role {ROLE_NAME} exists.", evidence=facts.role_arn)
    if not facts.squatted:
        verdict.add(True, f"It trusts {SERVICE}.", evidence="AssumeRolePolicyDocument Principal.Service")
    else:
        verdict.add(
            False,
            f"It does not trust {SERVICE}: it is an ordinary IAM role squatting on the service-linked role's name, "
            "and CloudHSM cannot use it. Delete it (after moving whatever uses it to a role of another name), "
            f"then apply again to create CloudHSM's own ({DELETE_ROLE_DOC}).",
            evidence=", ".join(sorted(facts.trusted_services)) or "no service principal",
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
        ctx.record_if_resuming(ServiceLinkedRole(name=str(role["RoleName"]), arn=str(role["Arn"])))
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
