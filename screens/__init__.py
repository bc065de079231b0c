"""The Textual wizard: the screens that render what hsm_setup's engine returns.

Nothing here imports boto3 at module level, so the first frame is drawn before
the AWS SDK is loaded.
"""
