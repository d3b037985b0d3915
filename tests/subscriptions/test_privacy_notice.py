"""The privacy notice says how an address given to follow changes is handled, in every language, and
every follow form links to it."""

from lxml import html as lxml_html

from clearinghouse.extensions import unit_of_work
from clearinghouse.settings.services import update_settings
from tests.conftest import in_app


def _notice(client, prefix: str = "") -> list[str]:
    response = client.get(f"{prefix}/about")
    assert response.status_code == 200
    page = lxml_html.fromstring(response.get_data(as_text=True))
    assert page.get("lang") == (prefix.strip("/") or "en")
    (heading,) = page.xpath("//h2[@id='email-updates']")
    return [" ".join(item.text_content().split()) for item in heading.getnext().xpath("./li")]


def test_the_privacy_notice_says_how_a_followers_address_is_handled(app, client):
    with in_app(app), unit_of_work():
        update_settings({"digest_business_days": 3}, version=1, actor=None)
    notice = " ".join(_notice(client))
    for promise in (
        "You give only an e-mail address. It is used for nothing but these e-mails",  # nothing else
        "Nothing is sent until you confirm with the link in the first e-mail",  # double opt-in
        "at most 3 business days after each change, in the language you subscribed in",  # the district's days
        "no tracking images and no tracking links",
        "District staff never see your address",
        "Every e-mail has a link to stop them at once",  # one-click unsubscribe
        "Unsubscribing or deleting your subscription deletes your address from the site",
        "counts requests per connection and per address for an hour",  # the throttle
    ):
        assert promise in notice, promise


def test_the_privacy_notice_says_it_in_spanish(app, client):
    english, spanish = _notice(client), _notice(client, "/es")
    assert len(spanish) == len(english) == 7
    assert not set(english) & set(spanish)
    assert "5 días hábiles" in " ".join(spanish)


def test_every_follow_form_links_to_the_privacy_notice(client):
    for path in ("/follow", "/changes", "/es/follow", "/es/changes"):
        page = lxml_html.fromstring(client.get(path).get_data(as_text=True))
        prefix = "/es" if path.startswith("/es/") else ""
        assert page.xpath(f"//main//a[@href='{prefix}/about#email-updates']"), path
