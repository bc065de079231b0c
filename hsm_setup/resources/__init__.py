"""Each kind of resource hsm-setup creates, declared once (see base.Record).

The steps record what they create as these typed records; teardown plans and undoes
them in `kinds.KINDS` order; the report, the summary (handoff.inventory) and the
CloudFormation export name their kinds and types from them. One module per family:
identity_store, permission_sets, iam_groups, iam_policies, iam_users, service_linked_role.
"""
