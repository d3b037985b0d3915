"""The district's identity provider: OpenID Connect sign-in through Authlib, and what its answer says.

Authlib keeps the state, the nonce and the PKCE (S256) verifier of each sign-in in the session and
checks them when the provider sends the person back; this module adds what Authlib leaves to the
application: the discovery document must name the configured issuer, the ID token must be there
and be meant for this site (`iss`, `aud`, `azp`, `nonce`, expiry), and its claims are read into a
`ProviderIdentity`. Which identities may have an account, and with which role, is `ProviderPolicy`;
the account itself is kept by `oidc_services`. A refusal is shown on a public page, so its message
is in the language the sign-in started in (oidc_views).
"""

import logging
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from flask import Flask, abort, current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from clearinghouse.accounts.models import OIDC_CLAIM_MAX, Role
from clearinghouse.errors import DomainError

log = logging.getLogger(__name__)

EXTENSION = "clearinghouse.district_provider"
CLIENT_NAME = "district"
SCOPES = "openid email profile"

ANSWER_NOT_VERIFIED = _l(
    "The answer from the district's sign-in service could not be verified, so you were not signed in. "
    "Start again from the sign-in page; if this happens again, tell the privacy office."
)
STATE_UNKNOWN = _l(
    "This sign-in has already been used, has expired, or was started in another browser, so it cannot "
    "finish here. Start again from the sign-in page."
)
PROVIDER_UNREACHABLE = _l(
    "The district's sign-in service could not be reached or answered in a way this site does not understand. "
    "Try again in a few minutes; if it goes on, tell the privacy office."
)
PROVIDER_DID_NOT = _l("The district's sign-in service did not sign you in. Start again from the sign-in page.")


class SignInRefused(DomainError):
    """The district sign-in did not succeed; the message says why and what to do, `status` is the HTTP one.

    A lazy message is translated when raised, into the language of the request.
    """

    def __init__(self, message: str | LazyString, status: int = 403):
        super().__init__(str(message))
        self.status = status


@dataclass(frozen=True)
class ProviderIdentity:
    """Who the provider says signed in, read from a verified ID token."""

    issuer: str
    subject: str
    email: str  # as sent; checked and normalized by the accounts service
    email_verified: bool | None  # None when the provider does not say
    name: str
    groups: frozenset[str]


@dataclass(frozen=True)
class ProviderPolicy:
    """Who may have an account through the provider, and with which role (from the OIDC_* settings)."""

    allowed_domains: frozenset[str]
    admin_emails: frozenset[str]
    officer_emails: frozenset[str]
    groups_claim: str
    admin_groups: frozenset[str]
    officer_groups: frozenset[str]

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ProviderPolicy":
        return cls(
            allowed_domains=frozenset(config["OIDC_ALLOWED_DOMAINS"]),
            admin_emails=frozenset(config["OIDC_ADMIN_EMAILS"]),
            officer_emails=frozenset(config["OIDC_OFFICER_EMAILS"]),
            groups_claim=config["OIDC_GROUPS_CLAIM"].strip(),
            admin_groups=frozenset(config["OIDC_ADMIN_GROUPS"]),
            officer_groups=frozenset(config["OIDC_OFFICER_GROUPS"]),
        )

    def allows(self, email: str) -> bool:
        """Only addresses of the district's own domains (exactly, not their subdomains)."""
        return email.rpartition("@")[2] in self.allowed_domains

    def role_for(self, email: str, groups: frozenset[str]) -> Role:
        """The strongest role the lists or the groups give; everyone else is a requester."""
        if email in self.admin_emails or groups & self.admin_groups:
            return Role.ADMIN
        if email in self.officer_emails or groups & self.officer_groups:
            return Role.OFFICER
        return Role.REQUESTER


class DistrictProvider:
    """The Authlib client for one app, with the issuer it must match and the policy for its accounts."""

    def __init__(self, app: Flask):
        config = app.config
        self.issuer = config["OIDC_ISSUER"].rstrip("/")
        self.client_id = config["OIDC_CLIENT_ID"]
        self.policy = ProviderPolicy.from_config(config)
        self.client: FlaskOAuth2App = OAuth(app).register(
            CLIENT_NAME,
            client_id=self.client_id,
            client_secret=config["OIDC_CLIENT_SECRET"],
            server_metadata_url=f"{self.issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": SCOPES,
                "code_challenge_method": "S256",
                "default_timeout": config["OIDC_TIMEOUT_SECONDS"],
            },
        )

    def _metadata(self) -> dict[str, Any]:
        """The discovery document, fetched once per process; it must name our issuer and its endpoints.

        Raises SignInRefused (502) when the provider cannot be reached or describes another issuer.
        """
        try:
            metadata = self.client.load_server_metadata()
        except (requests.RequestException, ValueError) as err:
            log.warning("district sign-in: discovery document unavailable: %s", err)
            raise SignInRefused(PROVIDER_UNREACHABLE, status=502) from None
        issuer = str(metadata.get("issuer", "")).rstrip("/")
        missing = [key for key in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not metadata.get(key)]
        if issuer != self.issuer or missing:
            log.error(
                "district sign-in: discovery document names issuer %r (expected %r), missing %s",
                metadata.get("issuer"),
                self.issuer,
                missing,
            )
            raise SignInRefused(PROVIDER_UNREACHABLE, status=502)
        return metadata

    def authorization_redirect(self, redirect_uri: str) -> Response:
        """Send the browser to the provider; Authlib keeps state, nonce and PKCE verifier in the session."""
        self._metadata()
        try:
            return self.client.authorize_redirect(redirect_uri)
        except (requests.RequestException, ValueError) as err:
            log.warning("district sign-in: cannot start: %s", err)
            raise SignInRefused(PROVIDER_UNREACHABLE, status=502) from None

    def finish_authorization(self) -> ProviderIdentity:
        """The identity in the provider's answer to this browser's sign-in, every check passed.

        Raises SignInRefused: an unknown or used state (400), the provider's own refusal (403), a
        refused code exchange (400), an ID token missing or not valid for this site (400), or a
        provider out of reach (502).
        """
        metadata = self._metadata()
        try:
            token = self.client.authorize_access_token(claims_options=self._claims_options(metadata))
        except MismatchingStateError:
            raise SignInRefused(STATE_UNKNOWN, status=400) from None
        except OAuthError as err:
            log.warning("district sign-in refused by the provider: %s %s", err.error, err.description)
            if err.error in ("access_denied", "login_required", "consent_required", "interaction_required"):
                raise SignInRefused(PROVIDER_DID_NOT, status=403) from None
            raise SignInRefused(ANSWER_NOT_VERIFIED, status=400) from None
        except JoseError as err:
            log.warning("district sign-in: ID token refused: %s", err)
            raise SignInRefused(ANSWER_NOT_VERIFIED, status=400) from None
        except (requests.RequestException, ValueError) as err:
            log.warning("district sign-in: provider unreachable while finishing: %s", err)
            raise SignInRefused(PROVIDER_UNREACHABLE, status=502) from None
        claims = token.get("userinfo")
        if not claims:  # a token response without an ID token proves nobody's identity
            log.warning("district sign-in: the token response had no ID token")
            raise SignInRefused(ANSWER_NOT_VERIFIED, status=400)
        return identity_from_claims(claims, self.policy.groups_claim)

    def _claims_options(self, metadata: dict[str, Any]) -> dict[str, dict[str, Any]]:
        # Authlib checks `iss` only through these options and `aud` not at all without them
        # (OpenID Connect Core 1.0 §3.1.3.7: the audience must contain our client id).
        return {
            "iss": {"essential": True, "value": metadata["issuer"]},
            "aud": {"essential": True, "value": self.client_id},
            "sub": {"essential": True},
        }


def identity_from_claims(claims: dict[str, Any], groups_claim: str) -> ProviderIdentity:
    """Read a verified ID token's claims. Raises SignInRefused (400) for a `sub` this site cannot keep."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > OIDC_CLAIM_MAX:
        raise SignInRefused(ANSWER_NOT_VERIFIED, status=400)
    email = claims.get("email")
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = (claims.get("given_name"), claims.get("family_name"))
        name = " ".join(part for part in parts if isinstance(part, str) and part.strip())
    return ProviderIdentity(
        issuer=claims["iss"],
        subject=subject,
        email=email.strip() if isinstance(email, str) else "",
        email_verified=_verified(claims.get("email_verified")),
        name=name.strip(),
        groups=_groups(claims.get(groups_claim)) if groups_claim else frozenset(),
    )


def _verified(value: object) -> bool | None:
    """True, False, or None when the claim is absent; some providers send "true"/"false" as strings."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


def _groups(value: object) -> frozenset[str]:
    """A list of group names or ids, or one as a string; anything else gives no groups (and so no role)."""
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, list):
        return frozenset(item for item in value if isinstance(item, str))
    if value is not None:
        log.warning("district sign-in: the groups claim is a %s, not a list; no group roles given", type(value))
    return frozenset()


def init_app(app: Flask) -> None:
    """Attach the provider when OIDC_ISSUER is set (config.check_oidc has checked the rest)."""
    if app.config["OIDC_ISSUER"]:
        app.extensions[EXTENSION] = DistrictProvider(app)


def is_enabled() -> bool:
    return EXTENSION in current_app.extensions


def provider_or_404() -> DistrictProvider:
    """The configured provider; without one the district sign-in pages do not exist."""
    provider = current_app.extensions.get(EXTENSION)
    if provider is None:
        abort(404)
    return provider
