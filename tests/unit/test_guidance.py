"""Guidance and field help say what AWS does today, each statement beside the AWS page it rests on."""

from __future__ import annotations

import re

import pytest

from hsm_setup.answers.fields import BY_KEY
from hsm_setup.assets import guidance

DOCS = re.compile(r"https://docs\.aws\.amazon\.com/[A-Za-z0-9_./#-]+")
FILES = [
    "root-user.md",
    "identity-center.md",
    "admin-user.md",
    "permission-sets.md",
    "cloudhsm-group.md",
    "service-linked-role.md",
]


def _paragraph_with(text: str, phrase: str) -> str:
    """The paragraph (or list item) holding `phrase`, with the links that follow it."""
    for block in re.split(r"\n\s*\n", text):
        if phrase in " ".join(block.split()):
            return block
    raise AssertionError(f"{phrase!r} is not in the guidance")


# (file, what it now says, the AWS page it rests on, what it no longer says)
CORRECTIONS = [
    (
        "root-user.md",
        "with the AWS CLI or API (`aws iam delete-access-key --access-key-id ...`) signed in as root",
        "id_root-user_manage_delete-key.html",
        "Neither fix has an API",
    ),
    (
        "root-user.md",
        "root can still sign in by verifying the account's e-mail address and its primary contact phone number",
        "id_credentials_mfa_lost-or-broken.html",
        "locks root out until AWS Support",
    ),
    (
        "root-user.md",
        "a synced passkey kept by a credential manager",
        "avail-mfa-types-for-root.html",
        "AWS recommends a **hardware** MFA device",
    ),
    (
        "root-user.md",
        "Such a member account has no root credentials **by design**",
        "id_root-user.html#id_root-user-access-management",
        None,
    ),
    (
        "service-linked-role.md",
        "its **description can be edited**",
        "id_roles_update-service-linked-role.html",
        "cannot be edited",
    ),
    (
        "service-linked-role.md",
        "you may not be able to create a cluster at all",
        "create-cluster.html",
        "audit logs are never lost",
    ),
    (
        "service-linked-role.md",
        "it is an ordinary IAM role someone created with that name",
        "id_roles_manage_delete.html",
        "AWS Support",
    ),
    (
        "admin-user.md",
        "The access portal's own sign-in session is separate",
        "howtosessionduration.html",
        "sign-in through the access portal lasts",
    ),
    ("permission-sets.md", "It is not the access portal's sign-in session", "howtosessionduration.html", None),
    (
        "cloudhsm-group.md",
        "which allows `cloudhsm:Get*` as well as `cloudhsm:List*` and `cloudhsm:Describe*`",
        "AWSCloudHSMReadOnlyAccess.html",
        "describe and list only",
    ),
    (
        "identity-center.md",
        "an organization instance can be replicated to **additional Regions**",
        "multi-region-iam-identity-center.html",
        "Identity Center lives in",
    ),
    (
        "identity-center.md",
        "No AWS API returns the URL",
        "howtosignin.html",
        "(`https://<identity-store-id>.awsapps.com/start`)\nis where",
    ),
    ("admin-user.md", "`josé.núñez` is fine", "API_CreateUser.html", None),
    (
        "permission-sets.md",
        "`cloudhsm:*` covers\n  `cloudhsm:DescribeClusters`",
        "reference_policies_elements_action.html",
        None,
    ),
]


@pytest.mark.parametrize(
    "name, says, page, not_any_more", CORRECTIONS, ids=[f"{c[0]}: {c[1][:40]}" for c in CORRECTIONS]
)
def test_each_corrected_statement_names_the_aws_page_it_rests_on(name, says, page, not_any_more):
    text = guidance(name)
    block = _paragraph_with(text, " ".join(says.split()))
    assert any(page in link for link in DOCS.findall(block)), f"{name}: no link to {page} beside {says!r}"
    if not_any_more:
        assert not_any_more not in text


@pytest.mark.parametrize("name", FILES)
def test_every_guidance_page_rests_on_aws_documentation(name):
    text = guidance(name)
    links = DOCS.findall(text)
    assert len(links) >= 2, name
    assert all(not link.endswith((".", ")")) for link in links)


def test_field_help_says_what_aws_does():
    assert "lives in one Region" not in BY_KEY["region"].help
    assert "additional Regions" in BY_KEY["region"].help
    for key in ("admin.session_duration", "cloudhsm.session_duration"):
        assert "sign-in through the access portal" not in BY_KEY[key].help
        assert "AWS account session" in BY_KEY[key].help
    assert "access portal's own sign-in session is separate" in BY_KEY["admin.session_duration"].help
    assert "letters of any script" in BY_KEY["admin.user_name"].help
