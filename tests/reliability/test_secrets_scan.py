"""No secret in any file, log or output: whole flows run with recognisable credentials,
then everything they wrote is searched for them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ACCESS_KEY_ID = "AKIASCANSCANSCAN7777"
SECRET_ACCESS_KEY = "scanSecretKey/Zq81xWv0Qm+YtR5uLp3NcHd2KfJs"
SESSION_TOKEN = "scanSessionToken//IQoJb3JpZ2luX2VjEJr0kenScan"
SECRETS = (SECRET_ACCESS_KEY, SESSION_TOKEN, ACCESS_KEY_ID)


def _files_under(*folders: Path) -> list[Path]:
    return [p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()]


def test_whole_flows_write_no_credential_anywhere(ready_account, program, answers_path, tmp_path):
    credentials = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_SESSION_TOKEN": SESSION_TOKEN,
    }
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    runs = [
        ("apply", "--yes", "--config", answers_path),
        ("check", "--json"),
        ("plan",),
        ("apply", "--yes"),
        ("report", "--format", "json", "--output", str(outputs / "report.json")),
        ("report", "--format", "html", "--output", str(outputs / "report.html")),
        ("export", "--format", "cloudformation", "--output", str(outputs / "template.json")),
    ]
    for index, argv in enumerate(runs):
        done = program(*argv, **credentials)
        (outputs / f"run-{index}.out").write_text(done.stdout + done.stderr, encoding="utf-8")
        assert "Traceback" not in done.stderr, (argv, done.stderr)
    assert (program.state_dir / "123456789012" / "state.json").exists()

    files = _files_under(program.state_dir, outputs)
    assert len(files) >= len(runs) + 1
    for path in files:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret[:8]}... found in {path}"
        if path.is_relative_to(program.state_dir):
            assert oct(os.stat(path).st_mode & 0o777) == "0o600", path
    print(f"files scanned: {len(files)}")


def test_state_writes_are_atomic_and_leave_no_temporary_files(ready_account, program, answers_path):
    done = program("apply", "--yes", "--config", answers_path)
    assert done.returncode == 0, done.stderr
    folder = program.state_dir / "123456789012"
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # every temporary file was renamed into place
