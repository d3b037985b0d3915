"""The subscriptions blueprint; create_app registers it after importing the views.

Public, in every language, and without CSRF tokens (`csrf.exempt`): visitors get no session
cookie (the privacy notice promises none), the follow form writes nothing but a request that
only the address's owner can confirm, and every other form acts through the secret, signed
link in its address, which a forging site cannot know. RFC 8058 wants the one-click unsubscribe
POST to work without a token anyway.
"""

from flask import Blueprint

from clearinghouse.extensions import csrf
from clearinghouse.i18n import LocalizedBlueprint

# The follow form's pages are kept by the public answers' cache; the pages behind a subscriber's
# link (its address on them) never are (`page_cache.never_cached` in views.py).
bp = LocalizedBlueprint("subscriptions", __name__)
csrf.exempt(bp)
blueprints: list[Blueprint] = [bp]
