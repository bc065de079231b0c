"""Where moto 5.2.5 differs from AWS in ways the setup steps can see, corrected
per request. Each module maps (service, operation) to a handler, and may name
guards that run before every operation of a service.
"""

from __future__ import annotations

from ..exchange import Handler
from . import iam, iam_simulation, identitystore, organizations, sso_admin, sts

HANDLERS: dict[tuple[str, str], Handler] = {}
GUARDS: dict[str, list[Handler]] = {}

for _module in (sso_admin, iam, iam_simulation, identitystore, organizations, sts):
    HANDLERS.update({(_module.SERVICE, op): handler for op, handler in _module.HANDLERS.items()})
    GUARDS.setdefault(_module.SERVICE, []).extend(getattr(_module, "GUARDS", ()))

__all__ = ["GUARDS", "HANDLERS"]
