"""`hsm-setup report` against the practice account's server."""

from __future__ import annotations

import json
import os
import re

import pytest

from tests.e2e.conftest import Cli
from tests.e2e.handoff import ACCOUNT

pytestmark = pytest.mark.e2e
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
STEP_TITLES = ["Root user secured", "IAM Identity Center enabled", "Administrative user"]


def test_markdown_report_of_a_fresh_account_lists_steps_evidence_and_console_work(cli):
    done = cli("report", AWS_SECRET_ACCESS_KEY=SECRET)
    assert done.returncode == 1, done.stderr  # not every step is done
    md = done.stdout
    assert f"- Account: {ACCOUNT}" in md
    assert "- Checked by: `arn:aws:iam::123456789012:user/" in md
    assert re.search(r"- Checked at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", md)
    for title in STEP_TITLES:
        assert title in md
    assert "AccountMFAEnabled = 0" in md  # evidence
    assert "## Still to do by a person" in md
    assert "https://console.aws.amazon.com/" in md  # the manual actions' links
    assert SECRET not in md


def test_json_report_after_apply_names_what_exists_and_what_hsm_setup_made(cli, practice, tmp_path):
    practice.reset("partial")
    assert cli("apply", "--yes").returncode == 0
    out = tmp_path / "report.json"
    done = cli("report", "--format", "json", "--output", str(out), AWS_SECRET_ACCESS_KEY=SECRET)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert os.stat(out).st_mode & 0o777 == 0o600
    text = out.read_text()
    assert SECRET not in text
    report = json.loads(text)
    assert report["account_id"] == ACCOUNT and report["summary"] == {"steps": 6, "done": 6}
    assert [s["status"] for s in report["steps"]] == ["done"] * 6
    assert report["pending_manual"] == []
    made = {(r["what"], r["name"]): r for r in report["resources"]}
    assert made[("IAM group", "CloudHSMAdmins")]["identifier"] == f"arn:aws:iam::{ACCOUNT}:group/CloudHSMAdmins"
    assert made[("IAM group", "CloudHSMAdmins")]["created_by_hsm_setup"] is True
    assert made[("Identity Center user", "ops.admin")]["created_by_hsm_setup"] is False  # it was there before
    assert made[("Customer managed policy", "CloudHSMAdminPolicy")]["created_by_hsm_setup"] is False
    assert made[("Permission set", "CloudHSMAdmins")]["identifier"].startswith("arn:aws:sso:::instance/")


def test_html_report_is_one_standalone_file(cli, tmp_path):
    out = tmp_path / "report.html"
    done = cli("report", "--format", "html", "-o", str(out), AWS_SECRET_ACCESS_KEY=SECRET)
    assert done.returncode == 1, done.stderr
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "<script" not in page and "<link" not in page and "src=" not in page
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert hrefs and all(
        h.startswith(("https://console.aws.amazon.com/", "https://docs.aws.amazon.com/")) for h in hrefs
    )
    assert "Root user secured" in page and SECRET not in page


def test_bad_answers_exit_2_and_call_nothing(answers_file, trap, state_dir, tmp_path):
    cli = Cli(trap.url, state_dir, tmp_path)
    done = cli("report", "--config", answers_file('region = "mars-1"\n'))
    assert done.returncode == 2 and "region" in done.stderr and "Traceback" not in done.stderr
    assert trap.connections == 0
