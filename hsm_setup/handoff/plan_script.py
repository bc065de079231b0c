"""A plan as a bash script of AWS CLI commands (`hsm-setup plan --format sh`).

The script is exactly the plan: the API actions planned for the account as it is now, each written
from its `Action.script` (hsm_setup.aws.script_call), never by parsing the rendered command. Every
change is guarded by a read, so a second run changes nothing; values AWS assigns are captured with
`--query ... --output text` into shell variables; account assignments and provisioning are waited for.
Console (manual) actions, and steps that wait for one, are comments: do them, then write the script again.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Mapping

from hsm_setup.aws.cli_command import command_line
from hsm_setup.aws.script_call import Call, Change, Document, Helper, Learned, Lookup, Prefixed, Read, Value
from hsm_setup.model import Status, StepResult
from hsm_setup.steps.actions import Action

# Shell functions the commands use: the reads the AWS CLI cannot make in one call, and the waits.
PRELUDE = r"""
note() { printf 'hsm-setup: %s\n' "$*" >&2; }

# found COMMAND...: run a read; print what it found, or fail when it found nothing (or the read failed).
found() {
  local value
  value=$("$@" 2>/dev/null) || return 1
  [ -n "$value" ] && [ "$value" != None ] || return 1
  printf '%s\n' "$value"
}

# sso-admin has no lookup by name: list the permission sets and describe each.
permission_set_arn() {  # REGION INSTANCE_ARN NAME
  local arn
  for arn in $(aws sso-admin list-permission-sets --region "$1" --instance-arn "$2" \
      --query 'PermissionSets[]' --output text); do
    if [ "$(aws sso-admin describe-permission-set --region "$1" --instance-arn "$2" --permission-set-arn "$arn" \
        --query PermissionSet.Name --output text)" = "$3" ]; then
      printf '%s\n' "$arn"
      return 0
    fi
  done
}

inline_policy_is() {  # REGION INSTANCE_ARN PERMISSION_SET_ARN DOCUMENT: prints "same" when it is the document
  local current
  current=$(aws sso-admin get-inline-policy-for-permission-set --region "$1" --instance-arn "$2" \
    --permission-set-arn "$3" --query InlinePolicy --output text)
  if [ "$current" = "$4" ]; then echo same; fi
}

group_assignment() {  # REGION INSTANCE_ARN ACCOUNT PERMISSION_SET_ARN GROUP_ID
  aws sso-admin list-account-assignments --region "$1" --instance-arn "$2" --account-id "$3" \
    --permission-set-arn "$4" \
    --query "AccountAssignments[?PrincipalType=='GROUP' && PrincipalId=='$5'].PrincipalId | [0]" --output text
}

policy_version_gone() {  # POLICY_ARN VERSION_ID: prints "gone" when the version no longer exists
  if ! aws iam get-policy-version --policy-arn "$1" --version-id "$2" >/dev/null 2>&1; then echo gone; fi
}

policy_default_is() {  # POLICY_ARN DOCUMENT_FILE: prints the default version when its document is the file's
  local version document
  version=$(aws iam get-policy --policy-arn "$1" --query Policy.DefaultVersionId --output text)
  document=$(cat "$2")
  aws iam get-policy-version --policy-arn "$1" --version-id "$version" \
    --query "[PolicyVersion][?Document == \`${document//\`/\\\`}\`].VersionId | [0]" --output text
}

# Account assignments and provisioning are asynchronous: wait until AWS reports how they ended,
# asking every HSM_SETUP_POLL_SECONDS seconds (2 unless set).
# https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_DescribeAccountAssignmentCreationStatus.html
# https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_DescribePermissionSetProvisioningStatus.html
wait_for_request() {  # WHAT DESCRIBE_COMMAND REQUEST_ID_FLAG STATUS_FIELD REGION INSTANCE_ARN REQUEST_ID
  local status
  while :; do
    status=$(aws sso-admin "$2" --region "$5" --instance-arn "$6" "$3" "$7" \
      --query "$4.[Status,FailureReason]" --output text)
    case "$status" in
      SUCCEEDED*) return 0 ;;
      FAILED*) note "$1 failed: ${status#FAILED}"; return 1 ;;
    esac
    sleep "${HSM_SETUP_POLL_SECONDS:-2}"
  done
}

wait_for_assignment() {  # REGION INSTANCE_ARN REQUEST_ID
  wait_for_request "the account assignment" describe-account-assignment-creation-status \
    --account-assignment-creation-request-id AccountAssignmentCreationStatus "$@"
}

wait_for_provisioning() {  # REGION INSTANCE_ARN REQUEST_ID
  wait_for_request provisioning describe-permission-set-provisioning-status \
    --provision-permission-set-request-id PermissionSetProvisioningStatus "$@"
}
""".strip()


class _Writer:
    """Renders actions in order, remembering which shell variables earlier commands have set."""

    def __init__(self, flags_read: set[str]) -> None:
        # The flags a later change reads (only_if_marked): a change sets its mark only when one does.
        self.flags_read = flags_read
        self.defined: set[str] = set()
        self.lines: list[str] = []

    # -- values ----------------------------------------------------------------------
    def value(self, value: Value, *, as_file_url: bool = True) -> str:
        if isinstance(value, Learned):
            return f'"${value.variable}"'
        if isinstance(value, Prefixed):
            return f'"{value.prefix}${value.learned.variable}"'
        if isinstance(value, Document):
            path = f"$POLICY_DIR/{value.name}"
            return f'"file://{path}"' if as_file_url else f'"{path}"'
        return shlex.quote(str(value))

    def call(self, call: Call, query: str = "") -> str:
        line = command_line(call.service, call.command, call.args, self.value)
        return f"{line} --query {shlex.quote(query)} --output text" if query else line

    def lookup(self, lookup: Lookup) -> str:
        if isinstance(lookup, Read):
            return self.call(lookup.call, lookup.query)
        return " ".join([lookup.name, *(self.value(arg, as_file_url=False) for arg in lookup.args)])

    # -- what a change needs first ---------------------------------------------------------
    def learned_in(self, change: Change) -> list[Learned]:
        values: list[Value] = [arg[1] for arg in change.call.args if isinstance(arg, tuple)]
        if isinstance(change.done_when, Helper):
            values += change.done_when.args
        elif isinstance(change.done_when, Read):
            values += [arg[1] for arg in change.done_when.call.args if isinstance(arg, tuple)]
        learned: list[Learned] = []
        for value in values:
            item = value.learned if isinstance(value, Prefixed) else value
            if isinstance(item, Learned) and item not in learned and item != change.learns:
                learned.append(item)
        return learned

    def resolve(self, learned: Learned) -> None:
        """A value an earlier run or another step made: look it up once, before the first command that uses it."""
        if learned.variable in self.defined:
            return
        self.lines.append(
            f"{learned.variable}=$(found {self.lookup(learned.lookup)}) || "
            f"{{ note {shlex.quote(f'could not find the {learned.shown}')}; exit 1; }}"
        )
        self.defined.add(learned.variable)

    # -- one change ------------------------------------------------------------------------
    def change(self, summary: str, change: Change) -> None:
        for learned in self.learned_in(change):
            self.resolve(learned)
        said = shlex.quote(summary)
        body: list[str] = [f"note {said}"]
        if change.learns is not None and change.capture:
            body.append(f"{change.learns.variable}=$({self.call(change.call, change.capture)})")
        elif change.waits is not None:
            wait = change.waits
            body.append(f"request_id=$({self.call(change.call, wait.query)})")
            args = " ".join(self.value(arg, as_file_url=False) for arg in wait.args)
            body.append(f'{wait.helper} {args} "$request_id"')
        else:
            body.append(self.call(change.call))
        if change.marks in self.flags_read:
            body.append(f"{change.marks}=1")

        if change.learns is not None:
            condition = f"! {change.learns.variable}=$(found {self.lookup(change.learns.lookup)})"
            self.defined.add(change.learns.variable)
        elif change.done_when is not None:
            condition = f"! found {self.lookup(change.done_when)} >/dev/null"
        elif change.only_if_marked:
            condition = f'[ -n "${{{change.only_if_marked}:-}}" ]'
        else:
            self.lines.extend(body)
            return
        self.lines.append(f"if {condition}; then")
        self.lines.extend(f"  {line}" for line in body)
        self.lines.append("else")
        self.lines.append(f"  note {shlex.quote('already done: ' + summary)}")
        self.lines.append("fi")


def _documents(plan: Mapping[str, list[Action]]) -> list[Document]:
    documents: list[Document] = []
    for actions in plan.values():
        for action in actions:
            if action.script is None:
                continue
            args: list[object] = [arg[1] for arg in action.script.call.args if isinstance(arg, tuple)]
            if isinstance(action.script.done_when, Helper):
                args += action.script.done_when.args
            for arg in args:
                if isinstance(arg, Document) and arg not in documents:
                    documents.append(arg)
    return documents


def _manual(action: Action) -> list[str]:
    lines = [f"# MANUAL (in the console, not run by this script): {action.summary}"]
    if action.console_url:
        lines.append(f"#   console: {action.console_url}")
    lines += [f"#   {n}. {text}" for n, text in enumerate(action.instructions, start=1)]
    return lines


def plan_script(
    plan: Mapping[str, list[Action]],
    results: Mapping[str, StepResult],
    *,
    account_id: str,
    region: str,
    titles: Mapping[str, str],
    now: dt.datetime,
) -> str:
    """The plan as a bash script; `now` is when the plan was made (it goes in the header)."""
    flags_read = {a.script.only_if_marked for steps in plan.values() for a in steps if a.script is not None}
    writer = _Writer(flags_read - {""})
    body = writer.lines
    manual_steps = 0
    left_to_apply = 0
    for step_id, actions in plan.items():
        result = results[step_id]
        if result.done:
            continue
        title = f"{titles.get(step_id, step_id)} ({step_id})"
        body.append("")
        if result.status is Status.BLOCKED:
            body.append(
                f"# {title}: waits for {', '.join(result.blocked_by)}; write the script again once that is done."
            )
            continue
        if result.status is Status.ERROR:
            body.append(f"# {title}: cannot plan: {result.error}")
            continue
        body.append(f"# == {title}")
        for action in actions:
            if action.is_manual:
                manual_steps += 1
                body.extend(_manual(action))
                continue
            body.append(f"# {action.summary}")
            if action.changes_existing:
                body.append(f"#   CHANGES WHAT ALREADY EXISTED: {action.changes_existing}")
                body.extend(f"#     {line}" for line in action.diff)
            if action.script is None:
                # A console password (a secret: a script is a file), and the work in other accounts of an
                # organization (through each one's member role), are left to apply.
                left_to_apply += 1
                body.append("#   NOT IN THIS SCRIPT: run `hsm-setup apply` for it:")
                body.append(f"#   {action.cli}")
                continue
            writer.change(action.summary, action.script)

    header = [
        "#!/usr/bin/env bash",
        f"# hsm-setup plan for AWS account {account_id}, Region {region}, made {now:%Y-%m-%d %H:%M:%S %Z}.",
        "# Review it, then run it with credentials for that account: bash this-file.sh",
        "# Each change runs only when a read finds it not made yet, so running the script again changes nothing.",
        "# It holds what can be applied to the account as it is now (exactly the plan); console steps are comments.",
    ]
    if manual_steps:
        header.append(
            f"# {manual_steps} console step(s) below are not run by this script: do them, then write the "
            "script again (hsm-setup plan --format sh) for the steps that wait for them."
        )
    if left_to_apply:
        header.append(
            f"# {left_to_apply} action(s) below are left to `hsm-setup apply`: a console password (a secret never "
            "goes in a file), or the same change in other accounts of the organization (through their member role)."
        )
    header += [
        "# shellcheck disable=SC2016  # JMESPath literals (`...`) in --query are meant for the AWS CLI, not the shell",
        "set -euo pipefail",
        "",
        PRELUDE,
        "",
        "# The plan was made for this account: refuse to run as another.",
        f"expected_account={shlex.quote(account_id)}",
        "actual_account=$(aws sts get-caller-identity --query Account --output text)",
        'if [ "$actual_account" != "$expected_account" ]; then',
        '  note "these credentials are for account $actual_account; this plan is for $expected_account"',
        "  exit 1",
        "fi",
    ]
    documents = _documents(plan)
    if documents:
        header += [
            "",
            "# The policy documents the commands read (file://), written as hsm-setup sends them.",
            "POLICY_DIR=$(mktemp -d)",
            "trap 'rm -rf \"$POLICY_DIR\"' EXIT",
        ]
        for document in documents:
            header += [
                f"cat > \"$POLICY_DIR/{document.name}\" <<'HSM_SETUP_DOCUMENT'",
                document.text,
                "HSM_SETUP_DOCUMENT",
            ]
    if not any(line.startswith(("if ", "note ")) or "=$(" in line for line in body):
        body.append("note 'nothing to change: every step is done, or waits for a console step'")
    return "\n".join(header + body) + "\n"
