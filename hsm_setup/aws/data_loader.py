"""The process's botocore data loaders: each data file parsed once, endpoints.json kept to what hsm-setup calls.

botocore's endpoints.json describes every AWS service in every partition: ~4 MiB as Python
objects in each process, of which hsm-setup reads the entries of seven services. The loader
hsm-setup's own sessions share keeps every partition (its Regions, DNS suffix, defaults)
whole and, in it, only those services' entries; a client for a service outside them would
be resolved by botocore's defaults instead, so `check_service` refuses to make one.

The practice account's moto asks botocore about every service it emulates, so the
sandbox has a loader of its own with the whole file (`every_service_loader`).

This module imports botocore: it is imported when the first AWS session is made, never
on the way to a front end's first frame.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.loaders import Loader

# Keyed by endpoint prefix (the service model's metadata.endpointPrefix), not by client name:
# sts, iam, organizations and identitystore are their own; sso-admin is "sso", the access
# portal (client "sso", used by botocore's SSO credential provider) "portal.sso", and
# sso-oidc (the device sign-in, token refresh) "oidc". tests/unit/test_data_loader.py
# holds this set to botocore's models.
ENDPOINT_PREFIXES = frozenset({"sts", "iam", "organizations", "sso", "identitystore", "portal.sso", "oidc"})
CLIENT_SERVICES = frozenset({"sts", "iam", "organizations", "sso-admin", "identitystore", "sso", "sso-oidc"})


class ServicesLoader(Loader):
    """botocore's Loader, with endpoints.json narrowed to ENDPOINT_PREFIXES in every partition."""

    def load_data_with_path(self, name: str) -> tuple[Any, str]:
        # Loader caches per instance, so the object returned is the one every later caller
        # gets: narrowing it in place leaves the other services' entries to be freed.
        data, path = super().load_data_with_path(name)
        if name == "endpoints":
            for partition in data.get("partitions", []):
                services = partition.get("services", {})
                if set(services) - ENDPOINT_PREFIXES:
                    partition["services"] = {k: v for k, v in services.items() if k in ENDPOINT_PREFIXES}
        return data, path


def check_service(service: str) -> None:
    """Refuse a client the shared loader's endpoints would not describe (a programming error, not a user's)."""
    if service not in CLIENT_SERVICES:
        raise ValueError(
            f"{service!r} is not among the services the shared data loader keeps: {sorted(CLIENT_SERVICES)}"
        )


_lock = threading.Lock()
_services_loader: ServicesLoader | None = None
_every_service_loader: Loader | None = None


def shared_loader() -> ServicesLoader:
    """The one loader hsm-setup's own botocore sessions share.

    The loader caches what it parses (each service model a few MiB as objects); sessions made
    one after another (a sign-in, then the account's) then parse each file once.
    """
    global _services_loader
    with _lock:
        if _services_loader is None:
            _services_loader = ServicesLoader()
        return _services_loader


def every_service_loader() -> Loader:
    """One loader with the whole of endpoints.json, for the practice account (moto and its seeding)."""
    global _every_service_loader
    with _lock:
        if _every_service_loader is None:
            _every_service_loader = Loader()
        return _every_service_loader
