"""The subscriptions blueprints; create_app registers them after importing the views.

`staff_bp` (/staff/subscribers) is English and CSRF-protected like every staff page.

Public, in every language, and without CSRF tokens (`csrf.exempt`): visitors get no session
cookie (the privacy notice promises none), the follow form writes nothing but a request that
only the address's owner can confirm, and every other form acts through the secret, signed
link in its address, which a forging site cannot know. RFC 8058 wants the one-click unsubscribe
POST to work without a token anyway.
"""

from flask import Blueprint

from clearinghouse.extensions import csrf
from clearinghouse.i18n import LocalizedBlueprint
from clearinghouse.security import deny_unless

# The follow form's pages are kept by the public answers' cache; the pages behind a subscriber's
# link (its address on them) never are (`page_cache.never_cached` in views.py).
bp = LocalizedBlueprint("subscriptions", __name__)
csrf.exempt(bp)
# Staff see how many follow changes, and remove an address a parent asked them to by e-mail; never who.
staff_bp = Blueprint("subscriptions_staff", __name__, url_prefix="/staff/subscribers")
deny_unless(staff_bp, "admin", "officer")
blueprints: list[Blueprint] = [bp, staff_bp]
