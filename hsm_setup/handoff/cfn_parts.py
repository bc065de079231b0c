"""Pieces every exported CloudFormation template is made of: a parameter, an id imported from the
identity-center stack's exports."""

from __future__ import annotations

IDENTITY_CENTER_STACK = "hsm-setup-identity-center"


def param(
    description: str, default: str = "", pattern: str | None = None, allowed: list[str] | None = None
) -> dict[str, object]:
    data: dict[str, object] = {"Type": "String", "Description": description}
    if default:  # no default where this account has no value: the deployer must give one
        data["Default"] = default
    if pattern:
        data["AllowedPattern"] = pattern
        data["ConstraintDescription"] = f"must match {pattern}"
    if allowed:
        data["AllowedValues"] = allowed
    return data


def imported(stack_output: str) -> dict[str, object]:
    """An id the identity-center stack exports, by the name of that stack (parameter IdentityCenterStackName)."""
    return {"Fn::ImportValue": {"Fn::Sub": "${IdentityCenterStackName}-" + stack_output}}


def instance_arn_param(instance_arn: str) -> dict[str, object]:
    return param("The IAM Identity Center instance ARN", instance_arn, r"^arn:aws[a-z-]*:sso:::instance/\S+$")


def stack_name_param(description: str) -> dict[str, object]:
    return param(description, IDENTITY_CENTER_STACK, r"^[A-Za-z][A-Za-z0-9-]*$")
