"""Assignments in many accounts within Identity Center's documented limits: 20 calls a second for all its APIs
together, at most 15 creations outstanding (https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html),
the waits for them sharing status listings, each request noted before it is waited for."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hsm_setup.answers.values import defaults
from hsm_setup.errors import HsmSetupError
from hsm_setup.identity_center.creation_watch import CreationWatch
from hsm_setup.identity_center.pace import (
    OUTSTANDING_CREATIONS,
    REQUESTS_PER_SECOND,
    IdentityCenterPace,
    Slots,
    Turns,
)
from hsm_setup.organizations.apply_accounts import apply_in_accounts
from hsm_setup.organizations.per_account import OrganizationScope
from hsm_setup.organizations.sent_requests import SentRequests
from hsm_setup.state.account import AccountState
from hsm_setup.steps.context import StepContext

INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111"
PERMISSION_SET = f"{INSTANCE.replace('instance', 'permissionSet')}/ps-2222222222222222"
GROUP = "group-3333"
ACCOUNTS = [f"{100000000000 + n}" for n in range(60)]


class FakeIdentityCenter:
    """sso-admin as the fan-out calls it. AWS is slower than the client here: a creation stays IN_PROGRESS until
    the client has stopped sending creations (three status queries in a row without one), and at least until its
    second status query (as the practice account's); the requests of `failing` accounts end FAILED."""

    def __init__(self, failing: dict[str, str] | None = None) -> None:
        self.quiet = 0  # status queries since the latest creation
        self.failing = failing or {}
        self.lock = threading.Lock()
        self.requests: dict[str, dict[str, Any]] = {}
        self.assigned: set[str] = set()
        self.outstanding = 0
        self.peak_outstanding = 0
        self.calls: Counter[str] = Counter()
        self.created: list[str] = []
        self.before_send: list[Callable[..., None]] = []
        self.meta = SimpleNamespace(
            events=SimpleNamespace(register=lambda name, handler: self.before_send.append(handler))
        )
        self.ids = (f"{n:08d}-0000-0000-0000-000000000000" for n in itertools.count())

    def _send(self, operation: str) -> None:
        for handler in self.before_send:
            handler(event_name=f"before-send.sso-admin.{operation}")
        # A call takes a moment on the wire, as AWS's do: the client's threads interleave as they would.
        time.sleep(0.001)
        with self.lock:
            self.calls[operation] += 1

    def _poll(self, request_id: str) -> dict[str, Any]:
        request = self.requests[request_id]
        request["polls"] += 1
        if request["Status"] == "IN_PROGRESS" and request["polls"] > 1 and self.quiet >= 3:
            self.outstanding -= 1
            if request["account"] in self.failing:
                request.update(Status="FAILED", FailureReason=self.failing[request["account"]])
            else:
                request["Status"] = "SUCCEEDED"
                self.assigned.add(request["account"])
        return {k: v for k, v in request.items() if k not in ("polls", "account")}

    def create_account_assignment(self, **params: str) -> dict[str, Any]:
        self._send("CreateAccountAssignment")
        with self.lock:
            request_id = next(self.ids)
            account = params["TargetId"]
            self.created.append(account)
            self.requests[request_id] = {"account": account, "polls": 0, "Status": "IN_PROGRESS"}
            self.requests[request_id].update(RequestId=request_id, TargetId=account)
            self.outstanding += 1
            self.quiet = 0
            self.peak_outstanding = max(self.peak_outstanding, self.outstanding)
            return {"AccountAssignmentCreationStatus": {"Status": "IN_PROGRESS", "RequestId": request_id}}

    def describe_account_assignment_creation_status(self, **params: str) -> dict[str, Any]:
        self._send("DescribeAccountAssignmentCreationStatus")
        with self.lock:
            self.quiet += 1
            return {"AccountAssignmentCreationStatus": self._poll(params["AccountAssignmentCreationRequestId"])}

    def list_account_assignment_creation_status(self, **params: Any) -> dict[str, Any]:
        self._send("ListAccountAssignmentCreationStatus")
        with self.lock:
            self.quiet += 1
            statuses = [self._poll(request_id) for request_id in self.requests]
        return {"AccountAssignmentsCreationStatus": [s for s in statuses if s["Status"] == params["Filter"]["Status"]]}

    def list_account_assignments_for_principal(self, **params: Any) -> dict[str, Any]:
        self._send("ListAccountAssignmentsForPrincipal")
        with self.lock:
            held = [{"AccountId": a, "PermissionSetArn": PERMISSION_SET} for a in sorted(self.assigned)]
        return {"AccountAssignments": held}


def assign(sso: FakeIdentityCenter, accounts: list[str], state: AccountState | None = None) -> dict[str, object]:
    """The permission-sets step's action for `accounts`, as apply runs it, against `sso`."""
    aws = SimpleNamespace(new_client=lambda service, region=None, **_: sso, profile=None)
    ctx = StepContext(aws=aws, answers=defaults(), identity_future=Future(), state=state)  # type: ignore[arg-type]
    # Time passes only when someone waits (the pace's turns, the listings' interval, conflict retries): no test
    # waits in real time for the 20 calls a second, nor spins on a clock a sleep does not move.
    virtual = VirtualTime()
    ctx.sleep, ctx.clock = virtual.sleep, virtual.clock
    facts = SimpleNamespace(
        permission_set=SimpleNamespace(name="CloudHSMAdmins", arn=PERMISSION_SET),
        identity_center=SimpleNamespace(instance_arn=INSTANCE, region="us-east-1"),
        group_id=GROUP,
        group_name="CloudHSMAdmins",
    )
    step = SimpleNamespace(id="permission-sets", check=lambda ctx: SimpleNamespace(facts=facts))
    return apply_in_accounts(OrganizationScope(aws), step, ctx, accounts)  # type: ignore[arg-type]


def test_no_more_creations_are_outstanding_than_identity_center_allows() -> None:
    sso = FakeIdentityCenter()
    assert assign(sso, ACCOUNTS) == {"accounts": len(ACCOUNTS)}
    assert sso.assigned == set(ACCOUNTS)
    assert sorted(sso.created) == ACCOUNTS  # one creation an account
    assert 1 < sso.peak_outstanding <= OUTSTANDING_CREATIONS


def test_the_waits_share_status_listings_instead_of_polling_each_request() -> None:
    sso = FakeIdentityCenter()
    assign(sso, ACCOUNTS)
    # Polled one request at a time, each would take two or more status reads of Identity Center's 20 a second
    # (how few listings serve them is CreationWatch's test below: here no time passes between them).
    assert sso.calls["DescribeAccountAssignmentCreationStatus"] == 0
    assert sso.calls["ListAccountAssignmentCreationStatus"] > 0


def test_a_failed_creation_is_named_with_its_account_and_reason_and_the_next_run_sends_it_again(
    tmp_path: Path,
) -> None:
    state = AccountState("123456789012", root=tmp_path)
    failing = ACCOUNTS[7]
    sso = FakeIdentityCenter(failing={failing: "The role could not be created in the account"})
    with pytest.raises(HsmSetupError) as failed:
        assign(sso, ACCOUNTS, state)
    assert f"Account {failing}: the assignment failed: The role could not be created in the account" in str(
        failed.value
    )
    assert "1 of 60 accounts failed" in str(failed.value)
    assert sso.assigned == set(ACCOUNTS) - {failing}
    # Only the failed request stays noted; the next run reads it, finds it FAILED and creates again.
    assert SentRequests(state.folder, PERMISSION_SET, GROUP).request(failing) is not None
    assert SentRequests(state.folder, PERMISSION_SET, GROUP).request(ACCOUNTS[0]) is None
    sso.failing.clear()
    sso.created.clear()
    assert assign(sso, ACCOUNTS, state) == {"accounts": len(ACCOUNTS)}
    assert sso.created == [failing]
    assert sso.assigned == set(ACCOUNTS)
    assert not list(state.folder.glob("assignment-requests-*"))


def test_which_requests_failed_comes_from_one_listing_of_failed_requests() -> None:
    sso = FakeIdentityCenter(failing={ACCOUNTS[3]: "The role could not be created in the account"})
    with pytest.raises(HsmSetupError):
        assign(sso, ACCOUNTS)
    # The principal's assignments are listed once, as the fan-out begins (at 1,000 accounts, ten pages); after the
    # creations, the instance's FAILED requests are listed and only the failed request is described.
    assert sso.calls["ListAccountAssignmentsForPrincipal"] == 1
    assert sso.calls["DescribeAccountAssignmentCreationStatus"] == 1


def test_a_request_noted_by_a_stopped_run_is_followed_not_sent_again(tmp_path: Path) -> None:
    state = AccountState("123456789012", root=tmp_path)
    sso = FakeIdentityCenter()
    sent = sso.create_account_assignment(TargetId=ACCOUNTS[0])["AccountAssignmentCreationStatus"]["RequestId"]
    SentRequests(state.folder, PERMISSION_SET, GROUP).sent(ACCOUNTS[0], sent)
    sso.created.clear()
    assert assign(sso, ACCOUNTS[:3], state) == {"accounts": 3}
    assert sorted(sso.created) == ACCOUNTS[1:3]
    assert sso.assigned == set(ACCOUNTS[:3])


def test_a_noted_request_that_succeeds_after_the_fan_out_began_is_not_sent_again(tmp_path: Path) -> None:
    # A stopped run's request was still in progress when this fan-out listed the principal's assignments, and has
    # succeeded by the time its account's turn comes.
    state = AccountState("123456789012", root=tmp_path)
    sso = FakeIdentityCenter()
    sent = sso.create_account_assignment(TargetId=ACCOUNTS[0])["AccountAssignmentCreationStatus"]["RequestId"]
    SentRequests(state.folder, PERMISSION_SET, GROUP).sent(ACCOUNTS[0], sent)
    sso.requests[sent]["polls"] = 1  # listed once already: the next status query finds it SUCCEEDED
    sso.quiet = 3
    sso.created.clear()
    assert assign(sso, ACCOUNTS[:1], state) == {"accounts": 1}
    assert sso.created == []
    assert sso.assigned == set(ACCOUNTS[:1])


def test_a_noted_request_that_succeeded_but_whose_assignment_is_gone_since_is_made_again(tmp_path: Path) -> None:
    # A run was killed after its creation succeeded and before it noted so; a teardown then removed the assignment.
    state = AccountState("123456789012", root=tmp_path)
    sso = FakeIdentityCenter()
    sent = sso.create_account_assignment(TargetId=ACCOUNTS[0])["AccountAssignmentCreationStatus"]["RequestId"]
    SentRequests(state.folder, PERMISSION_SET, GROUP).sent(ACCOUNTS[0], sent)
    sso.quiet = 3
    for _ in range(2):
        sso.describe_account_assignment_creation_status(AccountAssignmentCreationRequestId=sent)
    sso.assigned.clear()
    sso.created.clear()
    assert assign(sso, ACCOUNTS[:1], state) == {"accounts": 1}
    assert sso.created == ACCOUNTS[:1]
    assert sso.assigned == set(ACCOUNTS[:1])


# -- the pace ---------------------------------------------------------------------------------
class VirtualTime:
    """A clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def most_in_a_second(sent: list[float]) -> int:
    # A hair under one second, for the sums of floats.
    return max(sum(1 for t in sent if start <= t < start + 1.0 - 1e-6) for start in sent)


def turns_taken(virtual: VirtualTime, count: int) -> list[float]:
    """When each of `count` calls in a row took its turn."""
    turns = Turns(REQUESTS_PER_SECOND, sleep=virtual.sleep, clock=virtual.clock)
    sent: list[float] = []
    for _ in range(count):
        turns.take()
        sent.append(virtual.clock())
    return sent


def test_calls_are_paced_to_twenty_a_second() -> None:
    sent = turns_taken(VirtualTime(), 60)
    assert most_in_a_second(sent) == REQUESTS_PER_SECOND
    # No burst: never two calls closer than 40 ms (25 a second at the most).
    assert min(later - earlier for earlier, later in itertools.pairwise(sent)) >= 0.04 - 1e-9
    # Sixty calls in three seconds, and the slack each second leaves for requests that arrive late.
    assert sent[-1] - sent[0] < 3.05


class LateWaking(VirtualTime):
    """A clock where every sleeper wakes 5 ms late: it had to wait for the interpreter lock."""

    def sleep(self, seconds: float) -> None:
        self.now += seconds + 0.005


def test_a_caller_that_wakes_late_delays_none_of_the_next_turns() -> None:
    sent = turns_taken(LateWaking(), 200)
    assert most_in_a_second(sent) <= REQUESTS_PER_SECOND
    # At twenty a second 200 calls take ten seconds. Spaced from each call before, every 5 ms lost would add up
    # (200 x 55 ms = 11 s); counted a second back, each is lost once a second.
    assert sent[-1] - sent[0] < 10.2


class WatchedSlots(Slots):
    """Slots that tell when a caller begins waiting for one."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.waiting = threading.Event()

    def wait_free(self) -> None:
        self.waiting.set()
        super().wait_free()


def test_a_creation_whose_turn_comes_with_no_slot_free_leaves_the_turn_to_the_next_caller() -> None:
    virtual = VirtualTime()
    turns = Turns(REQUESTS_PER_SECOND, sleep=virtual.sleep, clock=virtual.clock)
    slots = WatchedSlots(1)
    turns.take(slots=slots)  # the one slot, taken with its turn
    second = threading.Thread(target=turns.take, kwargs={"slots": slots})
    second.start()
    assert slots.waiting.wait(timeout=30)  # its turn came, and no slot was free
    due = virtual.clock()
    turns.take()  # a status listing, say: it goes at once, in the turn the creation could not use
    assert virtual.clock() == due
    assert second.is_alive()
    slots.give_back()
    second.join(timeout=30)
    assert not second.is_alive()
    assert not slots.try_take()  # the second creation holds the slot now


def test_a_creation_holds_a_slot_from_its_turn_until_its_wait_ends() -> None:
    virtual = VirtualTime()
    sso = FakeIdentityCenter()
    aws: Any = SimpleNamespace(new_client=lambda service, region=None, **_: sso)
    pace = IdentityCenterPace(aws, "us-east-1", sleep=virtual.sleep, clock=virtual.clock, outstanding=2)
    client = pace.sso
    with pace.creating():
        # Waiting for its turn (the client has not sent it yet) it holds none: both slots are free.
        assert pace.creation_slots.try_take() and pace.creation_slots.try_take()
        pace.creation_slots.give_back()
        pace.creation_slots.give_back()
        client.create_account_assignment(TargetId=ACCOUNTS[0])
        client.create_account_assignment(TargetId=ACCOUNTS[0])  # sent again (a retry): no second slot
        assert pace.creation_slots.try_take()
        assert not pace.creation_slots.try_take()
        pace.creation_slots.give_back()
    assert pace.creation_slots.try_take() and pace.creation_slots.try_take()


# -- the shared listing -----------------------------------------------------------------------
class Listings:
    """ListAccountAssignmentCreationStatus answering from a script: the set of requests in progress each time."""

    def __init__(self, answers: list[set[str]]) -> None:
        self.answers = answers
        self.sent = 0
        self.arrived = threading.Event()  # a listing was sent, and waits for `release` to be answered
        self.release = threading.Event()
        self.release.set()

    def list_account_assignment_creation_status(self, **params: Any) -> dict[str, Any]:
        self.arrived.set()
        assert self.release.wait(timeout=30)
        answer = self.answers[min(self.sent, len(self.answers) - 1)]
        self.sent += 1
        return {"AccountAssignmentsCreationStatus": [{"RequestId": r, "Status": "IN_PROGRESS"} for r in answer]}


def watch(listings: Listings) -> CreationWatch:
    virtual = VirtualTime()
    return CreationWatch(
        listings,  # type: ignore[arg-type]
        INSTANCE,
        sleep=virtual.sleep,
        clock=virtual.clock,
    )


def test_one_listing_answers_every_waiting_request() -> None:
    requests = [f"request-{n}" for n in range(20)]
    listings = Listings([set(requests), set()])
    watching = watch(listings)
    listings.release.clear()
    waiters = [threading.Thread(target=watching.wait, args=(r,)) for r in requests]
    for waiter in waiters:
        waiter.start()
    listings.release.set()
    for waiter in waiters:
        waiter.join(timeout=30)
    assert not any(w.is_alive() for w in waiters)
    assert listings.sent <= 3


def test_a_listing_sent_before_a_request_existed_does_not_count_as_its_end() -> None:
    listings = Listings([set(), {"late"}, set()])
    watching = watch(listings)
    listings.release.clear()
    early = threading.Thread(target=watching.wait, args=("early",))
    early.start()
    assert listings.arrived.wait(timeout=30)
    # The first listing is on its way; only now is "late" created and waited for.
    late = threading.Thread(target=watching.wait, args=("late",))
    late.start()
    listings.release.set()
    early.join(timeout=30)
    late.join(timeout=30)
    assert not early.is_alive() and not late.is_alive()
    # The first listing (empty) was sent before "late" existed: "late" waited for the two after it.
    assert listings.sent == 3


def a_watch_with_slots(listings: Listings, all_taken: Callable[[], bool] = lambda: True) -> CreationWatch:
    # The clock stands still: a listing sent is one the batch called for, not one the interval did.
    return CreationWatch(
        listings,  # type: ignore[arg-type]
        INSTANCE,
        sleep=lambda seconds: time.sleep(min(seconds, 0.001)),
        clock=lambda: 1000.0,
        interval=60.0,
        batch=3,
        all_taken=all_taken,
    )


def first_request_listed(watching: CreationWatch, listings: Listings) -> threading.Thread:
    first = threading.Thread(target=watching.wait, args=("first",))
    first.start()  # listed at once (nothing listed before), still in progress: the next listing waits for a batch
    while listings.sent < 1:
        time.sleep(0.001)
    return first


def start_waiting(watching: CreationWatch, count: int) -> list[threading.Thread]:
    waiters = [threading.Thread(target=watching.wait, args=(f"request-{n}",)) for n in range(count)]
    for waiter in waiters:
        waiter.start()
    return waiters


def all_ended(waiters: list[threading.Thread]) -> bool:
    for waiter in waiters:
        waiter.join(timeout=30)
    return not any(w.is_alive() for w in waiters)


def test_a_listing_is_sent_as_soon_as_a_batch_of_requests_waits() -> None:
    listings = Listings([{"first"}, set()])
    watching = a_watch_with_slots(listings)  # every slot taken
    first = first_request_listed(watching, listings)
    time.sleep(0.05)
    assert listings.sent == 1
    assert all_ended([first, *start_waiting(watching, 3)])
    # One listing for the first request alone, then one for it and the batch together.
    assert listings.sent == 2


def test_a_batch_waits_until_the_last_free_slot_is_taken() -> None:
    # The creation about to take the free slot joins this listing's group, so every listing frees as many as it can.
    listings = Listings([{"first"}, set()])
    taken = threading.Event()
    watching = a_watch_with_slots(listings, taken.is_set)
    first = first_request_listed(watching, listings)
    batch = start_waiting(watching, 3)
    time.sleep(0.1)
    assert listings.sent == 1  # a batch waits, and a slot is free
    taken.set()
    assert all_ended([first, *batch])
    assert listings.sent == 2


def test_one_request_more_than_a_batch_is_listed_with_a_slot_free() -> None:
    listings = Listings([{"first"}, set()])
    watching = a_watch_with_slots(listings, lambda: False)
    first = first_request_listed(watching, listings)
    assert all_ended([first, *start_waiting(watching, 4)])
    assert listings.sent == 2


def test_a_request_still_in_progress_after_the_longest_wait_is_named() -> None:
    listings = Listings([{"stuck"}])
    with pytest.raises(HsmSetupError) as stuck:
        watch(listings).wait("stuck")
    assert "stuck is still in progress after 300 s" in str(stuck.value)
