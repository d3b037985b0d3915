"""District sign-in in Spanish: the button on the Spanish sign-in page, and a refusal in the language
the sign-in started in, although the provider sends everyone back to the one registered address.

The provider is the real one on loopback that tests/accounts/test_district_sign_in.py uses.
"""

import itertools
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import html as lxml_html

from tests.oidc_provider import come_back, district_app, go_to_provider, provider  # noqa: F401 - fixtures

_subjects = itertools.count(1)


@pytest.fixture
def district(district_app):  # noqa: F811 - the fixture imported above
    return district_app.test_client()


@pytest.fixture
def person(provider):  # noqa: F811 - the fixture imported above
    def make(email: str) -> str:
        sub = f"i18n-person-{next(_subjects)}-{email}"
        provider.set_user(sub, email=email, email_verified=True, name="Tess Teacher")
        return sub

    return make


def _text(response) -> str:
    return " ".join(lxml_html.fromstring(response.get_data(as_text=True)).text_content().split())


def test_the_spanish_sign_in_page_offers_the_district_account_in_spanish(district):
    page = lxml_html.fromstring(district.get("/es/login?next=/es/directory").get_data(as_text=True))
    (button,) = page.xpath("//section[@class='district-sign-in']//a[@class='button']")
    assert (button.text, button.get("href")) == (
        "Iniciar sesión con su cuenta del distrito",
        "/es/login/district?next=/es/directory",
    )
    section = " ".join(page.xpath("//section[@class='district-sign-in']")[0].text_content().split())
    assert section.startswith("Personal del distrito Iniciar sesión con su cuenta del distrito Personal del distrito:")
    assert page.xpath("//h2[@class='district-sign-in__or']")[0].text == "O inicie sesión con una contraseña"


def test_a_refusal_is_in_the_language_the_sign_in_started_in(district, person):
    trip = go_to_provider(district, person("someone@gmail.example"), start_path="/es/login/district")
    # The provider is given the one address registered with it, whatever the language.
    assert parse_qs(urlsplit(trip.authorize_url).query)["redirect_uri"] == ["http://localhost/login/district/callback"]
    assert trip.callback_path == "/login/district/callback"
    response = come_back(district, trip)
    assert response.status_code == 403
    assert response.headers["Content-Language"] == "es"
    page = lxml_html.fromstring(response.get_data(as_text=True))
    assert page.get("lang") == "es"
    assert page.xpath("//h1")[0].text == "No ha iniciado sesión"
    assert (
        "Inició sesión como someone@gmail.example, pero aquí solo pueden iniciar sesión las cuentas "
        "@district.example. Cierre la sesión en el servicio de inicio de sesión del distrito y use su cuenta "
        "del distrito."
    ) in _text(response)
    assert page.xpath("//section[@class='error-page']//a[not(starts-with(@href, 'mailto:'))]/@href") == ["/es/login"]


def test_the_same_refusal_started_in_english_stays_in_english(district, person):
    response = come_back(district, go_to_provider(district, person("someone@gmail.example")))
    assert response.status_code == 403
    assert response.headers["Content-Language"] == "en"
    assert "You signed in as someone@gmail.example, but only @district.example accounts can sign in here." in _text(
        response
    )


def test_a_sign_in_started_in_spanish_lands_on_the_spanish_home_page(district, person):
    response = come_back(
        district, go_to_provider(district, person("tess.teacher@district.example"), start_path="/es/login/district")
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/es/"
