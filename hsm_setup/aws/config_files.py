"""The AWS config and credentials files, checked before botocore reads them.

botocore treats a config file it cannot open (a folder, a file it may not read) as
absent and carries on with no profiles, which ends in a misleading "no credentials".
A file that is there but unusable is said plainly instead. A device such as /dev/null
is left to botocore, which reads it as empty: that is what pointing at it means.
"""

from __future__ import annotations

import os
from pathlib import Path

from hsm_setup.errors import CredentialsError

# (environment variable, where botocore looks without it)
FILES = (("AWS_CONFIG_FILE", "~/.aws/config"), ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"))


def check() -> None:
    """Raise CredentialsError when an AWS config or credentials file exists but cannot be read."""
    for variable, default in FILES:
        named = os.environ.get(variable)
        path = Path(os.path.expanduser(named or default))
        if not os.path.lexists(path):
            continue  # no file is fine: botocore uses none
        where = f"{path} ({variable})" if named else str(path)
        if path.is_dir():
            raise CredentialsError(
                f"The AWS {_label(variable)} file {where} is a folder, so no profile in it can be read.",
                f"Point {variable} at the file itself (or unset it to use {default}).",
            )
        if not path.is_file():
            continue  # /dev/null and the like: botocore reads them as empty, as meant
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise CredentialsError(
                f"The AWS {_label(variable)} file {where} cannot be read: {exc.strerror}.",
                f"Let your user read it (for example `chmod 600 {path}`), or point {variable} at another file.",
            ) from None


def _label(variable: str) -> str:
    return "config" if variable == "AWS_CONFIG_FILE" else "credentials"
