"""identity-center: check, plan and apply on moto in-process."""

from __future__ import annotations

import msgspec
import pytest

from hsm_setup.model import Status
from hsm_setup.steps.actions import ActionKind
from hsm_setup.steps.identity_center import ACCOUNT_INSTANCE_WHY, STEP

from .sso_helpers import (
    ACCOUNT,
    OTHER_ACCOUNT,
    build_engine,
    clear_all_instances,
    make_management_account,
    moto_instances,
)


@pytest.fixture
def member_account(monkeypatch):
    """This account as a member of an organization whose management account is OTHER_ACCOUNT."""
    from moto.organizations.models import organizations_backends

    organizations_backends[OTHER_ACCOUNT]["aws"].create_organization(region="us-east-1", FeatureSet="ALL")
    # Test-scoped: moto keeps this table across resets.
    monkeypatch.setitem(organizations_backends.master_accounts, ACCOUNT, (OTHER_ACCOUNT, "aws"))


def test_management_account_with_an_organization_instance_is_done_and_publishes_its_facts(make_engine, aws):
    organization_id = make_management_account(aws)
    instance = moto_instances()[0]
    result = make_engine().check_step(STEP, {})
    assert result.status is Status.DONE
    assert result.facts.instance.arn == instance.instance_arn
    assert result.facts.instance.identity_store_id == instance.identity_store_id
    assert result.facts.region == "us-east-1"
    assert result.facts.portal_url == f"https://{instance.identity_store_id}.awsapps.com/start"
    assert result.facts.instance.kind == "ORGANIZATION"
    assert result.facts.org_role == "management"
    assert result.facts.organization.management_account_id == ACCOUNT
    messages = " ".join(f.message for f in result.findings)
    assert f"https://{instance.identity_store_id}.awsapps.com/start" in messages
    assert organization_id in messages


def test_standalone_account_with_an_account_instance_is_incomplete_and_says_why(make_engine):
    engine = make_engine()
    result = engine.check_step(STEP, {})
    assert result.status is Status.INCOMPLETE
    assert result.facts.org_role == "standalone"
    assert result.facts.instance.kind == "ACCOUNT"
    assert any(ACCOUNT_INSTANCE_WHY in f.message and not f.ok for f in result.findings)

    plan = engine.plan_step(STEP, {STEP.id: result})
    assert [a.kind for a in plan] == [ActionKind.API, ActionKind.MANUAL]
    assert plan[0].cli == "aws organizations create-organization --feature-set ALL"
    assert "organizations:CreateOrganization" in plan[0].permissions
    enable = plan[1]
    assert enable.console_url == "https://console.aws.amazon.com/singlesignon/home?region=us-east-1#/"
    assert enable.simulation == "enable-identity-center"
    text = " ".join(enable.instructions)
    assert "Enable with AWS Organizations" in text
    assert "management account" in text
    assert "unused for AWS account access" in text


def test_management_account_without_instance_gets_only_the_console_step(make_engine, aws):
    make_management_account(aws)
    clear_all_instances(aws)
    engine = make_engine({"region": "eu-central-1"})
    result = engine.check_step(STEP, {})
    assert result.status is Status.INCOMPLETE
    assert any("not enabled in any Region" in f.message for f in result.findings)
    plan = engine.plan_step(STEP, {STEP.id: result})
    assert [(a.kind, a.summary) for a in plan] == [(ActionKind.MANUAL, "Enable IAM Identity Center in the console")]
    assert plan[0].console_url == "https://console.aws.amazon.com/singlesignon/home?region=eu-central-1#/"


def test_member_account_is_told_what_to_ask_the_management_account_for(make_engine, aws, member_account):
    engine = make_engine()
    result = engine.check_step(STEP, {})
    assert result.status is Status.INCOMPLETE
    assert result.facts.org_role == "member"
    assert result.facts.organization.management_account_id == OTHER_ACCOUNT
    # The account's own instance is an account instance: the organization's is owned elsewhere.
    assert result.facts.instance.kind == "ACCOUNT"
    plan = engine.plan_step(STEP, {STEP.id: result})
    assert len(plan) == 1 and plan[0].is_manual and plan[0].simulation is None
    text = " ".join(plan[0].instructions)
    assert OTHER_ACCOUNT in text
    assert "organization instance" in text
    assert "permission set assigned to you on this account" in text
    assert "delegated administration" in text


def test_member_account_that_sees_the_organization_instance_is_done(make_engine, aws, member_account):
    # A delegated administrator sees the instance the management account owns.
    moto_instances()[0].account_id = OTHER_ACCOUNT
    result = make_engine().check_step(STEP, {})
    assert result.status is Status.DONE
    assert result.facts.instance.kind == "ORGANIZATION"
    assert result.facts.org_role == "member"


def test_access_denied_in_the_home_region_is_an_error_naming_the_action(make_engine, deny):
    deny("ListInstances")
    result = make_engine().check_step(STEP, {})
    assert result.status is Status.ERROR
    assert "sso:ListInstances" in (result.error or "")


def test_access_denied_on_the_organization_is_an_error_naming_the_action(make_engine, deny):
    deny("DescribeOrganization")
    result = make_engine().check_step(STEP, {})
    assert result.status is Status.ERROR
    assert "organizations:DescribeOrganization" in (result.error or "")


def test_instance_still_being_created_is_incomplete_and_waited_for(make_engine, aws):
    make_management_account(aws)
    moto_instances()[0].status = "CREATE_IN_PROGRESS"
    engine = make_engine()
    result = engine.check_step(STEP, {})
    assert result.status is Status.INCOMPLETE
    assert any("create in progress" in f.message for f in result.findings)
    plan = engine.plan_step(STEP, {STEP.id: result})
    assert [a.summary for a in plan] == ["Wait for IAM Identity Center to finish enabling"]


def test_consolidated_billing_only_asks_for_all_features(make_engine, aws):
    make_management_account(aws, feature_set="CONSOLIDATED_BILLING")
    clear_all_instances(aws)
    engine = make_engine()
    result = engine.check_step(STEP, {})
    assert any("all features" in f.message and not f.ok for f in result.findings)
    plan = engine.plan_step(STEP, {STEP.id: result})
    assert [a.summary for a in plan] == [
        "Enable all features in AWS Organizations",
        "Enable IAM Identity Center in the console",
    ]
    assert plan[0].console_url.startswith("https://console.aws.amazon.com/organizations/")


def test_apply_creates_the_organization_then_the_check_is_done(aws):
    # moto's invented instance belongs to the account, so once the account heads an
    # organization it reads as the organization instance.
    engine = build_engine(aws)
    report = engine.apply(only={"identity-center"})
    assert [o.action.key for o in report.outcomes] == ["identity-center:create-organization"]
    assert report.results["identity-center"].status is Status.DONE
    assert report.results["identity-center"].facts.org_role == "management"


def test_create_organization_adopts_an_existing_one(make_engine, aws):
    organization_id = make_management_account(aws)
    engine = make_engine()
    result = engine.check_step(STEP, {})
    # Planned as if standalone (the organization appeared after the check): the action adopts it.
    result.status = Status.INCOMPLETE
    result.facts = msgspec.structs.replace(result.facts, organization=None)
    create = engine.plan_step(STEP, {STEP.id: result})[0]
    outcome = engine.run_action(create, {STEP.id: result})
    assert outcome.ok, outcome.message
    assert outcome.outputs["organization_id"] == organization_id
