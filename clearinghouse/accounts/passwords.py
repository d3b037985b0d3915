"""Password rules and hashing: werkzeug's scrypt, a minimum length, and no common or guessable passwords."""

import re
import secrets
from functools import cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from clearinghouse.accounts.models import PASSWORD_MIN_LENGTH
from clearinghouse.errors import DomainError

PASSWORD_MAX_LENGTH = 256  # scrypt is slow on purpose; refuse megabyte "passwords"
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
# Letters people swap for look-alike digits and symbols (p@ssw0rd).
LEET = str.maketrans(
    {
        "@": "a",
        "4": "a",
        "0": "o",
        "1": "i",
        "!": "i",
        "|": "i",
        "3": "e",
        "$": "s",
        "5": "s",
        "7": "t",
        "+": "t",
        "8": "b",
        "9": "g",
    }
)
# Rows and runs a person types without thinking; a password inside one of these is guessed at once.
SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
    "01234567890123456789012345678901234567890",
    "qwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
    "1q2w3e4r5t6y7u8i9o0p",
    "q1w2e3r4t5y6u7i8o9p0",
)
MIN_DISTINCT_CHARACTERS = 5

TOO_SHORT = (
    f"Use at least {PASSWORD_MIN_LENGTH} characters. A few unrelated words make a long password easy to remember."
)
TOO_LONG = f"Use at most {PASSWORD_MAX_LENGTH} characters."
TOO_COMMON = (
    "That password is one of the most common passwords, so it would be guessed quickly. "
    "Choose another one: a few unrelated words work well."
)
TOO_SIMPLE = (
    "That password repeats characters or follows a keyboard or alphabet sequence. "
    "Choose another one: a few unrelated words work well."
)
CONTAINS_EMAIL = "The password must not contain your e-mail address or the name before the @. Choose another one."


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _candidates(password: str) -> set[str]:
    """The forms of a password to look up: as typed, without separators, letter swaps and digit tails."""
    lower = password.lower()
    squashed = re.sub(r"[\s._-]+", "", lower)
    found = set()
    for form in (lower, squashed):
        for variant in (form, form.translate(LEET)):
            found.add(variant)
            found.add(re.sub(r"^[^a-z]+|[^a-z]+$", "", variant))  # "2024password!!" → "password"
        found.add(re.sub(r"^[^a-z]+|[^a-z]+$", "", form).translate(LEET))  # "p@ssw0rd2024" → "password"
    return {c for c in found if c}


def _is_simple(password: str) -> bool:
    lower = re.sub(r"[\s._-]+", "", password.lower())
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        return True
    if re.fullmatch(r"(.+?)\1+", lower):  # the same piece again and again
        return True
    return any(lower in seq or lower in seq[::-1] for seq in SEQUENCES)


def _email_parts(email: str) -> set[str]:
    email = email.strip().lower()
    local = email.partition("@")[0]
    parts = {email, local, re.sub(r"[._+-]", "", local)} if local else set()
    parts.update(piece for piece in re.split(r"[._+-]", local) if len(piece) >= 4)
    return {p for p in parts if len(p) >= 3}


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why the password is refused, or None when it is acceptable."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return TOO_SHORT
    if len(password) > PASSWORD_MAX_LENGTH:
        return TOO_LONG
    lower = password.lower()
    squashed = re.sub(r"[\s._-]+", "", lower)
    if any(part in lower or part in squashed for part in _email_parts(email)):
        return CONTAINS_EMAIL
    if _candidates(password) & common_passwords():
        return TOO_COMMON
    if _is_simple(password):
        return TOO_SIMPLE
    return None


def check_password_rules(password: str, *, email: str, field: str = "password") -> None:
    """Raise DomainError (on `field`) when the password breaks a rule."""
    problem = password_problem(password, email=email)
    if problem:
        raise DomainError(problem, field=field)


def hash_password(password: str) -> str:
    return generate_password_hash(password)  # scrypt, werkzeug's default


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password; with no hash (unknown user, or not set up yet) still spend the same time hashing,
    so the response time does not tell whether an account exists."""
    if not password_hash:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(password_hash, password)
