"""Answers files: every problem named by its key, before any AWS call."""

from __future__ import annotations

from pathlib import Path

import pytest

from hsm_setup.answers.values import AnswersError, Answers, defaults, from_nested, load_file, to_toml

CONTRACT_EXAMPLE = '''
region = "us-east-1"
[admin]
user_name = "ops.admin"
given_name = "Ops"
family_name = "Admin"
email = "ops.admin@example.com"
permission_set = "AdministratorAccess"
session_duration = "PT4H"
[cloudhsm]
permission_set = "CloudHSMAdmins"
identity_center_group = "CloudHSMAdmins"
members = ["ops.admin"]
iam_group = "CloudHSMAdmins"
policy_name = "CloudHSMAdminPolicy"
iam_members = []
'''


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_example_loads_and_equals_the_defaults(tmp_path):
    answers = load_file(write(tmp_path, CONTRACT_EXAMPLE))
    assert answers.to_flat() == defaults().to_flat()


def test_reserved_user_name_is_refused_with_the_contract_message(tmp_path):
    with pytest.raises(AnswersError) as caught:
        load_file(write(tmp_path, '[admin]\nuser_name = "Administrator"\n'))
    assert caught.value.problems == ['admin.user_name: "Administrator" is reserved in IAM Identity Center; choose another name']


def test_every_problem_is_reported_at_once(tmp_path):
    text = '''
region = "moon-1"
[admin]
email = "not-an-email"
session_duration = "PT13H"
permission_set = "way-too-long-for-a-permission-set-name"
[cloudhsm]
iam_members = ["ok", "bad name"]
typo = 1
'''
    with pytest.raises(AnswersError) as caught:
        load_file(write(tmp_path, text))
    keys = [p.split(":")[0] for p in caught.value.problems]
    assert sorted(keys) == sorted(
        ["region", "admin.email", "admin.session_duration", "admin.permission_set", "cloudhsm.iam_members", "cloudhsm.typo"]
    )


@pytest.mark.parametrize(
    "text, key",
    [
        ("region = 5", "region"),
        ("[admin]\nuser_name = ['a']", "admin.user_name"),
        ("[cloudhsm]\nmembers = 'ops.admin'", "cloudhsm.members"),
        ("admin = 'x'", "admin"),
        ("[admin]\nsession_duration = 'PT30M'", "admin.session_duration"),
        ("[admin]\ngiven_name = ''", "admin.given_name"),
        ("[cloudhsm]\npolicy_name = 'Pol\u0456cy'", "cloudhsm.policy_name"),  # Cyrillic look-alike i
        ("[admin]\nuser_name = 'ops\\u0000admin'", "admin.user_name"),
    ],
)
def test_wrong_types_and_hostile_values_name_the_key(tmp_path, text, key):
    with pytest.raises(AnswersError) as caught:
        load_file(write(tmp_path, text))
    assert [p.split(":")[0] for p in caught.value.problems] == [key]


def test_toml_that_does_not_parse_is_one_clear_problem(tmp_path):
    with pytest.raises(AnswersError) as caught:
        load_file(write(tmp_path, "region = \n[admin"))
    (problem,) = caught.value.problems
    assert problem.startswith("--config:") and "not valid TOML" in problem


def test_missing_file_is_named(tmp_path):
    with pytest.raises(AnswersError) as caught:
        load_file(tmp_path / "nope.toml")
    assert "does not exist" in caught.value.problems[0]


def test_written_answers_read_back_identically(tmp_path):
    answers = defaults().replace({"admin.user_name": 'o"neil', "cloudhsm.iam_members": ["a", "b"]})
    # o"neil is not a valid name, so write and parse without validation to test the escaping.
    import tomllib

    assert tomllib.loads(to_toml(answers))["admin"]["user_name"] == 'o"neil'
    good = defaults().replace({"cloudhsm.iam_members": ["alice", "bob"]})
    assert from_nested(tomllib.loads(to_toml(good))).to_flat() == good.to_flat()


def test_session_duration_bounds():
    from hsm_setup.answers.validators import session_duration

    assert session_duration("PT1H") is None
    assert session_duration("PT12H") is None
    assert session_duration("PT90M") is None
    assert session_duration("PT59M")
    assert session_duration("PT12H1M")
    assert session_duration("P1D")


def test_answers_default_when_not_given():
    assert Answers({})["admin.permission_set"] == "AdministratorAccess"
