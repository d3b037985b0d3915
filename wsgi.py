"""The WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

import gc

from clearinghouse.app import create_app

app = create_app()
# What start-up made (modules, the app, its models and SQL metadata: about 240,000 objects) lives as long
# as the worker. Frozen, the garbage collector no longer walks it on each full collection, which took
# about half its time on public pages (bench/README.md, "Garbage collection").
gc.freeze()
