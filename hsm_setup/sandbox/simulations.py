"""The console-only actions, simulated: what a person would do in the AWS console,
done to the practice account so the wizard's checks can watch it happen.
"""

from __future__ import annotations

from hsm_setup.answers import validators

from . import backends
from .catalog import DEFAULT_REGION, SIMULATIONS, SandboxError, check_choice
from .corrections.sso_admin import new_instance
from .signin import approve as approve_sign_in
from .world import ORGANIZATION_INSTANCE, World, now


def simulate(world: World, name: str, region: str | None = None) -> str:
    """Do the console action `name`; returns one line saying what changed (or that nothing had to)."""
    check_choice("simulation", name, SIMULATIONS)
    with world.lock:
        if name == "root-mfa":
            return _root_mfa(world)
        if name == "root-access-keys":
            return _root_access_keys(world)
        if name == "sso-sign-in":
            return approve_sign_in(world)
        if name == "add-identity-center-region":
            return _add_identity_center_region(world, region)
        return _enable_identity_center(world, region or DEFAULT_REGION)


def _root_mfa(world: World) -> str:
    if world.central_root is not None and not world.root.password:
        raise SandboxError(
            "This member account's root user has no credentials to add MFA to: its organization manages root access "
            "centrally (RootCredentialsManagement), which is the secured state.",
            "Nothing to do for root here; the management account handles root tasks (sts AssumeRoot).",
        )
    if world.root.mfa:
        return "Simulated: the root user already has a virtual MFA device."
    world.root.mfa = True
    world.root.mfa_enabled_at = now()
    world.root_changed()
    return "Simulated: the root user turned on a virtual MFA device."


def _root_access_keys(world: World) -> str:
    if not world.root.access_keys:
        return "Simulated: the root user has no access keys."
    world.root.access_keys = False
    world.root_changed()
    return "Simulated: the root user deleted its access keys."


def _enable_identity_center(world: World, region: str) -> str:
    problem = validators.region(region)
    if problem:
        raise ValueError(f"region: {problem}")
    org = backends.organizations().org
    if org is None or not backends.is_management_account():
        raise SandboxError(
            "IAM Identity Center's organization instance is enabled in an organization's management account, "
            "and the practice account is not one.",
            "Create an organization first: aws organizations create-organization --feature-set ALL.",
        )
    if org.feature_set != "ALL":
        raise SandboxError(
            "IAM Identity Center needs an organization with all features enabled; this one has consolidated billing only.",
            "Enable all features in the organization, then enable Identity Center.",
        )
    for record in world.instances:
        if record.kind != ORGANIZATION_INSTANCE:
            raise SandboxError(
                f"The practice account already has an account instance of IAM Identity Center ({record.arn}).",
                "Reset the practice account to start over.",
            )
        if record.region == region:
            return f"Simulated: IAM Identity Center is already enabled in {region}."
        raise SandboxError(
            f"IAM Identity Center is already enabled in {record.region}; an organization has one instance.",
            f"Use {record.region} as the Identity Center Region.",
        )
    record = new_instance(world.account_id, region, ORGANIZATION_INSTANCE)
    world.instances.append(record)
    backends.register_instance(record)
    return f"Simulated: IAM Identity Center enabled in {region} (organization instance {record.arn})."


def _add_identity_center_region(world: World, region: str | None) -> str:
    """Replicate the organization instance to `region` (multi-Region IAM Identity Center)."""
    problem = validators.region(region) if region else "is missing; name the additional Region"
    if problem:
        raise ValueError(f"region: {problem}")
    assert region is not None
    instance = next((r for r in world.instances if r.kind == ORGANIZATION_INSTANCE), None)
    if instance is None:
        raise SandboxError(
            "Only an organization instance of IAM Identity Center can be replicated to more Regions, and the practice "
            "account has none.",
            "Enable Identity Center in the management account first (the enable-identity-center simulation).",
        )
    if instance.enabled_in(region):
        return f"Simulated: IAM Identity Center is already enabled in {region}."
    instance.additional_regions[region] = now()
    return f"Simulated: IAM Identity Center replicated to {region} (an additional Region; the primary stays {instance.region})."
