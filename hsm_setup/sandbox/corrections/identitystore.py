"""identitystore, as AWS answers it: only the stores of enabled instances exist,
and Identity Center's reserved user names are refused (moto creates a store for
any id it is given and accepts every name).
"""

from __future__ import annotations

from ..exchange import Exchange
from ..wire import Reply

SERVICE = "identitystore"

RESERVED_USER_NAMES = {"administrator", "awsadministrators"}
MAX_USER_NAME = 128


def guard_store(x: Exchange) -> Reply | None:
    store_id = x.call.param("IdentityStoreId")
    if store_id is None or x.world.instance_of_store(store_id, x.call.region) is not None:
        return None
    return x.error(
        "ResourceNotFoundException",
        f"Identity store {store_id} does not exist in {x.call.region}.",
        ResourceType="IDENTITY_STORE",
        ResourceId=str(store_id),
    )


def create_user(x: Exchange) -> Reply | None:
    name = str(x.call.param("UserName", ""))
    if name.lower() in RESERVED_USER_NAMES:
        return x.error(
            "ValidationException",
            f"UserName {name} is reserved: IAM Identity Center does not allow the user names "
            "Administrator and AWSAdministrators.",
        )
    if len(name) > MAX_USER_NAME:
        return x.error(
            "ValidationException", f"UserName is {len(name)} characters; at most {MAX_USER_NAME} are allowed."
        )
    return None


HANDLERS = {"CreateUser": create_user}
GUARDS = [guard_store]
