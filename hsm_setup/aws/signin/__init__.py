"""Signing in the way AWS administrators do, shared with the AWS CLI.

- credentials.py: the botocore credential chain hsm-setup uses: the AWS CLI's caches,
  MFA codes asked through hsm-setup (never botocore's terminal prompt), --endpoint-url
  honoured by the clients botocore makes for itself (STS AssumeRole, SSO).
- mfa.py: asking for an MFA code (MfaRequest, askers for headless use), AWS's refusals.
- caches.py: where the AWS CLI keeps assumed-role credentials and SSO tokens, and their keys.
- profiles.py: every profile of the AWS config, its kind, and why it cannot work (no network).
- sso_device.py: IAM Identity Center sign-in through the OAuth device authorization flow.

botocore is imported only inside functions, so front ends can import this package
before their first frame.
"""
