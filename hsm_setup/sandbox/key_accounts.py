"""Which account an access key belongs to, found once and then in one lookup, where moto scans every account.

moto finds the account of each request's access key (moto.iam.models.get_account_id_from) by looking through
the IAM backend of every account in every partition. An organization of a thousand member accounts made that scan
most of the practice account's CPU for each request (py-spy, `check` over 1,000 accounts: 44% of the server's time
in the scan, 4,000 reads answered at about 100 a second). The practice account remembers where it found each key
and checks that the key is still there before trusting what it remembered, so a key deleted since is searched for
again. A key found in no account (the practice account's own caller signs with one, and moto then answers for its
default account) is remembered as found nowhere: moto makes each access key id at random, so no key made later
takes an id that was asked for before.
"""

from __future__ import annotations

import threading
from typing import Any

# access key id -> (account id, partition) where it was last found; partition None: found in no account
_found: dict[str, tuple[str, str | None]] = {}
_lock = threading.Lock()
_moto_scan: Any = None  # moto's own get_account_id_from, once replaced


def scan_of_moto() -> Any:
    """moto's own lookup, which looks through every account (install() puts ours in its place)."""
    import moto.iam.models as iam_models

    return _moto_scan or iam_models.get_account_id_from


def install() -> None:
    """Answer moto's lookup of an access key's account from what was found before (once per process)."""
    global _moto_scan
    import moto.iam.models as iam_models

    with _lock:
        if _moto_scan is not None:
            return
        scan = _moto_scan = iam_models.get_account_id_from
        iam_models.get_account_id_from = lambda access_key: account_of(access_key, scan)
        make_temporary_key = iam_models.IAMBackend.create_temp_access_key

        def create_temp_access_key(backend: Any) -> Any:
            # AssumeRole's key, known where it is made: the first request signed with it is not a scan either.
            key = make_temporary_key(backend)
            _found[key.physical_resource_id] = (backend.account_id, backend.region_name)
            return key

        iam_models.IAMBackend.create_temp_access_key = create_temp_access_key  # type: ignore[method-assign,assignment]


def account_of(access_key: str, scan: Any) -> str:
    """The account holding `access_key`: where it was found last if it is still there, else moto's scan."""
    from moto.iam.models import iam_backends

    known = _found.get(access_key)
    if known is not None:
        account_id, partition = known
        if partition is None:
            return account_id
        # The backends of an account are made on first use: only look inside one that exists (a reset drops them).
        account = iam_backends.get(account_id)
        if account is not None and access_key in account[partition].access_keys:
            return account_id
        _found.pop(access_key, None)
    account_id = str(scan(access_key))
    found_in = next(
        (p for p, backend in list(iam_backends.get(account_id, {}).items()) if access_key in backend.access_keys), None
    )
    _found[access_key] = (account_id, found_in)
    return account_id
