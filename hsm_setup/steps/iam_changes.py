"""The IAM and Organizations changes plans make, described as data (hsm_setup.aws.script_call).

Each `Change` reads as the same AWS CLI command the text plan shows, plus the read that tells
`plan --format sh` the change is already made, so a second run of the script skips it.
"""

from __future__ import annotations

from hsm_setup.aws.script_call import Call, Change, Document, Helper, Read


def create_policy(name: str, arn: str, document: Document, description: str, tags: str) -> Change:
    call = Call(
        "iam",
        "create-policy",
        (("--policy-name", name), ("--policy-document", document), ("--description", description), ("--tags", tags)),
    )
    return Change(call, done_when=Read(Call("iam", "get-policy", (("--policy-arn", arn),)), "Policy.Arn"))


def delete_policy_version(arn: str, version_id: str) -> Change:
    call = Call("iam", "delete-policy-version", (("--policy-arn", arn), ("--version-id", version_id)))
    return Change(call, done_when=Helper("policy_version_gone", (arn, version_id)))


def create_policy_version(arn: str, document: Document) -> Change:
    call = Call(
        "iam", "create-policy-version", (("--policy-arn", arn), ("--policy-document", document), "--set-as-default")
    )
    return Change(call, done_when=Helper("policy_default_is", (arn, document)))


def create_group(group: str) -> Change:
    call = Call("iam", "create-group", (("--group-name", group),))
    return Change(call, done_when=Read(Call("iam", "get-group", (("--group-name", group),)), "Group.GroupName"))


def attach_group_policy(group: str, policy_arn: str) -> Change:
    call = Call("iam", "attach-group-policy", (("--group-name", group), ("--policy-arn", policy_arn)))
    attached = Read(
        Call("iam", "list-attached-group-policies", (("--group-name", group),)),
        f'AttachedPolicies[?PolicyArn==`"{policy_arn}"`].PolicyArn | [0]',
    )
    return Change(call, done_when=attached)


def add_user_to_group(group: str, user: str) -> Change:
    call = Call("iam", "add-user-to-group", (("--group-name", group), ("--user-name", user)))
    member = Read(
        Call("iam", "list-groups-for-user", (("--user-name", user),)),
        f'Groups[?GroupName==`"{group}"`].GroupName | [0]',
    )
    return Change(call, done_when=member)


def create_service_linked_role(service: str, role_name: str) -> Change:
    call = Call("iam", "create-service-linked-role", (("--aws-service-name", service),))
    return Change(call, done_when=Read(Call("iam", "get-role", (("--role-name", role_name),)), "Role.RoleName"))


def create_organization() -> Change:
    call = Call("organizations", "create-organization", (("--feature-set", "ALL"),))
    return Change(call, done_when=Read(Call("organizations", "describe-organization"), "Organization.Id"))


def create_user(user: str, tags: str) -> Change:
    call = Call("iam", "create-user", (("--user-name", user), ("--tags", tags)))
    return Change(call, done_when=Read(Call("iam", "get-user", (("--user-name", user),)), "User.UserName"))
