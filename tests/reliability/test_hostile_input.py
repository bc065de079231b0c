"""Hostile input, generated: answers files, command-line arguments and form fields get
empty, over-long, look-alike, control-character, reserved and wrongly typed values and
TOML that does not parse. Always a clear message naming the field; never a traceback;
no AWS call.

EXAMPLES below is the number of generated inputs each test tries (the README quotes the total).
"""

from __future__ import annotations

import json
import string
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hsm_setup.answers import values as answers_module
from hsm_setup.answers.fields import BY_KEY, FIELDS
from hsm_setup.answers.values import AnswersError, load_file
from hsm_setup.cli.main import main
from tests.e2e.conftest import RequestTrap

EXAMPLES = {"field": 60 * len(FIELDS), "answers_file": 250, "toml": 200, "wrong_type": 150, "cli": 200}


def hostile(examples: int) -> settings:
    # No example database: a run leaves no files behind and every run is a new draw.
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


# Letters that look like ASCII ones: Cyrillic а е о р с х, Greek Α Ο, fullwidth Ａ, dotless ı, Kelvin sign.
LOOK_ALIKES = "аеорсхΑΟＡıK"
CONTROLS = "".join(map(chr, range(32))) + "\x7f\u200b\u200e\u202e\ufeff\u2028"
RESERVED = ["Administrator", "administrator", "AWSAdministrators", "awsadministrators", "ADMINISTRATOR"]
# Fields whose values land in IAM Identity Center's identity store (user and group names).
IDENTITY_CENTER_NAMES = {
    "admin.user_name",
    "admin.group",
    "admin.members",
    "cloudhsm.members",
    "cloudhsm.identity_center_group",
}


def hostile_text() -> st.SearchStrategy[str]:
    plain = st.text(alphabet=string.ascii_letters + string.digits + "+=,.@_-", min_size=1, max_size=20)
    return st.one_of(
        st.just(""),
        st.text(alphabet=" \t\n", min_size=1, max_size=5),
        st.text(min_size=129, max_size=400),  # over-long for every field
        st.builds(lambda a, c, b: a + c + b, plain, st.sampled_from(list(CONTROLS)), plain),
        st.builds(lambda a, c, b: a + c + b, plain, st.sampled_from(list(LOOK_ALIKES)), plain),
        st.sampled_from(RESERVED),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
        st.sampled_from(
            ["PT0H", "PT13H", "P1D", "PT1H30S", "1h", "us-east-1 ", "US-EAST-1", "a@b", "@example.com", "x" * 33]
        ),
    )


def wrong_type() -> st.SearchStrategy[object]:
    return st.one_of(
        st.integers(),
        st.floats(allow_nan=True),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    )


def _check_message(problems: list[str], key: str) -> None:
    assert any(p.startswith(f"{key}: ") for p in problems), problems
    for problem in problems:
        assert "Traceback" not in problem
        assert len(problem) < 400, problem  # one readable line, even for a 400-character value
        assert problem.isprintable(), problem  # control characters are shown escaped


# -- form fields ----------------------------------------------------------------------------
@pytest.mark.parametrize("field", FIELDS, ids=[f.key for f in FIELDS])
@hostile(EXAMPLES["field"] // len(FIELDS))
@given(raw=hostile_text())
def test_a_form_field_names_itself_or_accepts_only_safe_values(field, raw):
    value = field.parse(raw)
    message = field.error(value, mode=_mode(field))
    if message is not None:
        _check_message([message], field.key)
        return
    if value is None:  # nothing typed: only an optional answer may be left out
        assert not field.required, field.key
        return
    # Accepted: then it is a value AWS accepts too.
    items = value if isinstance(value, list) else [value]
    for item in items:
        assert item == item.strip()
        assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") for ch in item), item
        if field.key in IDENTITY_CENTER_NAMES:
            # Identity Center takes letters of any script, marks, symbols and punctuation; its reserved names never.
            assert item.casefold() not in ("administrator", "awsadministrators"), item
            continue
        if field.key in ("admin.given_name", "admin.family_name"):
            continue  # people's names may be in any script
        assert item.isascii(), item


# -- answers files --------------------------------------------------------------------------
def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.toml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path


def _mode(field) -> str | None:
    """The admin.mode in which the field is used (fields of the other mode are not validated)."""
    modes = getattr(field, "modes", ())
    return modes[0] if modes else None


def _toml_for(key: str, value: object) -> str:
    field = BY_KEY[key]
    rendered = json.dumps(value, ensure_ascii=False) if not isinstance(value, dict) else "{ x = 1 }"
    admin = [f"mode = {json.dumps(_mode(field))}"] if _mode(field) else []
    if field.section == "admin":
        admin.append(f"{field.name} = {rendered}")
        return "[admin]\n" + "\n".join(admin) + "\n"
    head = "[admin]\n" + "\n".join(admin) + "\n" if admin else ""
    if field.section:
        return f"{head}[{field.section}]\n{field.name} = {rendered}\n"
    return f"{key} = {rendered}\n{head}"


@hostile(EXAMPLES["answers_file"])
@given(key=st.sampled_from([f.key for f in FIELDS]), raw=hostile_text())
def test_an_answers_file_with_a_hostile_value_names_the_key(tmp_path, key, raw):
    field = BY_KEY[key]
    value = field.parse(raw) if field.kind == "list" else raw
    assume(field.error(value, mode=_mode(field)) is not None)
    try:
        text = _toml_for(key, value)
    except (TypeError, ValueError):
        return
    try:
        load_file(_write(tmp_path, text))
    except AnswersError as exc:
        if any(p.startswith("--config:") for p in exc.problems):
            return  # a value TOML itself cannot hold (JSON escapes TOML lacks) is a parse error, also named
        _check_message(exc.problems, key)
    else:
        pytest.fail(f"{key} = {value!r} was accepted")


@hostile(EXAMPLES["wrong_type"])
@given(key=st.sampled_from([f.key for f in FIELDS]), value=wrong_type())
def test_a_value_of_the_wrong_type_names_the_key(key, value):
    assume(not (BY_KEY[key].kind == "list" and value == []))  # an empty list is a valid list
    nested: dict = {}
    field = BY_KEY[key]
    if _mode(field) and key != "admin.mode":
        nested["admin"] = {"mode": _mode(field)}
    if field.section:
        nested.setdefault(field.section, {})[field.name] = value
    else:
        nested[key] = value
    with pytest.raises(AnswersError) as raised:
        answers_module.from_nested(nested)
    _check_message(raised.value.problems, key)


@hostile(EXAMPLES["toml"])
@given(
    text=st.one_of(
        st.text(max_size=200),
        st.builds(
            lambda a, b: a + b,
            st.sampled_from(
                ["[admin]\n", "admin = ", "[[cloudhsm]]\n", "region = '", "a.b.c = 1\n", "[admin]\n[admin]\n"]
            ),
            st.text(max_size=60),
        ),
        st.binary(max_size=100).map(lambda b: b.decode("latin-1")),
    )
)
def test_an_answers_file_that_does_not_parse_is_one_clear_line(tmp_path, text):
    path = tmp_path / "answers.toml"
    # Bytes drawn as latin-1 go back as they came (not UTF-8); any other text is written as UTF-8.
    try:
        raw = text.encode("latin-1") if text.startswith("\xff") else text.encode("utf-8", "surrogatepass")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
    path.write_bytes(raw)
    try:
        load_file(path)
    except AnswersError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert (
                problem.split(":", 1)[0] in {"--config", *BY_KEY, *{f.section for f in FIELDS if f.section}}
                or ": unknown key" in problem
            ), problem
    # Parsed and valid (an empty file, a comment): the defaults apply; that is fine too.


# -- the command line -------------------------------------------------------------------------
def _bad_argv() -> st.SearchStrategy[tuple[list[str], str]]:
    junk = st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=0, max_size=30
    )
    not_a_region = junk.filter(
        lambda t: __import__("hsm_setup.answers.validators", fromlist=["region"]).region(t) is not None
    )
    not_a_port = junk.filter(lambda t: not (t.isascii() and t.strip().isdigit() and int(t) <= 65535))
    not_a_scenario = junk.filter(lambda t: t not in ("fresh", "partial", "complete"))
    not_an_url = junk.filter(lambda t: not t.startswith(("http://", "https://")))
    command = st.sampled_from(["check", "plan", "apply"])
    return st.one_of(
        st.builds(lambda c, v: ([c, "--region", v], "--region"), command, not_a_region),
        st.builds(lambda c, v: ([c, "--endpoint-url", v], "--endpoint-url"), command, not_an_url),
        st.builds(lambda c, v: ([c, "--sandbox", "--scenario", v], "--scenario"), command, not_a_scenario),
        st.builds(lambda v: (["sandbox", "serve", "--port", v], "--port"), not_a_port),
        st.builds(
            lambda c, v: (
                [c, "--config", str(Path("/nonexistent") / (v.replace("/", "_").replace("\x00", "") or "x"))],
                "--config",
            ),
            command,
            junk,
        ),
        st.builds(lambda c: ([c, "--scenario", "partial"], "--scenario"), command),
        st.builds(
            lambda v: (["forget", "--account", v], "--account"),
            junk.filter(lambda t: not (len(t) == 12 and t.isdigit())),
        ),
    )


@pytest.fixture
def trapped(monkeypatch):
    trap = RequestTrap()
    monkeypatch.setenv("AWS_ENDPOINT_URL", trap.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    yield trap
    trap.close()


@hostile(EXAMPLES["cli"])
@given(case=_bad_argv())
def test_a_bad_command_line_exits_2_naming_the_option_and_calls_nothing(trapped, capsys, case):
    argv, option = case
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    assert code == 2, (argv, out, err)
    assert option in err, (argv, err)
    assert "Traceback" not in err
    assert trapped.connections == 0


def test_the_examples_add_up_to_at_least_a_thousand():
    assert sum(EXAMPLES.values()) >= 1000
