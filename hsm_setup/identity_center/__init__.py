"""IAM Identity Center calls the admin-user and permission-sets steps share, and teardown uses.

By job: `instance` (where Identity Center is, and what a step needs from its caller),
`reads` (constant-cost reads), `writes` (idempotent create-or-adopt, assignments,
provisioning), `polling` (waiting on asynchronous requests, retrying conflicts),
`commands` (how plans show these calls as AWS CLI commands) and `findings` (how the
checks word what they found).

It sits beside the steps rather than inside them: teardown's resource declarations
read through it too, and the steps record what they create through those declarations.
"""
