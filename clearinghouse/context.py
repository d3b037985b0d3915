"""Values every template may use: the district's settings and which pages exist."""

from flask import Flask

from clearinghouse.settings.queries import get_settings


def init_app(app: Flask) -> None:
    endpoints = frozenset(app.view_functions)

    @app.context_processor
    def district_context() -> dict:
        return {"district": get_settings(), "nav_endpoints": endpoints}
