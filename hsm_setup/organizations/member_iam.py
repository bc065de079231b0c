"""The CloudHSM IAM group with its customer managed policy, and the CloudHSM service-linked role, made in a member
account through the member role, each noted (member_notes.py) before it is made.

The rules are the connected account's (steps/iam_groups.py, steps/cloudhsm_group.py, steps/service_linked_role.py):
- What is already there is adopted, not noted: teardown leaves it. The policy attachment is noted only when
  hsm-setup attaches it, so a group someone else made loses only what hsm-setup attached.
- What is not there is noted, then made. A note written by an earlier run stays: what it announced was most likely
  made by that run (it was killed after the note), so a later run finding it there takes it as hsm-setup's.
- Found made by someone else between the read and the creation (EntityAlreadyExists): adopted after all, and this
  run's note dropped, unless this run resumes one that was killed while making it (as StepContext.record_if_resuming).
- The policy carries the managed-by tag, as the connected account's does: teardown deletes only a policy that has it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hsm_setup.errors import is_code
from hsm_setup.organizations.member_access import MemberAccess
from hsm_setup.organizations.member_notes import AccountNotes, MemberNotes, MemberRecord
from hsm_setup.organizations.per_account import SERVICE_LINKED_ROLE
from hsm_setup.resources.base import MANAGED_BY_TAG, found
from hsm_setup.resources.iam_groups import IamGroup, IamGroupPolicy
from hsm_setup.resources.iam_policies import IamPolicy
from hsm_setup.resources.service_linked_role import ServiceLinkedRole

CLOUDHSM_SERVICE = "cloudhsm.amazonaws.com"
# What IAM answers a creation whose name is taken (the service-linked role: InvalidInput, "has been taken").
ALREADY_THERE = ("EntityAlreadyExists",)
ROLE_ALREADY_THERE = ("EntityAlreadyExists", "InvalidInput")


class MemberIam:
    """Makes the CloudHSM IAM resources in member accounts for one apply; one instance is shared by the workers."""

    def __init__(self, access: MemberAccess, notes: MemberNotes | None, *, resuming: bool = False) -> None:
        self.access = access
        # None without saved state (nothing is noted, as StepContext.record_created notes nothing then).
        self.notes = notes
        self.resuming = resuming
        # Read once: each worker looks up only its own account's notes.
        self._noted: dict[str, AccountNotes] = notes.live() if notes else {}

    # -- cloudhsm-group -------------------------------------------------------------------
    def ensure_group(self, account: str, group: str, policy_name: str, document: str, description: str) -> str:
        policy_arn = f"arn:aws:iam::{account}:policy/{policy_name}"
        policy_there = found(lambda: self._call(account, "get_policy", PolicyArn=policy_arn))
        group_there = found(lambda: self._call(account, "get_group", GroupName=group, MaxItems=1))
        attached = group_there and any(
            p.get("PolicyArn") == policy_arn
            for page in self.access.pages(account, "iam", "list_attached_group_policies", GroupName=group)
            for p in page.get("AttachedPolicies", [])
        )
        policy = IamPolicy(arn=policy_arn, name=policy_name)
        made_group = IamGroup(name=group, arn=f"arn:aws:iam::{account}:group/{group}")
        attachment = IamGroupPolicy(group=group, policy_arn=policy_arn)
        wanted = [
            r for r, there in ((policy, policy_there), (made_group, group_there), (attachment, attached)) if not there
        ]
        if not wanted:
            return "group ready"
        noted_now = self._note(account, wanted)
        if not policy_there:
            self._create(
                account,
                policy,
                noted_now,
                ALREADY_THERE,
                lambda: self._call(
                    account,
                    "create_policy",
                    PolicyName=policy_name,
                    PolicyDocument=document,
                    Description=description,
                    Tags=[MANAGED_BY_TAG.copy()],
                ),
            )
        if not group_there:
            self._create(
                account,
                made_group,
                noted_now,
                ALREADY_THERE,
                lambda: self._call(account, "create_group", GroupName=group),
            )
        if not attached:
            # Attaching an attached policy changes nothing in IAM: no race to settle here.
            self._call(account, "attach_group_policy", GroupName=group, PolicyArn=policy_arn)
        return "group ready"

    # -- service-linked-role --------------------------------------------------------------
    def ensure_role(self, account: str) -> str:
        if found(lambda: self._call(account, "get_role", RoleName=SERVICE_LINKED_ROLE)):
            return "role exists"
        role = ServiceLinkedRole(name=SERVICE_LINKED_ROLE)
        noted_now = self._note(account, [role])
        self._create(
            account,
            role,
            noted_now,
            ROLE_ALREADY_THERE,
            lambda: self._call(account, "create_service_linked_role", AWSServiceName=CLOUDHSM_SERVICE),
        )
        return "role created"

    # -- noting and creating ----------------------------------------------------------------
    def _note(self, account: str, records: Sequence[MemberRecord]) -> list[MemberRecord]:
        """Note, in one durable line, what is about to be made and not noted yet; what this call noted."""
        if self.notes is None:
            return []
        earlier = self._noted.get(account)
        new = [r for r in records if earlier is None or not earlier.holds(r)]
        self.notes.created(account, self.access.role_name, new)
        return new

    def _create(
        self,
        account: str,
        record: MemberRecord,
        noted_now: list[MemberRecord],
        already_there: tuple[str, ...],
        create: Callable[[], object],
    ) -> None:
        try:
            create()
        except Exception as exc:
            if not is_code(exc, *already_there):
                raise
            # Made by someone else since it was read: adopted, so not hsm-setup's to remove.
            if self.notes is not None and record in noted_now and not self.resuming:
                self.notes.dropped(account, [record], "adopted")

    def _call(self, account: str, operation: str, **params: object) -> object:
        return self.access.call(account, "iam", operation, **params)
