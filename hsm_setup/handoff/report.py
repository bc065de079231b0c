"""A report of where an account stands, to attach to an onboarding ticket.

`build_report(workspace, results)` gathers what a check found: who ran it, when,
each step with its evidence, what exists (names and ARNs) and what is left for a
person to do in the console. `render_report(report, fmt)` writes it as Markdown,
JSON or one stand-alone HTML file. Nothing here holds a secret: the report is
made of check results, answers (names) and ARNs only.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import TYPE_CHECKING

import msgspec

from hsm_setup import __version__
from hsm_setup.handoff.inventory import inventory
from hsm_setup.json_types import JsonObject
from hsm_setup.model import Finding, Status, StepFacts, StepResult
from hsm_setup.steps.registry import STEPS

if TYPE_CHECKING:
    from hsm_setup.session.workspace import Workspace

FORMATS = ("md", "json", "html")
# The only places the HTML report links to; everything else is shown as text.
LINKABLE = ("https://console.aws.amazon.com/", "https://docs.aws.amazon.com/")
STATUS_WORDS = {
    Status.DONE: "done",
    Status.INCOMPLETE: "to do",
    Status.BLOCKED: "blocked",
    Status.ERROR: "error",
    Status.SKIPPED: "skipped",
}


class StepEntry(msgspec.Struct):
    id: str
    title: str
    why: str
    status: str
    findings: list[JsonObject]
    error: str | None = None
    blocked_by: list[str] = msgspec.field(default_factory=list)
    # A per-account step: every target account and its status.
    accounts: dict[str, str] = msgspec.field(default_factory=dict)


class ResourceEntry(msgspec.Struct):
    what: str
    name: str
    identifier: str | None  # an ARN where AWS gives one, else the id
    created_by_hsm_setup: bool = False


class ManualEntry(msgspec.Struct):
    step: str
    summary: str
    console_url: str | None
    instructions: list[str]


class Report(msgspec.Struct):
    generated: str
    account_id: str
    caller_arn: str
    region: str
    sandbox: bool
    steps: list[StepEntry]
    resources: list[ResourceEntry]
    pending_manual: list[ManualEntry]
    tool_version: str = __version__

    @property
    def steps_done(self) -> int:
        return sum(1 for s in self.steps if s.status in (Status.DONE.value, Status.SKIPPED.value))

    def to_json(self) -> JsonObject:
        data: JsonObject = msgspec.to_builtins(self)
        data["summary"] = {"steps": len(self.steps), "done": self.steps_done}
        return data


# -- building ----------------------------------------------------------------------------
def build_report(
    workspace: Workspace, results: dict[str, StepResult[StepFacts]], *, now: dt.datetime | None = None
) -> Report:
    """A report of `results` (a finished check) for the workspace's account. Makes no AWS call."""
    identity = workspace.identity
    answers = workspace.answers
    planned = workspace.engine.plan(results)
    state = workspace.state
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    titles = {s.id: s for s in STEPS}
    steps = [
        StepEntry(
            id=r.step_id,
            title=titles[r.step_id].title if r.step_id in titles else r.step_id,
            why=titles[r.step_id].why if r.step_id in titles else "",
            status=r.status.value,
            findings=[_finding(f) for f in r.findings],
            error=r.error,
            blocked_by=list(r.blocked_by),
            accounts=dict(r.accounts),
        )
        for r in results.values()
    ]
    manual = [
        ManualEntry(a.step_id, a.summary, a.console_url, list(a.instructions))
        for actions in planned.values()
        for a in actions
        if a.is_manual
    ]
    return Report(
        generated=when.isoformat(timespec="seconds"),
        account_id=identity.account_id,
        caller_arn=identity.arn,
        region=str(answers["region"]),
        sandbox=bool(workspace.connection.sandbox),
        steps=steps,
        resources=[
            ResourceEntry(row.what, row.name, row.identifier, row.created_by_hsm_setup)
            for row in inventory(results, state)
        ],
        pending_manual=manual,
    )


def _finding(finding: Finding) -> JsonObject:
    return {"ok": finding.ok, "message": finding.message, "evidence": finding.evidence, "level": finding.level}


# -- rendering ---------------------------------------------------------------------------
def render_report(report: Report, fmt: str = "md") -> str:
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2) + "\n"
    if fmt == "md":
        return _markdown(report)
    if fmt == "html":
        return _html(report)
    raise ValueError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")


def _where(report: Report) -> str:
    return (
        "the practice account (a simulation on this machine)" if report.sandbox else f"AWS account {report.account_id}"
    )


def _md(text: object) -> str:
    """Text safe inside a Markdown table cell or list item."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def _markdown(report: Report) -> str:
    lines = [
        f"# CloudHSM administrative groups: {_where(report)}",
        "",
        f"- Account: {report.account_id}",
        f"- Checked by: `{report.caller_arn}`",
        f"- Checked at: {report.generated}",
        f"- IAM Identity Center Region: {report.region}",
        f"- Steps done: {report.steps_done} of {len(report.steps)}",
        f"- Made by hsm-setup {report.tool_version}",
        "",
        "## Steps",
        "",
    ]
    for number, step in enumerate(report.steps, start=1):
        lines.append(f"### {number}. {_md(step.title)}: {STATUS_WORDS[Status(step.status)]}")
        lines.append("")
        if step.why:
            lines.append(f"_{_md(step.why)}_")
            lines.append("")
        if step.error:
            lines.append(f"Error: {_md(step.error)}")
            lines.append("")
        for finding in step.findings:
            mark = "[x]" if finding["ok"] else "[ ]"
            note = " (advice)" if finding["level"] == "warning" else ""
            lines.append(f"- {mark} {_md(finding['message'])}{note}")
            if finding.get("evidence"):
                lines.append(f"  - evidence: `{str(finding['evidence']).replace('`', chr(39))}`")
        if len(step.accounts) > 1:
            lines += ["", "| Target account | State |", "| --- | --- |"]
            lines += [f"| {account} | {STATUS_WORDS[Status(status)]} |" for account, status in step.accounts.items()]
        lines.append("")
    lines += ["## What exists", ""]
    if report.resources:
        lines += ["| What | Name | ARN or id | Created by hsm-setup |", "| --- | --- | --- | --- |"]
        for r in report.resources:
            lines.append(
                f"| {_md(r.what)} | {_md(r.name)} | `{_md(r.identifier)}` | {'yes' if r.created_by_hsm_setup else 'no'} |"
            )
    else:
        lines.append("Nothing that these steps look for exists yet.")
    lines += ["", "## Still to do by a person", ""]
    if report.pending_manual:
        for item in report.pending_manual:
            lines.append(f"- **{_md(item.summary)}** ({item.step})")
            if item.console_url:
                lines.append(f"  - console: <{item.console_url}>")
            for n, text in enumerate(item.instructions, start=1):
                lines.append(f"  {n}. {_md(text)}")
    else:
        lines.append("Nothing: no console action is pending.")
    lines.append("")
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #ccc}h3{font-size:1.05rem;margin-bottom:.3rem}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;word-break:break-all}
.status{display:inline-block;padding:0 .5rem;border-radius:.3rem;font-size:.85rem;font-weight:600}
.done,.skipped{background:#dff0d8;color:#1d5b1d}.incomplete{background:#fcf1d4;color:#6b4e00}
.blocked{background:#e8e8e8;color:#333}.error{background:#f8d7da;color:#7a1c24}
.ok::before{content:"\\2713  ";color:#1d5b1d}.todo::before{content:"\\2717  ";color:#7a1c24}.advice::before{content:"!  ";color:#6b4e00}
.evidence{color:#555;font-size:.9em}.why{color:#555;font-style:italic}
@media print{body{margin:0}}
"""


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _link(url: str | None) -> str:
    if not url:
        return ""
    if url.startswith(LINKABLE):
        return f'<a href="{_e(url)}">{_e(url)}</a>'
    return f"<code>{_e(url)}</code>"


def _html(report: Report) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>CloudHSM administrative groups: {_e(_where(report))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>CloudHSM administrative groups: {_e(_where(report))}</h1>",
        "<table>",
        f"<tr><th>Account</th><td>{_e(report.account_id)}</td></tr>",
        f"<tr><th>Checked by</th><td><code>{_e(report.caller_arn)}</code></td></tr>",
        f"<tr><th>Checked at</th><td>{_e(report.generated)}</td></tr>",
        f"<tr><th>IAM Identity Center Region</th><td>{_e(report.region)}</td></tr>",
        f"<tr><th>Steps done</th><td>{report.steps_done} of {len(report.steps)}</td></tr>",
        f"<tr><th>Made by</th><td>hsm-setup {_e(report.tool_version)}</td></tr>",
        "</table>",
        "<h2>Steps</h2>",
    ]
    for number, step in enumerate(report.steps, start=1):
        word = STATUS_WORDS[Status(step.status)]
        out.append(
            f'<section id="step-{_e(step.id)}"><h3>{number}. {_e(step.title)} <span class="status {_e(step.status)}">{_e(word)}</span></h3>'
        )
        if step.why:
            out.append(f'<p class="why">{_e(step.why)}</p>')
        if step.error:
            out.append(f"<p><strong>Error:</strong> {_e(step.error)}</p>")
        out.append("<ul>")
        for finding in step.findings:
            css = "ok" if finding["ok"] else ("advice" if finding["level"] == "warning" else "todo")
            item = f'<li class="{css}">{_e(finding["message"])}'
            if finding.get("evidence"):
                item += f'<br><span class="evidence">evidence: <code>{_e(finding["evidence"])}</code></span>'
            out.append(item + "</li>")
        out.append("</ul>")
        if len(step.accounts) > 1:
            out.append("<table><tr><th>Target account</th><th>State</th></tr>")
            out += [
                f"<tr><td>{_e(account)}</td><td>{_e(STATUS_WORDS[Status(status)])}</td></tr>"
                for account, status in step.accounts.items()
            ]
            out.append("</table>")
        out.append("</section>")
    out.append("<h2>What exists</h2>")
    if report.resources:
        out.append("<table><tr><th>What</th><th>Name</th><th>ARN or id</th><th>Created by hsm-setup</th></tr>")
        for r in report.resources:
            out.append(
                f"<tr><td>{_e(r.what)}</td><td>{_e(r.name)}</td><td><code>{_e(r.identifier)}</code></td>"
                f"<td>{'yes' if r.created_by_hsm_setup else 'no'}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append("<p>Nothing that these steps look for exists yet.</p>")
    out.append("<h2>Still to do by a person</h2>")
    if report.pending_manual:
        out.append("<ul>")
        for manual in report.pending_manual:
            out.append(f"<li><strong>{_e(manual.summary)}</strong> ({_e(manual.step)})")
            if manual.console_url:
                out.append(f"<br>console: {_link(manual.console_url)}")
            if manual.instructions:
                out.append("<ol>" + "".join(f"<li>{_e(t)}</li>" for t in manual.instructions) + "</ol>")
            out.append("</li>")
        out.append("</ul>")
    else:
        out.append("<p>Nothing: no console action is pending.</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
