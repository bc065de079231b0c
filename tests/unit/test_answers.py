"""Answers files: every problem named by its key, before any AWS call."""

from __future__ import annotations

from pathlib import Path

import pytest

from hsm_setup.answers.values import Answers, AnswersError, defaults, from_nested, load_file, to_toml

CONTRACT_EXAMPLE = """
region = "us-east-1"
[identity_center]
portal_url = "https://my-company.awsapps.com/start"
[admin]
user_name = "jane.doe"
given_name = "Jane"
family_name = "Doe"
email = "jane.doe@example.org"
group = "Administrators"
members = ["jane.doe"]
accounts = ["this"]
permission_set = "AdministratorAccess"
session_duration = "PT4H"
[cloudhsm]
policy = "admin"
permission_set = "CloudHSMAdmins"
session_duration = "PT1H"
identity_center_group = "CloudHSMAdmins"
members = ["jane.doe"]
iam_group = "CloudHSMAdmins"
policy_name = "CloudHSMAdminPolicy"
iam_members = []
accounts = ["this", "ou-ab12-cdefgh34"]
[organization]
member_role = "OrganizationAccountAccessRole"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_example_loads_complete_and_writes_back_the_same(tmp_path):
    import tomllib

    answers = load_file(write(tmp_path, CONTRACT_EXAMPLE))
    assert answers.problems() == [] and answers.missing() == []
    written, example = tomllib.loads(to_toml(answers)), tomllib.loads(CONTRACT_EXAMPLE)
    assert {k: written[k] for k in example if not isinstance(example[k], dict)} == {
        k: v for k, v in example.items() if not isinstance(v, dict)
    }
    for table in ("admin", "cloudhsm", "identity_center", "organization"):
        assert {k: written[table][k] for k in example[table]} == example[table]
    # Every key the answers file takes is in the documented example, but the IAM mode's own (see the IAM path).
    documented = {f"{t}.{k}" for t, v in example.items() if isinstance(v, dict) for k in v} | {
        k for k, v in example.items() if not isinstance(v, dict)
    }
    assert documented == set(answers) - {"admin.mode", "admin.iam_group"}


def test_reserved_user_name_is_refused_with_the_contract_message(tmp_path):
    with pytest.raises(AnswersError) as caught:
        load_file(write(tmp_path, '[admin]\nuser_name = "Administrator"\n'))
    assert caught.value.problems == [
        'admin.user_name: "Administrator" is reserved in IAM Identity Center; choose another name'
    ]


def test_every_problem_is_reported_at_once(tmp_path):
    text = """
region = "moon-1"
[admin]
email = "not-an-email"
session_duration = "PT13H"
permission_set = "way-too-long-for-a-permission-set-name"
[cloudhsm]
iam_members = ["ok", "bad name"]
typo = 1
"""
    with pytest.raises(AnswersError) as caught:
        load_file(write(tmp_path, text))
    keys = [p.split(":")[0] for p in caught.value.problems]
    assert sorted(keys) == sorted(
        [
            "region",
            "admin.email",
            "admin.session_duration",
            "admin.permission_set",
            "cloudhsm.iam_members",
            "cloudhsm.typo",
        ]
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
        ('[admin]\nuser_name = "ops\\u0000admin"', "admin.user_name"),  # a NUL, escaped in a TOML basic string
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
    assert Answers({})["cloudhsm.session_duration"] == "PT1H"
    assert Answers({})["cloudhsm.policy"] == "admin"
    assert Answers({})["admin.group"] == "Administrators"


# -- nobody is made up on a real account -------------------------------------------------------
IDENTITY = ["admin.user_name", "admin.given_name", "admin.family_name", "admin.email"]


def test_a_real_accounts_answers_have_no_administrator_until_given():
    answers = defaults()
    assert [answers[key] for key in IDENTITY] == [None, None, None, None]
    assert answers.missing() == IDENTITY
    assert answers.problems() == []  # not given is not invalid: check works without them
    assert answers["cloudhsm.members"] is None and answers["admin.members"] is None
    assert not any(key in answers.to_flat() for key in [*IDENTITY, "cloudhsm.members"])


def test_only_the_practice_account_has_a_made_up_administrator():
    answers = defaults(practice=True)
    assert [answers[key] for key in IDENTITY] == ["ops.admin", "Ops", "Admin", "ops.admin@example.com"]
    assert answers.missing() == []
    assert answers["cloudhsm.members"] == ["ops.admin"] and answers["admin.members"] == ["ops.admin"]


def test_missing_keys_are_named_with_where_to_give_them():
    messages = defaults().missing_messages()
    assert [m.split(":")[0] for m in messages] == IDENTITY
    assert messages[3].startswith(
        "admin.email: not given; hsm-setup does not make up the administrator on a real account"
    )
    assert 'email = "..." under [admin]' in messages[3]


def test_iam_mode_needs_only_the_user_name():
    answers = Answers({"admin.mode": "iam"})
    assert answers.missing() == ["admin.user_name"]
    assert Answers({"admin.mode": "iam", "admin.user_name": "alice"}).missing() == []


def test_given_identity_is_kept_and_members_follow_the_administrator():
    answers = Answers(
        {
            "admin.user_name": "josé.núñez",
            "admin.given_name": "José",
            "admin.family_name": "Núñez",
            "admin.email": "jose@corp.test",
        }
    )
    assert answers.missing() == [] and answers.problems() == []
    assert answers["cloudhsm.members"] == ["josé.núñez"] and answers["admin.members"] == ["josé.núñez"]
    # Members given explicitly stay as given.
    assert answers.replace({"cloudhsm.members": ["bob"]})["cloudhsm.members"] == ["bob"]


def test_the_practice_accounts_made_up_administrator_saved_by_an_earlier_version_is_not_used_on_a_real_account():
    saved = {
        "admin.user_name": "ops.admin",
        "admin.given_name": "Ops",
        "admin.family_name": "Admin",
        "admin.email": "ops.admin@example.com",
        "cloudhsm.iam_group": "HsmOps",
    }
    real = Answers(saved)
    assert real.missing() == IDENTITY
    assert real["cloudhsm.iam_group"] == "HsmOps"  # the other answers are kept
    assert real.missing_messages()[0] == (
        "admin.user_name: 'ops.admin' is the practice account's made-up value; on a real account give the administrator's own administrator user name"
    )
    assert Answers(saved, practice=True).missing() == []
    # A real person who happens to be called Ops Admin, with their own address, is kept.
    assert Answers({**saved, "admin.email": "ops@corp.test"}).missing() == []


def test_an_empty_required_input_is_not_given():
    from hsm_setup.answers.fields import BY_KEY

    field = BY_KEY["admin.email"]
    assert field.parse("  ") is None
    assert field.error(None).startswith("admin.email: not given;")
    assert BY_KEY["identity_center.portal_url"].error(None) is None  # optional: not given is fine


# -- each name with the rule of the service it lands in ------------------------------------------
def test_identity_center_names_take_any_script_and_reserved_names_are_refused_for_groups_too(tmp_path):
    text = '[admin]\nuser_name = "josé.núñez"\n[cloudhsm]\nidentity_center_group = "CloudHSM Admins"\nmembers = ["josé.núñez", "名前"]\n'
    answers = load_file(write(tmp_path, text))
    assert answers["cloudhsm.identity_center_group"] == "CloudHSM Admins"
    with pytest.raises(AnswersError) as caught:
        load_file(
            write(
                tmp_path, '[cloudhsm]\nidentity_center_group = "AWSAdministrators"\n[admin]\ngroup = "administrator"\n'
            )
        )
    assert sorted(caught.value.problems) == [
        'admin.group: "administrator" is reserved in IAM Identity Center; choose another name',
        'cloudhsm.identity_center_group: "AWSAdministrators" is reserved in IAM Identity Center; choose another name',
    ]


def test_the_new_keys_are_validated(tmp_path):
    text = """
[identity_center]
portal_url = "http://my-portal.awsapps.com/start"
[admin]
members = []
[cloudhsm]
policy = "everything"
session_duration = "PT13H"
"""
    with pytest.raises(AnswersError) as caught:
        load_file(write(tmp_path, text))
    assert sorted(p.split(":")[0] for p in caught.value.problems) == [
        "admin.members",
        "cloudhsm.policy",
        "cloudhsm.session_duration",
        "identity_center.portal_url",
    ]
    assert any(
        p == 'cloudhsm.policy: "everything" is not one of: admin, power-user, read-only' for p in caught.value.problems
    )
    assert any(p.startswith("admin.members: lists no user names; name at least 1") for p in caught.value.problems)


@pytest.mark.parametrize(
    "url",
    [
        "https://d-1234567890.awsapps.com/start",
        "https://my-company.awsapps.com/start/",
        "https://my-company.awsapps.com/start#/",
        "https://ssoins-111111h2222j33pp.eu-west-1.portal.amazonaws.com",
    ],
)
def test_access_portal_urls_aws_documents_are_accepted(url):
    from hsm_setup.answers.validators import portal_url

    assert portal_url(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://my.awsapps.com/start",
        "https://my.awsapps.com/",
        "https://evil.example.com/start",
        "https://my.awsapps.com.evil.net/start",
        "my.awsapps.com/start",
    ],
)
def test_anything_else_is_not_an_access_portal(url):
    from hsm_setup.answers.validators import portal_url

    problem = portal_url(url)
    assert problem and "https://<subdomain>.awsapps.com/start" in problem


def test_answers_written_for_a_real_account_read_back_without_anyone_made_up(tmp_path):
    import tomllib

    written = to_toml(Answers({"admin.user_name": "alice"}))
    data = tomllib.loads(written)
    assert data["admin"]["user_name"] == "alice" and "email" not in data["admin"]
    assert "members" not in data.get("cloudhsm", {})


def test_a_following_answer_sent_back_unchanged_keeps_following():
    answers = Answers({"admin.user_name": "jane.doe"})
    # A form sends every input it shows: members as shown, and a new administrator in the same edit.
    edited = answers.replace(
        {"admin.user_name": "john.roe", "cloudhsm.members": ["jane.doe"], "admin.members": ["jane.doe"]}
    )
    assert edited["cloudhsm.members"] == ["john.roe"] and edited["admin.members"] == ["john.roe"]
    assert "cloudhsm.members" not in edited.to_flat()
    # Changed by the person, it is theirs.
    assert answers.replace({"cloudhsm.members": ["bob"]})["cloudhsm.members"] == ["bob"]
