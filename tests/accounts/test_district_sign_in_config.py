"""The OIDC_* settings: parsed strictly from the environment, complete or absent, and consistent."""

import pytest

from clearinghouse.accounts.models import Role
from clearinghouse.accounts.oidc import ProviderPolicy
from clearinghouse.app import create_app
from clearinghouse.config import ConfigError

COMPLETE = {
    "OIDC_ISSUER": "https://accounts.google.com",
    "OIDC_CLIENT_ID": "client-id",
    "OIDC_CLIENT_SECRET": "client-secret",
    "OIDC_ALLOWED_DOMAINS": "district.org",
}


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """Set OIDC_* environment variables and build an app from them (on a throwaway database)."""

    def build(**variables: str):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}"})

    return build


def test_lists_are_read_from_the_environment_and_normalized(environment):
    app = environment(
        **{
            **COMPLETE,
            "OIDC_ALLOWED_DOMAINS": " District.org, @Schools.District.org ,",
            "OIDC_ADMIN_EMAILS": "Chief@District.org",
            "OIDC_OFFICER_EMAILS": "privacy@district.org,records@schools.district.org",
            "OIDC_OFFICER_GROUPS": "Privacy Office, 0f3c-guid",
        }
    )
    assert app.config["OIDC_ALLOWED_DOMAINS"] == ("district.org", "schools.district.org")
    assert app.config["OIDC_ADMIN_EMAILS"] == ("chief@district.org",)
    assert app.config["OIDC_OFFICER_GROUPS"] == ("Privacy Office", "0f3c-guid")
    policy = ProviderPolicy.from_config(app.config)
    assert policy.role_for("chief@district.org", frozenset()) is Role.ADMIN
    assert policy.role_for("x@district.org", frozenset({"0f3c-guid"})) is Role.OFFICER
    assert policy.role_for("x@district.org", frozenset({"privacy office"})) is Role.REQUESTER  # exact names
    assert policy.allows("x@schools.district.org")
    assert not policy.allows("x@other.district.org")


def test_without_an_issuer_district_sign_in_is_off(environment):
    app = environment()
    assert app.config["OIDC_ISSUER"] == ""
    assert "clearinghouse.district_provider" not in app.extensions


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"OIDC_CLIENT_ID": "x"}, "OIDC_CLIENT_ID set without OIDC_ISSUER"),
        ({"OIDC_ALLOWED_DOMAINS": "district.org"}, "OIDC_ALLOWED_DOMAINS set without OIDC_ISSUER"),
        ({**COMPLETE, "OIDC_CLIENT_SECRET": ""}, "OIDC_CLIENT_SECRET must be set"),
        ({**COMPLETE, "OIDC_ALLOWED_DOMAINS": " , "}, "OIDC_ALLOWED_DOMAINS must be set"),
        ({**COMPLETE, "OIDC_ISSUER": "http://sign-in.district.org"}, "must use https://"),
        ({**COMPLETE, "OIDC_ISSUER": "accounts.google.com"}, "must be the provider's https:// address"),
        ({**COMPLETE, "OIDC_ISSUER": "https://idp.example/?tenant=1"}, "must be the provider's https:// address"),
        ({**COMPLETE, "OIDC_ALLOWED_DOMAINS": "district"}, "not an e-mail domain"),
        ({**COMPLETE, "OIDC_ADMIN_EMAILS": "chief@gmail.com"}, "whose domain is not in OIDC_ALLOWED_DOMAINS"),
        ({**COMPLETE, "OIDC_OFFICER_EMAILS": "privacy"}, "not an e-mail address"),
        ({**COMPLETE, "OIDC_ADMIN_GROUPS": "admins", "OIDC_GROUPS_CLAIM": " "}, "OIDC_GROUPS_CLAIM must name"),
    ],
)
def test_an_incomplete_or_inconsistent_setting_stops_start_up(environment, variables, message):
    with pytest.raises(ConfigError, match=message):
        environment(**variables)


def test_plain_http_is_accepted_only_on_loopback(environment):
    app = environment(**{**COMPLETE, "OIDC_ISSUER": "http://127.0.0.1:8080/"})
    assert app.config["OIDC_ISSUER"] == "http://127.0.0.1:8080/"
    assert "clearinghouse.district_provider" in app.extensions
