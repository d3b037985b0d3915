"""The package's shape: no import cycles between its modules, and no imports hidden inside functions.

Both read the source with `ast`, so they see every module whether or not a test imports it.
A module-level import is one at the top of a module, or inside a module-level `if`/`try`/`with`
block, except under `if TYPE_CHECKING:` (for type names only, never run). `from pkg import name`
counts as an import of `pkg.name` when that is a module, else of `pkg`; importing `pkg.sub`
also runs `pkg/__init__.py`, so it counts as an import of `pkg` too. A package's `__init__` that
imported its own submodules would therefore make a cycle: domain packages import nothing.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "clearinghouse"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports run when the module loads: not those in functions, classes or `if TYPE_CHECKING:`."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _module_level_imports(node.body)
            yield from _module_level_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _module_level_imports(block)
        elif isinstance(node, ast.With):
            yield from _module_level_imports(node.body)


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _with_parents(name: str) -> set[str]:
    """Importing a.b.c runs a/__init__, a/b/__init__ and a/b/c."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & MODULES.keys()


def _imports_of(module: str) -> set[str]:
    targets: set[str] = set()
    for node in _module_level_imports(ast.parse(MODULES[module].read_text()).body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                targets |= _with_parents(alias.name)
        else:
            base = _absolute(module, node)
            targets |= _with_parents(base)
            for alias in node.names:
                if f"{base}.{alias.name}" in MODULES:
                    targets.add(f"{base}.{alias.name}")
    targets.discard(module)
    return targets


def import_graph() -> dict[str, set[str]]:
    return {module: _imports_of(module) for module in MODULES}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan), each as one cycle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_through(graph, group) for group in groups]


def _cycle_through(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest path from the group's first module back to itself, within the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {start}")


def test_the_walk_sees_every_module_and_its_imports():
    graph = import_graph()
    assert len(graph) > 80
    assert "clearinghouse.app" in graph
    assert "clearinghouse.directory.views" in graph["clearinghouse.app"]
    assert "clearinghouse.directory" in graph["clearinghouse.app"]  # the package's __init__ runs too
    assert "clearinghouse.extensions" in graph["clearinghouse.errors"]


def test_a_package_init_importing_its_views_would_be_a_cycle():
    graph = import_graph()
    graph["clearinghouse.directory"] = {"clearinghouse.directory.views"}
    [cycle] = find_cycles(graph)
    assert {"clearinghouse.directory", "clearinghouse.directory.views"} <= set(cycle)


def test_the_cycle_finder_finds_a_cycle_and_names_its_modules():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]


def test_there_are_no_import_cycles():
    cycles = find_cycles(import_graph())
    assert not cycles, "Import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


# The modules below the domains: any domain may use them, and they import no domain package.
FOUNDATION = (
    "config",
    "data_version",
    "downloads",
    "errors",
    "extensions",
    "forms",
    "health",
    "i18n",
    "kept_counts",
    "locking",
    "models_base",
    "page_cache",
    "pdf",
    "request_log",
    "security",
    "sessions",
    "site_files",
    "slugs",
    "storage",
    "storage_s3",
    "text",
    "timeutil",
    "translation_fields",
    "urls",
)
# Every domain records audit events and queues notices, so these import no other domain (the
# outbox reads the district's settings for the sender and the district's name).
LEAVES = {
    "clearinghouse.audit.models": set(),
    "clearinghouse.audit.services": set(),
    "clearinghouse.notices.models": set(),
    "clearinghouse.notices.services": {"clearinghouse.settings"},
}


def _domains_imported(graph: dict[str, set[str]], module: str) -> set[str]:
    own = ".".join(module.split(".")[:2])
    return {
        ".".join(target.split(".")[:2])
        for target in graph[module]
        if MODULES[".".join(target.split(".")[:2])].name == "__init__.py" and not target.startswith(f"{own}.")
    } - {PACKAGE, own}


def test_the_foundation_imports_no_domain_and_audit_and_notices_are_leaves():
    graph = import_graph()
    found = {name: _domains_imported(graph, f"{PACKAGE}.{name}") for name in FOUNDATION}
    assert found == {name: set() for name in FOUNDATION}
    assert {module: _domains_imported(graph, module) for module in LEAVES} == LEAVES


def test_no_clearinghouse_import_hides_inside_a_function():
    """Not in the package, and not in its tests: an import hidden in a function is a sign of a cycle
    to remove, or of a leftover from one."""
    tests = {f"tests.{path.stem}": path for path in sorted((ROOT.parent / "tests").rglob("*.py"))}
    hidden = []
    for module, path in [*MODULES.items(), *tests.items()]:
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            for node in ast.walk(function):
                names = (
                    [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else [_absolute(module, node)]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                if any(name.partition(".")[0] in (PACKAGE, "tests") for name in names):
                    hidden.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: {ast.unparse(node)}")
    assert not hidden, "Imports inside functions:\n" + "\n".join(sorted(set(hidden)))


# The README's "Layout" says which domains own no tables and no writes.
READ_ONLY_DOMAINS = {"api", "portal", "reports"}


def test_the_readme_layout_names_every_package_as_it_is():
    readme = (ROOT.parent / "README.md").read_text(encoding="utf-8")
    layout = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert {name for name in packages if f"`{name}`" not in layout} == set()
    assert all(f"`{name}`" in layout for name in READ_ONLY_DOMAINS)
    domains = packages - {"demo"}
    for name in domains:
        owns = {file for file in ("models.py", "services.py") if (ROOT / name / file).exists()}
        assert owns == (set() if name in READ_ONLY_DOMAINS else {"models.py", "services.py"}), name
