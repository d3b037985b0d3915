"""The public pages the language tests walk."""

# Every public route: each must answer in every configured language (tests/i18n/test_routing.py checks
# that this names every route of the URL map that has a language).
PUBLIC_ENDPOINTS = (
    "directory.home",
    "directory.directory",
    "directory.product",
    "directory.vendor",
    "directory.data_elements",
    "directory.data_element",
    "directory.about",
    "directory.schools",
    "directory.school",
    "directory.rights",
    "audit.changes",
    "audit.feed",
    "reports.index",
    "reports.overlap",
    "api.index",
    "accounts.login",
    "accounts.start_district_sign_in",
    "subscriptions.follow",
    "subscriptions.sent",
    "subscriptions.confirm",
    "subscriptions.manage",
    "subscriptions.delete",
    "subscriptions.unsubscribe",
)


def public_paths(directory: dict[str, str]) -> list[str]:
    """Every public page, at its English address."""
    return [
        "/",
        "/directory",
        "/directory?q=reading",
        "/directory?q=zzzz-nothing",
        "/directory?q=readng",
        f"/products/{directory['product']}",
        f"/vendors/{directory['vendor']}",
        "/data",
        f"/data/{directory['element']}",
        "/about",
        "/schools",
        f"/schools/{directory['school']}",
        "/your-rights",
        "/changes",
        "/reports/",
        f"/reports/overlap/{directory['kind']}",
        "/api/v1/",
        "/login",
        "/follow",
        f"/follow?scope=product&target={directory['product']}",
        f"/follow?scope=school&target={directory['school']}",
        "/follow/sent",
        f"/follow/confirm/{directory['confirm_token']}",
        f"/follow/manage/{directory['manage_token']}",
        f"/follow/unsubscribe/{directory['manage_token']}",
    ]
