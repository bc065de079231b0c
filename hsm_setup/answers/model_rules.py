"""Read the name rules out of botocore's service models, and write name_rules.py from them.

The wizard validates on every keystroke and must draw its first frame without botocore
(about 0.1 s to import, more to parse the iam, sso-admin and identitystore models), so the
validators read a small generated module instead of the models. This module is the only
place that reads the models; tests/unit/test_name_rules.py fails when the generated
rules and botocore's models disagree. Regenerate after updating botocore with:

    python -m hsm_setup.answers.model_rules --write
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from hsm_setup.answers.rules import ModelRule

# Rule key -> (service, operation, path to the member). Lists are stepped through.
MEMBERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "identitystore:UserName": ("identitystore", "CreateUser", ("UserName",)),
    "identitystore:UserDisplayName": ("identitystore", "CreateUser", ("DisplayName",)),
    "identitystore:GivenName": ("identitystore", "CreateUser", ("Name", "GivenName")),
    "identitystore:FamilyName": ("identitystore", "CreateUser", ("Name", "FamilyName")),
    "identitystore:Email": ("identitystore", "CreateUser", ("Emails", "Value")),
    "identitystore:GroupDisplayName": ("identitystore", "CreateGroup", ("DisplayName",)),
    "sso-admin:PermissionSetName": ("sso-admin", "CreatePermissionSet", ("Name",)),
    "sso-admin:PermissionSetDescription": ("sso-admin", "CreatePermissionSet", ("Description",)),
    "iam:UserName": ("iam", "CreateUser", ("UserName",)),
    "iam:GroupName": ("iam", "CreateGroup", ("GroupName",)),
    "iam:PolicyName": ("iam", "CreatePolicy", ("PolicyName",)),
    "iam:RoleName": ("iam", "CreateRole", ("RoleName",)),
}
# "Administrator and AWSAdministrators are reserved names and can't be used for users or groups."
_RESERVED = re.compile(r"((?:\w+, )*\w+ and \w+|\w+) (?:are|is) (?:a )?reserved names?")
GENERATED = Path(__file__).with_name("name_rules.py")


def _member(shape: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        shape = shape.members[name]
        if shape.type_name == "list":
            shape = shape.member
    return shape


def _documentation(operation: Any, path: tuple[str, ...]) -> str:
    shape = operation.input_shape
    docs = ""
    for name in path:
        docs = shape.members[name].documentation or ""
        shape = shape.members[name]
        if shape.type_name == "list":
            shape = shape.member
    return re.sub(r"<[^>]+>", "", docs)


def reserved_names(documentation: str) -> tuple[str, ...]:
    """Names a member's documentation calls reserved, in the order it lists them."""
    match = _RESERVED.search(documentation)
    if not match:
        return ()
    return tuple(re.split(r", | and ", match.group(1)))


def read_rules() -> dict[str, ModelRule]:
    """Every rule in MEMBERS, as botocore's installed models state it."""
    import botocore.session

    session = botocore.session.get_session()
    rules: dict[str, ModelRule] = {}
    for key, (service, operation_name, path) in MEMBERS.items():
        operation = session.get_service_model(service).operation_model(operation_name)
        shape = _member(operation.input_shape, path)
        meta = shape.metadata
        rules[key] = ModelRule(
            min_len=int(meta.get("min", 0)),
            max_len=int(meta["max"]) if "max" in meta else None,
            pattern=meta.get("pattern"),
            reserved=reserved_names(_documentation(operation, path)),
        )
    return rules


def render(rules: dict[str, ModelRule]) -> str:
    import botocore

    lines = [
        '"""Name rules from botocore\'s service models: GENERATED, do not edit.',
        "",
        f"Written by `python -m hsm_setup.answers.model_rules --write` from botocore {botocore.__version__};",
        "tests/unit/test_name_rules.py checks that they still match the installed models.",
        '"""',
        "",
        "from hsm_setup.answers.rules import ModelRule",
        "",
        "RULES: dict[str, ModelRule] = {",
    ]
    for key, rule in rules.items():
        lines.append(
            f"    {key!r}: ModelRule(min_len={rule.min_len!r}, max_len={rule.max_len!r}, "
            f"pattern={rule.pattern!r}, reserved={rule.reserved!r}),"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render(read_rules())
    if "--write" in argv:
        GENERATED.write_text(text, encoding="utf-8")
        print(f"wrote {GENERATED}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
