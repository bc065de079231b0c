"""How checks word what they found about Identity Center: shared by the steps that depend on it."""

from __future__ import annotations

from hsm_setup.identity_center.polling import REQUEST_STATUSES
from hsm_setup.identity_center.reads import AssignmentRequest
from hsm_setup.model import Status, StepFacts, StepResult

IDENTITY_CENTER_STEP = "identity-center"


def waiting_for_identity_center(step_id: str) -> StepResult[StepFacts]:
    """The result of a dependent step checked before Identity Center was found."""
    result: StepResult[StepFacts] = StepResult(step_id, Status.BLOCKED, blocked_by=[IDENTITY_CENTER_STEP])
    result.add(
        False, "Waiting for identity-center: this step needs an organization instance of IAM Identity Center first."
    )
    return result


def request_finding(request: AssignmentRequest) -> tuple[str, str]:
    """A message and evidence for an assignment request that is not SUCCEEDED."""
    status = request.status
    evidence = f"DescribeAccountAssignmentCreationStatus {request.request_id}: Status = {status}".strip()
    if status == "FAILED":
        reason = request.failure_reason or "AWS gave no reason"
        return f"The last account assignment failed: {reason}", evidence
    if status not in REQUEST_STATUSES:
        return (
            f"AWS reports the last account assignment request as {status}, a status hsm-setup does not know; "
            "apply looks at the assignment again.",
            evidence,
        )
    return "The account assignment is still being provisioned; it takes a minute or two.", evidence
