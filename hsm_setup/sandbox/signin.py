"""IAM Identity Center sign-in on the practice account: sso-oidc and the access portal's
GetRoleCredentials, which moto does not have.

The device authorization flow as AWS runs it (SSO OIDC API reference:
https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_CreateToken.html):
RegisterClient, StartDeviceAuthorization (a user code, a verification URL), then
CreateToken with grant type urn:ietf:params:oauth:grant-type:device_code answers
AuthorizationPendingException until a person approves the request, then an access token.
The person approves on a page the practice account serves at the verification URL,
through the control channel (PracticeAccount.approve_sign_in), or with the simulated
console action "sso-sign-in".

GetRoleCredentials hands out a role session made by moto's STS, named as Identity
Center names them (AWSReservedSSO_<permission set>_<id>), so GetCallerIdentity and any
IAM enforcement see a real session. Where the practice account is simpler than AWS:
any https start URL is accepted, any role name is granted on the practice account, and
SlowDownException is answered only when a test asks for it (AWS: when polled faster
than the interval).

These requests are not signed (SigV4), so the middleware hands them here by path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import secrets
import string
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from . import backends
from .catalog import CALLER_USER_NAME, SandboxError
from .sign_in_state import DeviceRequest, OidcClient, PortalToken
from .wire import Call, Reply, error
from .world import World, now

if TYPE_CHECKING:
    from wsgiref.types import WSGIEnvironment

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_GRANT = "refresh_token"
# AWS's device authorizations last 10 minutes, and clients poll once a second.
AUTHORIZATION_SECONDS = 600
POLL_INTERVAL = 1
TOKEN_SECONDS = 8 * 3600
CLIENT_DAYS = 90
ROLE_SESSION_SECONDS = 3600
DEVICE_PAGE = "/practice/device"
_ROUTES = {
    ("POST", "/client/register"): "RegisterClient",
    ("POST", "/device_authorization"): "StartDeviceAuthorization",
    ("POST", "/token"): "CreateToken",
    ("GET", "/federation/credentials"): "GetRoleCredentials",
}


def answer(environ: WSGIEnvironment, body: bytes, world: World) -> Reply | None:
    """The answer to an unsigned sign-in request, or None when the request is not one."""
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "") or ""
    if path == DEVICE_PAGE:
        return _device_page(environ, body, world)
    operation = _ROUTES.get((method, path))
    if operation is None:
        return None
    service = "sso" if operation == "GetRoleCredentials" else "sso-oidc"
    params: dict[str, Any]
    if method == "GET":
        params = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        params["accessToken"] = environ.get("HTTP_X_AMZ_SSO_BEARER_TOKEN", "")
    else:
        try:
            loaded = json.loads(body or b"{}")
        except ValueError:
            loaded = {}
        params = loaded if isinstance(loaded, dict) else {}
    call = Call(service, operation, "", params, "json")
    handler = {
        "RegisterClient": _register_client,
        "StartDeviceAuthorization": _start_device_authorization,
        "CreateToken": _create_token,
        "GetRoleCredentials": _get_role_credentials,
    }[operation]
    return handler(call, environ, world)


# -- sso-oidc -----------------------------------------------------------------------------
def _register_client(call: Call, environ: WSGIEnvironment, world: World) -> Reply:
    name = call.param("clientName")
    if not name or call.param("clientType") != "public":
        return _oidc_error(
            call,
            "InvalidClientMetadataException",
            "invalid_client_metadata",
            "clientName and clientType public are required",
        )
    issued = now()
    client = OidcClient(
        client_id=_token(22),
        client_secret=_token(64),
        name=str(name),
        expires_at=issued + dt.timedelta(days=CLIENT_DAYS),
        scopes=tuple(call.param("scopes", []) or ()),
    )
    world.sign_ins.clients[client.client_id] = client
    return _json(
        {
            "clientId": client.client_id,
            "clientSecret": client.client_secret,
            "clientIdIssuedAt": int(issued.timestamp()),
            "clientSecretExpiresAt": int(client.expires_at.timestamp()),
        }
    )


def _client(call: Call, world: World) -> OidcClient | None:
    client = world.sign_ins.clients.get(str(call.param("clientId", "")))
    if client is None or not secrets.compare_digest(client.client_secret, str(call.param("clientSecret", ""))):
        return None
    return client if client.expires_at > now() else None


def _start_device_authorization(call: Call, environ: WSGIEnvironment, world: World) -> Reply:
    client = _client(call, world)
    if client is None:
        return _oidc_error(call, "InvalidClientException", "invalid_client", "Invalid client", 401)
    start_url = str(call.param("startUrl", ""))
    if not start_url.startswith("https://"):
        return _oidc_error(call, "InvalidRequestException", "invalid_request", "startUrl must be an https URL")
    request = DeviceRequest(
        device_code=_token(48),
        user_code=_user_code(),
        client_id=client.client_id,
        start_url=start_url,
        expires_at=now() + dt.timedelta(seconds=AUTHORIZATION_SECONDS),
    )
    world.sign_ins.requests[request.device_code] = request
    page = f"http://{environ.get('HTTP_HOST', '127.0.0.1')}{DEVICE_PAGE}"
    return _json(
        {
            "deviceCode": request.device_code,
            "userCode": request.user_code,
            "verificationUri": page,
            "verificationUriComplete": f"{page}?user_code={request.user_code}",
            "expiresIn": AUTHORIZATION_SECONDS,
            "interval": POLL_INTERVAL,
        }
    )


def _create_token(call: Call, environ: WSGIEnvironment, world: World) -> Reply:
    client = _client(call, world)
    if client is None:
        return _oidc_error(call, "InvalidClientException", "invalid_client", "Invalid client", 401)
    grant = call.param("grantType")
    if grant == REFRESH_GRANT:
        return _refresh(call, client, world)
    if grant != DEVICE_GRANT:
        return _oidc_error(
            call, "UnsupportedGrantTypeException", "unsupported_grant_type", f"Unsupported grant type: {grant}"
        )
    request = world.sign_ins.requests.get(str(call.param("deviceCode", "")))
    if request is None or request.client_id != client.client_id or request.status == "used":
        return _oidc_error(call, "InvalidGrantException", "invalid_grant", "Invalid grant provided")
    if request.expires_at <= now():
        return _oidc_error(call, "ExpiredTokenException", "expired_token", "Device code has expired")
    if request.status == "denied":
        return _oidc_error(call, "AccessDeniedException", "access_denied", "The request was denied")
    if request.status == "pending":
        if world.sign_ins.slow_downs > 0:
            world.sign_ins.slow_downs -= 1
            return _oidc_error(call, "SlowDownException", "slow_down", "Client is polling too quickly")
        return _oidc_error(
            call, "AuthorizationPendingException", "authorization_pending", "Authorization is still pending"
        )
    request.status = "used"  # a device code gives one token
    return _issue(client, request.start_url, world)


def _refresh(call: Call, client: OidcClient, world: World) -> Reply:
    old = world.sign_ins.refresh_tokens.pop(str(call.param("refreshToken", "")), None)
    if old is None or old.client_id != client.client_id:
        return _oidc_error(call, "InvalidGrantException", "invalid_grant", "Invalid refresh token")
    world.sign_ins.tokens.pop(old.access_token, None)
    return _issue(client, old.start_url, world)


def _issue(client: OidcClient, start_url: str, world: World) -> Reply:
    token = PortalToken(
        access_token=f"aoa{_token(100)}",
        client_id=client.client_id,
        start_url=start_url,
        expires_at=now() + dt.timedelta(seconds=TOKEN_SECONDS),
        # Identity Center hands out refresh tokens to clients registered with scopes.
        refresh_token=f"aor{_token(100)}" if client.scopes else None,
    )
    world.sign_ins.tokens[token.access_token] = token
    data: dict[str, Any] = {"accessToken": token.access_token, "tokenType": "Bearer", "expiresIn": TOKEN_SECONDS}
    if token.refresh_token:
        world.sign_ins.refresh_tokens[token.refresh_token] = token
        data["refreshToken"] = token.refresh_token
    return _json(data)


# -- the access portal ---------------------------------------------------------------------
def _get_role_credentials(call: Call, environ: WSGIEnvironment, world: World) -> Reply:
    token = world.sign_ins.tokens.get(str(call.param("accessToken", "")))
    if token is None or token.expires_at <= now():
        return error(call, "UnauthorizedException", "Session token not found or invalid", 401)
    role_name = str(call.param("role_name", ""))
    if call.param("account_id") != world.account_id or not role_name:
        return error(call, "ForbiddenException", "No access", 403)
    suffix = hashlib.sha1(role_name.encode("utf-8")).hexdigest()[:16]
    role_arn = (
        f"arn:aws:iam::{world.account_id}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_{role_name}_{suffix}"
    )
    session = backends.sts().assume_role(
        region_name="us-east-1",
        role_session_name=CALLER_USER_NAME,
        role_arn=role_arn,
        policy=None,
        duration=ROLE_SESSION_SECONDS,
        external_id=None,
    )
    return _json(
        {
            "roleCredentials": {
                "accessKeyId": session.access_key_id,
                "secretAccessKey": session.secret_access_key,
                "sessionToken": session.session_token,
                "expiration": int(session.expiration.replace(tzinfo=dt.UTC).timestamp() * 1000),
            }
        }
    )


# -- approving, as a person would in the browser ------------------------------------------------
def approve(world: World, user_code: str | None = None, *, deny: bool = False) -> str:
    """Approve (or deny) the sign-in request with this user code, or the only one waiting."""
    with world.lock:
        waiting = world.sign_ins.waiting()
        if user_code:
            request = world.sign_ins.by_user_code(user_code)
            if request is None or request not in waiting:
                raise SandboxError(
                    f"No sign-in request with the code {user_code} is waiting.", "Start the sign-in again."
                )
        elif not waiting:
            raise SandboxError("No sign-in request is waiting to be approved.", "Start the sign-in first.")
        else:
            request = waiting[-1]
        request.status = "denied" if deny else "approved"
        verb = "denied" if deny else "approved"
        return f"Simulated: the sign-in request {request.user_code} was {verb} in the browser."


def _device_page(environ: WSGIEnvironment, body: bytes, world: World) -> Reply:
    """The verification URL: shows the code and asks to approve, as IAM Identity Center's page does."""
    if environ.get("REQUEST_METHOD") == "POST":
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        try:
            message = approve(world, form.get("user_code", ""), deny=form.get("choice") == "deny")
        except SandboxError as exc:
            message = exc.cause
        return _html(f"<p>{html.escape(message.removeprefix('Simulated: '))}</p><p>You can close this page.</p>")
    code = parse_qs(environ.get("QUERY_STRING", "")).get("user_code", [""])[0]
    shown = html.escape(code)
    return _html(
        "<h1>Practice account: approve the sign-in</h1>"
        f"<p>Code shown by hsm-setup: <strong>{shown}</strong></p>"
        f'<form method="post"><input type="hidden" name="user_code" value="{shown}">'
        '<button name="choice" value="approve">Approve</button> '
        '<button name="choice" value="deny">Deny</button></form>'
    )


# -- answers -------------------------------------------------------------------------------------
def _json(data: dict[str, Any]) -> Reply:
    return Reply(
        200, json.dumps(data).encode(), [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4()))]
    )


def _html(body: str) -> Reply:
    page = f"<!doctype html><html><head><meta charset='utf-8'><title>Practice sign-in</title></head><body>{body}</body></html>"
    return Reply(200, page.encode("utf-8"), [("Content-Type", "text/html; charset=utf-8")])


def _oidc_error(call: Call, code: str, oauth_code: str, description: str, status: int = 400) -> Reply:
    # sso-oidc errors carry the OAuth error code and its description (botocore: error, error_description).
    return error(call, code, description, status, error=oauth_code, error_description=description)


def _token(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _user_code() -> str:
    letters = "".join(secrets.choice("BCDFGHJKLMNPQRSTVWXZ") for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"
