"""Running hsm-setup in the practice account with IAM enforced, as an IAM user holding a given policy.

The program runs in this process (hsm_setup.cli.main), against the practice account's
server over HTTP, signing with the user's own access key: the same requests a person's
`hsm-setup apply` makes, without starting an interpreter for each run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hsm_setup.answers.values import Answers, from_nested
from hsm_setup.aws.clients import is_mutating
from hsm_setup.cli.main import main
from hsm_setup.sandbox.catalog import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from hsm_setup.steps import permissions

OPERATOR = "hsm-operator"
OPERATOR_POLICY = "HsmSetupOperator"


@dataclass
class Run:
    code: int
    out: str
    err: str
    # (service, operation) of every request the run sent to the practice account.
    received: list[tuple[str, str]]

    @property
    def changes(self) -> list[tuple[str, str]]:
        return [call for call in self.received if is_mutating(call[1])]


def answers_of(text: str) -> Answers:
    import tomllib

    return from_nested(tomllib.loads(text))


def without(document: dict[str, Any], action: str) -> dict[str, Any]:
    """The policy with one action taken out of every statement (a statement left empty goes too)."""
    statements = []
    for statement in document["Statement"]:
        kept = [a for a in statement["Action"] if a != action]
        if kept:
            statements.append({**statement, "Action": kept})
    return {**document, "Statement": statements}


class Operator:
    """An IAM user of the practice account holding exactly one customer managed policy."""

    def __init__(
        self, practice: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        self.practice = practice
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        self.tmp_path = tmp_path
        self.key: dict[str, str] = {}

    def holding(self, document: dict[str, Any]) -> Operator:
        """Create the user with `document` as its only policy (made by practice-admin, before enforcement)."""
        iam = self.practice.client("iam")
        arn = iam.create_policy(PolicyName=OPERATOR_POLICY, PolicyDocument=json.dumps(document))["Policy"]["Arn"]
        iam.create_user(UserName=OPERATOR)
        iam.attach_user_policy(UserName=OPERATOR, PolicyArn=arn)
        self.key = iam.create_access_key(UserName=OPERATOR)["AccessKey"]
        return self

    def config(self, text: str) -> str:
        path = self.tmp_path / "answers.toml"
        path.write_text(text, encoding="utf-8")
        return str(path)

    def run(self, *args: str, as_admin: bool = False) -> Run:
        """`hsm-setup ARGS` as the operator (IAM enforced) or as practice-admin."""
        key_id, secret = (
            (ACCESS_KEY_ID, SECRET_ACCESS_KEY) if as_admin else (self.key["AccessKeyId"], self.key["SecretAccessKey"])
        )
        self.monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
        self.monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
        self.monkeypatch.setenv("AWS_REGION", "us-east-1")
        self.capsys.readouterr()
        before = len(self.practice.received_calls())
        code = main([*args, "--endpoint-url", self.practice.endpoint_url])
        captured = self.capsys.readouterr()
        return Run(code, captured.out, captured.err, self.practice.received_calls()[before:])


def printed_policy(answers: Answers) -> dict[str, Any]:
    """What `hsm-setup permissions --json --config FILE` prints for these answers."""
    return json.loads(permissions.to_json(answers))


SetUp = Callable[[Operator], str]
