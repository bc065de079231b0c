"""What the practice account remembers of IAM Identity Center sign-ins (moto has no sso-oidc).

Clients registered with sso-oidc RegisterClient, device authorizations waiting for a
person to approve them, and the access tokens issued. Guarded by the World's lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class OidcClient:
    client_id: str
    client_secret: str
    name: str
    expires_at: dt.datetime
    scopes: tuple[str, ...] = ()


@dataclass
class DeviceRequest:
    """One StartDeviceAuthorization, until the person approves or denies it, or it expires."""

    device_code: str
    user_code: str
    client_id: str
    start_url: str
    expires_at: dt.datetime
    status: str = "pending"  # pending | approved | denied | used


@dataclass
class PortalToken:
    """An access token for the AWS access portal (sso GetRoleCredentials)."""

    access_token: str
    client_id: str
    start_url: str
    expires_at: dt.datetime
    refresh_token: str | None = None


@dataclass
class SignInState:
    clients: dict[str, OidcClient] = field(default_factory=dict)
    requests: dict[str, DeviceRequest] = field(default_factory=dict)  # by device code
    tokens: dict[str, PortalToken] = field(default_factory=dict)  # by access token
    refresh_tokens: dict[str, PortalToken] = field(default_factory=dict)
    # Pending polls still to be answered SlowDownException (a test asks for them; AWS
    # answers so when a client polls faster than the interval it was given).
    slow_downs: int = 0

    def clear(self) -> None:
        self.clients.clear()
        self.requests.clear()
        self.tokens.clear()
        self.refresh_tokens.clear()
        self.slow_downs = 0

    def waiting(self) -> list[DeviceRequest]:
        """Requests a person could still approve, oldest first."""
        now = dt.datetime.now(dt.UTC)
        return [r for r in self.requests.values() if r.status == "pending" and r.expires_at > now]

    def by_user_code(self, user_code: str) -> DeviceRequest | None:
        wanted = user_code.strip().upper()
        for request in self.requests.values():
            if request.user_code == wanted:
                return request
        return None
