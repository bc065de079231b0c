"""moto's lookups that give the same answer at every request, made once instead.

A profile of the practice server answering `check` over 1,000 member accounts (py-spy, samples holding the GIL)
found nearly a third of its time in lookups whose answer never changes while it runs:
- which service a request is for: moto lists its own package folder on disk (`list_of_moto_modules`, a `stat` per
  entry) at every request, 19% of the time;
- an error's shape: moto builds the table of a service's error codes again for each error it answers (its cache
  lives on a factory made per error), 8%; a member account without the CloudHSM group answers NoSuchEntity;
- an account's backends: each lookup copies the keys of every account (`list(self.keys())`) under moto's global
  lock, to see whether this one exists yet.
Each is answered from what was found the first time; what can change (an account's backends, made on first use
and dropped by a reset) is still made by moto as before. Left as they are: the methods of a response class
(`inspect.getmembers` at each request, 4%), since the practice account and the tests add actions moto lacks to those
classes while it runs. The server's CPU for that check: 8.8-10.9 s before,
5.3-6.2 s after; a 1,000-account apply 138.8 s before, 131-136 s after (benchmarks/org_scale.py).
"""

from __future__ import annotations

import threading
from typing import Any

_installed = False
_lock = threading.Lock()


def install() -> None:
    """Put the cached lookups in moto's place (once per process)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
        _cache_module_names()
        _share_error_tables()
        _skip_known_accounts()


def _cache_module_names() -> None:
    from moto import backends

    names = frozenset(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: names


def _share_error_tables() -> None:
    from moto.core import errors

    shared: dict[str, Any] = {}

    def __init__(self: Any) -> None:
        # Every factory moto makes shares one cache (a race only builds a table twice).
        self._error_lut_cache = shared

    errors.ErrorLookupFactory.__init__ = __init__  # type: ignore[method-assign]


def _skip_known_accounts() -> None:
    from moto.core.base_backend import BackendDict

    make = BackendDict._create_account_specific_backend

    def create_unless_there(self: Any, account_id: str) -> None:
        # An account's backends are added and the dict registered for resets in one step under moto's lock, and a
        # reset clears the dicts it unregisters: an account found here needs nothing more.
        if dict.__contains__(self, account_id):
            return
        make(self, account_id)

    BackendDict._create_account_specific_backend = create_unless_there  # type: ignore[method-assign]
