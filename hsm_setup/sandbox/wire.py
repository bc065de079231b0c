"""Requests and answers as the AWS SDKs send and expect them.

`identify` names the service, operation, Region and parameters of a request
(JSON protocols by X-Amz-Target, query protocols by Action=, the service and
Region from the SigV4 credential scope). `Reply` is an answer the practice
account gives itself: results are serialized from the service's botocore model
by moto's own serializer, so they parse exactly as moto's answers do.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

# X-Amz-Target prefixes of the JSON services the steps call.
TARGET_SERVICES = {
    "SWBExternalService": "sso-admin",
    "AWSIdentityStore": "identitystore",
    "AWSOrganizationsV20161128": "organizations",
}
# SigV4 signing names -> botocore service names, where they differ.
SIGNING_SERVICES = {"sso": "sso-admin"}
# botocore service names -> the prefix of their IAM actions.
ACTION_PREFIXES = {"sso-admin": "sso"}
QUERY_NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}


@dataclass
class Call:
    service: str  # botocore's name: sso-admin, identitystore, organizations, iam, sts
    operation: str  # CreatePermissionSet
    region: str
    params: dict[str, Any]
    protocol: str  # json | query | other
    # The access key id the request was signed with: who is calling (an assumed role's key names the role).
    access_key: str = ""

    @property
    def action(self) -> str:
        """The IAM action this call needs, e.g. sso:CreatePermissionSet."""
        return f"{ACTION_PREFIXES.get(self.service, self.service)}:{self.operation}"

    def param(self, name: str, default: Any = None) -> Any:
        value = self.params.get(name, default)
        return default if value is None else value


@dataclass
class Reply:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body or b"{}")

    def with_body(self, body: bytes) -> Reply:
        return Reply(self.status, body, list(self.headers))

    def wsgi(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Unknown"
        headers = [(k, v) for k, v in self.headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(self.body))))
        start_response(f"{self.status} {reason}", headers)
        return [self.body]


def credential_scope(environ: WSGIEnvironment) -> tuple[str, str] | None:
    """(region, signing name) from `Authorization: AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...`."""
    auth = environ.get("HTTP_AUTHORIZATION") or ""
    marker = "Credential="
    start = auth.find(marker)
    if start < 0:
        return None
    scope = auth[start + len(marker) :].split(",", 1)[0].strip().split("/")
    if len(scope) != 5:
        return None
    return scope[2], scope[3]


def access_key_of(environ: WSGIEnvironment) -> str:
    """The access key id in `Authorization: AWS4-HMAC-SHA256 Credential=KEY/...` (not a secret)."""
    auth = environ.get("HTTP_AUTHORIZATION") or ""
    marker = "Credential="
    start = auth.find(marker)
    return auth[start + len(marker) :].split("/", 1)[0].strip() if start >= 0 else ""


def identify(environ: WSGIEnvironment, body: bytes) -> Call | None:
    scope = credential_scope(environ)
    if scope is None:
        return None
    region, signing_name = scope
    key = access_key_of(environ)
    target = environ.get("HTTP_X_AMZ_TARGET") or ""
    content_type = environ.get("CONTENT_TYPE") or ""
    if target and "." in target:
        prefix, operation = target.split(".", 1)
        service = TARGET_SERVICES.get(prefix) or SIGNING_SERVICES.get(signing_name, signing_name)
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return Call(service, operation, region, params if isinstance(params, dict) else {}, "json", key)
    service = SIGNING_SERVICES.get(signing_name, signing_name)
    if content_type.startswith("application/x-www-form-urlencoded"):
        params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return Call(service, params.pop("Action", ""), region, params, "query", key)
    return Call(service, "", region, {}, "other", key)


# -- answers the practice account writes itself ----------------------------------------
def result(call: Call, data: dict[str, Any]) -> Reply:
    """A successful answer to `call`, serialized from the botocore model of its operation."""
    from moto.core.serialize import XFormedAttributePicker, get_serializer_class
    from moto.core.utils import get_service_model

    model = get_service_model(call.service)
    serializer_cls = get_serializer_class(call.service, model.metadata["protocol"])
    serializer = serializer_cls(
        operation_model=model.operation_model(call.operation),
        value_picker=XFormedAttributePicker(response_transformers=None),
    )
    out = serializer.serialize(data)
    request_id = str(uuid.uuid4())
    body = out["body"]
    if isinstance(body, str):
        body = body.replace("<RequestId>request-id</RequestId>", f"<RequestId>{request_id}</RequestId>").encode()
    headers = [*list(out["headers"].items()), ("x-amzn-RequestId", request_id)]
    return Reply(int(out["status_code"]), body, headers)


def error(call: Call, code: str, message: str, status: int = 400, **extra: object) -> Reply:
    """An error answer in the call's protocol, the way AWS shapes it, so botocore raises ClientError(code)."""
    request_id = str(uuid.uuid4())
    if call.protocol == "query":
        namespace = QUERY_NAMESPACES.get(call.service, "")
        xmlns = f' xmlns="{namespace}"' if namespace else ""
        body = (
            f"<ErrorResponse{xmlns}><Error><Type>Sender</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return Reply(status, body, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)])
    payload = {"__type": code, "Message": message, **extra}
    headers = [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", code),
    ]
    return Reply(status, json.dumps(payload).encode(), headers)
