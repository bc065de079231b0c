"""Policy drift compares what the actions allow, wildcards included, not how they are spelled."""

from __future__ import annotations

import copy
import json

import pytest

from hsm_setup.steps import policies


def _with_actions(document: dict, actions: list[str]) -> dict:
    changed = copy.deepcopy(document)
    changed["Statement"][0]["Action"] = actions
    return changed


def _admin_actions() -> list[str]:
    return list(policies.expected()["Statement"][0]["Action"])


def test_a_wildcard_covers_the_actions_it_names():
    # cloudhsm:* already allows DescribeClusters: listing it again allows nothing more.
    live = _with_actions(policies.expected(), [*_admin_actions(), "cloudhsm:DescribeClusters"])
    assert policies.differences(live, policies.expected()) == []


def test_a_narrower_wildcard_lacks_what_the_wider_one_allows():
    actions = [a for a in _admin_actions() if a != "cloudhsm:*"] + ["cloudhsm:Describe*"]
    drift = policies.differences(_with_actions(policies.expected(), actions), policies.expected())
    assert drift == ["lacks: cloudhsm:*"]


def test_a_wider_wildcard_allows_more_than_the_listed_actions():
    read_only = policies.expected("read-only")
    live = _with_actions(read_only, ["cloudhsm:*"])
    assert policies.differences(live, read_only) == ["allows more than CloudHSM needs: cloudhsm:*"]


def test_concrete_actions_covered_by_the_expected_wildcard_are_not_more_than_needed():
    read_only = policies.expected("read-only")
    live = _with_actions(read_only, ["cloudhsm:Describe*", "cloudhsm:ListTags"])
    # Describe* allows DescribeClusters and DescribeBackups, and more (DescribeHsm...): it is wider.
    assert policies.differences(live, read_only) == ["allows more than CloudHSM needs: cloudhsm:describe*"]


def test_a_question_mark_matches_one_character_only():
    assert policies.allows(["cloudhsm:ListTag?"], "cloudhsm:ListTags")
    assert not policies.allows(["cloudhsm:ListTag?"], "cloudhsm:ListTagsX")
    # Get? is narrower than Get*: it does not cover it.
    assert not policies.covers(["cloudhsm:Get?"], "cloudhsm:Get*")
    assert policies.covers(["cloudhsm:Get*"], "cloudhsm:Get?")


def test_actions_compare_case_insensitively():
    assert policies.allows(["CloudHSM:describeclusters"], "cloudhsm:DescribeClusters")
    assert policies.covers(["*"], "cloudhsm:*")
    assert not policies.covers(["cloudhsm:*"], "*")


def test_conditions_still_make_a_difference_when_actions_agree():
    live = policies.expected()
    live["Statement"][0]["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert policies.differences(live, policies.expected()) == [
        "its statements differ (conditions, resources or effects)"
    ]


@pytest.mark.parametrize("choice", ["admin", "power-user", "read-only"])
def test_the_guides_three_example_policies_ship_as_valid_documents(choice):
    document = policies.expected(choice)
    assert document["Version"] == "2012-10-17"
    [statement] = document["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    assert json.loads(policies.expected_text(choice)) == document


def test_the_example_policies_grant_what_the_guide_says():
    power = policies.expected("power-user")["Statement"][0]["Action"]
    read = policies.expected("read-only")["Statement"][0]["Action"]
    assert sorted(read) == ["cloudhsm:DescribeBackups", "cloudhsm:DescribeClusters", "cloudhsm:ListTags"]
    assert {"cloudhsm:CreateCluster", "cloudhsm:InitializeCluster", "cloudhsm:CopyBackupToRegion"} <= set(power)
    assert "cloudhsm:*" not in power and "cloudhsm:DeleteCluster" not in power
    # The power user and the administrator need the same network and service-linked-role actions.
    admin_other = {a for a in _admin_actions() if not a.startswith("cloudhsm:")}
    assert {a for a in power if not a.startswith("cloudhsm:")} == admin_other


def test_the_aws_managed_read_only_policy_allows_get_as_well():
    # AWSCloudHSMReadOnlyAccess allows cloudhsm:Get*, List* and Describe*: more than the guide's read-only example.
    managed = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(policies.AWS_CLOUDHSM_READ_ONLY_ACTIONS), "Resource": "*"}],
    }
    assert policies.differences(managed, policies.expected("read-only")) == [
        "allows more than CloudHSM needs: cloudhsm:describe*, cloudhsm:get*, cloudhsm:list*"
    ]


def test_an_unknown_choice_names_the_allowed_ones():
    with pytest.raises(ValueError, match="admin, power-user, read-only"):
        policies.expected("everything")
