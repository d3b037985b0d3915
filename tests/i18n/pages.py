"""The public pages the language tests walk."""

# Every public page: each must answer in every configured language.
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
    "api.index",
    "accounts.login",
)


def public_paths(directory: dict[str, str]) -> list[str]:
    """Every public page, at its English address."""
    return [
        "/",
        "/directory",
        "/directory?q=reading",
        "/directory?q=zzzz-nothing",
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
        "/api/v1/",
        "/login",
    ]
