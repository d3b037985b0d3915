"""What a browser would post from a page's form, and the PostgreSQL connections of a set of processes.

Helpers for tests that drive a real server over HTTP (tests/deploy/test_many_workers.py).
"""

from html.parser import HTMLParser
from pathlib import Path

FormData = dict[str, list[str]]


class _FormParser(HTMLParser):
    """Collects every POST form of a page as the name/value pairs a browser would submit."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[FormData] = []
        self._form: FormData | None = None
        self._select: tuple[str, bool] | None = None  # (name, multiple)
        self._options: list[tuple[str, bool]] = []  # (value, selected)
        self._option_text = False  # inside an <option> without a value attribute: its text is the value
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value if value is not None else "" for key, value in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = {}
            self.forms.append(self._form)
        if self._form is None or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form.setdefault(name, []).append(a.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "select" and name:
            self._select, self._options = (name, "multiple" in a), []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
            self._option_text = "value" not in a
        elif tag == "textarea" and name:
            self._textarea = name
            self._form.setdefault(name, []).append("")

    def handle_data(self, data: str) -> None:
        if self._form is None:
            return
        if self._textarea is not None:
            self._form[self._textarea][-1] += data
        elif self._option_text:
            value, selected = self._options[-1]
            self._options[-1] = (value + data.strip(), selected)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            if self._form is not None and self._textarea is not None:
                text = self._form[self._textarea][-1]
                self._form[self._textarea][-1] = text.removeprefix("\n")  # HTML drops one leading newline
            self._textarea = None
        elif tag == "option":
            self._option_text = False
        elif tag == "select" and self._select is not None and self._form is not None:
            name, multiple = self._select
            chosen = [value for value, selected in self._options if selected]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0]]
            self._form[name] = chosen
            self._select = None


def post_form(html: str, having: str) -> FormData:
    """The fields of the page's POST form that has a field named `having` (a page also has the sign-out form)."""
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        if having in form:
            return form
    raise AssertionError(f"no POST form with a {having!r} field on the page:\n{html[:2000]}")


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().as_posix()
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def holds_connection_to_port(pid: int, port: int) -> bool:
    """Whether the process has an open TCP connection to `port` (e.g. a pooled PostgreSQL connection)."""
    inodes = _socket_inodes(pid)
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[9] in inodes:
                return True
    return False
