"""The hostile walk's machinery: reading forms out of pages, choosing hostile values per field kind,
posting them as the right role, and checking every answer (see test_walk.py)."""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from clearinghouse.extensions import db
from clearinghouse.i18n import LanguageConverter
from tests.conftest import client_as, in_app
from tests.hostile import pdfs
from tests.hostile.world import IMPORT_CSV, World, seed
from tests.security.test_route_matrix import ADMIN_ONLY_BLUEPRINTS, ADMIN_ONLY_ENDPOINTS, SIGNED_IN_ENDPOINTS

SITE_LOOK = 'href="/static/css/site.css"'
# Tables that a refused request may still write to, by design: failed sign-ins are the failure's record.
WRITTEN_WHEN_REFUSED = frozenset({"login_attempt"})

NUL = "a\x00b"
LONG = "x" * 100_000
TEXT_VALUES = [
    NUL,
    LONG,
    "\x1b[31mred\x1b[0m",
    "Acme\u202etxt.exe",
    "\ud800lone",
    "Pat\r\nBcc: everyone@example.org",
    "\u0085\u2028\x7f\x0c",
    "Ｅｍｉｌｅ \u200b",
]
NUMBER_VALUES = ["99999999999999999999", "-1", "1e309", "NaN", "0x10", "٣", NUL]
DATE_VALUES = ["0001-01-01", "9999-12-31", "2026-02-30", "99999-01-01", "2026-13-01", NUL, LONG[:300]]
CHOICE_VALUES = ["99999999999999999999", NUL, "-1", LONG[:1000], "\ud800"]
FILE_NAMES = ["a\x00b.pdf", "x" * 5000 + ".pdf", "..\\..\\etc\\passwd", "evil\r\nX-Injected: 1.pdf", "\u202egpj.pdf"]
PATH_VALUES = ["a%00b", "x" * 5000, "99999999999999999999", "-1", "%1b%5b31m", "%e2%80%ae", "%ed%a0%80", "..%2f..%2f"]
QUERY_NAMES = ("page", "q", "vendor_id")  # read by many lists, with or without a form on the page
VALUES_PER_FIELD = 3  # NUL, then the kind's other values in turn
# What a route whose form no page drew gets: hostile values under the names the site's forms use.
UNDRAWN_FORM = list(zip(("name", "reason", "version", "email"), TEXT_VALUES, strict=False))


# --- reading forms out of pages -------------------------------------------------------------


@dataclass
class Form:
    method: str
    action: str
    multipart: bool
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, kind, value)
    options: dict[str, list[str]] = field(default_factory=dict)  # select/radio/checkbox name -> values

    def baseline(self) -> list[tuple[str, str]]:
        return [(name, value) for name, kind, value in self.fields if kind != "file"]

    def key(self) -> tuple:
        return (self.action, tuple(sorted({name for name, _, _ in self.fields})))


class FormReader(HTMLParser):
    """The forms of a page, with what a browser would send for each field if nothing were changed."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen: bool = False
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            action = a.get("action") or urlsplit(self.page_url).path + (
                "?" + urlsplit(self.page_url).query if urlsplit(self.page_url).query else ""
            )
            self.form = Form(a.get("method", "get").lower(), action, "multipart" in a.get("enctype", ""))
            self.forms.append(self.form)
        elif self.form is None or "name" not in a:
            if tag == "option" and self.select is not None:
                self._option(a)
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            name = a["name"]
            if kind in ("checkbox", "radio"):
                self.form.options.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    self.form.fields.append((name, kind, a.get("value", "on")))
            elif kind == "submit":
                if name == "submit":
                    self.form.fields.append((name, "submit", a.get("value", "")))
            else:
                self.form.fields.append((name, kind, a.get("value", "")))
        elif tag == "button" and a.get("name") == "submit":
            self.form.fields.append(("submit", "submit", a.get("value", "")))
        elif tag == "select":
            self.select, self.select_first, self.select_chosen = a["name"], None, False
            self.form.options[a["name"]] = []
        elif tag == "textarea":
            self.textarea, self.text = a["name"], ""

    def _option(self, a: dict[str, str]) -> None:
        value = a.get("value", "")
        self.form.options[self.select].append(value)
        if self.select_first is None:
            self.select_first = value
        if "selected" in a and not self.select_chosen:
            self.form.fields.append((self.select, "select", value))
            self.select_chosen = True

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select" and self.select is not None:
            if not self.select_chosen and self.form is not None:
                self.form.fields.append((self.select, "select", self.select_first or ""))
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            self.form.fields.append((self.textarea, "textarea", self.text.removeprefix("\n")))
            self.textarea = None


def forms_on(html: str, page_url: str) -> list[Form]:
    reader = FormReader(page_url)
    reader.feed(html)
    return reader.forms


# --- who asks for what ------------------------------------------------------------------------


@dataclass
class Walk:
    app: Flask
    world: World
    failures: list[str] = field(default_factory=list)
    requests: int = 0

    def client_for(self, path: str, endpoint: str | None = None) -> FlaskClient:
        """Staff pages as an officer (an admin where only admins may go), vendor pages as the vendor's
        contact, requesters' pages as the teacher, the signed-in public pages as an admin, the rest
        anonymously."""
        blueprint = (endpoint or "").rpartition(".")[0]
        if path.startswith("/staff"):
            admin_only = (
                endpoint in ADMIN_ONLY_ENDPOINTS
                or blueprint in ADMIN_ONLY_BLUEPRINTS
                or path.startswith(("/staff/settings", "/staff/users/new"))
            )
            return client_as(self.app, self.world.admin_id if admin_only else self.world.officer_id)
        if path.startswith("/vendor"):
            return client_as(self.app, self.world.vendor_user_id)
        if path.startswith("/tools"):
            return client_as(self.app, self.world.requester_id)
        if endpoint in SIGNED_IN_ENDPOINTS or path.startswith("/account"):
            return client_as(self.app, self.world.admin_id)
        return self.app.test_client()

    def counts(self) -> dict[str, int]:
        tables = [t for t in db.metadata.sorted_tables if t.name not in WRITTEN_WHEN_REFUSED]
        with in_app(self.app):
            row = db.session.execute(
                sa.select(*(sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in tables))
            ).one()
        return dict(zip((t.name for t in tables), row, strict=True))

    def check(self, what: str, response, before: dict[str, int] | None = None) -> None:
        self.requests += 1
        status = response.status_code
        if status >= 500:
            self.failures.append(f"{what}: {status}")
            return
        is_page = response.mimetype == "text/html" and not 300 <= status < 400
        if is_page and SITE_LOOK not in response.get_data(as_text=True):
            self.failures.append(f"{what}: {status} page not in the site's look")
        if before is not None and status >= 400 and self.counts() != before:
            after = self.counts()
            changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
            self.failures.append(f"{what}: refused ({status}) but rows changed {changed}")


# --- URLs -------------------------------------------------------------------------------------


def url_for_rule(rule, world: World) -> str | None:
    """The rule's path with real ids, slugs and tokens from the world (None: nothing to fill it with)."""
    path = rule.rule
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if converter is None:  # a default, not in the path (the default language of a localized page)
            continue
        if name == "filename":
            value = "css/site.css"
        elif isinstance(converter, LanguageConverter):
            value = converter.languages[-1]  # a public page in the site's other language
        elif name in world.ids:
            value = str(world.ids[name])
        elif name == "slug":
            kinds = {"product": "product", "vendor": "vendor", "school": "school", "overlap": "kind"}
            kind = next((kind for part, kind in kinds.items() if part in rule.endpoint), "element")
            value = world.slugs[kind]
        elif name == "token":
            value = world.tokens.get(rule.endpoint)
            if value is None:
                return None
        else:
            return None
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", value, path)
    return path


def hostile_paths(rule) -> Iterator[str]:
    """The rule's path with each argument, in turn, replaced by hostile text (others as `1`)."""
    for name in rule.arguments:
        for value in PATH_VALUES:
            path = rule.rule
            for other in rule.arguments:
                path = re.sub(rf"<(?:[a-z]+:)?{other}>", value if other == name else "1", path)
            yield path


def rotating(values: list[str], index: int) -> list[str]:
    """NUL first when the kind has it, then VALUES_PER_FIELD - 1 others, rotating with the field's index."""
    rest = [v for v in values if v != NUL]
    chosen = [NUL] if NUL in values else []
    start = index * (VALUES_PER_FIELD - 1)
    chosen += [rest[(start + i) % len(rest)] for i in range(VALUES_PER_FIELD - len(chosen))]
    return chosen


def values_for(kind: str, index: int) -> list[str]:
    if kind in ("number", "range"):
        return rotating(NUMBER_VALUES, index)
    if kind in ("date", "datetime-local", "month", "time"):
        return rotating(DATE_VALUES, index)
    if kind in ("select", "checkbox", "radio"):
        return rotating(CHOICE_VALUES, index)
    return rotating(TEXT_VALUES, index)


def encode(pairs: list[tuple[str, str]]) -> bytes:
    """A form body as a browser sends it; lone surrogates go as the bytes a broken client would send."""
    return urlencode([(name, value.encode("utf-8", "surrogatepass")) for name, value in pairs]).encode()


def multipart(pairs: list[tuple[str, str]], files: dict[str, tuple[bytes, str]]) -> dict:
    data: dict = {}
    for name, value in pairs:
        # Werkzeug's test client writes text parts as UTF-8; a lone surrogate cannot be, so it goes as U+FFFD
        # (what the server would decode it to anyway).
        data.setdefault(name, []).append(value.encode("utf-8", "replace").decode())
    for name, (content, filename) in files.items():
        data[name] = (BytesIO(content), filename)
    return data


# --- the walk ---------------------------------------------------------------------------------


def post(walk: Walk, form: Form, client: FlaskClient, pairs: list[tuple[str, str]], files: dict, what: str):
    before = walk.counts()
    if form.multipart:
        response = client.post(form.action, data=multipart(pairs, files), content_type="multipart/form-data")
    else:
        response = client.post(form.action, data=encode(pairs), content_type="application/x-www-form-urlencoded")
    walk.check(what, response, before)
    return response


def default_files(form: Form) -> dict[str, tuple[bytes, str]]:
    return {
        name: (IMPORT_CSV, "inventory.csv") if "import" in form.action else (pdfs.plain_pdf(), "document.pdf")
        for name, kind, _ in form.fields
        if kind == "file"
    }


def attack_form(walk: Walk, form: Form, page: str) -> list[Form]:
    """Post the form as drawn, then with each field made hostile in turn; returns the forms that the
    ordinary submission's answer draws (the next step of a flow, such as the import's confirmation)."""
    client = walk.client_for(form.action)
    baseline = form.baseline()
    files = default_files(form)
    plain = post(walk, form, client, baseline, files, f"POST {form.action} (as drawn on {page})")
    following = forms_on(plain.get_data(as_text=True), form.action) if plain.mimetype == "text/html" else []
    names = list(dict.fromkeys(name for name, kind, _ in form.fields if kind not in ("submit", "file")))
    names += [name for name, values in form.options.items() if name not in names and values]
    kinds = {name: kind for name, kind, _ in form.fields}
    for index, name in enumerate(names):
        kind = kinds.get(name, "checkbox")
        for value in values_for(kind, index):
            pairs = [(n, v) for n, v in baseline if n != name] + [(name, value)]
            post(walk, form, client, pairs, files, f"POST {form.action} {name}={value[:20]!r}")
    for index, (name, kind, _) in enumerate(form.fields):
        if kind == "file":
            content = files[name][0]
            filename = FILE_NAMES[index % len(FILE_NAMES)]
            post(walk, form, client, baseline, {**files, name: (content, filename)}, f"POST {form.action} file name")
    return following


def walk_get(walk: Walk, client: FlaskClient, path: str, forms: list[Form]) -> None:
    """The page with hostile values in its query string: the GET forms' fields and the usual list arguments."""
    names = list(dict.fromkeys([*(name for f in forms if f.method == "get" for name, _, _ in f.fields), *QUERY_NAMES]))
    for index, name in enumerate(names):
        for value in rotating([*TEXT_VALUES[:4], *NUMBER_VALUES[:2], DATE_VALUES[1]], index):
            query = urlencode([(name, value.encode("utf-8", "surrogatepass"))])
            before = walk.counts()
            walk.check(f"GET {path}?{name}={value[:20]!r}", client.get(f"{path}?{query}"), before)


def crawl(walk: Walk) -> list[tuple[Form, str]]:
    """GET every route (and the world's extra pages) with hostile query strings; return the POST forms drawn."""
    pages = [(rule.endpoint, url_for_rule(rule, walk.world)) for rule in walk.app.url_map.iter_rules()]
    pages = [(endpoint, path) for endpoint, path in pages if path is not None]
    pages += [(None, path) for path in walk.world.extra_staff_pages]
    drawn: list[tuple[Form, str]] = []
    for endpoint, path in pages:
        client = walk.client_for(path, endpoint)
        before = walk.counts()
        response = client.get(path)
        walk.check(f"GET {path}", response, before)
        if response.status_code != 200 or endpoint == "static":
            continue
        forms = forms_on(response.get_data(as_text=True), path) if response.mimetype == "text/html" else []
        walk_get(walk, client, path, forms)
        drawn += [(form, path) for form in forms if form.method == "post"]
    return drawn


def attack_forms(walk: Walk, queue: list[tuple[Form, str]]) -> set[str]:
    """Each distinct form, from a freshly seeded district; returns the paths posted to."""
    seen: set[tuple] = set()
    posted: set[str] = set()
    while queue:
        form, page = queue.pop(0)
        if form.key() in seen:
            continue
        seen.add(form.key())
        walk.world = seed(walk.app)  # each form starts from the same district (a logout or a retire stays with it)
        following = attack_form(walk, form, page)
        queue += [(next_form, form.action) for next_form in following if next_form.method == "post"]
        posted.add(urlsplit(form.action).path)
        walk.failures += unsafe_text_stored(walk.app, f"after the forms of {form.action}")
    return posted


def attack_paths(walk: Walk, posted: set[str]) -> None:
    """Every route with hostile path arguments, by each of its methods; a POST route whose form no page
    drew gets hostile values under the names the site's forms use."""
    for rule in walk.app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for path in hostile_paths(rule):
            client = walk.client_for(path, rule.endpoint)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                before = walk.counts()
                response = client.open(path, method=method, data=encode([("name", NUL)]))
                walk.check(f"{method} {path[:80]}", response, before)
        filled = url_for_rule(rule, walk.world)
        if "POST" in rule.methods and filled and urlsplit(filled).path not in posted:
            client = walk.client_for(filled, rule.endpoint)
            before = walk.counts()
            response = client.post(filled, data=encode(UNDRAWN_FORM), content_type="application/x-www-form-urlencoded")
            walk.check(f"POST {filled} (a form no page drew)", response, before)


def unsafe_text_stored(app: Flask, when: str) -> list[str]:
    """Stored text holding a control character other than tab and line breaks, or a direction override."""
    problems = []
    with in_app(app):
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text)]
            if not columns:
                continue
            for row in db.session.execute(sa.select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, str) and any(_unsafe(ch) for ch in value):
                        problems.append(f"{when}: {table.name}.{column.name} holds {value[:40]!r}")
    return problems


def _unsafe(ch: str) -> bool:
    return (unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\t\n\r") or "\u202a" <= ch <= "\u202e"
