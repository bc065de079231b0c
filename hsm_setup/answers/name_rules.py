"""Name rules from botocore's service models: GENERATED, do not edit.

Written by `python -m hsm_setup.answers.model_rules --write` from botocore 1.44.8;
tests/unit/test_name_rules.py checks that they still match the installed models.
"""

from hsm_setup.answers.rules import ModelRule

RULES: dict[str, ModelRule] = {
    "identitystore:UserName": ModelRule(
        min_len=1,
        max_len=128,
        pattern="[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+",
        reserved=("Administrator", "AWSAdministrators"),
    ),
    "identitystore:UserDisplayName": ModelRule(
        min_len=1, max_len=1024, pattern="[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\t\\n\\r \xa0\u3000]+", reserved=()
    ),
    "identitystore:GivenName": ModelRule(
        min_len=1, max_len=1024, pattern="[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\t\\n\\r \xa0\u3000]+", reserved=()
    ),
    "identitystore:FamilyName": ModelRule(
        min_len=1, max_len=1024, pattern="[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\t\\n\\r \xa0\u3000]+", reserved=()
    ),
    "identitystore:Email": ModelRule(
        min_len=1, max_len=1024, pattern="[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\t\\n\\r \xa0\u3000]+", reserved=()
    ),
    "identitystore:GroupDisplayName": ModelRule(
        min_len=1,
        max_len=1024,
        pattern="[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\t\\n\\r \xa0\u3000]+",
        reserved=("Administrator", "AWSAdministrators"),
    ),
    "sso-admin:PermissionSetName": ModelRule(min_len=1, max_len=32, pattern="[\\w+=,.@-]+", reserved=()),
    "sso-admin:PermissionSetDescription": ModelRule(
        min_len=1, max_len=700, pattern="[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*", reserved=()
    ),
    "iam:UserName": ModelRule(min_len=1, max_len=64, pattern="[\\w+=,.@-]+", reserved=()),
    "iam:GroupName": ModelRule(min_len=1, max_len=128, pattern="[\\w+=,.@-]+", reserved=()),
    "iam:PolicyName": ModelRule(min_len=1, max_len=128, pattern="[\\w+=,.@-]+", reserved=()),
    "iam:RoleName": ModelRule(min_len=1, max_len=64, pattern="[\\w+=,.@-]+", reserved=()),
}
