"""Password rules: long enough, not common, not guessable, not the user's e-mail name; scrypt hashes."""

import pytest

from clearinghouse.accounts import passwords
from clearinghouse.errors import DomainError


def test_the_common_password_list_has_over_a_thousand_entries():
    common = passwords.common_passwords()
    assert len(common) >= 1000
    assert {"password", "123456", "qwerty", "iloveyou", "letmein"} <= common


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", passwords.TOO_SHORT),
        ("elevenchars", passwords.TOO_SHORT),
        ("x" * 257, passwords.TOO_LONG),
        ("password1234", passwords.TOO_COMMON),
        ("Password2024!", passwords.TOO_COMMON),
        ("P@ssw0rd12345", passwords.TOO_COMMON),
        ("iloveyou123456", passwords.TOO_COMMON),
        ("2024football!!", passwords.TOO_COMMON),
        ("Sunshine 2025!", passwords.TOO_COMMON),
        ("qwertyuiopasdf", passwords.TOO_SIMPLE),
        ("123456789012", passwords.TOO_SIMPLE),
        ("zyxwvutsrqponm", passwords.TOO_SIMPLE),
        ("aaaaaaaaaaaaaaa", passwords.TOO_SIMPLE),
        ("abab1212abab1212", passwords.TOO_SIMPLE),
        ("xkcdxkcdxkcd", passwords.TOO_SIMPLE),
        ("jane.doe loves tea", passwords.CONTAINS_EMAIL),
        ("JaneDoe-winter-walks", passwords.CONTAINS_EMAIL),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, message):
    assert passwords.password_problem(password, email="jane.doe@vendor.example") == message


@pytest.mark.parametrize(
    "password",
    [
        "lantern orbit pickle 42",
        "Tidal-Marble-Crayon",
        "m9#Kq2!vR7pL",
        "correct horse battery staple",
        "my name is doe, briefly",
    ],  # "doe" alone is too short a piece of the e-mail name to refuse
)
def test_good_passwords_pass(password):
    assert passwords.password_problem(password, email="jane.doe@vendor.example") is None


def test_check_password_rules_raises_on_the_named_field():
    with pytest.raises(DomainError) as info:
        passwords.check_password_rules("short", email="a@b.example", field="new_password")
    assert info.value.field == "new_password"
    assert "12 characters" in info.value.message


def test_hashes_are_werkzeug_scrypt_and_verify():
    hashed = passwords.hash_password("lantern orbit pickle 42")
    assert hashed.startswith("scrypt:")
    assert "lantern" not in hashed
    assert passwords.verify_password(hashed, "lantern orbit pickle 42")
    assert not passwords.verify_password(hashed, "lantern orbit pickle 43")
    assert not passwords.verify_password("", "anything at all")
