"""Adding a member is idempotent, and a membership an interrupted run added is hsm-setup's.

The administrators group and the CloudHSM group share one way to add a member
(identity_center.groups.ensure_membership): when a run was killed after IAM Identity Center
added the member but before the run noted it, the next run finds the membership and notes
it as its own, so teardown removes it; a membership found on a run that was not interrupted
is somebody else's and is not noted.
"""

from __future__ import annotations

from hsm_setup.identity_center.groups import ensure_membership
from hsm_setup.identity_center.instance import IdentityCenter
from hsm_setup.resources.base import Record
from hsm_setup.resources.identity_store import GroupMembership

IC = IdentityCenter(
    instance_arn="arn:aws:sso:::instance/ssoins-1111111111111111", identity_store_id="d-1111111111", region="us-east-1"
)


class _Store:
    """Identity Center's identity store with the user already in the group."""

    def __init__(self) -> None:
        self.created = 0

    def get_group_membership_id(self, **_: object) -> dict[str, str]:
        return {"MembershipId": "m-existing"}

    def create_group_membership(self, **_: object) -> dict[str, str]:  # pragma: no cover - must not be called
        self.created += 1
        return {"MembershipId": "m-new"}


class _Work:
    def __init__(self, *, resuming: bool) -> None:
        self.resuming = resuming
        self.store = _Store()
        self.noted: list[Record] = []

    def client(self, service: str, region: str) -> _Store:
        assert (service, region) == ("identitystore", "us-east-1")
        return self.store

    def record_created(self, record: Record) -> None:
        self.noted.append(record)

    def record_if_resuming(self, record: Record) -> None:
        if self.resuming:
            self.record_created(record)


def _add(work: _Work) -> str:
    return ensure_membership(
        work,  # type: ignore[arg-type]
        IC,
        group_id="g-1",
        group_name="AWSAdministrators",
        user_id="u-1",
        user_name="ops.admin",
    )


def test_a_membership_an_interrupted_run_added_is_noted_as_hsm_setups():
    work = _Work(resuming=True)
    assert _add(work) == "m-existing"
    assert work.store.created == 0
    assert work.noted == [
        GroupMembership(
            membership_id="m-existing",
            group="AWSAdministrators",
            group_id="g-1",
            user="ops.admin",
            identity_store_id="d-1111111111",
            region="us-east-1",
        )
    ]


def test_a_membership_found_on_an_ordinary_run_is_left_as_someone_elses():
    work = _Work(resuming=False)
    assert _add(work) == "m-existing"
    assert work.store.created == 0 and work.noted == []
