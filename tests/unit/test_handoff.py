"""Hand-off modules without AWS: HTML escaping, config-file editing, teardown planning."""

from __future__ import annotations

import os

import pytest

from hsm_setup.errors import HsmSetupError
from hsm_setup.handoff.report import ManualEntry, Report, ResourceEntry, StepEntry, render_report
from hsm_setup.handoff.sso_profile import ProfileConflict, write_sso_profile
from hsm_setup.handoff.teardown import plan_teardown
from hsm_setup.state.account import AccountState


def _report(message: str) -> Report:
    return Report(
        generated="2025-01-01T00:00:00+00:00",
        account_id="123456789012",
        caller_arn="arn:aws:iam::123456789012:user/a",
        region="us-east-1",
        sandbox=False,
        steps=[
            StepEntry(
                "root-user",
                "Root user secured",
                "why",
                "incomplete",
                [{"ok": False, "message": message, "evidence": message, "level": "info"}],
            )
        ],
        resources=[ResourceEntry("IAM group", message, "arn:x")],
        pending_manual=[ManualEntry("root-user", message, "javascript:alert(1)", [message])],
    )


def test_html_escapes_every_value_and_links_only_to_aws():
    page = render_report(_report('<script>alert("x")</script>'), "html")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert 'href="javascript' not in page


def test_markdown_keeps_a_pipe_from_breaking_the_table():
    md = render_report(_report("a|b"), "md")
    assert "| IAM group | a\\|b |" in md


def test_profile_appended_to_a_file_without_final_newline(tmp_path):
    config = tmp_path / "config"
    config.write_text("[default]\nregion = us-east-1")
    result = write_sso_profile(
        "p",
        account_id="123456789012",
        role_name="Admin",
        start_url="https://d-1.awsapps.com/start",
        sso_region="us-east-1",
        path=config,
    )
    assert result.changed and result.backup_path is not None
    text = config.read_text()
    assert text.startswith("[default]\nregion = us-east-1\n\n[sso-session p]\n")
    assert "[profile p]\nsso_session = p\nsso_account_id = 123456789012\nsso_role_name = Admin\n" in text
    assert os.stat(config).st_mode & 0o777 == 0o600


def test_teardown_plan_orders_by_dependency_and_folds_children_into_their_parent(tmp_path):
    # Notes as the previous version wrote them (kind, id and loose keys): still read, still planned.
    state = AccountState("123456789012", root=tmp_path)
    ps = "arn:aws:sso:::instance/ssoins-1/ps-1"
    where = {"instance_arn": "arn:aws:sso:::instance/ssoins-1", "region": "us-east-1"}
    state.record_created("identity-center-user", "u1", name="ops.admin", identity_store_id="d-1", region="us-east-1")
    state.record_created("permission-set", ps, name="Admin", **where)
    state.record_created("permission-set-managed-policy", f"{ps}|x", permission_set_arn=ps, policy_arn="x", **where)
    state.record_created(
        "account-assignment",
        f"{ps}|USER|u1|123456789012",
        permission_set_arn=ps,
        principal_type="USER",
        principal_id="u1",
        account_id="123456789012",
        label="Admin to ops.admin",
        **where,
    )
    state.record_created("service-linked-role", "AWSServiceRoleForCloudHSM", arn="arn:aws:iam::123456789012:role/x")
    plan = plan_teardown(state)
    assert [r.kind for r in plan.removals] == ["account-assignment", "permission-set", "identity-center-user"]
    assert [c.kind for c in plan.removals[1].covers] == ["permission-set-managed-policy"]
    assert plan.kept and "service-linked role" in plan.kept[0]
    assert [r.kind for r in plan_teardown(state, include_service_linked_role=True).removals][
        -1
    ] == "service-linked-role"


def test_a_note_teardown_cannot_read_is_kept_and_named_not_guessed(tmp_path):
    state = AccountState("123456789012", root=tmp_path)
    state.record_created(
        "permission-set", "arn:aws:sso:::permissionSet/ssoins-1/ps-1", name="Admin"
    )  # no instance, no Region
    state.record_created("some-future-kind", "thing-1")
    state.record_created("iam-group", "G")
    plan = plan_teardown(state)
    assert [r.kind for r in plan.removals] == ["iam-group"]
    assert len(plan.kept) == 2
    assert (
        "permission-set arn:aws:sso:::permissionSet/ssoins-1/ps-1 (its saved note has no instance_arn" in plan.kept[0]
    )
    assert plan.kept[1].startswith("some-future-kind thing-1 (teardown cannot remove this kind yet")


def test_recording_the_same_resource_twice_keeps_one_note(tmp_path):
    state = AccountState("123456789012", root=tmp_path)
    state.record_created("iam-group", "G")
    state.record_created("iam-group", "G")
    assert len(state.created()) == 1
    state.forget_created("iam-group", "G")
    assert AccountState("123456789012", root=tmp_path).created() == []


def test_a_profile_header_with_odd_spacing_is_the_same_profile(tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile   p]\nregion = eu-west-1\n")
    with pytest.raises(ProfileConflict, match=r"\[profile p\]"):
        write_sso_profile(
            "p",
            account_id="123456789012",
            role_name="Admin",
            start_url="https://d-1.awsapps.com/start",
            sso_region="us-east-1",
            path=config,
        )
    assert config.read_text() == "[profile   p]\nregion = eu-west-1\n"


def test_a_config_file_that_is_not_ini_is_named_and_left_alone(tmp_path):
    config = tmp_path / "config"
    config.write_text("[default]\nthis line has no equals sign\n")
    with pytest.raises(HsmSetupError) as caught:
        write_sso_profile(
            "p",
            account_id="123456789012",
            role_name="Admin",
            start_url="https://d-1.awsapps.com/start",
            sso_region="us-east-1",
            path=config,
        )
    assert str(config) in caught.value.cause and "line 2" in caught.value.cause
    assert config.read_text() == "[default]\nthis line has no equals sign\n"
    assert not list(tmp_path.glob("config.hsm-setup-backup-*"))


def test_a_repeated_section_the_aws_cli_accepts_is_kept(tmp_path):
    config = tmp_path / "config"
    original = "[default]\nregion = us-east-1\n\n[default]\noutput = json\n"
    config.write_text(original)
    write_sso_profile(
        "p",
        account_id="123456789012",
        role_name="Admin",
        start_url="https://d-1.awsapps.com/start",
        sso_region="us-east-1",
        path=config,
    )
    assert config.read_text().startswith(original)
