"""Values every template may use: the district's settings."""

from flask import Flask

from clearinghouse.settings.queries import get_settings


def init_app(app: Flask) -> None:
    @app.context_processor
    def district_context() -> dict:
        return {"district": get_settings()}
