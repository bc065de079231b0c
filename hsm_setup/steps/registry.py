"""The six setup steps, in the order the CloudHSM guide gives them.

Their ids are a public contract (JSON output, saved progress, answers). The registry is
its own module, not the package's __init__, so importing one piece of a step (its actions,
its base class) does not import every step: the wizard's first frame needs none of them.
"""

from __future__ import annotations

from hsm_setup.steps import admin_user, cloudhsm_group, identity_center, permission_sets, root_user, service_linked_role
from hsm_setup.steps.base import Step

STEPS: tuple[Step, ...] = (
    root_user.STEP,
    identity_center.STEP,
    admin_user.STEP,
    permission_sets.STEP,
    cloudhsm_group.STEP,
    service_linked_role.STEP,
)
STEP_IDS: tuple[str, ...] = tuple(s.id for s in STEPS)


def step(step_id: str) -> Step:
    for candidate in STEPS:
        if candidate.id == step_id:
            return candidate
    raise KeyError(step_id)
