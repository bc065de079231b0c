"""Each name follows the rule of the service it lands in, as botocore's models state it,
plus the names AWS documents as reserved."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hsm_setup.answers import validators as v
from hsm_setup.answers.model_rules import read_rules, reserved_names
from hsm_setup.answers.name_rules import RULES
from hsm_setup.answers.rules import UnsupportedPattern, parse_pattern


def test_the_generated_rules_match_botocores_models():
    # After a botocore update: python -m hsm_setup.answers.model_rules --write
    assert read_rules() == RULES


def test_the_reserved_names_come_from_the_identity_store_reference():
    assert RULES["identitystore:UserName"].reserved == ("Administrator", "AWSAdministrators")
    assert RULES["identitystore:GroupDisplayName"].reserved == ("Administrator", "AWSAdministrators")
    assert reserved_names("Administrator and AWSAdministrators are reserved names and can't be used.") == (
        "Administrator",
        "AWSAdministrators",
    )
    assert reserved_names("A unique string.") == ()


@pytest.mark.parametrize(
    "name",
    ["josé.núñez", "名前", "o'brien", "ops+1@example", "Ünïcödé-ÄÖ", "ops.admin", "a", "x" * 128, "ops\u0301admin"],
)
def test_identity_center_user_names_take_letters_of_any_script_marks_symbols_and_punctuation(name):
    assert v.identity_center_user_name(name) is None


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("ops admin", 'has a character an Identity Center user name cannot hold (" ", a space)'),
        ("ops\tadmin", "a tab"),
        ("x" * 129, "is 129 characters; an Identity Center user name allows at most 128"),
        ("", "is empty; an Identity Center user name needs 1 to 128 characters"),
        ("Administrator", '"Administrator" is reserved in IAM Identity Center; choose another name'),
        ("awsadministrators", '"awsadministrators" is reserved in IAM Identity Center; choose another name'),
        ("ops\u200badmin", "U+200B"),  # a zero-width space: not a letter, mark, symbol, digit or punctuation
    ],
)
def test_identity_center_user_names_refused_say_why(name, fragment):
    problem = v.identity_center_user_name(name)
    assert problem and fragment in problem


def test_lengths_count_as_aws_counts_them():
    # AWS measures UTF-16 code units: an emoji (a symbol) counts twice.
    assert v.identity_center_user_name("😀" * 64) is None
    problem = v.identity_center_user_name("😀" * 64 + "a")
    assert problem and "is 129 characters" in problem


@pytest.mark.parametrize("name", ["CloudHSM Admins", "Équipe HSM", "x" * 1024, "HSM-admins (prod)"])
def test_identity_center_group_names_allow_spaces_and_1024_characters(name):
    assert v.identity_center_group_name(name) is None


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("AWSAdministrators", '"AWSAdministrators" is reserved in IAM Identity Center'),
        ("Administrator", "is reserved"),
        ("x" * 1025, "allows at most 1024"),
        ("two\nlines", "line break"),
    ],
)
def test_identity_center_group_names_refused(name, fragment):
    problem = v.identity_center_group_name(name)
    assert problem and fragment in problem


@pytest.mark.parametrize("validator, limit", [(v.iam_user_name, 64), (v.iam_group_name, 128), (v.iam_policy_name, 128)])
def test_iam_names_keep_iams_own_rule(validator, limit):
    assert validator("ops.admin+1@x=y,z_w-v") is None
    assert "allows at most" in validator("x" * (limit + 1))
    problem = validator("josé")
    assert problem and "letters, digits and + , - . = @ _" in problem


def test_permission_set_names_follow_sso_admin():
    assert v.permission_set_name("CloudHSMAdmins") is None
    assert "at most 32" in v.permission_set_name("x" * 33)
    assert "cannot hold" in v.permission_set_name("CloudHSM Admins")


def test_person_names_take_any_script_and_spaces_on_one_line():
    assert v.person_name("given name")("María José") is None
    assert v.person_name("family name")("O'Neil-Ñúñez") is None
    assert "line break" in v.person_name("family name")("a\nb")
    assert "Identity Center requires a given name" in v.person_name("given name")("")


def test_patterns_that_are_not_one_character_class_are_refused():
    with pytest.raises(UnsupportedPattern):
        parse_pattern("arn:aws:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}")
    charset, minimum = parse_pattern("[\\w+=,.@-]+")
    assert minimum == 1 and charset.allows("-") and charset.allows("_") and not charset.allows("é")


def test_validating_does_not_load_botocore():
    """The wizard validates on every keystroke; its first frame must not wait for botocore."""
    code = (
        "import sys\n"
        "from hsm_setup.answers.fields import FIELDS\n"
        "for f in FIELDS:\n"
        "    f.error(f.parse('josé núñez'))\n"
        "print('botocore' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
