"""Values every template may use: the district's settings."""

from flask import Flask, g

from clearinghouse.settings.models import DistrictSettings
from clearinghouse.settings.queries import get_settings


def init_app(app: Flask) -> None:
    @app.context_processor
    def district_context() -> dict:
        # While the database is down (errors.py draws a 503 page), the page uses the default settings.
        district = DistrictSettings.with_defaults() if g.get("database_unavailable") else get_settings()
        return {"district": district}
