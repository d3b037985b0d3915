"""Nothing lost to speed: every public page, signed in and anonymous, compared.

The district of tests/visibility/world.py (every text field marked), walked on every public GET
route. For each address: a signed-in officer asks first, then a signed-in vendor user (their
answers must not be kept), then an anonymous reader twice: the first answer is made (a miss:
nothing of the signed-in readers' was kept), the second comes from the cache. The two anonymous
answers are the same, body and headers (security headers, Content-Language, Vary, ETag,
`Cache-Control: no-cache`), a third with the ETag is a 304, and neither holds a signed-in person's
name or address, a CSRF token, or a staff-only field.
"""

from sqlalchemy import select

from clearinghouse.accounts.models import User
from clearinghouse.extensions import db
from clearinghouse.security import SECURITY_HEADERS
from tests.cache.test_fresh_answers import Counter
from tests.conftest import client_as, in_app
from tests.visibility.test_who_sees_what import EXPECTED_STATUS, PUBLIC_SAMPLES, PUBLIC_VARIANTS, _get_routes, _urls

SKIPPED_HEADERS = {"Date"}  # the moment of the answer


def public_urls(app, world) -> list[str]:
    urls = []
    for rule in _get_routes(app, None):
        if rule.endpoint.startswith(("accounts.", "health.", "site_files.")):  # no pages: a probe, a file
            continue
        urls.extend(_urls(rule, PUBLIC_SAMPLES, PUBLIC_VARIANTS, world))
    return [url for url in urls if EXPECTED_STATUS.get(url, 200) == 200]


def headers_of(response) -> list[tuple[str, str]]:
    return sorted((name, value) for name, value in response.headers.items() if name not in SKIPPED_HEADERS)


def test_every_public_page_is_the_same_from_the_cache_and_holds_nothing_of_a_signed_in_reader(app, world):
    world, officer_id, personal = world
    officer, vendor_user = client_as(app, officer_id), client_as(app, world.vendor_user_id)
    anonymous = app.test_client()
    urls = public_urls(app, world)
    assert len(urls) > 40
    with in_app(app):
        staff_only = [title for title in db.session.scalars(select(User.title)) if title and len(title) > 6]
    kept = 0
    for url in urls:
        signed_in_pages = [officer.get(url), vendor_user.get(url)]
        assert all(page.status_code == 200 for page in signed_in_pages), url
        assert all(page.headers["Cache-Control"] == "no-store" for page in signed_in_pages), url
        for page in signed_in_pages:  # read to the end: a streamed answer (the CSV) closes in its own request
            page.get_data()
        counter = Counter(app)
        made, served = anonymous.get(url), anonymous.get(url)
        hits, misses = counter.since()
        assert misses >= 1, f"{url}: a signed-in reader's answer was kept"
        assert made.status_code == served.status_code == 200, url
        assert served.get_data() == made.get_data(), url
        assert headers_of(served) == headers_of(made), url
        kept += hits
        for name in SECURITY_HEADERS:  # a download's own stricter policy included
            assert name in served.headers, (url, name)
        text = served.get_data().decode("utf-8", "replace")
        for secret in [*personal, *staff_only, "csrf_token"]:
            assert secret.lower() not in text.lower(), f"{url} from the cache shows {secret!r}"
        # Every public answer may be kept downstream only to be asked for again, with its ETag.
        assert made.headers["Cache-Control"] == served.headers["Cache-Control"] == "no-cache", url
        assert served.headers["ETag"] == made.headers["ETag"], url
        revalidated = anonymous.get(url, headers={"If-None-Match": made.headers["ETag"]})
        assert (revalidated.status_code, revalidated.get_data()) == (304, b""), url
        assert revalidated.headers["Cache-Control"] == "no-cache", url
        if made.mimetype == "text/html":
            assert served.headers["Content-Language"] in ("en", "es"), url
            assert "Content-Security-Policy" in served.headers, url
    # Every answer but the file downloads (streamed to the reader, never kept) came from the cache.
    assert kept >= len(urls) - 2, f"only {kept} of {len(urls)} answers came from the cache"
