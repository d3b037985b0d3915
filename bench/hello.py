"""A bare Flask "hello" app: the baseline that bench/load.py serves the same way as the Clearinghouse.

gunicorn --chdir bench hello:app
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, world!"
