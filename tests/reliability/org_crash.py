"""An apply across an organization killed after every n-th change, run again until one finishes; then exact.

Shared by tests/reliability/test_crash_organization.py (a scale the suite can afford) and
benchmarks/org_crash.py (issue 16's 500 accounts, with its figures printed).

The practice account's `org` scenario, with answers naming the organization's root for the administrators'
access and two OUs (and this account) for CloudHSM: every apply makes Identity Center assignments in the
accounts the root and the OUs cover and, through the member role, the CloudHSM IAM group, its policy and
the service-linked role in each CloudHSM account. Each run is killed right after its n-th change reached the
practice account (the change happened, the program never learned it); the next run starts from the saved
answers. What the chain leaves is read from the practice account's own records (moto's backends), not
through hsm-setup, and every successful CreateAccountAssignment is counted at the proxy; teardown's notes (the
saved state's and the member notes file) must name exactly what apply made, so teardown can give it all back.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hsm_setup.state.account import AccountState

from .fault_proxy import FaultProxy, Request
from .kill import Run, run_killed_after_change

REGION = "us-east-1"
IAM_GROUP = "CloudHSMAdmins"
POLICY_NAME = "CloudHSMAdminPolicy"
SERVICE_LINKED_ROLE = "AWSServiceRoleForCloudHSM"
ADMIN_GROUP = "Administrators"
ADMIN_PERMISSION_SET = "AdministratorAccess"
CLOUDHSM_GROUP = "CloudHSMAdmins"
CLOUDHSM_PERMISSION_SET = "CloudHSMAdmins"
# Where CloudHSM runs: the workload accounts (Workloads and the OUs below it) and the security team's.
CLOUDHSM_OUS = ("Workloads", "Security")


def prepare(practice) -> None:
    """The `org` scenario again, with the member role made in the accounts that lack it (as the error for
    such an account tells a person to do): every target can be reached, so a finished apply is all done."""
    from hsm_setup.sandbox.organization import add_member_role

    practice.reset("org")
    seeded = practice.organization
    with practice.world.lock:
        for account_id in seeded.role_missing:
            add_member_role(account_id, seeded.management_account_id)


def answers_toml(practice) -> str:
    """The root for the administrators' access; this account and two OUs for CloudHSM."""
    org = _organization(practice)
    ous = [practice.organization.ou_ids[name] for name in CLOUDHSM_OUS]
    return (
        'region = "us-east-1"\n'
        '[admin]\nuser_name = "hsm.operator"\ngiven_name = "Hsm"\nfamily_name = "Operator"\n'
        f'email = "hsm.operator@example.com"\naccounts = {json.dumps([org.org.root_id])}\n'
        f'[cloudhsm]\nmembers = ["hsm.operator"]\naccounts = {json.dumps(["this", *ous])}\n'
    )


# -- what must exist -------------------------------------------------------------------------
@dataclass(frozen=True)
class Expected:
    this: str  # the connected account: the management account
    admin_accounts: frozenset[str]  # every active account of the organization
    cloudhsm_accounts: frozenset[str]  # this account and the active accounts under CLOUDHSM_OUS


def expected(practice) -> Expected:
    """The targets, from the organization as the practice account holds it (not as hsm-setup resolves it)."""
    org = _organization(practice)
    with practice.world.lock:
        parents = {ou.id: ou.parent_id for ou in org.ou}
        active = {a.id for a in org.accounts if a.status == "ACTIVE"}
        chosen = {practice.organization.ou_ids[name] for name in CLOUDHSM_OUS}

        def under_chosen(parent: str | None) -> bool:
            while parent is not None:
                if parent in chosen:
                    return True
                parent = parents.get(parent)
            return False

        cloudhsm = {a.id for a in org.accounts if a.id in active and under_chosen(a.parent_id)}
    this = practice.account_id
    return Expected(this, frozenset(active), frozenset(cloudhsm | {this}))


# -- the proxy's count of creations that took effect ------------------------------------------
@dataclass
class CreationCount:
    """Successful CreateAccountAssignment answers, per (account, permission set, principal)."""

    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    # The proxy answers each request in a thread of its own.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: Request, body: bytes, status: int) -> None:
        if request.operation == "CreateAccountAssignment" and status == 200:
            params = json.loads(body)
            with self.lock:
                self.counts[(params["TargetId"], params["PermissionSetArn"], params["PrincipalId"])] += 1


# -- the chain --------------------------------------------------------------------------------
@dataclass
class Chain:
    runs: list[Run]
    seconds: float
    # Per killed run: the journal's last action, which the run had started and not finished.
    in_flight: list[str]


class ChainError(AssertionError):
    pass


def crash_chain(program, proxy: FaultProxy, answers_path: str, every: int, max_runs: int) -> Chain:
    """Apply, killed after its `every`-th change, again and again (without the answers file: the saved
    answers carry on) until a run ends by itself."""
    started = time.perf_counter()
    runs: list[Run] = []
    in_flight: list[str] = []
    args: tuple[str, ...] = ("apply", "--yes", "--config", answers_path)
    while True:
        run = run_killed_after_change(program, proxy, every, *args)
        runs.append(run)
        if run.killed_after is None:
            return Chain(runs, time.perf_counter() - started, in_flight)
        if "Traceback" in run.stderr:
            raise ChainError(f"run {len(runs)} crashed on its own:\n{run.stderr}")
        journal = program.saved_state()["journal"]
        # The fan-outs run side by side: the action killed need not be the journal's last entry, only still open.
        still_open = AccountState.open_in(journal)
        if not still_open:
            raise ChainError(f"run {len(runs)} left no action in flight in its journal: {journal[-3:]}")
        in_flight.append(still_open[-1])
        if len(runs) >= max_runs:
            raise ChainError(f"{len(runs)} runs and still not finished: the runs make no headway")
        args = ("apply", "--yes")


# -- exactness --------------------------------------------------------------------------------
@dataclass
class Found:
    """What the organization holds after the chain, as the practice account's records hold it."""

    assignments: dict[str, Counter[str]]  # permission set name -> account -> how many assignments
    creations: Counter[tuple[str, str, str]]
    member_iam: dict[str, dict[str, Any]]  # account -> what its IAM holds of hsm-setup's
    steps: dict[str, str]
    open_actions: list[str]
    failed_actions: list[str]
    pending_requests: list[str]
    noted_accounts: dict[str, set[str]]  # permission set name -> accounts in the teardown notes
    member_notes: dict[str, list[str]]  # member account -> the kinds teardown's member notes hold there


def found(practice, program, creations: CreationCount) -> Found:
    from hsm_setup.organizations.member_notes import MemberNotes
    from hsm_setup.sandbox import backends

    sso = practice.client("sso-admin")
    ids = practice.client("identitystore")
    (instance,) = sso.list_instances()["Instances"]
    groups = {
        g["DisplayName"]: g["GroupId"] for g in ids.list_groups(IdentityStoreId=instance["IdentityStoreId"])["Groups"]
    }
    sets = {
        sso.describe_permission_set(InstanceArn=instance["InstanceArn"], PermissionSetArn=arn)["PermissionSet"][
            "Name"
        ]: arn
        for arn in sso.list_permission_sets(InstanceArn=instance["InstanceArn"])["PermissionSets"]
    }
    grants = {ADMIN_PERMISSION_SET: groups.get(ADMIN_GROUP), CLOUDHSM_PERMISSION_SET: groups.get(CLOUDHSM_GROUP)}
    assignments: dict[str, Counter[str]] = {name: Counter() for name in grants}
    member_iam: dict[str, dict[str, Any]] = {}
    with practice.world.lock:
        for a in backends.sso_admin(REGION).account_assignments:
            for name, principal in grants.items():
                if a.permission_set_arn == sets.get(name) and a.principal_id == principal:
                    assignments[name][a.target_id] += 1
        # The connected account's own IAM (its groups, the caller) is the single-account tests' subject.
        for account_id in practice.organization.member_ids:
            member_iam[account_id] = _iam_of(backends.iam_of(account_id), account_id)
    saved = AccountState(practice.account_id, root=program.state_dir)
    state = saved.data
    noted: dict[str, set[str]] = {name: set() for name in grants}
    by_arn = {arn: name for name, arn in sets.items()}
    for note in state["created"]:
        if note.get("kind") == "account-assignments" and note.get("permission_set_arn") in by_arn:
            noted[by_arn[note["permission_set_arn"]]] |= set(str(note["accounts"]).split(","))
    return Found(
        assignments=assignments,
        creations=Counter({(a, by_arn.get(ps, ps), p): n for (a, ps, p), n in creations.counts.items()}),
        member_iam=member_iam,
        steps=dict(state["steps"]),
        open_actions=saved.in_flight(),
        failed_actions=[e["action"] for e in state["journal"] if e["event"] == "failed"],
        pending_requests=[
            f"{path.name}: {line}"
            for path in sorted(saved.folder.glob("assignment-requests-*.jsonl"))
            for line in path.read_text().splitlines()
        ],
        noted_accounts=noted,
        member_notes={
            account: sorted(r.kind for r in notes.records)
            for account, notes in MemberNotes(program.state_dir / practice.account_id).live().items()
        },
    )


def _iam_of(iam: Any, account_id: str) -> dict[str, Any]:
    customer = [p for p in iam.managed_policies.values() if f":{account_id}:" in p.arn]
    return {
        "groups": sorted(iam.groups),
        "attached": sorted(arn.rsplit("/", 1)[-1] for g in iam.groups.values() for arn in g.managed_policies),
        "policies": sorted((p.name, len(p.versions)) for p in customer),
        "service_linked_roles": sorted(r.name for r in iam.roles.values() if r.path.startswith("/aws-service-role/")),
    }


CLOUDHSM_IAM = {
    "groups": [IAM_GROUP],
    "attached": [POLICY_NAME],
    "policies": [(POLICY_NAME, 1)],
    "service_linked_roles": [SERVICE_LINKED_ROLE],
}
NO_IAM: dict[str, Any] = {"groups": [], "attached": [], "policies": [], "service_linked_roles": []}
# What teardown's member notes hold for a member account where apply made the CloudHSM IAM.
CLOUDHSM_NOTES = sorted(["iam-group", "iam-group-policy", "iam-policy", "service-linked-role"])


def problems(want: Expected, got: Found) -> list[str]:
    """Everything that is not exactly as one uninterrupted apply leaves it; empty when exact."""
    out: list[str] = []
    for name, accounts in (
        (ADMIN_PERMISSION_SET, want.admin_accounts),
        (CLOUDHSM_PERMISSION_SET, want.cloudhsm_accounts),
    ):
        held = got.assignments[name]
        out += _differences(f"{name} assignments", accounts, set(held))
        out += [f"{name}: {n} assignments in {a}" for a, n in sorted(held.items()) if n > 1]
        created = Counter({a: n for (a, ps, _), n in got.creations.items() if ps == name})
        out += _differences(f"{name} creations that succeeded", accounts, set(created))
        out += [f"{name}: created {n} times in {a}" for a, n in sorted(created.items()) if n > 1]
        # Teardown's notes name every account hsm-setup assigned in (this account has a note of its own kind).
        out += [
            f"{name}: no teardown note names {a}" for a in sorted(accounts - got.noted_accounts[name] - {want.this})
        ]
    for account_id, iam in sorted(got.member_iam.items()):
        wanted = CLOUDHSM_IAM if account_id in want.cloudhsm_accounts else NO_IAM
        if iam != wanted:
            out.append(f"member account {account_id} holds {iam}, expected {wanted}")
        # Teardown's notes name exactly what apply made there, so teardown can give the account back.
        notes = got.member_notes.get(account_id, [])
        if notes != (CLOUDHSM_NOTES if account_id in want.cloudhsm_accounts else []):
            out.append(f"member account {account_id}: teardown's notes hold {notes}")
    out += [f"step {s} is {status}" for s, status in sorted(got.steps.items()) if status != "done"]
    out += [f"journal: {a} started and never ended" for a in got.open_actions]
    out += [f"journal: {a} failed" for a in got.failed_actions]
    out += [f"state keeps an assignment request to follow: {k}" for k in got.pending_requests]
    return out


def _differences(what: str, wanted: frozenset[str], held: set[str]) -> Iterator[str]:
    missing, extra = sorted(wanted - held), sorted(held - wanted)
    if missing:
        yield f"{what}: {len(missing)} missing ({', '.join(missing[:5])})"
    if extra:
        yield f"{what}: {len(extra)} not targets ({', '.join(extra[:5])})"


def _organization(practice) -> Any:
    from hsm_setup.sandbox import backends

    return backends.organizations()


def write_answers(practice, folder: Path) -> str:
    path = folder / "answers.toml"
    path.write_text(answers_toml(practice), encoding="utf-8")
    return str(path)
