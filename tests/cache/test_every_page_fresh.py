"""Every public page is kept by the cache, and the next change reaches every one of them at once.

The walk of tests/cache/test_nothing_lost.py (every public GET route of the URL map, each language,
with the real records of tests/visibility/world.py: school pages, /your-rights, the follow pages,
searches, the API, the Atom feeds, the reports, the CSV, /es/…) must name every route the cache
keeps, so a page added later is walked here from day one. Each address is asked for, then asked
again (from the cache); then one change through a service (the district's name, which every page
shows) makes every next answer afresh, and every page says the new name.
"""

from clearinghouse.extensions import unit_of_work
from clearinghouse.page_cache import cacheable_endpoints
from clearinghouse.settings.queries import get_settings
from clearinghouse.settings.services import update_settings
from tests.cache.test_fresh_answers import Counter
from tests.cache.test_nothing_lost import public_urls
from tests.conftest import in_app

NEW_NAME = "Harbour Valley Unified"
# Answers that do not show the district's name (made afresh all the same: no hit after the change).
NAMELESS = ("application/json", "text/csv", "application/pdf")


def endpoints_of(app, urls: list[str]) -> set[str]:
    adapter = app.url_map.bind("localhost")
    return {adapter.match(url.split("?")[0])[0] for url in urls}


def test_every_public_page_is_kept_and_made_afresh_after_the_next_change(app, world):
    world, _, _ = world
    urls = public_urls(app, world)
    missing = cacheable_endpoints(app) - endpoints_of(app, urls)
    assert not missing, f"public routes the cache keeps that no test walks: {sorted(missing)}"
    anonymous = app.test_client()
    for url in urls:
        assert anonymous.get(url).get_data() is not None
    counter = Counter(app)
    for url in urls:
        anonymous.get(url).get_data()
    assert counter.since() == (len(urls), 0), "some public answers were not kept"

    with in_app(app), unit_of_work():
        update_settings({"district_name": NEW_NAME}, version=get_settings().version, actor=None)

    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 200, url
        if response.mimetype not in NAMELESS:
            assert NEW_NAME in response.get_data(as_text=True), f"{url} still shows the old name"
        else:
            response.get_data()
    assert counter.since() == (0, len(urls)), "an answer kept before the change was served after it"
