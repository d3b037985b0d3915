"""The WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from clearinghouse.app import create_app

app = create_app()
