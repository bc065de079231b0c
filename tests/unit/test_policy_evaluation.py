"""The practice account's IAM policy evaluation, against the rules of IAM's evaluation logic."""

from __future__ import annotations

from hsm_setup.sandbox.policy_evaluation import ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY, PolicySource, evaluate

ARN = "arn:aws:iam::123456789012"


def _decide(statements: list[dict], action: str, resource: str = "*", context=None, variables=None) -> str:
    source = PolicySource("p", "user", {"Version": "2012-10-17", "Statement": statements})
    return evaluate([source], action, resource, context, variables).decision


def test_actions_match_without_regard_to_case_and_resources_with_it():
    allow = [{"Effect": "Allow", "Action": "iam:Get*", "Resource": f"{ARN}:group/Ops?"}]
    assert _decide(allow, "IAM:getgroup", f"{ARN}:group/Ops1") == ALLOWED
    assert _decide(allow, "iam:GetGroup", f"{ARN}:group/ops1") == IMPLICIT_DENY
    assert _decide(allow, "iam:GetGroup", f"{ARN}:group/Ops12") == IMPLICIT_DENY
    assert _decide(allow, "iam:ListGroups", f"{ARN}:group/Ops1") == IMPLICIT_DENY


def test_an_explicit_deny_wins_and_not_elements_invert_the_match():
    statements = [
        {"Effect": "Allow", "NotAction": "iam:Delete*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:CreateUser", "NotResource": f"{ARN}:user/ok"},
    ]
    assert _decide(statements, "iam:GetUser", f"{ARN}:user/x") == ALLOWED
    assert _decide(statements, "iam:DeleteUser", f"{ARN}:user/x") == IMPLICIT_DENY
    assert _decide(statements, "iam:CreateUser", f"{ARN}:user/x") == EXPLICIT_DENY
    assert _decide(statements, "iam:CreateUser", f"{ARN}:user/ok") == ALLOWED


def test_conditions_need_the_request_to_carry_their_keys():
    allow = [
        {
            "Effect": "Allow",
            "Action": "iam:AttachGroupPolicy",
            "Resource": "*",
            "Condition": {"ArnEquals": {"iam:PolicyARN": f"{ARN}:policy/Hsm*"}},
        }
    ]
    assert _decide(allow, "iam:AttachGroupPolicy", context={"iam:PolicyARN": [f"{ARN}:policy/HsmAdmin"]}) == ALLOWED
    assert (
        _decide(
            allow, "iam:AttachGroupPolicy", context={"iam:PolicyARN": ["arn:aws:iam::aws:policy/AdministratorAccess"]}
        )
        == IMPLICIT_DENY
    )
    result = evaluate([PolicySource("p", "user", {"Statement": allow})], "iam:AttachGroupPolicy", "*")
    assert (result.decision, result.missing_context) == (IMPLICIT_DENY, ["iam:PolicyARN"])
    # A negated operator holds when the key is absent; ...IfExists always does.
    deny_other = [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"iam:AWSServiceName": "cloudhsm.amazonaws.com"}},
        },
    ]
    assert (
        _decide(deny_other, "iam:CreateServiceLinkedRole", context={"iam:AWSServiceName": ["cloudhsm.amazonaws.com"]})
        == ALLOWED
    )
    assert (
        _decide(deny_other, "iam:CreateServiceLinkedRole", context={"iam:AWSServiceName": ["sso.amazonaws.com"]})
        == EXPLICIT_DENY
    )
    assert _decide(deny_other, "iam:CreateServiceLinkedRole") == EXPLICIT_DENY
    if_exists = [
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEqualsIfExists": {"aws:RequestTag/x": "y"}},
        }
    ]
    assert _decide(if_exists, "iam:CreateUser") == ALLOWED


def test_policy_variables_fill_in_the_caller_and_match_nothing_without_one():
    allow = [{"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy", "Resource": f"{ARN}:user/${{aws:username}}"}]
    assert (
        _decide(allow, "iam:SimulatePrincipalPolicy", f"{ARN}:user/ann", variables={"aws:username": "ann"}) == ALLOWED
    )
    assert (
        _decide(allow, "iam:SimulatePrincipalPolicy", f"{ARN}:user/bob", variables={"aws:username": "ann"})
        == IMPLICIT_DENY
    )
    assert _decide(allow, "iam:SimulatePrincipalPolicy", f"{ARN}:user/ann") == IMPLICIT_DENY
