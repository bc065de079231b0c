"""Step 2: IAM Identity Center is enabled, as an organization instance.

Only an organization instance can grant people access to AWS accounts through
permission sets; it has no creation API and is enabled in the management
account's console. An account instance (what sso-admin CreateInstance makes) is
reported, with why it does not serve.

The instance lives in one Region. The check looks in the chosen Region first
and, when there is none, in every Region at once, and the later steps follow it
to wherever it is.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hsm_setup.steps.context import StepContext
from hsm_setup.errors import is_code, items, next_token, require
from hsm_setup.steps.identity_center_api import console_url, portal_url
from hsm_setup.answers.fields import is_iam_mode
from hsm_setup.model import Status, StepResult
from hsm_setup.steps.actions import Action
from hsm_setup.steps.admin_user_iam import skipped_in_iam_mode
from hsm_setup.steps.base import Step, cli
from hsm_setup.steps.grants import IC_ONLY, ORGANIZATIONS_SERVICE_LINKED_ROLE, no_resource

ORGANIZATION = "ORGANIZATION"
ACCOUNT = "ACCOUNT"
ACCOUNT_INSTANCE_WHY = (
    "account instances of IAM Identity Center cannot grant access to AWS accounts: "
    "permission sets and account assignments need an organization instance"
)
ORGANIZATIONS_SETTINGS_URL = "https://console.aws.amazon.com/organizations/v2/home/settings"
# The instance statuses sso-admin documents; any other is shown as unknown and never taken as ACTIVE.
INSTANCE_STATUSES = ("CREATE_IN_PROGRESS", "CREATE_FAILED", "DELETE_IN_PROGRESS", "ACTIVE")
# Searching every Region (about thirty) in two or so rounds of requests.
REGION_SEARCH_WORKERS = 16


class IdentityCenterStep(Step):
    id = "identity-center"
    title = "IAM Identity Center enabled"
    guidance = "identity-center.md"
    why = "People sign in through IAM Identity Center instead of sharing IAM users or the root user."
    check_permissions = no_resource("sso:ListInstances", "organizations:DescribeOrganization", modes=IC_ONLY)
    # CreateOrganization also creates the AWSServiceRoleForOrganizations service-linked role, with the caller's rights.
    apply_permissions = no_resource("organizations:CreateOrganization", "organizations:DescribeOrganization", modes=IC_ONLY) + (
        ORGANIZATIONS_SERVICE_LINKED_ROLE,
    )

    def check(self, ctx: StepContext) -> StepResult:
        if is_iam_mode(ctx.answers):
            return skipped_in_iam_mode(self)
        chosen = ctx.region
        home = ctx.saved("identity_center_region") or chosen
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="hsm-read") as pool:
            instances_f = pool.submit(_list_instances, ctx.client("sso-admin", home))
            organization_f = pool.submit(_describe_organization, ctx.client("organizations"))
            # AccessDenied in the home Region is the person's problem to fix: let it raise.
            instances = instances_f.result()
            organization = organization_f.result()

        region = home
        search_note = ""
        if not instances:
            region, instances, search_note = _search_other_regions(ctx, skip=home)
            region = region or chosen

        account_id = ctx.account_id
        facts: dict[str, Any] = {"region": region, **_organization_facts(organization, account_id)}
        instance = _pick(instances, organization)
        if instance is not None:
            # Everything later steps rely on: an entry without one of these is an error, not a guess.
            for key in ("InstanceArn", "IdentityStoreId", "Status"):
                require(instance, key, what="sso-admin ListInstances")
            facts.update(
                instance_arn=instance["InstanceArn"],
                identity_store_id=instance["IdentityStoreId"],
                portal_url=portal_url(instance["IdentityStoreId"]),
                instance_kind=_kind(instance, organization),
                instance_status=str(instance["Status"]),
                instance_owner=instance.get("OwnerAccountId"),
            )
            ctx.remember(identity_center_region=region, identity_center_instance_arn=instance["InstanceArn"])
        else:
            # Deleted since it was seen: start from the chosen Region next time.
            ctx.forget("identity_center_region")
            ctx.forget("identity_center_instance_arn")

        usable = instance is not None and facts["instance_kind"] == ORGANIZATION and facts["instance_status"] == "ACTIVE"
        result = self.result(Status.DONE if usable else Status.INCOMPLETE, facts=facts)
        if instance is None:
            result.add(False, "IAM Identity Center is not enabled in any Region this account can read.", evidence=search_note)
        else:
            self._describe_instance(result, instance, chosen)
        self._describe_organization(result, organization, account_id, usable)
        return result

    def _describe_instance(self, result: StepResult, instance: dict[str, Any], chosen: str) -> None:
        facts = result.facts
        region = facts["region"]
        evidence = f"{instance['InstanceArn']}, Status = {facts['instance_status']}, OwnerAccountId = {facts['instance_owner']}"
        if region != chosen:
            result.add(
                False,
                f"Identity Center is enabled in {region}, not in the chosen {chosen}; hsm-setup uses {region}.",
                evidence=f"sso-admin list-instances --region {region}",
                level="warning",
            )
        if facts["instance_kind"] == ORGANIZATION:
            result.add(facts["instance_status"] == "ACTIVE", f"IAM Identity Center is enabled in {region} (organization instance).", evidence=evidence)
        else:
            result.add(
                False,
                f"The IAM Identity Center instance in {region} is an account instance: {ACCOUNT_INSTANCE_WHY}.",
                evidence=evidence,
            )
        if facts["instance_status"] not in INSTANCE_STATUSES:
            result.add(
                False,
                f"The instance's status is {facts['instance_status']}, which hsm-setup does not know, so it is not treated as active. "
                f"Look at IAM Identity Center in the console ({console_url(region)}), then check again.",
                evidence=f"Status = {facts['instance_status']}",
            )
        elif facts["instance_status"] != "ACTIVE":
            state = facts["instance_status"].lower().replace("_", " ")
            result.add(False, f"The instance is not active yet: its status is {state}.", evidence=f"Status = {facts['instance_status']}")
        result.add(True, f"Access portal: {facts['portal_url']}", evidence=f"IdentityStoreId = {facts['identity_store_id']}")

    def _describe_organization(self, result: StepResult, organization: dict[str, Any] | None, account_id: str, usable: bool) -> None:
        facts = result.facts
        if organization is None:
            result.add(
                usable,
                "This account is not in an organization (standalone); an organization instance of Identity Center needs one.",
                evidence="organizations describe-organization: AWSOrganizationsNotInUseException",
            )
            return
        evidence = f"Id = {organization.get('Id')}, MasterAccountId = {organization.get('MasterAccountId')}, FeatureSet = {organization.get('FeatureSet')}"
        if facts["org_role"] == "management":
            result.add(True, f"This account ({account_id}) is the management account of organization {organization.get('Id')}.", evidence=evidence)
        else:
            message = (
                f"This account is a member of organization {organization.get('Id')}; "
                f"its management account {facts['management_account_id']} owns IAM Identity Center."
            )
            if usable:
                message += " This account sees the organization instance (delegated administration)."
            result.add(usable, message, evidence=evidence)
        if organization.get("FeatureSet") == "CONSOLIDATED_BILLING":
            result.add(
                False,
                "The organization has only consolidated billing; IAM Identity Center needs all features enabled "
                f"(AWS Organizations console > Settings: {ORGANIZATIONS_SETTINGS_URL}).",
                evidence="FeatureSet = CONSOLIDATED_BILLING",
                level="warning" if usable else "info",
            )

    # -- plan -------------------------------------------------------------------------
    def plan(self, ctx: StepContext, result: StepResult) -> list[Action]:
        facts = result.facts
        role = facts.get("org_role", "standalone")
        if role == "member":
            return [self._ask_management_account(ctx, facts)]
        kind = facts.get("instance_kind")
        status = facts.get("instance_status")
        if kind == ORGANIZATION and status == "CREATE_IN_PROGRESS":
            return [self._wait_for_instance(facts)]
        actions: list[Action] = []
        if role == "standalone":
            actions.append(
                self.api(
                    "create-organization",
                    "Create an organization with all features",
                    cli("organizations", "create-organization", ("--feature-set", "ALL")),
                    _create_organization,
                    permissions=("organizations:CreateOrganization", "organizations:DescribeOrganization", "iam:CreateServiceLinkedRole"),
                )
            )
        elif facts.get("feature_set") == "CONSOLIDATED_BILLING":
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

    def _enable_in_console(self, ctx: StepContext, facts: dict[str, Any]) -> Action:
        region = ctx.region
        steps = [
            "Sign in to the management account of the organization (an administrator, not the root user if you can avoid it).",
            f"Open IAM Identity Center in {region} and choose Enable.",
            'Choose "Enable with AWS Organizations" (not "Enable an account instance").',
            "Wait until the dashboard shows the AWS access portal URL, then come back here.",
        ]
        if facts.get("instance_kind") == ACCOUNT:
            steps.append(
                f"The account instance in {facts.get('region')} stays as it is but unused for AWS account access: {ACCOUNT_INSTANCE_WHY}."
            )
        return self.manual(
            "enable-identity-center",
            "Enable IAM Identity Center in the console",
            console_url(region),
            steps,
            simulation="enable-identity-center",
        )

    def _ask_management_account(self, ctx: StepContext, facts: dict[str, Any]) -> Action:
        management = facts.get("management_account_id") or "the management account"
        steps = [
            f"This account is a member of an organization: IAM Identity Center is owned by its management account ({management}); "
            "it cannot be enabled for the organization from here.",
            "Ask the management account's administrators to enable IAM Identity Center with AWS Organizations "
            "(an organization instance), if it is not enabled yet.",
            f"Then ask them for one of: a permission set assigned to you on this account ({ctx.account_id}), "
            "or delegated administration of IAM Identity Center for this account, so hsm-setup can manage it from here.",
        ]
        if facts.get("instance_kind") == ACCOUNT:
            steps.append(f"The account instance in {facts.get('region')} cannot help: {ACCOUNT_INSTANCE_WHY}.")
        return self.manual(
            "ask-management-account",
            "Ask the management account's administrators for IAM Identity Center access",
            console_url(facts.get("region") or ctx.region),
            steps,
        )

    def _wait_for_instance(self, facts: dict[str, Any]) -> Action:
        return self.manual(
            "wait-for-instance",
            "Wait for IAM Identity Center to finish enabling",
            console_url(facts["region"]),
            ["IAM Identity Center is still being enabled; this takes a few minutes. The check turns done by itself."],
        )


# -- reads -------------------------------------------------------------------------------
def _list_instances(sso: Any) -> list[dict[str, Any]]:
    instances: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    seen: set[str] = set()
    what = "sso-admin ListInstances"
    while True:  # one instance per Region in practice
        page = sso.list_instances(**kwargs)
        instances.extend(i for i in items(page, "Instances", what=what) if isinstance(i, dict))
        token = next_token(page, "NextToken", seen, what=what)
        if token is None:
            return instances
        kwargs["NextToken"] = token


def _describe_organization(organizations: Any) -> dict[str, Any] | None:
    try:
        return require(organizations.describe_organization(), "Organization", what="organizations DescribeOrganization", of=dict)
    except Exception as exc:
        if is_code(exc, "AWSOrganizationsNotInUseException"):
            return None
        raise


def _search_other_regions(ctx: StepContext, skip: str) -> tuple[str | None, list[dict[str, Any]], str]:
    """Look for an instance in every other Region at once: (Region, instances, evidence)."""
    regions = [r for r in ctx.aws.available_regions("sso-admin") if r != skip]
    if ctx.region != skip and ctx.region not in regions:
        regions.insert(0, ctx.region)
    # Clients are made here, in one thread, then shared: a boto3 Session is not thread-safe.
    clients = {region: ctx.client("sso-admin", region) for region in regions}

    def probe(region: str) -> list[dict[str, Any]] | None:
        try:
            return _list_instances(clients[region])
        except Exception:
            # Opt-in Regions not enabled (UnrecognizedClientException), Regions an SCP denies,
            # endpoints that do not answer: Identity Center is not usable there.
            return None

    with ThreadPoolExecutor(max_workers=REGION_SEARCH_WORKERS, thread_name_prefix="hsm-regions") as pool:
        answers = dict(zip(regions, pool.map(probe, regions)))
    found_in = [r for r in regions if answers.get(r)]
    if found_in:
        return found_in[0], answers[found_in[0]] or [], ""
    unreadable = sorted(r for r, found in answers.items() if found is None)
    evidence = f"sso-admin list-instances: no instance in {len(regions) + 1} Regions"
    if unreadable:
        evidence += f" ({len(unreadable)} could not be read: {', '.join(unreadable)})"
    return None, [], evidence


def _organization_facts(organization: dict[str, Any] | None, account_id: str) -> dict[str, Any]:
    if organization is None:
        return {"org_role": "standalone", "management_account_id": None, "organization_id": None, "feature_set": None}
    management = organization.get("MasterAccountId")
    return {
        "org_role": "management" if management == account_id else "member",
        "management_account_id": management,
        "organization_id": organization.get("Id"),
        "feature_set": organization.get("FeatureSet"),
    }


def _kind(instance: dict[str, Any], organization: dict[str, Any] | None) -> str:
    # A delegated administrator (a member account) sees the organization instance owned by
    # the management account, so ownership, not the caller, decides.
    if organization is not None and instance.get("OwnerAccountId") == organization.get("MasterAccountId"):
        return ORGANIZATION
    return ACCOUNT


def _pick(instances: list[dict[str, Any]], organization: dict[str, Any] | None) -> dict[str, Any] | None:
    """The instance that matters: an active organization instance before anything else."""
    if not instances:
        return None
    return sorted(
        instances,
        key=lambda i: (_kind(i, organization) != ORGANIZATION, i.get("Status") != "ACTIVE"),
    )[0]


# -- writes ------------------------------------------------------------------------------
def _create_organization(ctx: StepContext) -> dict[str, Any]:
    organizations = ctx.client("organizations")
    try:
        organization = organizations.create_organization(FeatureSet="ALL")["Organization"]
    except Exception as exc:
        # Created by an earlier, interrupted run (or by someone else meanwhile): adopt it.
        if not is_code(exc, "AlreadyInOrganizationException"):
            raise
        organization = organizations.describe_organization()["Organization"]
    return {"organization_id": organization.get("Id"), "management_account_id": organization.get("MasterAccountId")}


STEP = IdentityCenterStep()
