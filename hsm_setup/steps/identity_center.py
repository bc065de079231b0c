"""Step 2: IAM Identity Center is enabled, as an organization instance.

Only an organization instance can grant people access to AWS accounts through
permission sets; it has no creation API and is enabled in the management
account's console. An account instance (what sso-admin CreateInstance makes) is
reported, with why it does not serve.

An instance has a primary Region, where its users, groups, permission sets and
assignments are managed, and an organization instance may be replicated to
additional Regions, where people can also sign in. One ListInstances call with
RegionScope=ALL_REGIONS finds the instance wherever it is, with its PrimaryRegion
and Regions; the later steps write only to the primary Region.
(https://docs.aws.amazon.com/singlesignon/latest/userguide/multi-region-iam-identity-center.html)

No API returns the access portal URL: it is the answers' identity_center.portal_url
when given, otherwise the default form, shown with a warning.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Final, Literal

import msgspec

from hsm_setup.answers.fields import is_iam_mode
from hsm_setup.answers.values import Answers
from hsm_setup.errors import is_code, items, next_token, require
from hsm_setup.identity_center.instance import IdentityCenter, console_url, portal_url
from hsm_setup.json_types import JsonObject
from hsm_setup.model import Status, StepFacts, StepResult, Verdict
from hsm_setup.resources.organization import Organization as OrganizationNote
from hsm_setup.steps import iam_changes
from hsm_setup.steps.actions import Action
from hsm_setup.steps.base import Step
from hsm_setup.steps.context import StepContext
from hsm_setup.steps.grants import IC_ONLY, ORGANIZATIONS_SERVICE_LINKED_ROLE, no_resource
from hsm_setup.steps.iam_mode import skipped_in_iam_mode

if TYPE_CHECKING:
    from mypy_boto3_organizations.client import OrganizationsClient
    from mypy_boto3_sso_admin.client import SSOAdminClient

STEP_ID = "identity-center"

ORGANIZATION: Final = "ORGANIZATION"
ACCOUNT: Final = "ACCOUNT"
ACCOUNT_INSTANCE_WHY = (
    "account instances of IAM Identity Center cannot grant access to AWS accounts: "
    "permission sets and account assignments need an organization instance"
)
ORGANIZATIONS_SETTINGS_URL = "https://console.aws.amazon.com/organizations/v2/home/settings"
# The instance statuses sso-admin documents; any other is shown as unknown and never taken as ACTIVE.
INSTANCE_STATUSES = ("CREATE_IN_PROGRESS", "CREATE_FAILED", "DELETE_IN_PROGRESS", "ACTIVE")
# ListInstances answers for every Region the instance is enabled in (primary and additional).
ALL_REGIONS = "ALL_REGIONS"
PORTAL_URL_KEY = "identity_center.portal_url"


OrgRole = Literal["standalone", "management", "member"]
InstanceKind = Literal["ORGANIZATION", "ACCOUNT"]


class Organization(msgspec.Struct, frozen=True):
    """organizations DescribeOrganization, as far as these steps care."""

    id: str | None
    management_account_id: str | None
    feature_set: str | None


class Instance(msgspec.Struct, frozen=True):
    """The Identity Center instance that matters (an active organization instance before anything else)."""

    arn: str
    identity_store_id: str
    status: str
    owner_account_id: str | None
    kind: InstanceKind


class IdentityCenterFacts(StepFacts, frozen=True):
    account_id: str
    # The Region the answers chose, and the instance's primary Region (the chosen one when there is none).
    chosen_region: str
    region: str
    instance: Instance | None
    # None: the account is in no organization (standalone).
    organization: Organization | None
    # How far the search for an instance went, when none was found.
    search_note: str = ""
    # The instance's additional Regions (people can sign in there; it is managed in the primary one).
    additional_regions: tuple[str, ...] = ()
    # The access portal URL from the answers (identity_center.portal_url); None: not given.
    given_portal_url: str | None = None

    @property
    def org_role(self) -> OrgRole:
        if self.organization is None:
            return "standalone"
        return "management" if self.organization.management_account_id == self.account_id else "member"

    @property
    def usable(self) -> bool:
        return self.instance is not None and self.instance.kind == ORGANIZATION and self.instance.status == "ACTIVE"

    @property
    def portal_url(self) -> str | None:
        """The URL given in the answers, else the default form (no AWS API returns it)."""
        if self.instance is None:
            return None
        return self.given_portal_url or portal_url(self.instance.identity_store_id)

    @property
    def identity_center(self) -> IdentityCenter | None:
        """The instance as the dependent steps use it: in its primary Region."""
        if self.instance is None:
            return None
        return IdentityCenter(self.instance.arn, self.instance.identity_store_id, self.region, self.given_portal_url)


def identity_center_of(ctx: StepContext) -> IdentityCenter | None:
    """The instance the identity-center step found, for the steps that depend on it."""
    facts = ctx.facts_of(STEP_ID, IdentityCenterFacts)
    return facts.identity_center if facts is not None else None


class IdentityCenterStep(Step):
    id = STEP_ID
    title = "IAM Identity Center enabled"
    guidance = "identity-center.md"
    why = "People sign in through IAM Identity Center instead of sharing IAM users or the root user."
    check_permissions = no_resource("sso:ListInstances", "organizations:DescribeOrganization", modes=IC_ONLY)
    # CreateOrganization also creates the AWSServiceRoleForOrganizations service-linked role, with the caller's rights.
    apply_permissions = (
        *no_resource("organizations:CreateOrganization", "organizations:DescribeOrganization", modes=IC_ONLY),
        ORGANIZATIONS_SERVICE_LINKED_ROLE,
    )

    def check(self, ctx: StepContext) -> StepResult[StepFacts]:
        if is_iam_mode(ctx.answers):
            return skipped_in_iam_mode(self)
        facts = read(ctx)
        return self.judged(facts, judge(facts, ctx.answers))

    # -- plan -------------------------------------------------------------------------
    def plan(self, ctx: StepContext, result: StepResult[StepFacts]) -> list[Action]:
        facts = result.facts_as(IdentityCenterFacts)
        if facts is None:
            return []
        role = facts.org_role
        if role == "member":
            return [self._ask_management_account(ctx, facts)]
        instance = facts.instance
        if instance is not None and instance.kind == ORGANIZATION and instance.status == "CREATE_IN_PROGRESS":
            return [self._wait_for_instance(facts)]
        actions: list[Action] = []
        if role == "standalone":
            actions.append(
                self.api(
                    "create-organization",
                    "Create an organization with all features",
                    iam_changes.create_organization(),
                    _create_organization,
                    permissions=(
                        "organizations:CreateOrganization",
                        "organizations:DescribeOrganization",
                        "iam:CreateServiceLinkedRole",
                    ),
                )
            )
        elif facts.organization is not None and facts.organization.feature_set == "CONSOLIDATED_BILLING":
            actions.append(
                self.manual(
                    "enable-all-features",
                    "Enable all features in AWS Organizations",
                    ORGANIZATIONS_SETTINGS_URL,
                    [
                        "Sign in to the management account.",
                        "Open AWS Organizations > Settings and choose Enable all features.",
                        "Every member account's administrator must approve the request; then the change completes.",
                    ],
                )
            )
        actions.append(self._enable_in_console(ctx, facts))
        return actions

    def _enable_in_console(self, ctx: StepContext, facts: IdentityCenterFacts) -> Action:
        region = ctx.region
        steps = [
            "Sign in to the management account of the organization (an administrator, not the root user if you can avoid it).",
            f"Open IAM Identity Center in {region} and choose Enable.",
            'Choose "Enable with AWS Organizations" (not "Enable an account instance").',
            "Wait until the dashboard shows the AWS access portal URL, then come back here.",
        ]
        if facts.instance is not None and facts.instance.kind == ACCOUNT:
            steps.append(
                f"The account instance in {facts.region} stays as it is but unused for AWS account access: {ACCOUNT_INSTANCE_WHY}."
            )
        return self.manual(
            "enable-identity-center",
            "Enable IAM Identity Center in the console",
            console_url(region),
            steps,
            simulation="enable-identity-center",
        )

    def _ask_management_account(self, ctx: StepContext, facts: IdentityCenterFacts) -> Action:
        management = (
            facts.organization.management_account_id if facts.organization else None
        ) or "the management account"
        steps = [
            f"This account is a member of an organization: IAM Identity Center is owned by its management account ({management}); "
            "it cannot be enabled for the organization from here.",
            "Ask the management account's administrators to enable IAM Identity Center with AWS Organizations "
            "(an organization instance), if it is not enabled yet.",
            f"Then ask them for one of: a permission set assigned to you on this account ({ctx.account_id}), "
            "or delegated administration of IAM Identity Center for this account, so hsm-setup can manage it from here.",
        ]
        if facts.instance is not None and facts.instance.kind == ACCOUNT:
            steps.append(f"The account instance in {facts.region} cannot help: {ACCOUNT_INSTANCE_WHY}.")
        return self.manual(
            "ask-management-account",
            "Ask the management account's administrators for IAM Identity Center access",
            console_url(facts.region or ctx.region),
            steps,
        )

    def _wait_for_instance(self, facts: IdentityCenterFacts) -> Action:
        return self.manual(
            "wait-for-instance",
            "Wait for IAM Identity Center to finish enabling",
            console_url(facts.region),
            ["IAM Identity Center is still being enabled; this takes a few minutes. The check turns done by itself."],
        )


# -- read ---------------------------------------------------------------------------------
def read(ctx: StepContext) -> IdentityCenterFacts:
    """The instance in every Region at once (asked in the saved Region, else the chosen one) and the organization."""
    chosen = ctx.region
    home = ctx.saved("identity_center_region") or chosen
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="hsm-read") as pool:
        instances_f = pool.submit(_list_instances, ctx.client("sso-admin", home))
        organization_f = pool.submit(_describe_organization, ctx.client("organizations"))
        # AccessDenied in the home Region is the person's problem to fix: let it raise.
        instances = instances_f.result()
        organization = organization_f.result()

    region = chosen
    additional: tuple[str, ...] = ()
    search_note = "" if instances else f"sso-admin list-instances --region-scope {ALL_REGIONS}: no instance"
    picked = _pick(instances, organization)
    instance: Instance | None = None
    if picked is not None:
        region, additional = _regions(picked, home)
        # Everything later steps rely on: an entry without one of these is an error, not a guess.
        for key in ("InstanceArn", "IdentityStoreId", "Status"):
            require(picked, key, what="sso-admin ListInstances")
        owner = picked.get("OwnerAccountId")
        instance = Instance(
            arn=str(picked["InstanceArn"]),
            identity_store_id=str(picked["IdentityStoreId"]),
            status=str(picked["Status"]),
            owner_account_id=str(owner) if owner is not None else None,
            kind=_kind(picked, organization),
        )
        ctx.remember(identity_center_region=region, identity_center_instance_arn=instance.arn)
    else:
        # Deleted since it was seen: start from the chosen Region next time.
        ctx.forget("identity_center_region")
        ctx.forget("identity_center_instance_arn")
    org = None
    if organization is not None:
        org = Organization(
            _text(organization.get("Id")),
            _text(organization.get("MasterAccountId")),
            _text(organization.get("FeatureSet")),
        )
    given = ctx.answers[PORTAL_URL_KEY]
    return IdentityCenterFacts(
        ctx.account_id,
        chosen,
        region,
        instance,
        org,
        search_note,
        additional_regions=additional,
        given_portal_url=str(given) if given else None,
    )


def _regions(instance: dict[str, Any], asked_in: str) -> tuple[str, tuple[str, ...]]:
    """(primary Region, additional Regions) of a ListInstances entry; without PrimaryRegion, where it was asked."""
    primary = str(instance.get("PrimaryRegion") or asked_in)
    listed = instance.get("Regions")
    names = [str(r.get("RegionName")) for r in listed if isinstance(r, dict)] if isinstance(listed, list) else []
    return primary, tuple(sorted(name for name in names if name and name != primary))


def _text(value: object) -> str | None:
    return str(value) if value is not None else None


# -- judgement ----------------------------------------------------------------------------
def judge(facts: IdentityCenterFacts, answers: Answers) -> Verdict:
    verdict = Verdict(Status.DONE if facts.usable else Status.INCOMPLETE)
    if facts.instance is None:
        verdict.add(
            False, "IAM Identity Center is not enabled in any Region this account can read.", evidence=facts.search_note
        )
    else:
        _judge_instance(facts, facts.instance, verdict)
    _judge_organization(facts, verdict)
    return verdict


def _judge_instance(facts: IdentityCenterFacts, instance: Instance, verdict: Verdict) -> None:
    region, chosen = facts.region, facts.chosen_region
    evidence = f"{instance.arn}, Status = {instance.status}, OwnerAccountId = {instance.owner_account_id}"
    if chosen in facts.additional_regions:
        verdict.add(
            False,
            f"{chosen} is an additional Region of Identity Center: people can sign in there, but users, groups and "
            f"permission sets are managed in its primary Region {region}, where hsm-setup makes its changes.",
            evidence=f"PrimaryRegion = {region}",
            level="warning",
        )
    elif region != chosen:
        verdict.add(
            False,
            f"Identity Center's primary Region is {region}, not the chosen {chosen}; hsm-setup uses {region}.",
            evidence=f"PrimaryRegion = {region}",
            level="warning",
        )
    if instance.kind == ORGANIZATION:
        verdict.add(
            instance.status == "ACTIVE",
            f"IAM Identity Center is enabled in {region} (organization instance).",
            evidence=evidence,
        )
    else:
        verdict.add(
            False,
            f"The IAM Identity Center instance in {region} is an account instance: {ACCOUNT_INSTANCE_WHY}.",
            evidence=evidence,
        )
    if instance.status not in INSTANCE_STATUSES:
        verdict.add(
            False,
            f"The instance's status is {instance.status}, which hsm-setup does not know, so it is not treated as active. "
            f"Look at IAM Identity Center in the console ({console_url(region)}), then check again.",
            evidence=f"Status = {instance.status}",
        )
    elif instance.status != "ACTIVE":
        state = instance.status.lower().replace("_", " ")
        verdict.add(
            False, f"The instance is not active yet: its status is {state}.", evidence=f"Status = {instance.status}"
        )
    if facts.additional_regions:
        verdict.add(
            True,
            f"Identity Center is replicated to additional Regions: {', '.join(facts.additional_regions)}. People can "
            "sign in there too (each Region has its own access portal URL); changes are made in the primary Region.",
            evidence=f"Regions = {', '.join((region, *facts.additional_regions))}",
        )
    if facts.given_portal_url:
        verdict.add(True, f"Access portal: {facts.given_portal_url}", evidence=PORTAL_URL_KEY)
    else:
        verdict.add(
            True,
            f"Access portal (assumed): {portal_url(instance.identity_store_id)}. No AWS API returns the URL; if the "
            "IAM Identity Center dashboard shows another (a customised subdomain), give it as "
            f"{PORTAL_URL_KEY} (https://docs.aws.amazon.com/singlesignon/latest/userguide/howtosignin.html).",
            evidence=f"IdentityStoreId = {instance.identity_store_id}",
            level="warning",
        )


def _judge_organization(facts: IdentityCenterFacts, verdict: Verdict) -> None:
    organization, usable = facts.organization, facts.usable
    if organization is None:
        verdict.add(
            usable,
            "This account is not in an organization (standalone); an organization instance of Identity Center needs one.",
            evidence="organizations describe-organization: AWSOrganizationsNotInUseException",
        )
        return
    evidence = f"Id = {organization.id}, MasterAccountId = {organization.management_account_id}, FeatureSet = {organization.feature_set}"
    if facts.org_role == "management":
        verdict.add(
            True,
            f"This account ({facts.account_id}) is the management account of organization {organization.id}.",
            evidence=evidence,
        )
    else:
        message = (
            f"This account is a member of organization {organization.id}; "
            f"its management account {organization.management_account_id} owns IAM Identity Center."
        )
        if usable:
            message += " This account sees the organization instance (delegated administration)."
        verdict.add(usable, message, evidence=evidence)
    if organization.feature_set == "CONSOLIDATED_BILLING":
        verdict.add(
            False,
            "The organization has only consolidated billing; IAM Identity Center needs all features enabled "
            f"(AWS Organizations console > Settings: {ORGANIZATIONS_SETTINGS_URL}).",
            evidence="FeatureSet = CONSOLIDATED_BILLING",
            level="warning" if usable else "info",
        )


# -- reads -------------------------------------------------------------------------------
def _list_instances(sso: SSOAdminClient) -> list[dict[str, object]]:
    instances: list[dict[str, object]] = []
    kwargs: dict[str, Any] = {"RegionScope": ALL_REGIONS}
    seen: set[str] = set()
    what = "sso-admin ListInstances"
    while True:  # one instance per Region in practice
        page = sso.list_instances(**kwargs)
        instances.extend(i for i in items(page, "Instances", what=what) if isinstance(i, dict))
        token = next_token(page, "NextToken", seen, what=what)
        if token is None:
            return instances
        kwargs["NextToken"] = token


def _describe_organization(organizations: OrganizationsClient) -> dict[str, object] | None:
    try:
        return require(
            organizations.describe_organization(), "Organization", what="organizations DescribeOrganization", of=dict
        )
    except Exception as exc:
        if is_code(exc, "AWSOrganizationsNotInUseException"):
            return None
        raise


def _kind(instance: dict[str, object], organization: dict[str, object] | None) -> InstanceKind:
    # A delegated administrator (a member account) sees the organization instance owned by
    # the management account, so ownership, not the caller, decides.
    if organization is not None and instance.get("OwnerAccountId") == organization.get("MasterAccountId"):
        return ORGANIZATION
    return ACCOUNT


def _pick(instances: list[dict[str, object]], organization: dict[str, object] | None) -> dict[str, object] | None:
    """The instance that matters: an active organization instance before anything else."""
    if not instances:
        return None
    return sorted(
        instances,
        key=lambda i: (_kind(i, organization) != ORGANIZATION, i.get("Status") != "ACTIVE"),
    )[0]


# -- writes ------------------------------------------------------------------------------
def _create_organization(ctx: StepContext) -> JsonObject:
    organizations = ctx.client("organizations")
    try:
        organization = organizations.create_organization(FeatureSet="ALL")["Organization"]
        # Noted so teardown can say it stays: only a person can delete an organization.
        ctx.record_created(OrganizationNote(organization_id=str(organization["Id"])))
    except Exception as exc:
        # Created by an earlier, interrupted run (or by someone else meanwhile): adopt it.
        if not is_code(exc, "AlreadyInOrganizationException"):
            raise
        organization = organizations.describe_organization()["Organization"]
        ctx.record_if_resuming(OrganizationNote(organization_id=str(organization["Id"])))
    return {"organization_id": organization.get("Id"), "management_account_id": organization.get("MasterAccountId")}


STEP = IdentityCenterStep()
