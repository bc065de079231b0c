"""The practice account finds the account of a request's access key without scanning every account."""

from __future__ import annotations

from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends

from hsm_setup.sandbox import key_accounts

MEMBER = "210000000099"


def test_an_assumed_roles_key_is_known_where_it_is_made_and_a_deleted_key_is_looked_for_again() -> None:
    import moto.iam.models as iam_models

    key_accounts.install()
    moto_scan = key_accounts.scan_of_moto()
    scans: list[str] = []

    def scan(access_key: str) -> str:
        scans.append(access_key)
        return str(moto_scan(access_key))

    backend = iam_backends[MEMBER]["aws"]
    key = backend.create_temp_access_key().physical_resource_id
    try:
        # What moto itself answers for the key, found here with no scan of the other accounts.
        assert moto_scan(key) == MEMBER
        assert key_accounts.account_of(key, scan) == MEMBER
        assert iam_models.get_account_id_from(key) == MEMBER
        assert scans == []

        # Deleted since: not trusted; looked for again, the answer moto's scan gives (its default account).
        del backend.access_keys[key]
        assert key_accounts.account_of(key, scan) == DEFAULT_ACCOUNT_ID
        assert scans == [key]
    finally:
        backend.access_keys.pop(key, None)


def test_a_key_found_in_no_account_is_answered_as_moto_answers_it_and_scanned_for_once() -> None:
    scans: list[str] = []

    def scan(access_key: str) -> str:
        scans.append(access_key)
        return str(key_accounts.scan_of_moto()(access_key))

    # The practice account's own caller signs with such a key: every Identity Center call of an apply.
    unknown = "AKIAEXAMPLEUNKNOWN01"
    assert [key_accounts.account_of(unknown, scan) for _ in range(3)] == [DEFAULT_ACCOUNT_ID] * 3
    assert scans == [unknown]
