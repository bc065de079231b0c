"""The account's password policy, and console passwords generated to satisfy it.

IAM refuses CreateLoginProfile with PasswordPolicyViolation when a password breaks
the account's policy, so the generator reads the policy first (AWS's default policy
when the account has none) and always draws from every character class: the result
satisfies any policy IAM can express. Passwords come from `secrets`, never `random`.
"""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING

import msgspec

from hsm_setup.errors import is_code

if TYPE_CHECKING:
    from mypy_boto3_iam.client import IAMClient

# IAM accepts these non-alphanumeric characters in a password. The quote is left out
# because it is the one a person most often mistypes when copying.
SYMBOLS = "!@#$%^&*()_+-=[]{}|"
# Characters that look alike on many screens (O/0, l/1/I) are left out: the password is read and typed by a person.
UPPER = "".join(c for c in string.ascii_uppercase if c not in "IO")
LOWER = "".join(c for c in string.ascii_lowercase if c not in "l")
DIGITS = "".join(c for c in string.digits if c not in "01")
CLASSES = (UPPER, LOWER, DIGITS, SYMBOLS)
DEFAULT_LENGTH = 20
MAX_LENGTH = 128


class PasswordPolicy(msgspec.Struct, frozen=True):
    """What a console password must satisfy, as GetAccountPasswordPolicy reports it."""

    minimum_length: int = 8
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase: bool = False
    require_lowercase: bool = False
    # AWS's default policy (no custom policy set) asks for three of the four character types.
    minimum_types: int = 0
    is_default: bool = False

    def describe(self) -> str:
        parts = [f"at least {self.minimum_length} characters"]
        required = [
            name
            for name, on in (
                ("uppercase", self.require_uppercase),
                ("lowercase", self.require_lowercase),
                ("numbers", self.require_numbers),
                ("symbols", self.require_symbols),
            )
            if on
        ]
        if required:
            parts.append("with " + ", ".join(required))
        if self.minimum_types:
            parts.append(f"{self.minimum_types} of the 4 character types")
        origin = "AWS's default password policy" if self.is_default else "the account's password policy"
        return f"{origin}: " + ", ".join(parts)


# The policy AWS applies when an account has set none.
AWS_DEFAULT_POLICY = PasswordPolicy(minimum_length=8, minimum_types=3, is_default=True)


def account_policy(iam: IAMClient) -> PasswordPolicy:
    """The account's password policy (iam GetAccountPasswordPolicy), or AWS's default when none is set."""
    try:
        data = iam.get_account_password_policy()["PasswordPolicy"]
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        return AWS_DEFAULT_POLICY
    return PasswordPolicy(
        minimum_length=int(data.get("MinimumPasswordLength") or 6),
        require_symbols=bool(data.get("RequireSymbols")),
        require_numbers=bool(data.get("RequireNumbers")),
        require_uppercase=bool(data.get("RequireUppercaseCharacters")),
        require_lowercase=bool(data.get("RequireLowercaseCharacters")),
    )


def problems(policy: PasswordPolicy, password: str) -> list[str]:
    """Why `password` breaks `policy` (empty when it satisfies it)."""
    found: list[str] = []
    if len(password) < policy.minimum_length:
        found.append(f"shorter than {policy.minimum_length} characters")
    if len(password) > MAX_LENGTH:
        found.append(f"longer than {MAX_LENGTH} characters")
    has = {
        "uppercase": any(c in string.ascii_uppercase for c in password),
        "lowercase": any(c in string.ascii_lowercase for c in password),
        "numbers": any(c in string.digits for c in password),
        "symbols": any(not c.isalnum() for c in password),
    }
    for name, required in (
        ("uppercase", policy.require_uppercase),
        ("lowercase", policy.require_lowercase),
        ("numbers", policy.require_numbers),
        ("symbols", policy.require_symbols),
    ):
        if required and not has[name]:
            found.append(f"no {name}")
    if policy.minimum_types and sum(has.values()) < policy.minimum_types:
        found.append(f"fewer than {policy.minimum_types} character types")
    return found


def generate(policy: PasswordPolicy = AWS_DEFAULT_POLICY, length: int = DEFAULT_LENGTH) -> str:
    """A random password that satisfies `policy`: one of every character class, the rest from all of them."""
    size = min(MAX_LENGTH, max(length, policy.minimum_length, len(CLASSES)))
    alphabet = "".join(CLASSES)
    chars = [secrets.choice(group) for group in CLASSES]
    chars += [secrets.choice(alphabet) for _ in range(size - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    password = "".join(chars)
    # Holds by construction; kept as a guard so a future change to the classes cannot go unnoticed.
    if problems(policy, password):  # pragma: no cover
        raise AssertionError("generated password breaks the policy")
    return password
