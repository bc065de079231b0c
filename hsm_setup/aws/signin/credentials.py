"""The credential chain hsm-setup's botocore session uses: botocore's own, equipped as the AWS CLI's is.

- Assumed-role (and web-identity, and SSO role) credentials are read from and written to
  the AWS CLI's cache, ~/.aws/cli/cache, under botocore's keys: a role assumed by the AWS
  CLI a minute ago is not assumed again, and the other way round.
- SSO tokens are read from ~/.aws/sso/cache, where `aws sso login` and hsm-setup's own
  sign-in (sso_device.py) put them.
- An MFA code is asked through the connection's MfaAsker (mfa.py); botocore's prompter,
  getpass on the terminal, is never called.
- --endpoint-url reaches the clients botocore makes for itself (STS for AssumeRole, SSO
  for role credentials, SSO OIDC to refresh a token), as AWS_ENDPOINT_URL would.

botocore's chain, not a copy of it: the profile-based providers and the assume-role
provider are those botocore builds, given caches and a prompter; a test fails if a
botocore release renames what is set here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hsm_setup.aws.signin import caches
from hsm_setup.aws.signin.mfa import MfaAsker, MfaAssumeRole, cannot_ask, fixed_code, placeholder_prompter

if TYPE_CHECKING:  # pragma: no cover - typing only
    from botocore.credentials import CredentialProvider, CredentialResolver
    from botocore.session import Session as BotocoreSession

    from hsm_setup.aws.connection import Connection


def asker_for(connection: Connection) -> MfaAsker:
    """How this connection gets an MFA code: its asker, else its --mfa-code, else a clear failure."""
    if connection.ask_mfa is not None:
        return connection.ask_mfa
    if connection.mfa_code:
        return fixed_code(connection.mfa_code)
    return cannot_ask


def equip(session: BotocoreSession, connection: Connection, region: str) -> None:
    """Give `session` hsm-setup's credential chain (call before its first client is made)."""
    if connection.endpoint_url:
        _send_every_client_to(session, connection.endpoint_url)
    if connection.access_key_id:
        return  # typed credentials are set on the session directly: no chain is consulted
    from botocore.credentials import ProfileProviderBuilder, create_credential_resolver

    role_cache = caches.role_cache()
    resolver = create_credential_resolver(session, cache=role_cache, region_name=region)
    profile_name = session.get_config_variable("profile") or "default"
    explicit_profile = session.instance_variables().get("profile") is not None
    builder = ProfileProviderBuilder(
        session, cache=role_cache, region_name=region, sso_token_cache=caches.sso_token_cache()
    )
    # botocore's default SSO token cache folder is fixed when botocore is imported; these
    # providers look where `aws sso login` writes now.
    for provider in builder.providers(profile_name=profile_name, disable_env_vars=explicit_profile):
        _replace(resolver, provider)

    assume_role = resolver.get_provider("assume-role")
    make_client = _private(assume_role, "_client_creator")
    ask = asker_for(connection)
    profile = connection.profile

    def sts_with_mfa(service_name: str, **kwargs: Any) -> Any:
        client = make_client(service_name, **kwargs)
        return MfaAssumeRole(client, ask, profile) if service_name == "sts" else client

    _set_private(assume_role, "_prompter", placeholder_prompter)
    _set_private(assume_role, "_client_creator", sts_with_mfa)
    # A role whose source profile is an SSO profile or a credential_process finds it through this builder.
    _set_private(assume_role, "_profile_provider_builder", builder)
    session.register_component("credential_provider", resolver)


def _replace(resolver: CredentialResolver, provider: CredentialProvider) -> None:
    methods = [getattr(p, "METHOD", None) for p in resolver.providers]
    if provider.METHOD in methods:
        resolver.providers[methods.index(provider.METHOD)] = provider


def _private(obj: object, name: str) -> Any:
    if not hasattr(obj, name):
        raise RuntimeError(f"botocore's {type(obj).__name__} has no {name}: this botocore release is not supported")
    return getattr(obj, name)


def _set_private(obj: object, name: str, value: object) -> None:
    _private(obj, name)  # fails loudly rather than setting an attribute botocore no longer reads
    setattr(obj, name, value)


def _send_every_client_to(session: BotocoreSession, endpoint_url: str) -> None:
    """Every client this session makes, botocore's own included, goes to `endpoint_url` unless told otherwise.

    botocore honours AWS_ENDPOINT_URL in the clients it makes for itself but has no
    session setting for it; without this, --endpoint-url pointed at the practice account
    would send an AssumeRole (signed with real source keys) to AWS.
    """
    create_client: Callable[..., Any] = session.create_client

    def create_client_here(service_name: str, *args: Any, **kwargs: Any) -> Any:
        # endpoint_url is create_client's sixth parameter; botocore passes it by name.
        if len(args) < 5 and kwargs.get("endpoint_url") is None:
            kwargs["endpoint_url"] = endpoint_url
        return create_client(service_name, *args, **kwargs)

    session.create_client = create_client_here  # type: ignore[method-assign]
