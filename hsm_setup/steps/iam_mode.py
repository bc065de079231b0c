"""IAM mode ([admin] mode = "iam"): the Identity Center steps are skipped, and say why."""

from __future__ import annotations

from hsm_setup.model import Status, StepFacts, StepResult
from hsm_setup.steps.base import Step

IAM_MODE_SKIP_REASON = (
    'Skipped: the administrator is an IAM user ([admin] mode = "iam"), for a standalone account that will not create '
    "an organization. An account instance of IAM Identity Center cannot grant access to AWS accounts."
)


def skipped_in_iam_mode(step: Step) -> StepResult[StepFacts]:
    """The result of an Identity Center step when the administrator is an IAM user: nothing was read."""
    result = step.result(Status.SKIPPED)
    result.add(True, IAM_MODE_SKIP_REASON, evidence='admin.mode = "iam"')
    return result
